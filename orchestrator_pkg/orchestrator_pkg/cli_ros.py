"""What the ROS sub-commands of ``orchestrator`` share: a short-lived client node.

The commands are clients outside any callback, so they spin in bounded loops
(never forever) and exit with a clear message when nothing answers. They look
for what they talk to in the ROS graph first, for at most
:data:`DISCOVERY_S`: with no orchestrator running they say so within that
time, instead of waiting out the whole ``--timeout``. With the stack's Fast DDS
profile (discovery on 127.0.0.1 only) a command that finds no other
participant of its domain on this machine (``ros_edge.dds.local_participants``)
says so at once: nothing could answer it.
"""
import contextlib
import os
import sys

import rclpy
from rclpy.node import Node
from rclpy.utilities import remove_ros_args

from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.ros_edge.qos_events import QuietEvents

DEFAULT_NODE = '/orchestrator'
DEFAULT_ACTION = 'execute_mission'
# how long a command looks for its server in the ROS graph: Fast DDS on localhost took
# up to 2.9 s to show an orchestrator's endpoints to a new participant
DISCOVERY_S = 4.0
READY_S = 5.0  # then how long its client may take to connect to it (DDS matching)


def add_common(parser, timeout_s: float = 10.0) -> None:
    """Add ``--node`` and ``--timeout`` to a sub-command parser."""
    parser.add_argument('--node', default=DEFAULT_NODE,
                        help=f'the orchestrator node (default {DEFAULT_NODE})')
    parser.add_argument('--timeout', type=float, default=timeout_s, metavar='S',
                        help=f'give up after S seconds without an answer (default {timeout_s:g})')


class ToolNode(QuietEvents, Node):
    """A command's node (:func:`tool_node`)."""


def tool_node(name: str, **kwargs):
    """Create a command's node: no parameter services, type description service or /rosout.

    Nobody asks a command (``orchestrator pause``, or ``orchestrator run``'s own
    nodes) for them, and each is a DDS endpoint pair that this process and every
    participant of the stack would have to announce and match. Against a loaded
    stack they were most of a command's start-up (``bench/cli_latency.py``).
    Its endpoints have no default QoS event handlers (``ros_edge.qos_events``).
    """
    from rclpy.parameter import Parameter
    return ToolNode(
        name, start_parameter_services=False, enable_rosout=False,
        parameter_overrides=[Parameter('start_type_description_service', value=False)],
        **kwargs)


@contextlib.contextmanager
def client_node(name: str):
    """Init rclpy, yield a :func:`tool_node`, and always shut down.

    Without rclpy's signal handlers: on Ctrl-C they shut the context down
    before the command sees the KeyboardInterrupt (and sometimes instead of
    it, as an ExternalShutdownException from the spin), so ``submit`` could no
    longer cancel its mission. Here Ctrl-C is Python's KeyboardInterrupt only,
    and the node still works while the command handles it.
    """
    from rclpy.signals import SignalHandlerOptions
    rclpy.init(args=remove_ros_args(sys.argv), signal_handler_options=SignalHandlerOptions.NO)
    node = tool_node(name)
    try:
        yield node
    finally:
        destroy_node_and_waitables(node)
        rclpy.try_shutdown()


def fail(message: str, code: int = 1) -> int:
    """Print ``orchestrator: message`` on stderr and return ``code``."""
    print(f'orchestrator: {message}', file=sys.stderr)
    return code


def absolute(name: str) -> str:
    """Return a relative ROS name as the absolute name a client in ``/`` resolves it to."""
    return name if name.startswith('/') else '/' + name


def alone() -> bool:
    """Whether no other participant of this domain runs on this machine, nor can run elsewhere.

    True only with the stack's Fast DDS profile, whose discovery is on
    127.0.0.1 only, when the one participant bound there is this command's own.
    """
    from orchestrator_pkg.ros_edge import dds
    return dds.local_participants(os.environ) == 1


def discover(node, present, timeout_s: float = DISCOVERY_S) -> bool:
    """Spin until ``present(node)`` (a graph query) is true, for at most ``timeout_s``.

    False at once when this command is :func:`alone` in its domain.
    """
    from orchestrator_pkg.ros_edge.waiting import spin_until
    if alone():
        return False
    return spin_until(node, lambda: present(node), timeout_s)


def has_service(name: str):
    """Return a graph query that tells whether another node serves a service of that name.

    Servers only: the graph's service list also shows a service that only has
    clients (our own client among them), which says nothing about a server.
    """
    name = absolute(name)

    def present(node) -> bool:
        me = (node.get_name(), node.get_namespace())
        for other in node.get_node_names_and_namespaces():
            if other == me:
                continue
            try:
                served = node.get_service_names_and_types_by_node(*other)
            except Exception:  # the node left the graph meanwhile
                continue
            if any(service == name for service, _ in served):
                return True
        return False
    return present


def has_publisher(topic: str):
    """Return a graph query that tells whether anyone publishes on that topic."""
    topic = absolute(topic)
    return lambda node: node.count_publishers(topic) > 0


def connect(node, present, ready, what: str, timeout_s: float):
    """Find a server in the graph, then wait until the client is connected to it.

    ``present(node)`` is a graph query, ``ready()`` the client's readiness.
    Returns None, or the message to fail with: nothing in the graph after
    :data:`DISCOVERY_S` (no orchestrator running), or a server in the graph
    that the client cannot reach within :data:`READY_S` (one that stopped and
    whose entry is still in the graph, or a hung one).
    """
    from orchestrator_pkg.ros_edge.waiting import spin_until
    if not discover(node, present, min(timeout_s, DISCOVERY_S)):
        return not_running(what)
    if not spin_until(node, ready, min(timeout_s, READY_S)):
        return (f'{what} is in the ROS graph but does not answer (an orchestrator that '
                'stopped a moment ago, or a hung one?)')
    return None


def not_running(what: str) -> str:
    """Return the message for a server that is not in the graph."""
    domain = os.environ.get('ROS_DOMAIN_ID', '0')
    where = (f'nothing else runs on ROS domain {domain} on this machine' if alone() else
             f'{what} is not in the ROS graph (ROS_DOMAIN_ID={domain})')
    return f'no orchestrator running: {where}; start one with `orchestrator run`'


def call_trigger(service: str, timeout_s: float) -> int:
    """Call a std_srvs/Trigger service; print its message; 0 when it says success."""
    from std_srvs.srv import Trigger

    from orchestrator_pkg.ros_edge.waiting import wait_future
    with client_node('orchestrator_cli') as node:
        client = node.create_client(Trigger, service)
        problem = connect(node, has_service(service), client.service_is_ready,
                          f'service {service}', timeout_s)
        if problem:
            return fail(problem)
        try:
            response = wait_future(node, client.call_async(Trigger.Request()), timeout_s)
        except TimeoutError:
            return fail(f'{service} did not answer within {timeout_s:g} s')
        print(response.message)
        return 0 if response.success else 1


def get_parameters(node, target: str, names, timeout_s: float) -> dict:
    """Read parameters of the ROS node ``target`` through its ``get_parameters`` service.

    Returns ``{name: value}`` (Python values) for the names it has; ``{}`` when
    it is not in the graph or does not answer within ``timeout_s``.
    """
    from rcl_interfaces.srv import GetParameters
    from rclpy.parameter import parameter_value_to_python

    from orchestrator_pkg.ros_edge.waiting import wait_future
    names = list(names)
    service = f'{target.rstrip("/")}/get_parameters'
    client = node.create_client(GetParameters, service)
    try:
        if connect(node, has_service(service), client.service_is_ready, f'service {service}',
                   timeout_s):
            return {}
        try:
            response = wait_future(node, client.call_async(GetParameters.Request(names=names)),
                                   timeout_s)
        except TimeoutError:
            return {}
    finally:
        node.destroy_client(client)
    return {name: parameter_value_to_python(value)
            for name, value in zip(names, response.values, strict=False)
            if value.type != 0}  # PARAMETER_NOT_SET

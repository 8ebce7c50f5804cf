"""RosLeaf: the base of every ROS leaf (py_trees Behaviour -> RosLeaf -> concrete leaf).

Defined once here: the node from ``setup(node=...)`` (py_trees_ros; a
``KeyError`` naming the leaf without one) and the :meth:`RosLeaf.connect` hook;
the clock (the tree's, else the node's ROS clock); :meth:`RosLeaf.fail`;
entities destroyed by ``shutdown()`` (:meth:`RosLeaf.own`); BT.CPP's idle
state as :attr:`RosLeaf.fresh`; and the server wait (:meth:`RosLeaf.server_wait`),
in seconds on the leaf's clock: the leaf's ``wait_for_server`` port when the
tree gives it, else the node's parameter ``server_wait_timeout_s``, else
:data:`DEFAULT_SERVER_WAIT_S`. ``server_timeout`` (ms, as in Nav2's trees) is
how long a server that is there may take to answer a request.
"""
from typing import Optional

import py_trees
from py_trees.common import Status
from rclpy.action import ActionClient

from orchestrator_pkg.ros_edge import state
from orchestrator_pkg.ros_edge.clock import RosClock
from orchestrator_pkg.trees.failure import Failure, FailureCode
from orchestrator_pkg.trees.ports import PortError, input_port

# Bad input when a leaf builds a goal, request or message: an unset or ill-typed port
# (PortError) or a wrong value for a field. Anything else is a bug and propagates.
INPUT_ERRORS = (PortError, ValueError, LookupError, TypeError, AttributeError)
SERVER_WAIT_PARAMETER = 'server_wait_timeout_s'
DEFAULT_SERVER_WAIT_S = 5.0
DEFAULT_SERVER_TIMEOUT_MS = 5000.0  # a request's answer (Nav2's server_timeout default)


def shared_client(node, kind: str, interface_type, name: str):
    """Take ``node``'s client of an action (``kind`` 'action') or service ('service').

    Returns ``(client, give_back)``; call ``give_back()`` once when done with it.
    One client per action or service and node, counted: every leaf of every live
    tree on the node that talks to ``name`` with ``interface_type`` shares it, and
    the last ``give_back()`` destroys it. A tree that starts while the last one is
    still kept (a tree host keeps a finished tree for ``RETIRE_AFTER_S``) takes the
    same client. A client made per tree cost each mission a DDS client (an action
    client is five endpoints) made at setup and destroyed after it, and the node's
    executor a longer wait set while finished trees kept theirs
    (``bench/execute_mission_overhead.py``). The client lives no longer than a tree
    that uses it, as before: a navigation server's orphan watch counts the clients
    of its action in the graph (docs/reliability.md, "Orphaned goals"). Goals,
    requests and their futures stay each leaf's own. The entries live in
    :func:`~orchestrator_pkg.ros_edge.state.per_node`.
    """
    if kind == 'action':
        def make():
            return [ActionClient(node, interface_type, name), 0]
    elif kind == 'service':
        def make():
            return [node.create_client(interface_type, name), 0]
    else:
        raise ValueError(f"shared_client: kind must be 'action' or 'service', not {kind!r}")
    entry = state.per_node(node, ('client', kind, interface_type, name), make)
    entry[1] += 1

    def give_back():
        if entry[0] is None:
            return  # destroyed already (release_shared_clients)
        entry[1] -= 1
        if entry[1] == 0:
            state.take(node, lambda _, kept: kept is entry)
            _destroy(node, entry)

    return entry[0], give_back


def _destroy(node, entry) -> None:
    client, entry[0] = entry[0], None
    if isinstance(client, ActionClient):
        client.destroy()
    else:
        node.destroy_client(client)


def release_shared_clients(node) -> int:
    """Destroy all of ``node``'s shared clients (a managed node's cleanup); return how many.

    A leaf that gives its client back after this changes nothing, also when a
    newer tree took a new client for the same action.
    """
    taken = state.take(node, lambda key, _: isinstance(key, tuple) and key[0] == 'client')
    for _, entry in taken:
        _destroy(node, entry)
    return len(taken)


def require_node(behaviour, kwargs):
    """Return ``kwargs['node']``; ``KeyError`` naming ``behaviour`` when it is missing."""
    node = kwargs.get('node')
    if node is None:
        raise KeyError(f'{behaviour.name}: setup() needs node=<rclpy node> '
                       '(py_trees_ros convention: tree.setup(node=node))')
    return node


def server_wait_s(node, override: Optional[float] = None) -> float:
    """How long to wait for a server (s): ``override``, the node's parameter, or the default."""
    if override is not None:
        return float(override)
    if node.has_parameter(SERVER_WAIT_PARAMETER):
        return float(node.get_parameter(SERVER_WAIT_PARAMETER).value)
    return DEFAULT_SERVER_WAIT_S


def server_ports(what: str = 'server'):
    """Return the ``server_timeout`` (ms) and ``wait_for_server`` (s) ports of a client leaf."""
    return (
        input_port('server_timeout', 'float', required=False, default=DEFAULT_SERVER_TIMEOUT_MS,
                   description=f'How long the {what} may take to answer a request (ms).'),
        input_port('wait_for_server', 'duration_s', required=False,
                   description=f'How long to wait for the {what} to appear (s); default: the '
                               f"node's {SERVER_WAIT_PARAMETER} parameter "
                               f'({DEFAULT_SERVER_WAIT_S:g} s without one).'),
    )


def server_timeouts(ports):
    """Return (wait_for_server in s or None, server_timeout in s) from a leaf's ports."""
    wait = ports.get('wait_for_server', None)
    return (None if wait is None else float(wait),
            float(ports.get('server_timeout', DEFAULT_SERVER_TIMEOUT_MS)) / 1000.0)


class RosLeaf(py_trees.behaviour.Behaviour):
    """The base of every ROS leaf: node, clock, failure, owned entities, server wait.

    Args:
        name: instance name.
        node_type: registered node type, for failure reasons (default: the class name).
        clock: an engine clock (``now()`` in seconds); default the node's ROS clock.
        server_wait_timeout_s: how long to wait for a server (s); None: the
            node's ``server_wait_timeout_s`` parameter, else the default.
    """

    def __init__(self, name: str, *, node_type: str = '', clock=None,
                 server_wait_timeout_s: Optional[float] = None):
        super().__init__(name)
        self.node_type = node_type or type(self).__name__
        self.clock = clock
        self.node = None
        self.failure = None
        self.fresh = True
        self.started = 0.0
        self.server_wait_timeout_s = self._server_wait_override = server_wait_timeout_s
        self._owned = []

    def setup(self, **kwargs) -> None:
        """Take the node from ``kwargs['node']``, then :meth:`connect` to it."""
        self.node = require_node(self, kwargs)
        if self.clock is None:
            self.clock = RosClock(self.node)
        self.server_wait_timeout_s = server_wait_s(self.node, self._server_wait_override)
        self.connect(self.node)

    def connect(self, node) -> None:
        """Make subscriptions, clients and publishers on ``node`` (hook; default none)."""

    def shared_client(self, node, kind: str, interface_type, name: str):
        """Return the node's :func:`shared_client`; ``shutdown()`` gives it back."""
        client, give_back = shared_client(node, kind, interface_type, name)
        return self.own(client, lambda _: give_back())

    def own(self, entity, destroy):
        """Return ``entity``; ``shutdown()`` calls ``destroy(entity)``."""
        self._owned.append((entity, destroy))
        return entity

    def shutdown(self) -> None:
        """Destroy what :meth:`own` registered, newest first."""
        while self._owned:
            entity, destroy = self._owned.pop()
            destroy(entity)

    def initialise(self) -> None:
        """Note freshness and the start time; clear the last failure."""
        if self.status == Status.INVALID or getattr(self, 'idle', False):
            self.fresh = True
        self.idle = False
        self.failure = None
        self.started = self.clock.now() if self.clock is not None else 0.0

    def terminate(self, new_status: Status) -> None:
        """Make the leaf fresh again on a halt."""
        if new_status == Status.INVALID:
            self.fresh = True

    def elapsed(self) -> float:
        """Seconds on the clock since ``initialise``."""
        return self.clock.now() - self.started

    def timed_out(self, timeout_s: Optional[float]) -> bool:
        """Whether more than ``timeout_s`` passed since ``initialise`` (never for None)."""
        return timeout_s is not None and self.elapsed() > timeout_s

    def fail(self, code: int, message: str, *, leaf_error_code: int = 0,
             leaf_interface: str = '') -> Status:
        """Record why the leaf fails, show it as feedback and return FAILURE."""
        self.failure = Failure(node_type=self.node_type, code=int(code),
                               leaf_error_code=int(leaf_error_code),
                               leaf_interface=leaf_interface, message=message)
        self.feedback_message = message
        return Status.FAILURE

    def server_wait(self, ready: bool, what: str) -> Optional[Status]:
        """None once ``ready``; RUNNING while waiting; FAILURE after the server wait."""
        if ready:
            return None
        if self.timed_out(self.server_wait_timeout_s):
            return self.fail(FailureCode.SERVER_UNAVAILABLE,
                             f'{what} not available after {self.server_wait_timeout_s:g} s')
        self.feedback_message = f'waiting for {what}'
        return Status.RUNNING

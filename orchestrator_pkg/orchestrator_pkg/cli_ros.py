"""What the ROS sub-commands of ``orchestrator`` share: a short-lived client node.

The commands are clients outside any callback, so they spin in bounded loops
(never forever) and exit with a clear message when nothing answers.
"""
import contextlib
import sys

import rclpy
from rclpy.utilities import remove_ros_args

DEFAULT_NODE = '/orchestrator'
DEFAULT_ACTION = 'execute_mission'


def add_common(parser, timeout_s: float = 10.0) -> None:
    """Add ``--node`` and ``--timeout`` to a sub-command parser."""
    parser.add_argument('--node', default=DEFAULT_NODE,
                        help=f'the orchestrator node (default {DEFAULT_NODE})')
    parser.add_argument('--timeout', type=float, default=timeout_s, metavar='S',
                        help=f'give up after S seconds without an answer (default {timeout_s:g})')


@contextlib.contextmanager
def client_node(name: str):
    """Init rclpy, yield a node, and always shut down."""
    rclpy.init(args=remove_ros_args(sys.argv))
    node = rclpy.create_node(name)
    try:
        yield node
    finally:
        node.destroy_node()
        rclpy.try_shutdown()


def fail(message: str, code: int = 1) -> int:
    """Print ``orchestrator: message`` on stderr and return ``code``."""
    print(f'orchestrator: {message}', file=sys.stderr)
    return code


def call_trigger(service: str, timeout_s: float) -> int:
    """Call a std_srvs/Trigger service; print its message; 0 when it says success."""
    from std_srvs.srv import Trigger

    from orchestrator_pkg.testing.waiting import wait_future
    with client_node('orchestrator_cli') as node:
        client = node.create_client(Trigger, service)
        if not client.wait_for_service(timeout_sec=timeout_s):
            return fail(f'service {service} is not available (is the orchestrator running?)')
        try:
            response = wait_future(node, client.call_async(Trigger.Request()), timeout_s)
        except TimeoutError:
            return fail(f'{service} did not answer within {timeout_s:g} s')
        print(response.message)
        return 0 if response.success else 1

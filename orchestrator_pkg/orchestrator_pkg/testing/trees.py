"""Build and tick tree XML against a real rclpy node, for in-process ROS tests."""
from contextlib import contextmanager
import time

import rclpy

from orchestrator_pkg.ros_edge.clock import RosClock
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.trees.loader import load_string

TIMEOUT_S = 20.0


@contextmanager
def rclpy_node(ros_domain, name):
    """Init rclpy on the claimed ROS domain and yield a node; shut both down after."""
    rclpy.init(domain_id=ros_domain.domain_id)
    node = rclpy.create_node(name)
    try:
        yield node
    finally:
        destroy_node_and_waitables(node)  # a tree's leaves' action clients included
        rclpy.shutdown()


def build(registry, node, body, **blackboard):
    """Build ``<BehaviorTree ID="T">body</BehaviorTree>`` on ``node``'s ROS clock, set up.

    Keyword arguments are tree inputs, written to the blackboard.
    """
    xml = f'<root BTCPP_format="4"><BehaviorTree ID="T">{body}</BehaviorTree></root>'
    built = load_string(xml, registry, inputs=list(blackboard)).build(clock=RosClock(node))
    for key, value in blackboard.items():
        built.blackboard.set(key, value)
    built.tree.setup(node=node, timeout=5.0)
    return built


def tick_until(node, built, predicate, timeout_s=TIMEOUT_S, every=None):
    """Tick (spinning ``node`` between ticks) until ``predicate(status)``; return the status.

    ``every()``, if given, runs before each tick (e.g. to publish a message).
    Fails with the root's status and feedback after ``timeout_s`` wall seconds.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if every is not None:
            every()
        rclpy.spin_once(node, timeout_sec=0.02)
        status = built.tick()
        if predicate(status):
            return status
    raise AssertionError(f'timed out; last status {built.root.status}: '
                         f'{built.root.feedback_message}')

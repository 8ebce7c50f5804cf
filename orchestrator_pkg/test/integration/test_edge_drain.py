"""guard.subscribe(drain=True) on real rclpy: a node behind on a topic catches up at once.

rclpy's executor takes one message per subscription per wait. A node whose
timer callback is slow (controller_server's MPPI cycle) took its 50 Hz odometry
slower than it came: the 50-deep queue filled, and each pose taken was the
oldest one kept, up to 1 s stale. A drained subscription hands the callback
every queued message, oldest first, so the history stays whole and the newest
pose is the one in hand.
"""
import math
import time

from nav_msgs.msg import Odometry
import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor

from orchestrator_pkg.ros_edge import guard, qos
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables

TIMEOUT_S = 20.0
SENT = 30


@pytest.fixture
def context(ros_domain):
    rclpy.init(domain_id=ros_domain.domain_id)
    yield
    rclpy.try_shutdown()


def _receiver(name, drain, profile=qos.ODOM_HISTORY_QOS):
    node = rclpy.create_node(name)
    got = []
    guard.subscribe(node, Odometry, 'odom', lambda m: got.append(m.pose.pose.position.x),
                    profile, drain=drain)
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    return node, executor, got


def test_a_drained_subscription_takes_the_whole_queue_in_one_delivery(context):
    drained, drained_exec, drained_got = _receiver('drained', True)
    plain, plain_exec, plain_got = _receiver('plain', False)
    by_depth, by_depth_exec, by_depth_got = _receiver('by_depth', True, 50)  # a bare depth
    sender = rclpy.create_node('odom_sender')
    pub = sender.create_publisher(Odometry, 'odom', qos.ODOM_HISTORY_QOS)
    deadline = time.monotonic() + TIMEOUT_S
    while pub.get_subscription_count() < 3:
        assert time.monotonic() < deadline, 'the receivers never matched'
        time.sleep(0.05)
    for i in range(SENT):
        msg = Odometry()
        msg.pose.pose.orientation.w = 1.0
        msg.pose.pose.position.x = math.nan if i == 7 else float(i)
        pub.publish(msg)
    time.sleep(1.0)  # every message in both receivers' queues before either takes one
    try:
        drained_exec.spin_once(timeout_sec=TIMEOUT_S)
        plain_exec.spin_once(timeout_sec=TIMEOUT_S)
        by_depth_exec.spin_once(timeout_sec=TIMEOUT_S)
        # one delivery: the plain subscription took the oldest message only
        assert plain_got == [0.0]
        # the drained one took all, in order; the NaN still went through the guard
        assert drained_got == [float(i) for i in range(SENT) if i != 7]
        assert guard.edge(drained).dropped == {'odom': 1}
        assert by_depth_got == drained_got
        # and the queue is empty now: nothing is delivered twice
        drained_exec.spin_once(timeout_sec=0.3)
        assert len(drained_got) == SENT - 1
    finally:
        for node, executor in ((drained, drained_exec), (plain, plain_exec),
                               (by_depth, by_depth_exec)):
            executor.shutdown()
            destroy_node_and_waitables(node)
        sender.destroy_node()

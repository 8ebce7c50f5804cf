"""Helpers for the integration tests: start the sim, listen to it, wait with bounds."""
import math
import sys
import time

from nav_msgs.msg import Odometry
import rclpy
from rclpy.qos import DurabilityPolicy, QoSProfile

from orchestrator_pkg.testing.processes import ManagedProcess

WAIT_S = 60.0  # generous: the machine is shared and may be loaded


def sim_process(env, *params, rtf=2.0, world='test_room', robot='small_indoor'):
    """Return a ManagedProcess running the sim node with ``-p name:=value`` parameters."""
    args = ['-m', 'orchestrator_sim.nodes.sim_node', '--ros-args',
            '-p', f'world:={world}', '-p', f'robot:={robot}',
            '-p', f'real_time_factor:={rtf}']
    for param in params:
        args += ['-p', param]
    return ManagedProcess([sys.executable, *args], env=env)


def yaw_of(q) -> float:
    """Yaw of a geometry_msgs/Quaternion."""
    return math.atan2(2.0 * (q.w * q.z + q.x * q.y), 1.0 - 2.0 * (q.y * q.y + q.z * q.z))


class Listener:
    """An rclpy node that keeps the messages of the topics it is told to watch."""

    def __init__(self, name='sim_test_listener'):
        self.node = rclpy.create_node(name)
        self.messages = {}

    def watch(self, msg_type, topic, latched=False, keep=1000):
        qos = QoSProfile(depth=keep, durability=DurabilityPolicy.TRANSIENT_LOCAL) \
            if latched else QoSProfile(depth=keep)
        self.messages[topic] = []
        store = self.messages[topic]

        def callback(msg):
            store.append(msg)
            if len(store) > keep:
                del store[0]
        self.node.create_subscription(msg_type, topic, callback, qos)

    def latest(self, topic):
        """Return the newest message on ``topic``, or None."""
        msgs = self.messages.get(topic)
        return msgs[-1] if msgs else None

    def spin_for(self, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            rclpy.spin_once(self.node, timeout_sec=0.02)

    def wait_for(self, predicate, timeout_s=WAIT_S, what='condition', every=None):
        """Spin until ``predicate()`` is true; fail the test with ``what`` otherwise."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            rclpy.spin_once(self.node, timeout_sec=0.02)
            if every is not None:
                every()
            if predicate():
                return
        raise AssertionError(f'timed out after {timeout_s} s waiting for {what}')

    def wait_future(self, future, timeout_s=WAIT_S, what='a response'):
        self.wait_for(future.done, timeout_s, what)
        return future.result()

    def truth(self):
        """Latest ground truth as (x, y, yaw, vx, wz, sim time) or None."""
        msg = self.latest('ground_truth/odom')
        if msg is None:
            return None
        p = msg.pose.pose
        t = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        return (p.position.x, p.position.y, yaw_of(p.orientation),
                msg.twist.twist.linear.x, msg.twist.twist.angular.z, t)

    def sim_time_of(self, topic):
        msg = self.latest(topic)
        if msg is None:
            return None
        stamp = msg.clock if hasattr(msg, 'clock') else msg.header.stamp
        return stamp.sec + stamp.nanosec * 1e-9

    def destroy(self):
        self.node.destroy_node()


def watch_ground_truth(listener):
    """Subscribe to ground_truth/odom."""
    listener.watch(Odometry, 'ground_truth/odom')

"""Shared bits of the localization/perception tests: a map of a sim world, processes, driving."""
import argparse
import math
import os
import sys
import time

from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
import rclpy
from rclpy.qos import DurabilityPolicy, QoSProfile

from orchestrator_pkg.commands import map_from_world
from orchestrator_pkg.testing.processes import ManagedProcess

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(os.path.dirname(os.path.dirname(HERE)), 'config')
WAIT_S = 60.0


def world_map(world: str, out_yaml: str, resolution=0.05, margin=0.2) -> str:
    """Write a map of ``world`` with ``orchestrator map-from-world``'s code; return its path."""
    args = argparse.Namespace(world=world, out=out_yaml, resolution=resolution, bounds=None,
                              margin=margin, scan_height=0.18)
    assert map_from_world.run(args) == 0
    return out_yaml


def sim_process(env, *params, rtf=1.0, world='test_room'):
    """Return the sim node process with ``-p name:=value`` parameters."""
    args = ['-m', 'orchestrator_sim.nodes.sim_node', '--ros-args', '-p', f'world:={world}',
            '-p', 'robot:=small_indoor', '-p', f'real_time_factor:={rtf}']
    for p in params:
        args += ['-p', p]
    return ManagedProcess([sys.executable, *args], env=env)


def node_process(env, module, config, *params):
    """One of our nodes on sim time with its config file and ``-p`` overrides."""
    args = ['-m', f'orchestrator_pkg.nodes.{module}', '--ros-args', '--params-file',
            os.path.join(CONFIG, config), '-p', 'use_sim_time:=true']
    for p in params:
        args += ['-p', p]
    return ManagedProcess([sys.executable, *args], env=env)


def yaw_of(q) -> float:
    """Yaw of a geometry_msgs/Quaternion."""
    return math.atan2(2.0 * (q.w * q.z + q.x * q.y), 1.0 - 2.0 * (q.y * q.y + q.z * q.z))


def wrap(a: float) -> float:
    """Angle in (-pi, pi]."""
    return math.atan2(math.sin(a), math.cos(a))


def stamp_s(stamp) -> float:
    """Seconds of a builtin_interfaces/Time."""
    return stamp.sec + stamp.nanosec * 1e-9


class Listener:
    """A test node keeping the messages of watched topics, with bounded waits."""

    def __init__(self, name='loc_test_listener'):
        self.node = rclpy.create_node(name)
        self.messages = {}
        self.cmd = self.node.create_publisher(Twist, 'cmd_vel', 10)

    def watch(self, msg_type, topic, latched=False, keep=5000):
        """Keep up to ``keep`` messages of ``topic``."""
        qos = QoSProfile(depth=50, durability=DurabilityPolicy.TRANSIENT_LOCAL) \
            if latched else QoSProfile(depth=50)
        store = self.messages.setdefault(topic, [])

        def callback(msg):
            store.append(msg)
            if len(store) > keep:
                del store[0]
        self.node.create_subscription(msg_type, topic, callback, qos)

    def latest(self, topic):
        """Newest message on ``topic`` or None."""
        msgs = self.messages.get(topic)
        return msgs[-1] if msgs else None

    def wait_for(self, predicate, timeout_s=WAIT_S, what='condition', every=None):
        """Spin until ``predicate()``; fail naming ``what`` after ``timeout_s`` wall seconds."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            rclpy.spin_once(self.node, timeout_sec=0.02)
            if every is not None:
                every()
            if predicate():
                return
        raise AssertionError(f'timed out after {timeout_s} s waiting for {what}')

    def truth(self):
        """Latest true pose (x, y, yaw, t)."""
        m = self.latest('ground_truth/odom')
        if m is None:
            return None
        p = m.pose.pose
        return p.position.x, p.position.y, yaw_of(p.orientation), stamp_s(m.header.stamp)

    def truth_at(self, t: float):
        """Return the true pose nearest sim time ``t``."""
        best = min(self.messages['ground_truth/odom'],
                   key=lambda m: abs(stamp_s(m.header.stamp) - t))
        p = best.pose.pose
        return p.position.x, p.position.y, yaw_of(p.orientation)

    def sim_time(self) -> float:
        """Sim time of the newest ground truth."""
        t = self.truth()
        return t[3] if t else 0.0

    def drive(self, v, w):
        """Publish one velocity command."""
        msg = Twist()
        msg.linear.x, msg.angular.z = float(v), float(w)
        self.cmd.publish(msg)

    def drive_for(self, v, w, sim_s, timeout_s=WAIT_S):
        """Drive (v, w) for ``sim_s`` seconds of sim time, then stop."""
        t0 = self.sim_time()
        self.wait_for(lambda: self.sim_time() >= t0 + sim_s, timeout_s,
                      f'{sim_s} s of driving', every=lambda: self.drive(v, w))
        self.stop()

    def stop(self):
        """Stop the robot and let it settle."""
        for _ in range(5):
            self.drive(0.0, 0.0)
            rclpy.spin_once(self.node, timeout_sec=0.02)

    def face(self, x, y, tol=0.05, timeout_s=WAIT_S):
        """Turn in place (steering on the ground truth) to face ``(x, y)``."""
        self.wait_for(lambda: self.truth() is not None, timeout_s, 'ground truth')

        def step():
            rx, ry, ryaw, _ = self.truth()
            err = wrap(math.atan2(y - ry, x - rx) - ryaw)
            self.drive(0.0, max(-1.0, min(1.0, 2.0 * err)))

        def done():
            rx, ry, ryaw, _ = self.truth()
            return abs(wrap(math.atan2(y - ry, x - rx) - ryaw)) < tol
        self.wait_for(done, timeout_s, f'facing ({x}, {y})', every=step)
        self.stop()

    def go_to(self, x, y, tol=0.08, timeout_s=WAIT_S, speed=0.45):
        """Drive to ``(x, y)`` (steering on the ground truth: a test harness, not the stack)."""
        self.face(x, y, tol=0.1, timeout_s=timeout_s)

        def step():
            rx, ry, ryaw, _ = self.truth()
            err = wrap(math.atan2(y - ry, x - rx) - ryaw)
            d = math.hypot(x - rx, y - ry)
            self.drive(min(speed, d) if abs(err) < 0.6 else 0.0, max(-1.0, min(1.0, 2.0 * err)))

        def done():
            rx, ry, _, _ = self.truth()
            return math.hypot(x - rx, y - ry) < tol
        self.wait_for(done, timeout_s, f'reaching ({x}, {y})', every=step)
        self.stop()

    def destroy(self):
        """Destroy the node."""
        self.node.destroy_node()


def watch_truth(listener):
    """Subscribe to ground_truth/odom."""
    listener.watch(Odometry, 'ground_truth/odom', keep=20000)

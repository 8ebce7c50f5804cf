"""Shared bits of the localization/perception tests: a map of a sim world, processes, driving."""
import argparse
import math
import os
import sys

from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
import rclpy

from orchestrator_pkg.commands import map_from_world
from orchestrator_pkg.testing import listener
from orchestrator_pkg.testing.listener import WAIT_S, stamp_s, yaw_of  # noqa: F401 (re-exported)
from orchestrator_pkg.testing.processes import ManagedProcess

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG = os.path.join(os.path.dirname(os.path.dirname(HERE)), 'config')


def world_map(world: str, out_yaml: str, resolution=0.05, margin=0.2) -> str:
    """Write a map of ``world`` with ``orchestrator map-from-world``'s code; return its path."""
    args = argparse.Namespace(world=world, out=out_yaml, resolution=resolution, bounds=None,
                              margin=margin, scan_height=0.18)
    assert map_from_world.run(args) == 0
    return out_yaml


def sim_process(env, *params, rtf=1.0, world='test_room'):
    """Return the sim node process with ``-p name:=value`` parameters."""
    return listener.sim_process(env, *params, rtf=rtf, world=world)


def node_process(env, module, config, *params):
    """One of our nodes on sim time with its config file and ``-p`` overrides."""
    args = ['-m', f'orchestrator_pkg.nodes.{module}', '--ros-args', '--params-file',
            os.path.join(CONFIG, config), '-p', 'use_sim_time:=true']
    for p in params:
        args += ['-p', p]
    return ManagedProcess([sys.executable, *args], env=env)


def wrap(a: float) -> float:
    """Angle in (-pi, pi]."""
    return math.atan2(math.sin(a), math.cos(a))


class Listener(listener.TopicListener):
    """A TopicListener with a cmd_vel publisher, the ground truth and a driving harness."""

    def __init__(self, name='loc_test_listener'):
        super().__init__(name)
        self.cmd = self.node.create_publisher(Twist, 'cmd_vel', 10)

    def watch(self, msg_type, topic, latched=False, keep=5000):
        """Keep up to ``keep`` messages of ``topic``."""
        super().watch(msg_type, topic, latched=latched, keep=keep, depth=50)

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


def watch_truth(listener):
    """Subscribe to ground_truth/odom."""
    listener.watch(Odometry, 'ground_truth/odom', keep=20000)

"""Helpers for the sim's integration tests: the sim process and a listener with its ground truth.

The process and the listener are shared with orchestrator_pkg's tests
(``orchestrator_pkg/testing/listener.py``); this adds the ground-truth tuple.
"""
import functools

from nav_msgs.msg import Odometry

from orchestrator_pkg.testing import listener as shared
from orchestrator_pkg.testing.listener import WAIT_S, stamp_s, yaw_of  # noqa: F401 (re-exported)

# The sim's own tests run it at twice real time by default.
sim_process = functools.partial(shared.sim_process, rtf=2.0)


class Listener(shared.TopicListener):
    """A TopicListener that also reads the sim's ground truth."""

    def __init__(self, name='sim_test_listener'):
        super().__init__(name)

    def truth(self):
        """Latest ground truth as (x, y, yaw, vx, wz, sim time) or None."""
        msg = self.latest('ground_truth/odom')
        if msg is None:
            return None
        p = msg.pose.pose
        return (p.position.x, p.position.y, yaw_of(p.orientation),
                msg.twist.twist.linear.x, msg.twist.twist.angular.z, stamp_s(msg.header.stamp))


def watch_ground_truth(listener):
    """Subscribe to ground_truth/odom."""
    listener.watch(Odometry, 'ground_truth/odom')

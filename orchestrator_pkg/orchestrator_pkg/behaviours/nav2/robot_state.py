"""The robot's pose and speed for the Nav2 node types that need them.

Nav2 reads the pose from tf (``global_frame`` → ``robot_base_frame``). This
stack has no tf listener in Python here, so the pose comes from the ``odom``
topic (nav_msgs/Odometry) in the odom frame; with no localization running
the map and odom frames coincide. One subscription per node is shared by all
behaviours of that node; the callback only stores the message.
"""
import math
import threading
import weakref

from nav_msgs.msg import Odometry

_SOURCES = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


class OdomState:
    """Latest odometry of one node's ``odom`` subscription."""

    def __init__(self, node, topic: str = 'odom'):
        self._lock = threading.Lock()
        self._odom = None
        self._subscription = node.create_subscription(Odometry, topic, self._store, 10)

    def _store(self, message):
        with self._lock:
            self._odom = message

    @property
    def odometry(self):
        """The latest Odometry message, or None."""
        with self._lock:
            return self._odom

    def xy(self):
        """Return (x, y) of the robot, or None before the first message."""
        odom = self.odometry
        if odom is None:
            return None
        return (odom.pose.pose.position.x, odom.pose.pose.position.y)

    def speed(self) -> float:
        """Return the planar speed (m/s), 0 before the first message."""
        odom = self.odometry
        if odom is None:
            return 0.0
        return math.hypot(odom.twist.twist.linear.x, odom.twist.twist.linear.y)


def odom_state(node) -> OdomState:
    """Return the node's shared :class:`OdomState`, subscribing on first use."""
    with _LOCK:
        state = _SOURCES.get(node)
        if state is None:
            state = OdomState(node)
            _SOURCES[node] = state
        return state

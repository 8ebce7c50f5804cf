"""Latest messages, cached: any topic's, odometry, battery. Callbacks only store.

:func:`per_node` gives a node one shared cache (one subscription per node,
not per leaf), e.g. :func:`odom_state`, :func:`battery_monitor`. The robot
pose of the Nav2 node types comes from ``odom`` (Nav2 reads tf), in the odom
frame, which is the map frame when no localization runs.
"""
import math
import threading
from typing import Optional
import weakref

from orchestrator_pkg.ros_edge.guard import subscribe

_SHARED = weakref.WeakKeyDictionary()  # node -> {key: cache}
_SHARED_LOCK = threading.RLock()  # a factory may ask for another shared object


def per_node(node, key, factory):
    """Return the node's shared object under ``key``, made by ``factory()`` on first use."""
    with _SHARED_LOCK:
        caches = _SHARED.setdefault(node, {})
        if key not in caches:
            caches[key] = factory()
        return caches[key]


def take(node, match) -> list:
    """Remove and return the node's shared objects that ``match(key, object)`` accepts.

    Returns ``[(key, object)]``; the caller destroys what needs destroying.
    """
    with _SHARED_LOCK:
        caches = _SHARED.get(node, {})
        return [(key, caches.pop(key)) for key in [k for k, v in caches.items() if match(k, v)]]


def forget(node) -> None:
    """Drop the node's shared objects (a managed node that cleaned up its entities)."""
    with _SHARED_LOCK:
        _SHARED.pop(node, None)


class LatestMessage:
    """The latest message on ``topic``, its arrival time on ``clock`` (if any) and a count."""

    def __init__(self, node, msg_type, topic: str, qos, clock=None):
        self.topic = topic
        self._clock = clock
        self._lock = threading.Lock()
        self._message, self._stamp, self._count = None, None, 0
        self.subscription = subscribe(node, msg_type, topic, self._store, qos)

    def _store(self, message) -> None:
        stamp = self._clock.now() if self._clock is not None else None
        with self._lock:
            self._message, self._stamp = message, stamp
            self._count += 1

    def latest(self):
        """Return (message, arrival time, how many arrived); (None, None, 0) before the first."""
        with self._lock:
            return self._message, self._stamp, self._count

    @property
    def message(self):
        """The latest message, or None."""
        with self._lock:
            return self._message


class OdomState(LatestMessage):
    """Latest odometry of one node's ``odom`` subscription."""

    def __init__(self, node, topic: str = 'odom'):
        from nav_msgs.msg import Odometry
        super().__init__(node, Odometry, topic, 10)

    @property
    def odometry(self):
        """The latest Odometry message, or None."""
        return self.message

    def xy(self):
        """Return (x, y) of the robot, or None before the first message."""
        odom = self.message
        if odom is None:
            return None
        return (odom.pose.pose.position.x, odom.pose.pose.position.y)

    def speed(self) -> float:
        """Return the planar speed (m/s), 0 before the first message."""
        odom = self.message
        if odom is None:
            return 0.0
        return math.hypot(odom.twist.twist.linear.x, odom.twist.twist.linear.y)


def odom_state(node) -> OdomState:
    """Return the node's shared :class:`OdomState`, subscribing on first use."""
    return per_node(node, ('odom', 'odom'), lambda: OdomState(node))


def charge_of(message) -> Optional[float]:
    """State of charge in [0, 1] of a BatteryState, or None when it is not measured (NaN)."""
    value = float(message.percentage)
    return value if math.isfinite(value) else None


class BatteryMonitor(LatestMessage):
    """The latest state of charge on ``topic`` (sensor_msgs/BatteryState)."""

    def __init__(self, node, topic: str = 'battery_state'):
        from rclpy.qos import QoSProfile
        from sensor_msgs.msg import BatteryState
        super().__init__(node, BatteryState, topic, QoSProfile(depth=5))

    def level(self) -> Optional[float]:
        """Return the latest state of charge, or None before a measured one arrives."""
        message = self.message
        return charge_of(message) if message is not None else None


def battery_monitor(node, topic: str = 'battery_state') -> BatteryMonitor:
    """Return the node's shared :class:`BatteryMonitor` of ``topic``, subscribing on first use."""
    return per_node(node, ('battery', topic), lambda: BatteryMonitor(node, topic))

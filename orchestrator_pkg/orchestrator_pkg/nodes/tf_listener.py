"""Feed a :class:`FrameTree2D` from ``tf`` and ``tf_static`` (tf2_ros is not on PyPI).

A thin adapter: the callbacks only store transforms under a lock; lookups
go through :meth:`TfListener2D.transform_pose`.
"""
import threading

from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from tf2_msgs.msg import TFMessage

from orchestrator_pkg.planning.frames import FrameError, FrameTree2D, yaw_of


class TfListener2D:
    """Planar transforms from the node's ``tf`` and ``tf_static`` topics."""

    def __init__(self, node):
        self._node = node
        self._tree = FrameTree2D()
        self._lock = threading.Lock()
        self._warned = set()
        node.create_subscription(TFMessage, 'tf', self._on_tf, QoSProfile(depth=100))
        node.create_subscription(
            TFMessage, 'tf_static', self._on_tf,
            QoSProfile(depth=100, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                       reliability=ReliabilityPolicy.RELIABLE))

    def _on_tf(self, msg: TFMessage) -> None:
        for t in msg.transforms:
            r, p = t.transform.rotation, t.transform.translation
            try:
                with self._lock:
                    self._tree.set_transform(t.header.frame_id, t.child_frame_id,
                                             (p.x, p.y, yaw_of(r.x, r.y, r.z, r.w)))
            except FrameError as exc:
                key = (t.header.frame_id, t.child_frame_id)
                if key not in self._warned:
                    self._warned.add(key)
                    self._node.get_logger().warning(f'ignoring a transform: {exc}')

    def transform_pose(self, pose, source: str, target: str):
        """Express ``(x, y, yaw)`` from ``source`` in ``target``; raises FrameError."""
        with self._lock:
            return self._tree.transform_pose(pose, source, target)

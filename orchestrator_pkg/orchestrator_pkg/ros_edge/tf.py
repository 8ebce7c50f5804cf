"""Feed a :class:`FrameTree2D` from ``tf`` and ``tf_static`` (tf2_ros is not on PyPI).

A thin adapter: the callbacks only store transforms under a lock (``tf``
as samples of moving edges at their stamps, ``tf_static`` as static edges);
lookups go through :meth:`TfListener2D.lookup` and
:meth:`TfListener2D.transform_pose`, for the latest transforms or at a stamp.
A node has one listener (:func:`tf_listener`), shared by the node and its
tree's leaves. A transform that cannot be used (an empty or equal frame
name, a non-finite number) is dropped with a warning, at most one per
parent → child edge every :data:`WARN_EVERY_S` seconds.
"""
import threading

from tf2_msgs.msg import TFMessage

from orchestrator_pkg.planning.frames import FrameError, FrameTree2D, yaw_of
from orchestrator_pkg.ros_edge.convert import seconds_of
from orchestrator_pkg.ros_edge.guard import Throttle, subscribe
from orchestrator_pkg.ros_edge.qos import TF_QOS, TF_STATIC_QOS
from orchestrator_pkg.ros_edge.state import per_node

WARN_EVERY_S = 10.0  # wall time between two warnings about the same edge


class TfListener2D:
    """Planar transforms from the node's ``tf`` and ``tf_static`` topics."""

    def __init__(self, node):
        self._warn = Throttle(node.get_logger().warning, WARN_EVERY_S)
        self._tree = FrameTree2D()
        self._lock = threading.Lock()
        # one bad transform drops only its own edge (below), not the whole message
        subscribe(node, TFMessage, 'tf', self._on_tf, TF_QOS, check_finite=False,
                  drain=True)
        subscribe(node, TFMessage, 'tf_static', self._on_tf_static, TF_STATIC_QOS,
                  check_finite=False)

    def _on_tf(self, msg: TFMessage) -> None:
        self._store(msg, static=False)

    def _on_tf_static(self, msg: TFMessage) -> None:
        self._store(msg, static=True)

    def _store(self, msg: TFMessage, static: bool) -> None:
        for t in msg.transforms:
            r, p = t.transform.rotation, t.transform.translation
            try:
                with self._lock:
                    self._tree.set_transform(t.header.frame_id, t.child_frame_id,
                                             (p.x, p.y, yaw_of(r.x, r.y, r.z, r.w)),
                                             None if static else seconds_of(t.header.stamp))
            except FrameError as exc:
                self._dropped((t.header.frame_id, t.child_frame_id), exc)

    def _dropped(self, edge, exc) -> None:
        self._warn(edge, f'ignoring a transform: {exc}')

    def lookup(self, target: str, source: str, at=None):
        """Return the pose ``(x, y, yaw)`` of ``source`` in ``target``; raises FrameError.

        ``at``: a time in seconds (a message's stamp) for the transforms then,
        else the latest ones.
        """
        with self._lock:
            return self._tree.lookup(target, source, at)

    def transform_pose(self, pose, source: str, target: str, at=None):
        """Express ``(x, y, yaw)`` from ``source`` in ``target``; raises FrameError."""
        with self._lock:
            return self._tree.transform_pose(pose, source, target, at)


def tf_listener(node) -> TfListener2D:
    """Return the node's shared :class:`TfListener2D`, subscribing on first use."""
    return per_node(node, 'tf', lambda: TfListener2D(node))

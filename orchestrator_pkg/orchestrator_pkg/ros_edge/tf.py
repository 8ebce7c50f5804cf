"""Feed a :class:`FrameTree2D` from ``tf`` and ``tf_static`` (tf2_ros is not on PyPI).

A thin adapter: the callbacks only store transforms under a lock (``tf``
as samples of moving edges at their stamps, ``tf_static`` as static edges);
lookups go through :meth:`TfListener2D.lookup` and
:meth:`TfListener2D.transform_pose`, for the latest transforms or at a stamp.
A node has one listener (:func:`tf_listener`), shared by the node and its
tree's leaves. A transform that cannot be used (an empty or equal frame
name, a non-finite number) is dropped with a warning, at most one per
parent → child edge every :data:`WARN_EVERY_S` seconds.

In composed mode (several nodes in one process, ``ros_edge.main.run_nodes``)
the nodes share one listener per pair of topics (:class:`TfShare`): each
``tf`` message is taken and stored once per process, not once per node. Its
subscriptions are on a node of their own (``tf_listener_<pid>``), which no
node's lifecycle cleanup destroys.
"""
import os
import threading
from typing import Optional

from rclpy.node import Node
from rclpy.parameter import Parameter
from tf2_msgs.msg import TFMessage

from orchestrator_pkg.planning.frames import FrameError, FrameTree2D, yaw_of
from orchestrator_pkg.ros_edge.convert import seconds_of
from orchestrator_pkg.ros_edge.guard import Throttle, subscribe
from orchestrator_pkg.ros_edge.qos import TF_QOS, TF_STATIC_QOS
from orchestrator_pkg.ros_edge.qos_events import QuietEvents
from orchestrator_pkg.ros_edge.state import per_node

WARN_EVERY_S = 10.0  # wall time between two warnings about the same edge


class TfListener2D:
    """Planar transforms from the node's ``tf`` and ``tf_static`` topics."""

    def __init__(self, node, tf_topic: str = 'tf', tf_static_topic: str = 'tf_static'):
        self._warn = Throttle(node.get_logger().warning, WARN_EVERY_S)
        self._tree = FrameTree2D()
        self._lock = threading.Lock()
        # one bad transform drops only its own edge (below), not the whole message
        subscribe(node, TFMessage, tf_topic, self._on_tf, TF_QOS, check_finite=False,
                  drain=True)
        subscribe(node, TFMessage, tf_static_topic, self._on_tf_static, TF_STATIC_QOS,
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


class _ListenerNode(QuietEvents, Node):
    """The node that carries a process's shared tf subscriptions.

    No services (parameters, type descriptions): every service is one more entity
    each wait of the process's executor looks at. Its warnings (a dropped
    transform) go to ``/rosout`` as a node's do.
    """

    def __init__(self, context):
        super().__init__(
            f'tf_listener_{os.getpid()}', context=context, use_global_arguments=False,
            start_parameter_services=False,
            parameter_overrides=[Parameter('start_type_description_service', value=False)])


class TfShare:
    """One :class:`TfListener2D` per pair of topics for the nodes of one process.

    :meth:`listener` gives a node the listener for the topics its own ``tf`` and
    ``tf_static`` resolve to (its namespace and remappings), made on first use
    on a node of the share's own, which spins on the process's executor
    (:meth:`spin_on`). A node of another context gets None (its own listener).
    """

    def __init__(self, context):
        self._context = context
        self._lock = threading.Lock()
        self._node = None
        self._executor = None
        self._listeners = {}  # (tf topic, tf_static topic) -> TfListener2D

    @property
    def node(self) -> Optional[Node]:
        """The node of the shared subscriptions, once a listener was asked for."""
        return self._node

    def listener(self, node) -> Optional[TfListener2D]:
        """Return the shared listener for ``node``'s topics, or None if it is not to share."""
        if node.context is not self._context:
            return None
        topics = (node.resolve_topic_name('tf'), node.resolve_topic_name('tf_static'))
        with self._lock:
            shared = self._listeners.get(topics)
            if shared is None:
                if self._node is None:
                    self._node = _ListenerNode(self._context)
                    if self._executor is not None:
                        self._executor.add_node(self._node)
                shared = self._listeners[topics] = TfListener2D(self._node, *topics)
            return shared

    def spin_on(self, executor) -> None:
        """Spin the share's node on ``executor``, now or when it is made."""
        with self._lock:
            self._executor = executor
            if self._node is not None:
                executor.add_node(self._node)


_share: Optional[TfShare] = None  # the process's, while run_nodes composes nodes


def share_in_process(context) -> TfShare:
    """Let the nodes of this process made from now on share their tf listeners."""
    global _share
    _share = TfShare(context)
    return _share


def stop_sharing() -> Optional[Node]:
    """End the process's share; return its node (for the caller to destroy), if made."""
    global _share
    share, _share = _share, None
    return share.node if share is not None else None


def tf_listener(node) -> TfListener2D:
    """Return the node's :class:`TfListener2D`, subscribing on first use.

    The node and its tree's leaves share one; in composed mode, so do the
    process's nodes whose ``tf`` topics are the same (:class:`TfShare`).
    """
    def make():
        share = _share
        shared = share.listener(node) if share is not None else None
        return shared if shared is not None else TfListener2D(node)
    return per_node(node, 'tf', make)

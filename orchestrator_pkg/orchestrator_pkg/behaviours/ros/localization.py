"""Tree nodes that use localization and perception: IsLocalized, WaitUntilLocalized, FindObject.

Subscription callbacks only store the latest message under a lock; ``update``
reads it. Nothing waits inside a tick.

ROS interface
-------------
Subscribers
    ``amcl_pose`` (geometry_msgs/PoseWithCovarianceStamped, transient local):
    IsLocalized, WaitUntilLocalized, FindObject (the robot's position).
    ``tracked_objects`` (orchestrator_interfaces/DetectionArray): FindObject.
"""
import math
from typing import Optional, Sequence

from geometry_msgs.msg import PoseStamped, PoseWithCovarianceStamped
from py_trees.common import Status

from orchestrator_pkg.behaviours.ros.topics import TopicCondition, subscribe
from orchestrator_pkg.ros_edge.leaf import INPUT_ERRORS, RosLeaf
from orchestrator_pkg.ros_edge.qos import LATCHED_QOS
from orchestrator_pkg.trees.failure import FailureCode


def localized(msg, max_cov_xy: float, max_cov_yaw: float) -> bool:
    """Whether a PoseWithCovarianceStamped is certain enough (x, y and yaw variances)."""
    c = msg.pose.covariance
    values = (c[0], c[7], c[35])
    return all(math.isfinite(v) for v in values) and c[0] <= max_cov_xy \
        and c[7] <= max_cov_xy and c[35] <= max_cov_yaw


def _why_not(msg, max_cov_xy, max_cov_yaw) -> str:
    c = msg.pose.covariance
    return (f'not localized: variance x {c[0]:.3f}, y {c[7]:.3f} m^2 (max {max_cov_xy:g}), '
            f'yaw {c[35]:.3f} rad^2 (max {max_cov_yaw:g})')


def select_object(detections: Sequence, class_id: str, color: str = '',
                  x: float = 0.0, y: float = 0.0):
    """Return the detection of ``class_id`` (and ``color``) nearest ``(x, y)``, or None."""
    best, best_d = None, math.inf
    for d in detections:
        if d.class_id != class_id or (color and d.color != color):
            continue
        dist = math.hypot(d.pose.position.x - x, d.pose.position.y - y)
        if dist < best_d:
            best, best_d = d, dist
    return best


def is_localized(name: str, topic: str = 'amcl_pose', max_cov_xy: float = 0.05,
                 max_cov_yaw: float = 0.07, max_age_s: Optional[float] = None, clock=None,
                 node_type: str = 'IsLocalized') -> TopicCondition:
    """IsLocalized: SUCCESS when the latest ``amcl_pose`` is certain enough, else FAILURE.

    Certain enough: x/y variance ≤ max_cov_xy and yaw variance ≤ max_cov_yaw;
    the failure message gives the variances.
    """
    return TopicCondition(name, PoseWithCovarianceStamped, topic,
                          lambda m: localized(m, max_cov_xy, max_cov_yaw), max_age_s=max_age_s,
                          explain=lambda m: _why_not(m, max_cov_xy, max_cov_yaw),
                          qos=LATCHED_QOS, clock=clock, node_type=node_type)


class WaitUntilLocalized(RosLeaf):
    """RUNNING until ``amcl_pose`` is certain enough; FAILURE (TIMEOUT) after ``timeout_s``.

    The latest pose counts, even one from before the node started: a robot
    standing still gets no new pose but may well be localized.
    """

    def __init__(self, name: str, topic: str = 'amcl_pose', max_cov_xy: float = 0.05,
                 max_cov_yaw: float = 0.07, timeout_s: Optional[float] = None, clock=None,
                 node_type: str = 'WaitUntilLocalized'):
        super().__init__(name, node_type=node_type, clock=clock)
        self.topic = topic
        self.limits = (max_cov_xy, max_cov_yaw)
        self.timeout_s = timeout_s
        self.pose = None

    def connect(self, node) -> None:
        """Subscribe to the pose."""
        self.pose = subscribe(self, PoseWithCovarianceStamped, self.topic, LATCHED_QOS)

    def initialise(self) -> None:
        """Start the timeout."""
        super().initialise()
        self.feedback_message = f'waiting until localized ({self.topic})'

    def update(self) -> Status:
        """SUCCESS once localized, FAILURE on timeout, else RUNNING."""
        message = self.pose.message
        if message is not None and localized(message, *self.limits):
            self.feedback_message = 'localized'
            return Status.SUCCESS
        if self.timed_out(self.timeout_s):
            why = _why_not(message, *self.limits) if message is not None else \
                f'no pose on {self.topic}'
            return self.fail(FailureCode.TIMEOUT,
                             f'not localized within {self.timeout_s:g} s ({why})')
        self.feedback_message = _why_not(message, *self.limits) if message is not None else \
            f'no pose on {self.topic} yet'
        return Status.RUNNING


class FindObject(RosLeaf):
    """Write the pose of the nearest tracked object of a class (and colour) to the blackboard.

    Nearest to the robot's latest ``amcl_pose`` (to the map origin before one
    arrives). FAILURE (CONDITION_FAILED) names the class and what is tracked
    when nothing matches.

    Args:
        query: ``query() -> (class_id, color)``, read at each tick (ports may
            refer to the blackboard); an empty colour matches any.
        on_found: ``on_found(pose_stamped, detection)`` writes the output ports.
    """

    def __init__(self, name: str, query, on_found=None,
                 topic: str = 'tracked_objects', pose_topic: str = 'amcl_pose', clock=None,
                 node_type: str = 'FindObject'):
        super().__init__(name, node_type=node_type, clock=clock)
        self.query = query
        self.on_found = on_found
        self.topic = topic
        self.pose_topic = pose_topic
        self.objects = self.pose = None

    def connect(self, node) -> None:
        """Subscribe to the tracked objects and the robot pose."""
        from orchestrator_interfaces.msg import DetectionArray
        self.objects = subscribe(self, DetectionArray, self.topic)
        self.pose = subscribe(self, PoseWithCovarianceStamped, self.pose_topic, LATCHED_QOS)

    def update(self) -> Status:
        """SUCCESS with the pose written, or FAILURE with the reason; never RUNNING."""
        try:
            class_id, color = self.query()
        except INPUT_ERRORS as exc:
            return self.fail(FailureCode.INVALID_INPUT, f'bad query: {exc}')
        message = self.objects.message
        what = f'{color + " " if color else ""}{class_id}'
        if message is None:
            return self.fail(FailureCode.CONDITION_FAILED,
                             f'no {what}: nothing received on {self.topic} yet')
        robot = self.pose.message
        rx, ry = (robot.pose.pose.position.x, robot.pose.pose.position.y) \
            if robot is not None else (0.0, 0.0)
        found = select_object(message.detections, class_id, color, rx, ry)
        if found is None:
            tracked = ', '.join(sorted(f'{d.id} ({d.color} {d.class_id})'.replace('( ', '(')
                                       for d in message.detections)) or 'nothing'
            return self.fail(FailureCode.CONDITION_FAILED,
                             f'no {what} among the tracked objects (tracked: {tracked})')
        pose = PoseStamped()
        pose.header = message.header
        pose.pose = found.pose
        if self.on_found is not None:
            self.on_found(pose, found)
        self.feedback_message = (f'{what}: {found.id} at ({found.pose.position.x:.2f}, '
                                 f'{found.pose.position.y:.2f})')
        return Status.SUCCESS

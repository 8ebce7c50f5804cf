"""Tree nodes that use localization and perception: IsLocalized, WaitUntilLocalized, FindObject.

Subscription callbacks only store the latest message under a lock; ``update``
reads it. Nothing waits inside a tick.

Localized means: the latest ``amcl_pose`` has x/y variance ≤ ``max_cov_xy``
and yaw variance ≤ ``max_cov_yaw``, AND, once the localizer has published one,
the latest scan match (``amcl/scan_match``: the fraction of the scan's beams
that end on the map's obstacles, cast from the estimate) is ≥ ``min_scan_match``.
The covariance alone cannot see a kidnap: the particles stay tightly packed
around the old place; the scan match drops.

Under ``truth`` localization (the ROS node's ``localization`` parameter, fed
from the bringup's ``--localization``) the sim publishes ``map → odom`` from
its ground truth and no localizer runs: both nodes SUCCEED at once and say so.

ROS interface
-------------
Parameters (of the tree's ROS node, read at setup)
    ``localization``: ``truth`` or ``amcl``; missing = ``amcl``.
Subscribers
    ``amcl_pose`` (geometry_msgs/PoseWithCovarianceStamped, transient local):
    IsLocalized, WaitUntilLocalized, FindObject (the robot's position).
    ``amcl/scan_match`` (std_msgs/Float32, transient local): IsLocalized,
    WaitUntilLocalized.
    ``tracked_objects`` (orchestrator_interfaces/DetectionArray): FindObject.
"""
from dataclasses import dataclass
import math
from typing import Optional, Sequence

from geometry_msgs.msg import PoseStamped, PoseWithCovarianceStamped
from py_trees.common import Status
from std_msgs.msg import Float32

from orchestrator_pkg.behaviours.ros.topics import subscribe
from orchestrator_pkg.ros_edge.leaf import INPUT_ERRORS, RosLeaf
from orchestrator_pkg.ros_edge.qos import LATCHED_QOS
from orchestrator_pkg.trees.failure import FailureCode

MODE_PARAMETER = 'localization'
TRUTH = 'truth'
TRUTH_MESSAGE = 'localized: localization is truth (the sim\'s ground truth gives map -> odom)'


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


@dataclass(frozen=True)
class Bounds:
    """What counts as localized: variances at most, scan match at least."""

    max_cov_xy: float = 0.05
    max_cov_yaw: float = 0.07
    min_scan_match: float = 0.5


def check(pose, match: Optional[float], bounds: Bounds):
    """Return ``(localized, text)`` for the latest pose and scan match (None: none yet)."""
    if pose is None:
        return False, 'no pose yet'
    if not localized(pose, bounds.max_cov_xy, bounds.max_cov_yaw):
        return False, _why_not(pose, bounds.max_cov_xy, bounds.max_cov_yaw)
    if match is not None and not match >= bounds.min_scan_match:
        return False, (f'not localized: scan match {match:.2f} < {bounds.min_scan_match:g} '
                       '(the scan does not fit the map at the estimate)')
    text = 'localized' + (f' (scan match {match:.2f})' if match is not None else '')
    return True, text


class LocalizationInputs:
    """What IsLocalized and WaitUntilLocalized read: the run's mode, the pose, the match.

    A part of each leaf (composition, docs/architecture.md), not a base class.
    """

    def __init__(self, topic: str, match_topic: str, bounds: Bounds):
        self.topic, self.match_topic, self.bounds = topic, match_topic, bounds
        self.truth = False
        self.pose = self.match = None

    def connect(self, leaf, node) -> None:
        """Read the mode; subscribe ``leaf`` to the pose and the match (not under truth)."""
        self.truth = node.has_parameter(MODE_PARAMETER) and \
            node.get_parameter(MODE_PARAMETER).value == TRUTH
        if self.truth:
            return
        self.pose = subscribe(leaf, PoseWithCovarianceStamped, self.topic, LATCHED_QOS)
        if self.match_topic:
            self.match = subscribe(leaf, Float32, self.match_topic, LATCHED_QOS)

    def check(self):
        """``(localized, text)`` from the latest messages."""
        pose = self.pose.message
        if pose is None:
            return False, f'no pose on {self.topic} yet'
        match = self.match.message if self.match is not None else None
        return check(pose, None if match is None else float(match.data), self.bounds)


class IsLocalized(RosLeaf):
    """SUCCESS when localized (see the module), else FAILURE saying why; never RUNNING.

    ``max_age_s``: a pose older than this (on the clock) counts as none.
    ``grace_s``: the bounds must have been missed for this long (on the clock)
    before it fails; until then it succeeds, the feedback saying what is missed
    and for how long. A guard over a mission uses it so that one low scan match
    (a scan taken while the machine was starved) does not start a global
    re-localization (seen: patrol under load, fresh31); a real divergence lasts.
    """

    def __init__(self, name: str, topic: str = 'amcl_pose',
                 match_topic: str = 'amcl/scan_match', bounds: Bounds = Bounds(),
                 max_age_s: Optional[float] = None, clock=None, node_type: str = 'IsLocalized',
                 grace_s: float = 0.0):
        super().__init__(name, node_type=node_type, clock=clock)
        self.inputs = LocalizationInputs(topic, match_topic, bounds)
        self.max_age_s = max_age_s
        if not grace_s >= 0.0:
            raise ValueError(f'{name}: grace must be >= 0 s, got {grace_s}')
        self.grace_s = grace_s
        self._missed_since = None  # clock time since when the bounds are missed

    def connect(self, node) -> None:
        """Read the mode and subscribe (:class:`LocalizationInputs`)."""
        self.inputs.connect(self, node)

    def update(self) -> Status:
        """Check the latest pose and scan match."""
        inputs = self.inputs
        if inputs.truth:
            self.feedback_message = TRUTH_MESSAGE
            return Status.SUCCESS
        message, stamp, _ = inputs.pose.latest()
        if message is None:
            return self.fail(FailureCode.CONDITION_FAILED, f'no message on {inputs.topic} yet')
        if self.max_age_s is not None and self.clock.now() - stamp > self.max_age_s:
            return self.fail(FailureCode.CONDITION_FAILED, f'latest message on {inputs.topic} '
                             f'is older than {self.max_age_s:g} s')
        ok, text = inputs.check()
        if ok:
            self._missed_since = None
            self.feedback_message = text
            return Status.SUCCESS
        now = self.clock.now()
        if self._missed_since is None:
            self._missed_since = now
        missed_s = now - self._missed_since
        if missed_s < self.grace_s:
            self.feedback_message = (f'{text} for {missed_s:.1f} s (fails after '
                                     f'{self.grace_s:g} s)')
            return Status.SUCCESS
        return self.fail(FailureCode.CONDITION_FAILED, text)


class WaitUntilLocalized(RosLeaf):
    """RUNNING until localized (see the module); FAILURE (TIMEOUT) after ``timeout_s``.

    The latest pose counts, even one from before the node started: a robot
    standing still gets no new pose but may well be localized.
    """

    def __init__(self, name: str, topic: str = 'amcl_pose',
                 match_topic: str = 'amcl/scan_match', bounds: Bounds = Bounds(),
                 timeout_s: Optional[float] = None, clock=None,
                 node_type: str = 'WaitUntilLocalized'):
        super().__init__(name, node_type=node_type, clock=clock)
        self.inputs = LocalizationInputs(topic, match_topic, bounds)
        self.timeout_s = timeout_s

    def connect(self, node) -> None:
        """Read the mode and subscribe (:class:`LocalizationInputs`)."""
        self.inputs.connect(self, node)

    def initialise(self) -> None:
        """Start the timeout."""
        super().initialise()
        self.feedback_message = f'waiting until localized ({self.inputs.topic})'

    def update(self) -> Status:
        """SUCCESS once localized, FAILURE on timeout, else RUNNING."""
        if self.inputs.truth:
            self.feedback_message = TRUTH_MESSAGE
            return Status.SUCCESS
        ok, text = self.inputs.check()
        if ok:
            self.feedback_message = text
            return Status.SUCCESS
        if self.timed_out(self.timeout_s):
            return self.fail(FailureCode.TIMEOUT,
                             f'not localized within {self.timeout_s:g} s ({text})')
        self.feedback_message = text
        return Status.RUNNING


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

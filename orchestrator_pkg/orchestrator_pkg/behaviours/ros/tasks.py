"""Leaves for task missions: WaitUntilCharged, ApproachPose, SetDefault; the battery monitor.

Subscription callbacks only store the latest message under a lock; ``update``
reads it. Nothing waits inside a tick.

ROS interface
-------------
Subscribers
    ``battery_state`` (sensor_msgs/BatteryState): WaitUntilCharged,
    :class:`BatteryMonitor` (the orchestrator's battery guard).
    ``tf``, ``tf_static`` (tf2_msgs/TFMessage): ApproachPose, for the robot's
    pose in the target's frame.
"""
import math
import threading
from typing import Optional

from geometry_msgs.msg import PoseStamped
import py_trees
from py_trees.common import Status
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy

from orchestrator_pkg.behaviours.ros.errors import INPUT_ERRORS
from orchestrator_pkg.behaviours.ros.topics import _Subscribed
from orchestrator_pkg.planning.approach import approach_pose
from orchestrator_pkg.planning.frames import FrameError, FrameTree2D, yaw_of
from orchestrator_pkg.trees.failure import Failure, FailureCode

TF_STATIC_QOS = QoSProfile(depth=100, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                           reliability=ReliabilityPolicy.RELIABLE)


def charge_of(message) -> Optional[float]:
    """State of charge in [0, 1] of a BatteryState, or None when it is not measured (NaN)."""
    value = float(message.percentage)
    return value if math.isfinite(value) else None


class BatteryMonitor:
    """The latest state of charge on ``topic``, for the orchestrator's battery guard."""

    def __init__(self, node, topic: str = 'battery_state'):
        from sensor_msgs.msg import BatteryState
        self._lock = threading.Lock()
        self._level: Optional[float] = None
        self.topic = topic
        self._subscription = node.create_subscription(BatteryState, topic, self._on_message,
                                                      QoSProfile(depth=5))

    def _on_message(self, message) -> None:
        level = charge_of(message)
        with self._lock:
            self._level = level

    def level(self) -> Optional[float]:
        """Return the latest state of charge, or None before a measured one arrives."""
        with self._lock:
            return self._level


class WaitUntilCharged(_Subscribed):
    """RUNNING until ``battery_state`` reports at least ``threshold``; FAILURE after ``timeout_s``.

    The robot charges where it stands (the sim charges it on the dock), so a
    recharge tree navigates to the dock first.
    """

    def __init__(self, name: str, threshold, topic: str = 'battery_state',
                 timeout_s: Optional[float] = None, clock=None,
                 node_type: str = 'WaitUntilCharged'):
        from sensor_msgs.msg import BatteryState
        super().__init__(name, BatteryState, topic, QoSProfile(depth=5), clock, node_type)
        self.threshold = threshold  # threshold() -> float, read at each start
        self.timeout_s = timeout_s
        self._target = None
        self._bad_input = ''
        self._started = 0.0

    def initialise(self) -> None:
        """Read the threshold and start the timeout."""
        self.failure = None
        self._started = self.clock.now()
        self._target, self._bad_input = None, ''
        try:
            self._target = float(self.threshold())
        except INPUT_ERRORS as exc:
            self._bad_input = str(exc)
        self.feedback_message = f'waiting for {self.topic}'

    def update(self) -> Status:
        """SUCCESS once charged to the threshold, FAILURE on timeout, else RUNNING."""
        if self._target is None or not 0.0 <= self._target <= 1.0:
            why = self._bad_input or f'{self._target!r} is not in [0, 1]'
            return self._fail(FailureCode.INVALID_INPUT, f'bad threshold: {why}')
        message, _, _ = self._latest()
        level = charge_of(message) if message is not None else None
        if level is not None and level >= self._target:
            self.feedback_message = f'charged: {100 * level:.0f}% >= {100 * self._target:.0f}%'
            return Status.SUCCESS
        if self.timeout_s is not None and self.clock.now() - self._started > self.timeout_s:
            now = f'{100 * level:.0f}%' if level is not None else f'no charge on {self.topic}'
            return self._fail(FailureCode.TIMEOUT,
                              f'not charged to {100 * self._target:.0f}% within '
                              f'{self.timeout_s:g} s (now {now})')
        if level is None:
            self.feedback_message = f'charging: no charge on {self.topic} yet'
        else:
            self.feedback_message = (f'charging: {100 * level:.0f}% of '
                                     f'{100 * self._target:.0f}%')
        return Status.RUNNING


class ApproachPose(py_trees.behaviour.Behaviour):
    """Write a pose ``distance`` short of ``target``, facing it, on the line from the robot.

    The robot's pose in the target's frame comes from ``tf``/``tf_static``
    (``robot_frame``, default ``base_link``). RUNNING until that transform is
    known, FAILURE (TIMEOUT) after ``timeout_s``; a target that is not a
    PoseStamped, or a robot standing on the target, is INVALID_INPUT.

    Args:
        target: ``target() -> PoseStamped`` (reads the port).
        on_pose: ``on_pose(PoseStamped)`` writes the output port.
    """

    def __init__(self, name: str, target, distance: float, on_pose, robot_frame: str = 'base_link',
                 timeout_s: float = 5.0, clock=None, node_type: str = 'ApproachPose'):
        super().__init__(name)
        self.target = target
        self.distance = float(distance)
        self.on_pose = on_pose
        self.robot_frame = robot_frame
        self.timeout_s = timeout_s
        self.clock = clock
        self.node_type = node_type
        self.failure = None
        self.node = None
        self._tree = FrameTree2D()
        self._lock = threading.Lock()
        self._subscriptions = []
        self._started = 0.0

    def setup(self, **kwargs) -> None:
        """Subscribe to ``tf`` and ``tf_static``."""
        from tf2_msgs.msg import TFMessage
        self.node = kwargs.get('node')
        if self.node is None:
            raise KeyError(f'{self.name}: setup() needs node=<rclpy node>')
        if self.clock is None:
            from orchestrator_pkg.behaviours.ros.clock import RosClock
            self.clock = RosClock(self.node)
        self._subscriptions = [
            self.node.create_subscription(TFMessage, 'tf', self._on_tf, QoSProfile(depth=100)),
            self.node.create_subscription(TFMessage, 'tf_static', self._on_tf, TF_STATIC_QOS)]

    def shutdown(self) -> None:
        """Unsubscribe."""
        if self.node is not None:
            for subscription in self._subscriptions:
                self.node.destroy_subscription(subscription)
        self._subscriptions = []

    def _on_tf(self, message) -> None:
        for t in message.transforms:
            r, p = t.transform.rotation, t.transform.translation
            try:
                with self._lock:
                    self._tree.set_transform(t.header.frame_id, t.child_frame_id,
                                             (p.x, p.y, yaw_of(r.x, r.y, r.z, r.w)))
            except FrameError:
                pass  # a bad edge is the publisher's problem; the lookup reports what is missing

    def initialise(self) -> None:
        """Start the timeout."""
        self.failure = None
        self._started = self.clock.now()

    def update(self) -> Status:
        """Compute the pose once the robot's pose in the target frame is known."""
        try:
            target = self.target()
            if not isinstance(target, PoseStamped):
                raise TypeError(f'target is a {type(target).__name__}, not a PoseStamped')
        except INPUT_ERRORS as exc:
            return self._fail(FailureCode.INVALID_INPUT, f'bad target: {exc}')
        frame = target.header.frame_id or 'map'
        try:
            with self._lock:
                robot = self._tree.lookup(frame, self.robot_frame)
        except FrameError as exc:
            if self.clock.now() - self._started > self.timeout_s:
                return self._fail(FailureCode.TIMEOUT,
                                  f'no robot pose in {frame} within {self.timeout_s:g} s: {exc}')
            self.feedback_message = f'waiting for {frame} -> {self.robot_frame} on tf'
            return Status.RUNNING
        position = target.pose.position
        try:
            x, y, yaw = approach_pose((position.x, position.y), robot[:2], self.distance)
        except ValueError as exc:
            return self._fail(FailureCode.INVALID_INPUT, str(exc))
        pose = PoseStamped()
        pose.header.frame_id = frame
        pose.header.stamp = self.node.get_clock().now().to_msg()
        pose.pose.position.x, pose.pose.position.y = x, y
        pose.pose.orientation.z, pose.pose.orientation.w = math.sin(yaw / 2), math.cos(yaw / 2)
        self.on_pose(pose)
        self.feedback_message = (f'approach ({x:.2f}, {y:.2f}, {math.degrees(yaw):.0f} deg), '
                                 f'{self.distance:g} m short of ({position.x:.2f}, '
                                 f'{position.y:.2f})')
        return Status.SUCCESS

    def _fail(self, code, message):
        self.failure = Failure(node_type=self.node_type, code=int(code), message=message)
        self.feedback_message = message
        return Status.FAILURE


class SetDefault(py_trees.behaviour.Behaviour):
    """Write ``value`` to ``output_key`` unless that key is already set (a mission input).

    Pure (no ROS). Missions use it for inputs with a default value.
    """

    def __init__(self, name: str, ports, blackboard):
        super().__init__(name)
        self.ports = ports
        self.blackboard = blackboard
        self.failure = None

    def update(self) -> Status:
        """Keep the given value, or write the default."""
        key = self.ports.key('output_key')
        try:
            current = self.blackboard.get(key)
            self.feedback_message = f'{key} = {current!r} (given)'
        except KeyError:
            value = self.ports.get('value')
            self.ports.set('output_key', value)
            self.feedback_message = f'{key} = {value!r} (default)'
        return Status.SUCCESS


def register_task_types(registry) -> None:
    """Register WaitUntilCharged, ApproachPose and SetDefault (called by the ``ros`` plugin)."""
    from orchestrator_pkg.trees.ports import input_port, output_port
    from orchestrator_pkg.trees.registry import NodeSpec

    def build_wait_until_charged(ctx):
        p = ctx.ports
        return WaitUntilCharged(ctx.name, lambda: p.get('threshold'),
                                p.get('topic_name', 'battery_state'),
                                timeout_s=p.get('timeout', None), clock=ctx.clock,
                                node_type=ctx.type_name)

    def build_approach_pose(ctx):
        p = ctx.ports
        return ApproachPose(ctx.name, lambda: p.get('target'), p.get('distance', 0.35),
                            lambda pose: p.set('pose', pose),
                            robot_frame=p.get('robot_frame', 'base_link'),
                            timeout_s=p.get('timeout', 5.0), clock=ctx.clock,
                            node_type=ctx.type_name)

    registry.register(NodeSpec('WaitUntilCharged', 'action', (
        input_port('threshold', 'float',
                   description='State of charge to wait for, in [0, 1] (e.g. 0.8).'),
        input_port('topic_name', 'str', required=False, default='battery_state',
                   description='sensor_msgs/BatteryState topic.'),
        input_port('timeout', 'duration_s', required=False,
                   description='FAILURE after this long (s); no timeout when not given.')),
        build_wait_until_charged, 'Wait until the battery is charged to a threshold.', 0, 0))
    registry.register(NodeSpec('ApproachPose', 'action', (
        input_port('target', 'pose_stamped', description='Pose of the thing to approach.'),
        input_port('distance', 'float', required=False, default=0.35,
                   description='Stop this far short of the target (m).'),
        input_port('robot_frame', 'str', required=False, default='base_link',
                   description="The robot's frame on tf."),
        input_port('timeout', 'duration_s', required=False, default=5.0,
                   description='How long to wait for the robot pose on tf (s).'),
        output_port('pose', 'pose_stamped',
                    description='Where to stand: short of the target on the line from the '
                                'robot, facing it.')),
        build_approach_pose, 'A pose short of a target, facing it (e.g. a pre-grasp pose).',
        0, 0))
    registry.register(NodeSpec('SetDefault', 'action', (
        input_port('value', 'any', description='The default value.'),
        output_port('output_key', 'any', description='The key; kept when it is already set.')),
        lambda ctx: SetDefault(ctx.name, ctx.ports, ctx.blackboard),
        'Give a key (e.g. a mission input) a default value.', 0, 0))

"""Leaves for task missions: WaitUntilCharged, ApproachPose, SetDefault.

Subscription callbacks only store the latest message under a lock; ``update``
reads it. Nothing waits inside a tick.

ROS interface
-------------
Subscribers
    ``battery_state`` (sensor_msgs/BatteryState): WaitUntilCharged, through the
    node's shared :func:`~orchestrator_pkg.ros_edge.state.battery_monitor`.
    ``tf``, ``tf_static`` (tf2_msgs/TFMessage): ApproachPose, for the robot's
    pose in the target's frame, through the node's shared
    :func:`~orchestrator_pkg.ros_edge.tf.tf_listener`.
"""
import math
from typing import Optional

from geometry_msgs.msg import PoseStamped
import py_trees
from py_trees.common import Status

from orchestrator_pkg.planning.approach import approach_pose
from orchestrator_pkg.planning.frames import FrameError
from orchestrator_pkg.ros_edge.convert import pose_stamped
from orchestrator_pkg.ros_edge.leaf import INPUT_ERRORS, RosLeaf
from orchestrator_pkg.ros_edge.state import battery_monitor
from orchestrator_pkg.ros_edge.tf import tf_listener
from orchestrator_pkg.trees.failure import FailureCode


class WaitUntilCharged(RosLeaf):
    """RUNNING until ``battery_state`` reports at least ``threshold``; FAILURE after ``timeout_s``.

    The robot charges where it stands (the sim charges it on the dock), so a
    recharge tree navigates to the dock first.
    """

    def __init__(self, name: str, threshold, topic: str = 'battery_state',
                 timeout_s: Optional[float] = None, clock=None,
                 node_type: str = 'WaitUntilCharged'):
        super().__init__(name, node_type=node_type, clock=clock)
        self.threshold = threshold  # threshold() -> float, read at each start
        self.topic = topic
        self.timeout_s = timeout_s
        self.battery = None
        self._target = None
        self._bad_input = ''

    def connect(self, node) -> None:
        """Use the node's battery monitor of the topic."""
        self.battery = battery_monitor(node, self.topic)

    def initialise(self) -> None:
        """Read the threshold and start the timeout."""
        super().initialise()
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
            return self.fail(FailureCode.INVALID_INPUT, f'bad threshold: {why}')
        level = self.battery.level()
        if level is not None and level >= self._target:
            self.feedback_message = f'charged: {100 * level:.0f}% >= {100 * self._target:.0f}%'
            return Status.SUCCESS
        if self.timed_out(self.timeout_s):
            now = f'{100 * level:.0f}%' if level is not None else f'no charge on {self.topic}'
            return self.fail(FailureCode.TIMEOUT,
                             f'not charged to {100 * self._target:.0f}% within '
                             f'{self.timeout_s:g} s (now {now})')
        if level is None:
            self.feedback_message = f'charging: no charge on {self.topic} yet'
        else:
            self.feedback_message = (f'charging: {100 * level:.0f}% of '
                                     f'{100 * self._target:.0f}%')
        return Status.RUNNING


class ApproachPose(RosLeaf):
    """Write a pose ``distance`` short of ``target``, facing it, on the line from the robot.

    The robot's pose in the target's frame comes from the node's tf listener
    (``robot_frame``, default ``base_link``). RUNNING until that transform is
    known, FAILURE (TIMEOUT) after ``timeout_s``; a target that is not a
    PoseStamped, or a robot standing on the target, is INVALID_INPUT.

    Args:
        target: ``target() -> PoseStamped`` (reads the port).
        on_pose: ``on_pose(PoseStamped)`` writes the output port.
    """

    def __init__(self, name: str, target, distance: float, on_pose, robot_frame: str = 'base_link',
                 timeout_s: float = 5.0, clock=None, node_type: str = 'ApproachPose'):
        super().__init__(name, node_type=node_type, clock=clock)
        self.target = target
        self.distance = float(distance)
        self.on_pose = on_pose
        self.robot_frame = robot_frame
        self.timeout_s = timeout_s
        self.tf = None

    def connect(self, node) -> None:
        """Use the node's tf listener."""
        self.tf = tf_listener(node)

    def update(self) -> Status:
        """Compute the pose once the robot's pose in the target frame is known."""
        try:
            target = self.target()
            if not isinstance(target, PoseStamped):
                raise TypeError(f'target is a {type(target).__name__}, not a PoseStamped')
        except INPUT_ERRORS as exc:
            return self.fail(FailureCode.INVALID_INPUT, f'bad target: {exc}')
        frame = target.header.frame_id or 'map'
        try:
            robot = self.tf.lookup(frame, self.robot_frame)
        except FrameError as exc:
            if self.timed_out(self.timeout_s):
                return self.fail(FailureCode.TIMEOUT,
                                 f'no robot pose in {frame} within {self.timeout_s:g} s: {exc}')
            self.feedback_message = f'waiting for {frame} -> {self.robot_frame} on tf'
            return Status.RUNNING
        position = target.pose.position
        try:
            x, y, yaw = approach_pose((position.x, position.y), robot[:2], self.distance)
        except ValueError as exc:
            return self.fail(FailureCode.INVALID_INPUT, str(exc))
        self.on_pose(pose_stamped(frame, x, y, yaw, self.node.get_clock().now().to_msg()))
        self.feedback_message = (f'approach ({x:.2f}, {y:.2f}, {math.degrees(yaw):.0f} deg), '
                                 f'{self.distance:g} m short of ({position.x:.2f}, '
                                 f'{position.y:.2f})')
        return Status.SUCCESS


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

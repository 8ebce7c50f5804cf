"""Nav2's non-server node types: selectors, path tools, conditions and decorators.

Semantics follow nav2_behavior_tree (Jazzy). Where Nav2 asks "is this node
IDLE?" (fresh since the last halt), these behaviours keep a ``_fresh`` flag
that is set at construction and on a halt (terminate with INVALID), because
py_trees calls ``initialise`` again after every SUCCESS/FAILURE. A throttling
decorator that does not tick its child returns RUNNING, as Nav2's do.
The robot pose and speed come from ``odom`` (see :mod:`.robot_state`).
"""
import copy
import threading

import numpy as np
import py_trees
from py_trees.common import Status
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import String

from orchestrator_pkg.behaviours.nav2 import geometry
from orchestrator_pkg.behaviours.nav2.robot_state import odom_state
from orchestrator_pkg.behaviours.ros.clock import RosClock
from orchestrator_pkg.trees.behaviour import BtNode
from orchestrator_pkg.trees.failure import Failure, FailureCode
from orchestrator_pkg.trees.ports import PortError, input_port, output_port

# ComputePathToPose / ComputePathThroughPoses / FollowPath result codes for which
# Nav2's Would*RecoveryHelp conditions say a recovery may help.
PLANNER_RECOVERABLE = (200, 207, 208, 300, 307, 308)  # UNKNOWN, TIMEOUT, NO_VALID_PATH
CONTROLLER_RECOVERABLE = (100, 104, 105, 106)  # UNKNOWN, PATIENCE_EXCEEDED,
# FAILED_TO_MAKE_PROGRESS, NO_VALID_CONTROL


def _xy_of_poses(poses):
    return np.array([[p.pose.position.x, p.pose.position.y] for p in poses]).reshape(-1, 2)


def _node_of(behaviour, kwargs):
    node = kwargs.get('node')
    if node is None:
        raise KeyError(f'{behaviour.name}: setup() needs node=<rclpy node>')
    return node


class _Leaf(py_trees.behaviour.Behaviour):
    """A leaf that reads ports through ``ctx`` and records a Failure when it fails."""

    def __init__(self, ctx):
        super().__init__(ctx.name)
        self.ctx = ctx
        self.ports = ctx.ports
        self.node_type = ctx.type_name
        self.failure = None
        self._fresh = True

    def initialise(self):
        """IDLE before this run means fresh, as BT.CPP's status() == IDLE.

        Idle is INVALID (never ticked, or halted) or marked idle by a parent
        that finished (the engine's reset keeps the last py_trees status).
        """
        if self.status == Status.INVALID or getattr(self, 'idle', False):
            self._fresh = True
        self.idle = False

    def terminate(self, new_status):
        """Make the node fresh again on a halt."""
        if new_status == Status.INVALID:
            self._fresh = True

    def _fail(self, message, code=FailureCode.CONDITION_FAILED):
        self.failure = Failure(node_type=self.node_type, code=int(code), message=message)
        self.feedback_message = message
        return Status.FAILURE


# -- selectors ------------------------------------------------------------------------
class Selector(_Leaf):
    """ControllerSelector / PlannerSelector: the latest name on a topic, else the default."""

    def __init__(self, ctx, default_port, output_port_name, default_topic):
        super().__init__(ctx)
        self.default_port = default_port
        self.output_port_name = output_port_name
        self.topic = ctx.ports.get('topic_name', default_topic)
        self._lock = threading.Lock()
        self._last = None
        self._subscription = None

    def setup(self, **kwargs):
        """Subscribe (reliable, transient local, as Nav2's selectors do)."""
        node = _node_of(self, kwargs)
        qos = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                         durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self._subscription = node.create_subscription(String, self.topic, self._store, qos)

    def _store(self, message):
        with self._lock:
            self._last = message.data

    def update(self):
        """Write the selection and succeed."""
        with self._lock:
            last = self._last
        value = last if last else self.ports.get(self.default_port, '')
        self.ports.set(self.output_port_name, value)
        self.feedback_message = f'selected {value!r}'
        return Status.SUCCESS


# -- path tools -----------------------------------------------------------------------
class TruncatePath(_Leaf):
    """Remove the part of ``input_path`` within ``distance`` (along the path) of its end."""

    def update(self):
        """Write ``output_path``."""
        try:
            path = self.ports.get('input_path')
        except PortError as exc:
            return self._fail(str(exc), FailureCode.INVALID_INPUT)
        keep = geometry.truncate_end(_xy_of_poses(path.poses), float(self.ports.get('distance')))
        out = copy.deepcopy(path)
        out.poses = list(path.poses[:keep])
        self.ports.set('output_path', out)
        return Status.SUCCESS


class RemovePassedGoals(_Leaf):
    """Drop the leading goals the robot is within ``radius`` of (pose from odom)."""

    def setup(self, **kwargs):
        """Subscribe to odometry."""
        self._odom = odom_state(_node_of(self, kwargs))

    def update(self):
        """Write ``output_goals``."""
        try:
            goals = list(self.ports.get('input_goals'))
        except PortError as exc:
            return self._fail(str(exc), FailureCode.INVALID_INPUT)
        robot = self._odom.xy()
        if robot is None:
            return self._fail('no odometry yet: robot pose unknown', FailureCode.UNKNOWN)
        removed = geometry.passed_goals(_xy_of_poses(goals), robot,
                                        float(self.ports.get('radius')))
        self.ports.set('output_goals', goals[removed:])
        return Status.SUCCESS


# -- conditions -----------------------------------------------------------------------
class GoalUpdated(_Leaf):
    """SUCCESS when ``goal``/``goals`` changed since the previous tick (first tick: FAILURE).

    With ``global_memory`` (GlobalUpdatedGoal) the remembered goal survives
    halts; otherwise a halt forgets it.
    """

    def __init__(self, ctx, global_memory=False):
        super().__init__(ctx)
        self.global_memory = global_memory
        self._seen = None

    def _current(self):
        return goal_values(self.ports, self.ctx.blackboard)

    def update(self):
        """Compare with the remembered goal(s)."""
        try:
            current = copy.deepcopy(self._current())
        except PortError as exc:
            return self._fail(str(exc), FailureCode.INVALID_INPUT)
        if self._fresh or self._seen is None:
            self._fresh = False
            self._seen = current
            return self._fail('goal not updated (first check)')
        if current != self._seen:
            self._seen = current
            self.feedback_message = 'goal updated'
            return Status.SUCCESS
        return self._fail('goal not updated')

    def initialise(self):
        """GlobalUpdatedGoal keeps its memory across halts and resets."""
        if not self.global_memory:
            super().initialise()

    def terminate(self, new_status):
        """GlobalUpdatedGoal keeps its memory across halts and resets."""
        if not self.global_memory:
            super().terminate(new_status)


class ErrorCodeCondition(_Leaf):
    """SUCCESS if ``error_code`` is one of ``codes`` (Would*RecoveryHelp)."""

    def __init__(self, ctx, codes):
        super().__init__(ctx)
        self.codes = frozenset(codes)

    def update(self):
        """Check the error code; an unset code counts as NONE (0)."""
        try:
            code = int(self.ports.get('error_code'))
        except PortError:
            code = 0
        if code in self.codes:
            self.feedback_message = f'error code {code}: a recovery may help'
            return Status.SUCCESS
        return self._fail(f'error code {code}: no recovery helps')


class PathExpiringTimer(_Leaf):
    """SUCCESS once every ``seconds`` (ROS clock); a new ``path`` restarts the timer."""

    def __init__(self, ctx):
        super().__init__(ctx)
        self._start = 0.0
        self._path = None
        self.clock = ctx.clock

    def setup(self, **kwargs):
        """Use the node clock unless the tree has one."""
        if self.clock is None:
            self.clock = RosClock(_node_of(self, kwargs))

    def shift_time(self, seconds: float) -> None:
        """Do not count a pause of ``seconds`` (engine resume hook)."""
        self._start += seconds

    def update(self):
        """Check the timer."""
        now = self.clock.now()
        path = self.ports.get('path', None)
        if self._fresh:
            self._fresh = False
            self._start, self._path = now, path
            return self._fail('timer started')
        if path != self._path:
            self._start, self._path = now, path
            return self._fail('path changed: timer restarted')
        if now - self._start >= float(self.ports.get('seconds')):
            self._start = now
            self.feedback_message = 'timer expired'
            return Status.SUCCESS
        return self._fail('timer running')


# -- decorators ---------------------------------------------------------------------
class GatedDecorator(BtNode):
    """A Nav2 decorator that decides each tick whether to tick its child at all.

    What decides is its ``gate``, one object per node type (:class:`Gate`): it
    opens (tick the child now?), sees the child's status, and says what to
    return when closed (RUNNING, Nav2's throttling semantics, unless the gate
    says otherwise). Built on the engine's BtNode, so a halt halts the child
    and failures are traced to the child.
    """

    def __init__(self, ctx, gate):
        super().__init__(ctx.name, ctx.children[0])
        self.ctx = ctx
        self.ports = ctx.ports
        self.clock = ctx.clock
        self.gate = gate
        self._fresh = True

    def setup(self, **kwargs):
        """Use the node clock unless the tree has one; subscribe to what the gate needs."""
        if self.clock is None and kwargs.get('node') is not None:
            self.clock = RosClock(kwargs['node'])
        if self.gate.uses_odom:
            self.odom = odom_state(_node_of(self, kwargs))
        self.gate.setup(self, kwargs)

    def reset_state(self):
        """Make the node fresh again on a halt."""
        self._fresh = True

    def shift_time(self, seconds: float) -> None:
        """Do not count a pause of ``seconds`` (engine resume hook)."""
        self.gate.shift_time(seconds)

    def bt_tick(self):
        """Tick the child only when the gate opens.

        Idle before this tick (never ticked, halted, or its parent finished
        and marked it idle) means fresh, as BT.CPP's ``status() == IDLE``.
        A parent that finishes marks its children idle without resetting
        their py_trees status, so ``was_idle`` is the test, not INVALID.
        """
        if self.was_idle:
            self._fresh = True
        if self.gate.opens(self):
            status = yield from self.tick_child(0)
            return self.gate.after_child(self, status)
        return self.gate.closed_status

    def first_tick(self) -> bool:
        """Tell whether the node is fresh, and make it not fresh."""
        fresh, self._fresh = self._fresh, False
        return fresh

    def goals(self):
        """Return a copy of (goal, goals), see :func:`goal_values`."""
        return copy.deepcopy(goal_values(self.ports, self.ctx.blackboard))


class Gate:
    """What a :class:`GatedDecorator` asks each tick; the defaults pass the child through."""

    closed_status = Status.RUNNING
    uses_odom = False  # the decorator then has ``odom`` (robot_state.OdomState)

    def setup(self, decorator, kwargs) -> None:
        """Connect to ROS (``kwargs['node']``) if the gate needs to."""

    def shift_time(self, seconds: float) -> None:
        """Move the gate's timers by a pause of ``seconds``."""

    def opens(self, decorator) -> bool:
        """Tell whether to tick the child now."""
        return True

    def after_child(self, decorator, status):
        """Return the decorator's status after the child returned ``status``."""
        return status


class SpeedGate(Gate):
    """SpeedController: first tick, goal change, child running, or 1/rate elapsed.

    The rate grows with the robot's speed (odom) from ``min_rate`` to ``max_rate``.
    """

    uses_odom = True

    def __init__(self):
        self._start = 0.0
        self._goal = None

    def shift_time(self, seconds):
        """Do not count a pause as part of the period."""
        self._start += seconds

    def opens(self, decorator):
        """First tick, goal change, child running or period elapsed."""
        now = decorator.clock.now()
        goal = decorator.goals()
        if decorator.first_tick() or goal != self._goal:
            self._goal = goal
            self._start = now
            return True
        if decorator.child.status == Status.RUNNING:
            return True
        p = decorator.ports
        rate = geometry.rate_for_speed(decorator.odom.speed(), float(p.get('min_rate')),
                                       float(p.get('max_rate')), float(p.get('min_speed')),
                                       float(p.get('max_speed')))
        return rate > 0 and now - self._start >= 1.0 / rate

    def after_child(self, decorator, status):
        """Restart the period when the child succeeded."""
        if status == Status.SUCCESS:
            self._start = decorator.clock.now()
        return status


class DistanceGate(Gate):
    """DistanceController: every ``distance`` metres the robot travels (odom), and at first."""

    uses_odom = True

    def __init__(self):
        self._from = None

    def opens(self, decorator):
        """First tick, child running, or far enough from the last run."""
        here = decorator.odom.xy()
        if decorator.first_tick() or self._from is None:
            self._from = here
            return True
        if decorator.child.status == Status.RUNNING:
            return True
        if here is None or self._from is None:
            return False
        return float(np.hypot(here[0] - self._from[0], here[1] - self._from[1])) >= \
            float(decorator.ports.get('distance'))

    def after_child(self, decorator, status):
        """Measure the next distance from here once the child succeeded."""
        if status == Status.SUCCESS:
            self._from = decorator.odom.xy()
        return status


class GoalUpdatedGate(Gate):
    """GoalUpdatedController: only when the goal changed (or while the child runs), and at first."""

    def __init__(self):
        self._goal = None

    def opens(self, decorator):
        """Goal changed, first tick, or child running."""
        goal = decorator.goals()
        updated = decorator.first_tick() or goal != self._goal
        self._goal = goal
        return updated or decorator.child.status == Status.RUNNING


class PathLongerGate(Gate):
    """PathLongerOnApproach: when, near the goal, a new path is much longer than the old one.

    Otherwise SUCCESS. "Near" means the old path is shorter than ``prox_len``;
    "much longer" means longer than ``length_factor`` × the old one.
    """

    closed_status = Status.SUCCESS

    def __init__(self):
        self._old = None

    def opens(self, decorator):
        """Decide on the new path."""
        try:
            path = decorator.ports.get('path')
        except PortError:
            return False
        if decorator.child.status == Status.RUNNING:
            return True
        old, self._old = self._old, path
        if decorator.first_tick() or old is None or not old.poses or not path.poses:
            return False
        if old.poses[-1] != path.poses[-1]:  # a new goal, not a replanned path
            return False
        if path == old:
            return False
        old_xy, new_xy = _xy_of_poses(old.poses), _xy_of_poses(path.poses)
        near = geometry.path_length(old_xy) < float(decorator.ports.get('prox_len'))
        return near and geometry.new_path_is_much_longer(
            new_xy, old_xy, float(decorator.ports.get('length_factor')))


class GoalUpdaterGate(Gate):
    """GoalUpdater: copy ``input_goal`` to ``output_goal``, replaced by a newer one from a topic.

    Listens on ``goal_update`` (geometry_msgs/PoseStamped), as Nav2's
    ``goal_updater_topic`` default; always ticks the child.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._update = None

    def setup(self, decorator, kwargs):
        """Subscribe to goal updates."""
        from geometry_msgs.msg import PoseStamped
        _node_of(decorator, kwargs).create_subscription(PoseStamped, 'goal_update',
                                                        self._store, 10)

    def _store(self, message):
        with self._lock:
            self._update = message

    def opens(self, decorator):
        """Write the goal, then tick the child (always)."""
        goal = decorator.ports.get('input_goal', None)
        with self._lock:
            update = self._update
        if update is not None and (goal is None or _stamp(update) > _stamp(goal)):
            goal = update
        if goal is not None:
            decorator.ports.set('output_goal', goal)
        return True


def _gated(gate_class):
    return lambda ctx: GatedDecorator(ctx, gate_class())


def goal_values(ports, blackboard):
    """Return (goal, goals): the ports when given, else the keys ``goal``/``goals`` (Nav2)."""
    values = []
    for name in ('goal', 'goals'):
        if ports.has(name):
            values.append(ports.get(name, None))
        else:
            values.append(blackboard.get(name, None))
    return tuple(values)


def _stamp(pose):
    return pose.header.stamp.sec + pose.header.stamp.nanosec * 1e-9


def specs():
    """Return (type_name, category, ports, build, description, min, max children) rows."""
    goal_ports = (
        input_port('goal', 'pose_stamped', required=False, description='Destination.'),
        input_port('goals', 'pose_stamped_list', required=False, description='Destinations.'),
    )
    return [
        ('ControllerSelector', 'action', (
            input_port('topic_name', 'str', required=False, default='controller_selector',
                       description='Topic with the controller to use (std_msgs/String).'),
            input_port('default_controller', 'str', required=False, default='',
                       description='Controller used until one is selected.'),
            output_port('selected_controller', 'str', description='The selection.')),
         lambda ctx: Selector(ctx, 'default_controller', 'selected_controller',
                              'controller_selector'),
         'Select the controller from a topic.', 0, 0),
        ('PlannerSelector', 'action', (
            input_port('topic_name', 'str', required=False, default='planner_selector',
                       description='Topic with the planner to use (std_msgs/String).'),
            input_port('default_planner', 'str', required=False, default='',
                       description='Planner used until one is selected.'),
            output_port('selected_planner', 'str', description='The selection.')),
         lambda ctx: Selector(ctx, 'default_planner', 'selected_planner', 'planner_selector'),
         'Select the planner from a topic.', 0, 0),
        ('TruncatePath', 'action', (
            input_port('input_path', 'path', description='Path to truncate.'),
            output_port('output_path', 'path', description='Truncated path.'),
            input_port('distance', 'float', required=False, default=1.0,
                       description='Distance to cut from the end (m).')),
         TruncatePath, 'Cut the last metres off a path.', 0, 0),
        ('RemovePassedGoals', 'action', (
            input_port('input_goals', 'pose_stamped_list', description='Goals.'),
            output_port('output_goals', 'pose_stamped_list', description='Goals left.'),
            input_port('radius', 'float', required=False, default=0.5,
                       description='A goal within this distance counts as passed (m).'),
            input_port('global_frame', 'str', required=False, default='map',
                       description='Unused: the pose comes from odom.'),
            input_port('robot_base_frame', 'str', required=False, default='base_link',
                       description='Unused: the pose comes from odom.')),
         RemovePassedGoals, 'Drop goals the robot has passed.', 0, 0),
        ('GoalUpdated', 'condition', goal_ports, GoalUpdated,
         'SUCCESS if the goal changed since the last tick.', 0, 0),
        ('GlobalUpdatedGoal', 'condition', goal_ports,
         lambda ctx: GoalUpdated(ctx, global_memory=True),
         'SUCCESS if the goal changed since the last tick, remembered across halts.', 0, 0),
        ('WouldAPlannerRecoveryHelp', 'condition', (
            input_port('error_code', 'int', required=False, default=0,
                       description='Planner error code.'),),
         lambda ctx: ErrorCodeCondition(ctx, PLANNER_RECOVERABLE),
         'SUCCESS if a planner recovery may help this error code.', 0, 0),
        ('WouldAControllerRecoveryHelp', 'condition', (
            input_port('error_code', 'int', required=False, default=0,
                       description='Controller error code.'),),
         lambda ctx: ErrorCodeCondition(ctx, CONTROLLER_RECOVERABLE),
         'SUCCESS if a controller recovery may help this error code.', 0, 0),
        ('PathExpiringTimer', 'condition', (
            input_port('seconds', 'float', required=False, default=1.0,
                       description='Timer period (s).'),
            input_port('path', 'path', required=False, description='Path to watch.')),
         PathExpiringTimer, 'SUCCESS every `seconds` unless the path changes.', 0, 0),
        ('SpeedController', 'decorator', (
            input_port('min_rate', 'float', required=False, default=0.1,
                       description='Minimum rate (Hz).'),
            input_port('max_rate', 'float', required=False, default=1.0,
                       description='Maximum rate (Hz).'),
            input_port('min_speed', 'float', required=False, default=0.0,
                       description='Speed mapped to min_rate (m/s).'),
            input_port('max_speed', 'float', required=False, default=0.5,
                       description='Speed mapped to max_rate (m/s).'),
            *goal_ports),
         _gated(SpeedGate),
         'Tick the child at a rate that grows with speed.', 1, 1),
        ('DistanceController', 'decorator', (
            input_port('distance', 'float', required=False, default=1.0,
                       description='Distance between ticks of the child (m).'),
            input_port('global_frame', 'str', required=False, default='map',
                       description='Unused: the pose comes from odom.'),
            input_port('robot_base_frame', 'str', required=False, default='base_link',
                       description='Unused: the pose comes from odom.')),
         _gated(DistanceGate),
         'Tick the child every `distance` metres travelled.', 1, 1),
        ('GoalUpdatedController', 'decorator', goal_ports,
         _gated(GoalUpdatedGate),
         'Tick the child only when the goal changed.', 1, 1),
        ('PathLongerOnApproach', 'decorator', (
            input_port('path', 'path', description='Planned path.'),
            input_port('prox_len', 'float', required=False, default=3.0,
                       description='Proximity to the goal (m).'),
            input_port('length_factor', 'float', required=False, default=2.0,
                       description='How much longer the new path must be.')),
         _gated(PathLongerGate),
         'Tick the child if a new path near the goal is much longer.', 1, 1),
        ('GoalUpdater', 'decorator', (
            input_port('input_goal', 'pose_stamped', required=False,
                       description='Original goal.'),
            output_port('output_goal', 'pose_stamped', description='Updated goal.')),
         _gated(GoalUpdaterGate),
         'Replace the goal by a newer one from the goal_update topic.', 1, 1),
    ]

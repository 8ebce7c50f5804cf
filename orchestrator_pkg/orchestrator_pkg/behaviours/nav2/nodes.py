"""Nav2's decorator node types (the leaves are in actions, conditions and selectors).

Semantics follow nav2_behavior_tree (Jazzy). Where Nav2 asks "is this node
IDLE?" (fresh since the last halt), these behaviours keep a ``_fresh`` flag
that is set at construction and on a halt (terminate with INVALID), because
py_trees calls ``initialise`` again after every SUCCESS/FAILURE. A throttling
decorator that does not tick its child returns RUNNING, as Nav2's do.
The robot pose and speed come from ``odom`` (see :mod:`orchestrator_pkg.ros_edge.state`).
"""
import copy
import threading

import numpy as np
from py_trees.common import Status

from orchestrator_pkg.behaviours.nav2 import geometry
from orchestrator_pkg.behaviours.nav2.conditions import goal_ports, goal_values
from orchestrator_pkg.ros_edge.clock import RosClock
from orchestrator_pkg.ros_edge.convert import seconds_of
from orchestrator_pkg.ros_edge.leaf import require_node
from orchestrator_pkg.ros_edge.state import odom_state
from orchestrator_pkg.trees.behaviour import BtNode
from orchestrator_pkg.trees.ports import PortError, Range, input_port, output_port

POSITIVE = Range(0, None, lo_open=True)


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
            self.odom = odom_state(require_node(self, kwargs))
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
    uses_odom = False  # the decorator then has ``odom`` (ros_edge.state.OdomState)

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
        old_xy, new_xy = geometry.xy_of_poses(old.poses), geometry.xy_of_poses(path.poses)
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
        require_node(decorator, kwargs).create_subscription(PoseStamped, 'goal_update',
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


def _stamp(pose):
    return seconds_of(pose.header.stamp)


def specs():
    """Return (type_name, category, ports, build, description, min, max children) rows."""
    goals = goal_ports()
    return [
        ('SpeedController', 'decorator', (
            input_port('min_rate', 'float', required=False, default=0.1,
                       description='Minimum rate (Hz).', range=POSITIVE),
            input_port('max_rate', 'float', required=False, default=1.0,
                       description='Maximum rate (Hz).', range=POSITIVE),
            input_port('min_speed', 'float', required=False, default=0.0,
                       description='Speed mapped to min_rate (m/s).'),
            input_port('max_speed', 'float', required=False, default=0.5,
                       description='Speed mapped to max_rate (m/s).'),
            *goals),
         _gated(SpeedGate),
         'Tick the child at a rate that grows with speed.', 1, 1),
        ('DistanceController', 'decorator', (
            input_port('distance', 'float', required=False, default=1.0,
                       description='Distance between ticks of the child (m).',
                       range=POSITIVE),
            input_port('global_frame', 'str', required=False, default='map',
                       description='Unused: the pose comes from odom.'),
            input_port('robot_base_frame', 'str', required=False, default='base_link',
                       description='Unused: the pose comes from odom.')),
         _gated(DistanceGate),
         'Tick the child every `distance` metres travelled.', 1, 1),
        ('GoalUpdatedController', 'decorator', goals,
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

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

from orchestrator_pkg.behaviours.base import BtDecorator
from orchestrator_pkg.behaviours.nav2 import geometry
from orchestrator_pkg.behaviours.nav2.conditions import goal_ports as _goal_ports
from orchestrator_pkg.behaviours.nav2.conditions import goal_values
from orchestrator_pkg.behaviours.nav2.geometry import xy_of_poses as _xy_of_poses
from orchestrator_pkg.ros_edge.clock import RosClock
from orchestrator_pkg.ros_edge.convert import seconds_of
from orchestrator_pkg.ros_edge.leaf import require_node as _node_of
from orchestrator_pkg.ros_edge.state import odom_state
from orchestrator_pkg.trees.ports import PortError, input_port, output_port


# -- decorators -----------------------------------------------------------------------
class GatedDecorator(BtDecorator):
    """A decorator that decides each tick whether to tick its child at all.

    Subclasses implement ``gate() -> bool`` (tick the child now?) and
    optionally ``after_child(status)`` and ``skipped()`` (default RUNNING,
    Nav2's throttling semantics). Built on the engine's BtDecorator, so a
    halt halts the child and failures are traced to the child.
    """

    def __init__(self, ctx, child):
        super().__init__(ctx.name, child)
        self.ctx = ctx
        self.ports = ctx.ports
        self.node_type = ctx.type_name
        self.clock = ctx.clock
        self._fresh = True

    def setup(self, **kwargs):
        """Use the node clock unless the tree has one."""
        if self.clock is None and kwargs.get('node') is not None:
            self.clock = RosClock(kwargs['node'])

    def reset_state(self):
        """Make the node fresh again on a halt."""
        self._fresh = True

    def bt_tick(self):
        """Tick the child only when ``gate()`` says so.

        Idle before this tick (never ticked, halted, or its parent finished
        and marked it idle) means fresh, as BT.CPP's ``status() == IDLE``.
        A parent that finishes marks its children idle without resetting
        their py_trees status, so ``was_idle`` is the test, not INVALID.
        """
        if self.was_idle:
            self._fresh = True
        if self.gate():
            status = yield from self.tick_the_child()
            return self.after_child(status)
        return self.skipped()

    def after_child(self, status):
        """Pass the child's status through."""
        return status

    def skipped(self):
        """Nav2's throttling decorators stay RUNNING while they wait."""
        return Status.RUNNING

    def _goals(self):
        return copy.deepcopy(goal_values(self.ports, self.ctx.blackboard))


class RateLimitedDecorator(GatedDecorator):
    """Tick the child when it runs, first time, or every 1/rate seconds (rate from ``rate()``)."""

    def __init__(self, ctx, child):
        super().__init__(ctx, child)
        self._start = 0.0
        self._goal = None

    def shift_time(self, seconds: float) -> None:
        """Do not count a pause of ``seconds`` (engine resume hook)."""
        self._start += seconds

    def gate(self):
        """First tick, goal change, child running or period elapsed."""
        now = self.clock.now()
        goal = self._goals()
        if self._fresh or goal != self._goal:
            self._fresh = False
            self._goal = goal
            self._start = now
            return True
        if self.child.status == Status.RUNNING:
            return True
        rate = self.rate()
        return rate > 0 and now - self._start >= 1.0 / rate

    def after_child(self, status):
        """Restart the period when the child finished."""
        if status == Status.SUCCESS:
            self._start = self.clock.now()
        return status


class SpeedController(RateLimitedDecorator):
    """Tick the child at a rate that grows with the robot's speed (odom)."""

    def setup(self, **kwargs):
        """Subscribe to odometry."""
        super().setup(**kwargs)
        self._odom = odom_state(_node_of(self, kwargs))

    def rate(self):
        """Map the current speed onto [min_rate, max_rate]."""
        p = self.ports
        return geometry.rate_for_speed(self._odom.speed(), float(p.get('min_rate')),
                                       float(p.get('max_rate')), float(p.get('min_speed')),
                                       float(p.get('max_speed')))


class DistanceController(GatedDecorator):
    """Tick the child every ``distance`` metres the robot travels (odom), and at first."""

    def __init__(self, ctx, child):
        super().__init__(ctx, child)
        self._from = None

    def setup(self, **kwargs):
        """Subscribe to odometry."""
        super().setup(**kwargs)
        self._odom = odom_state(_node_of(self, kwargs))

    def gate(self):
        """First tick, child running, or far enough from the last run."""
        here = self._odom.xy()
        if self._fresh or self._from is None:
            self._fresh = False
            self._from = here
            return True
        if self.child.status == Status.RUNNING:
            return True
        if here is None or self._from is None:
            return False
        return float(np.hypot(here[0] - self._from[0], here[1] - self._from[1])) >= \
            float(self.ports.get('distance'))

    def after_child(self, status):
        """Measure the next distance from here once the child finished."""
        if status == Status.SUCCESS:
            self._from = self._odom.xy()
        return status


class GoalUpdatedController(GatedDecorator):
    """Tick the child only when the goal changed (or while it runs); first tick ticks it."""

    def __init__(self, ctx, child):
        super().__init__(ctx, child)
        self._goal = None

    def gate(self):
        """Goal changed, first tick, or child running."""
        goal = self._goals()
        updated = self._fresh or goal != self._goal
        self._fresh = False
        self._goal = goal
        return updated or self.child.status == Status.RUNNING


class PathLongerOnApproach(GatedDecorator):
    """Tick the child when, near the goal, a new path is much longer than the old one.

    Otherwise SUCCESS. "Near" means the old path is shorter than ``prox_len``;
    "much longer" means longer than ``length_factor`` × the old one.
    """

    def __init__(self, ctx, child):
        super().__init__(ctx, child)
        self._old = None

    def gate(self):
        """Decide on the new path."""
        try:
            path = self.ports.get('path')
        except PortError:
            return False
        if self.child.status == Status.RUNNING:
            return True
        old, self._old = self._old, path
        if self._fresh or old is None or not old.poses or not path.poses:
            self._fresh = False
            return False
        if old.poses[-1] != path.poses[-1]:  # a new goal, not a replanned path
            return False
        if path == old:
            return False
        old_xy, new_xy = _xy_of_poses(old.poses), _xy_of_poses(path.poses)
        near = geometry.path_length(old_xy) < float(self.ports.get('prox_len'))
        return near and geometry.new_path_is_much_longer(new_xy, old_xy,
                                                         float(self.ports.get('length_factor')))

    def skipped(self):
        """Nothing to do: SUCCESS."""
        return Status.SUCCESS


class GoalUpdater(GatedDecorator):
    """Copy ``input_goal`` to ``output_goal``, replaced by a newer goal from a topic; tick child.

    Listens on ``goal_update`` (geometry_msgs/PoseStamped), as Nav2's
    ``goal_updater_topic`` default.
    """

    def __init__(self, ctx, child):
        super().__init__(ctx, child)
        self._lock = threading.Lock()
        self._update = None

    def setup(self, **kwargs):
        """Subscribe to goal updates."""
        from geometry_msgs.msg import PoseStamped
        super().setup(**kwargs)
        _node_of(self, kwargs).create_subscription(PoseStamped, 'goal_update', self._store, 10)

    def _store(self, message):
        with self._lock:
            self._update = message

    def gate(self):
        """Write the goal, then tick the child (always)."""
        goal = self.ports.get('input_goal', None)
        with self._lock:
            update = self._update
        if update is not None and (goal is None or _stamp(update) > _stamp(goal)):
            goal = update
        if goal is not None:
            self.ports.set('output_goal', goal)
        return True


def _stamp(pose):
    return seconds_of(pose.header.stamp)


def specs():
    """Return (type_name, category, ports, build, description, min, max children) rows."""
    goal_ports = _goal_ports()
    return [
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
         lambda ctx: SpeedController(ctx, ctx.children[0]),
         'Tick the child at a rate that grows with speed.', 1, 1),
        ('DistanceController', 'decorator', (
            input_port('distance', 'float', required=False, default=1.0,
                       description='Distance between ticks of the child (m).'),
            input_port('global_frame', 'str', required=False, default='map',
                       description='Unused: the pose comes from odom.'),
            input_port('robot_base_frame', 'str', required=False, default='base_link',
                       description='Unused: the pose comes from odom.')),
         lambda ctx: DistanceController(ctx, ctx.children[0]),
         'Tick the child every `distance` metres travelled.', 1, 1),
        ('GoalUpdatedController', 'decorator', goal_ports,
         lambda ctx: GoalUpdatedController(ctx, ctx.children[0]),
         'Tick the child only when the goal changed.', 1, 1),
        ('PathLongerOnApproach', 'decorator', (
            input_port('path', 'path', description='Planned path.'),
            input_port('prox_len', 'float', required=False, default=3.0,
                       description='Proximity to the goal (m).'),
            input_port('length_factor', 'float', required=False, default=2.0,
                       description='How much longer the new path must be.')),
         lambda ctx: PathLongerOnApproach(ctx, ctx.children[0]),
         'Tick the child if a new path near the goal is much longer.', 1, 1),
        ('GoalUpdater', 'decorator', (
            input_port('input_goal', 'pose_stamped', required=False,
                       description='Original goal.'),
            output_port('output_goal', 'pose_stamped', description='Updated goal.')),
         lambda ctx: GoalUpdater(ctx, ctx.children[0]),
         'Replace the goal by a newer one from the goal_update topic.', 1, 1),
    ]

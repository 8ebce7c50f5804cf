"""Nav2's condition node types that ask no server: goal updates, error codes, a path timer.

Semantics follow nav2_behavior_tree (Jazzy). Where Nav2 asks "is this node
IDLE?" (fresh since the last halt), these use
:attr:`~orchestrator_pkg.ros_edge.leaf.RosLeaf.fresh`.
"""
import copy

from py_trees.common import Status

from orchestrator_pkg.ros_edge.leaf import RosLeaf
from orchestrator_pkg.trees.failure import FailureCode
from orchestrator_pkg.trees.ports import PortError, input_port

# ComputePathToPose / ComputePathThroughPoses / FollowPath result codes for which
# Nav2's Would*RecoveryHelp conditions say a recovery may help.
PLANNER_RECOVERABLE = (200, 207, 208, 300, 307, 308)  # UNKNOWN, TIMEOUT, NO_VALID_PATH
CONTROLLER_RECOVERABLE = (100, 104, 105, 106)  # UNKNOWN, PATIENCE_EXCEEDED,
# FAILED_TO_MAKE_PROGRESS, NO_VALID_CONTROL


def goal_values(ports, blackboard):
    """Return (goal, goals): the ports when given, else the keys ``goal``/``goals`` (Nav2)."""
    values = []
    for name in ('goal', 'goals'):
        if ports.has(name):
            values.append(ports.get(name, None))
        else:
            values.append(blackboard.get(name, None))
    return tuple(values)


def goal_ports():
    """Return the optional ``goal`` and ``goals`` ports of the goal-watching node types."""
    return (
        input_port('goal', 'pose_stamped', required=False, description='Destination.'),
        input_port('goals', 'pose_stamped_list', required=False, description='Destinations.'),
    )


class GoalUpdated(RosLeaf):
    """SUCCESS when ``goal``/``goals`` changed since the previous tick (first tick: FAILURE).

    With ``global_memory`` (GlobalUpdatedGoal) the remembered goal survives
    halts; otherwise a halt forgets it.
    """

    def __init__(self, ctx, global_memory=False):
        super().__init__(ctx.name, node_type=ctx.type_name, clock=ctx.clock)
        self.ctx = ctx
        self.global_memory = global_memory
        self._seen = None

    def update(self):
        """Compare with the remembered goal(s)."""
        try:
            current = copy.deepcopy(goal_values(self.ctx.ports, self.ctx.blackboard))
        except PortError as exc:
            return self.fail(FailureCode.INVALID_INPUT, str(exc))
        first = self._seen is None or (self.fresh and not self.global_memory)
        self.fresh = False
        if first:
            self._seen = current
            return self.fail(FailureCode.CONDITION_FAILED, 'goal not updated (first check)')
        if current != self._seen:
            self._seen = current
            self.feedback_message = 'goal updated'
            return Status.SUCCESS
        return self.fail(FailureCode.CONDITION_FAILED, 'goal not updated')


class ErrorCodeCondition(RosLeaf):
    """SUCCESS if ``error_code`` is one of ``codes`` (Would*RecoveryHelp)."""

    def __init__(self, ctx, codes):
        super().__init__(ctx.name, node_type=ctx.type_name, clock=ctx.clock)
        self.ports = ctx.ports
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
        return self.fail(FailureCode.CONDITION_FAILED, f'error code {code}: no recovery helps')


class PathExpiringTimer(RosLeaf):
    """SUCCESS once every ``seconds`` (ROS clock); a new ``path`` restarts the timer."""

    def __init__(self, ctx):
        super().__init__(ctx.name, node_type=ctx.type_name, clock=ctx.clock)
        self.ports = ctx.ports
        self._start = 0.0
        self._path = None

    def shift_time(self, seconds: float) -> None:
        """Do not count a pause of ``seconds`` (engine resume hook)."""
        self._start += seconds

    def update(self):
        """Check the timer."""
        now = self.clock.now()
        path = self.ports.get('path', None)
        if self.fresh:
            self.fresh = False
            self._start, self._path = now, path
            return self.fail(FailureCode.CONDITION_FAILED, 'timer started')
        if path != self._path:
            self._start, self._path = now, path
            return self.fail(FailureCode.CONDITION_FAILED, 'path changed: timer restarted')
        if now - self._start >= float(self.ports.get('seconds')):
            self._start = now
            self.feedback_message = 'timer expired'
            return Status.SUCCESS
        return self.fail(FailureCode.CONDITION_FAILED, 'timer running')


def specs():
    """Return (type_name, category, ports, build, description) for each node type here."""
    return [
        ('GoalUpdated', 'condition', goal_ports(), GoalUpdated,
         'SUCCESS if the goal changed since the last tick.'),
        ('GlobalUpdatedGoal', 'condition', goal_ports(),
         lambda ctx: GoalUpdated(ctx, global_memory=True),
         'SUCCESS if the goal changed since the last tick, remembered across halts.'),
        ('WouldAPlannerRecoveryHelp', 'condition', (
            input_port('error_code', 'int', required=False, default=0,
                       description='Planner error code.'),),
         lambda ctx: ErrorCodeCondition(ctx, PLANNER_RECOVERABLE),
         'SUCCESS if a planner recovery may help this error code.'),
        ('WouldAControllerRecoveryHelp', 'condition', (
            input_port('error_code', 'int', required=False, default=0,
                       description='Controller error code.'),),
         lambda ctx: ErrorCodeCondition(ctx, CONTROLLER_RECOVERABLE),
         'SUCCESS if a controller recovery may help this error code.'),
        ('PathExpiringTimer', 'condition', (
            input_port('seconds', 'float', required=False, default=1.0,
                       description='Timer period (s).', range=(0, None)),
            input_port('path', 'path', required=False, description='Path to watch.')),
         PathExpiringTimer, 'SUCCESS every `seconds` unless the path changes.'),
    ]

"""One running tree: tick, halt, pause/resume, progress, snapshot and failure.

Shared by the orchestrator node (``execute_mission``) and the navigator node
(``navigate_to_pose``). It never waits: a tick is one pass over the tree,
and everything the ROS leaves wait for is completed by the executor between
ticks.

Pause halts every running leaf (a leaf's ``terminate(INVALID)`` cancels its
goal or drops its request) but leaves the control nodes untouched, so their
memory (current child, retry counts, RoundRobin position, ...) survives.
Resume ticks again: the control nodes tick the same child, which starts
afresh (an action leaf sends its goal again). See docs/behaviour_trees.md.
"""
import py_trees
from py_trees.common import Status
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy

from orchestrator_interfaces.msg import (
    BehaviourStatus,
    BehaviourStatusChange,
    BehaviourStatusChanges,
    BehaviourTreeSnapshot,
)
from orchestrator_pkg.trees.failure import Failure, FailureCode, find_failure

# Status changes are a log, not a sample: published reliably with a deep queue,
# so a subscriber that falls behind for a while (the run recorder) loses none.
STATUS_CHANGES_QOS = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE,
                                history=HistoryPolicy.KEEP_LAST)

_STATUS = {Status.INVALID: BehaviourStatus.INVALID, Status.RUNNING: BehaviourStatus.RUNNING,
           Status.SUCCESS: BehaviourStatus.SUCCESS, Status.FAILURE: BehaviourStatus.FAILURE}


class _VisitRecorder(py_trees.visitors.VisitorBase):
    """Collect the behaviours ticked during one tick."""

    def __init__(self):
        super().__init__(full=False)
        self.visited = set()

    def initialise(self):
        """Start a new tick."""
        self.visited = set()

    def run(self, behaviour):
        """Record one ticked behaviour."""
        self.visited.add(id(behaviour))


class _ChangeRecorder(py_trees.visitors.VisitorBase):
    """Record every status a behaviour shows that differs from the last one seen.

    The tree calls :meth:`run` right after each behaviour's own tick, so a
    behaviour that goes RUNNING -> SUCCESS and is reset by its parent later in
    the same tick is still seen as SUCCESS. :meth:`sweep` then catches what
    changed without being ticked (halts and resets, which set INVALID).
    """

    def __init__(self, order):
        super().__init__(full=False)
        self._index = {id(b): i for i, (b, _) in enumerate(order)}
        self._order = order
        self._last = {}
        self.changes = []

    def run(self, behaviour):
        """Compare one just-ticked behaviour with its last status."""
        index = self._index.get(id(behaviour))
        if index is not None:
            self._observe(index, behaviour)

    def sweep(self):
        """Compare every behaviour with its last status (after a tick or a halt)."""
        for index, (behaviour, _) in enumerate(self._order):
            self._observe(index, behaviour)

    def _observe(self, index, behaviour):
        previous = self._last.get(index, Status.INVALID)
        if behaviour.status == previous:
            return
        self._last[index] = behaviour.status
        failure = ''
        if behaviour.status == Status.FAILURE:
            reason = getattr(behaviour, 'failure', None)
            failure = str(getattr(reason, 'message', '') or behaviour.feedback_message or '')
        self.changes.append((index, previous, behaviour.status,
                             str(behaviour.feedback_message or ''), failure))


def depth_first(root):
    """Return [(behaviour, parent_index)] in depth-first order, root first."""
    order = []
    stack = [(root, -1)]
    while stack:
        behaviour, parent = stack.pop()
        index = len(order)
        order.append((behaviour, parent))
        for child in reversed(behaviour.children):
            stack.append((child, index))
    return order


class MissionRunner:
    """Drive one :class:`~orchestrator_pkg.trees.loader.BuiltTree`."""

    def __init__(self, built, mission: str, clock):
        self.built = built
        self.mission = mission
        self.clock = clock
        self.ticks = 0
        self.paused = False
        self.status = Status.INVALID
        self.exception = None
        self.started = None
        self._order = depth_first(built.root)
        self._leaves = [b for b, _ in self._order if not b.children]
        self._succeeded = set()
        self._recorder = _VisitRecorder()
        self._changes = _ChangeRecorder(self._order)
        built.tree.visitors.append(self._recorder)
        built.tree.visitors.append(self._changes)

    def setup(self, node, timeout_s: float = 5.0) -> None:
        """Give every behaviour the ROS node (py_trees_ros convention)."""
        self.built.tree.setup(node=node, timeout=timeout_s)

    def tick(self) -> Status:
        """Tick once (unless paused); a behaviour that raises fails the mission."""
        if self.paused:
            return self.status
        if self.started is None:
            self.started = self.clock.now()
        self.ticks += 1
        try:
            self.built.tree.tick()
        except Exception as exc:  # a behaviour's bug must not take the node down
            self.exception = exc
            self.halt()
            self.status = Status.FAILURE
            return self.status
        self._changes.sweep()
        self.status = self.built.root.status
        for leaf in self._leaves:
            if leaf.status == Status.SUCCESS:
                self._succeeded.add(id(leaf))
        return self.status

    def halt(self) -> None:
        """Halt the whole tree: running leaves cancel their goals now."""
        self.built.halt()
        self._changes.sweep()

    def pause(self) -> int:
        """Halt the running leaves and stop ticking; returns how many were halted.

        The engine's ``BuiltTree.pause`` keeps every control node's place and
        remembers when the pause began, so timers do not count it.
        """
        halted = self.built.pause()
        self._changes.sweep()
        self.paused = True
        return len(halted)

    def resume(self) -> None:
        """Tick again from where the tree was (timers shifted by the paused time)."""
        self.built.resume()
        self.paused = False

    def shutdown(self) -> None:
        """Release the behaviours' ROS resources."""
        try:
            self.built.tree.shutdown()
        except Exception:  # noqa: BLE001 - best effort at the end of a mission
            pass

    # -- reporting -----------------------------------------------------------
    def elapsed(self) -> float:
        """Seconds on the tree clock since the first tick."""
        return 0.0 if self.started is None else max(self.clock.now() - self.started, 0.0)

    def active_behaviour(self):
        """Return the deepest running behaviour, or None."""
        tip = self.built.root.tip()
        return tip if tip is not None and tip.status == Status.RUNNING else None

    def active_path(self) -> str:
        """XML path of the deepest running behaviour ('' when none)."""
        tip = self.active_behaviour()
        return self.built.path_of(tip) if tip is not None else ''

    def status_text(self) -> str:
        """Return what the active behaviour says it is doing."""
        tip = self.active_behaviour()
        return (tip.feedback_message or '') if tip is not None else ''

    def progress(self) -> float:
        """Fraction of leaves that have succeeded at least once (1 when the tree succeeded)."""
        if self.status == Status.SUCCESS:
            return 1.0
        if not self._leaves:
            return 0.0
        return len(self._succeeded) / len(self._leaves)

    def failure(self) -> Failure:
        """Return the structured reason of the root's FAILURE."""
        if self.exception is not None:
            return Failure(node_path=self.built.tree_id, node_type='',
                           code=int(FailureCode.EXCEPTION),
                           message=f'a behaviour raised {type(self.exception).__name__}: '
                                   f'{self.exception}')
        return find_failure(self.built)

    def snapshot(self, stamp) -> BehaviourTreeSnapshot:
        """Return a BehaviourTreeSnapshot of the tree after the last tick."""
        message = BehaviourTreeSnapshot()
        message.header.stamp = stamp
        message.mission = self.mission
        message.tree_id = self.built.tree_id
        message.tick = self.ticks
        visited = self._recorder.visited
        for index, (behaviour, parent) in enumerate(self._order):
            message.behaviours.append(BehaviourStatus(
                id=index, parent_id=parent, name=behaviour.name,
                type=self.built.type_of(behaviour), path=self.built.path_of(behaviour),
                status=_STATUS.get(behaviour.status, BehaviourStatus.INVALID),
                feedback_message=str(behaviour.feedback_message or '')[:200]))
            if id(behaviour) in visited:
                message.visited.append(index)
        return message

    def take_changes(self, stamp) -> BehaviourStatusChanges:
        """Return the status changes since the last call (None when there were none)."""
        changes, self._changes.changes = self._changes.changes, []
        if not changes:
            return None
        message = BehaviourStatusChanges(mission=self.mission, tree_id=self.built.tree_id,
                                         tick=self.ticks)
        message.header.stamp = stamp
        for index, previous, status, feedback, failure in changes:
            behaviour = self._order[index][0]
            message.changes.append(BehaviourStatusChange(
                id=index, path=self.built.path_of(behaviour),
                type=self.built.type_of(behaviour),
                previous_status=_STATUS.get(previous, BehaviourStatus.INVALID),
                status=_STATUS.get(status, BehaviourStatus.INVALID),
                feedback_message=feedback[:500], failure_message=failure[:1000]))
        return message


def failure_to_msg(failure: Failure):
    """Convert a pure Failure into orchestrator_interfaces/FailureReason."""
    from orchestrator_interfaces.msg import FailureReason
    return FailureReason(code=int(failure.code), node_path=failure.node_path,
                         node_type=failure.node_type,
                         leaf_error_code=int(failure.leaf_error_code),
                         leaf_interface=failure.leaf_interface, message=failure.message)

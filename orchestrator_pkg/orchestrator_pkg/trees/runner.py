"""One running tree: tick, halt, pause/resume, progress, active path, status changes, failure.

Pure: no ROS. The tree host (``nodes/tree_host.py``) drives a runner from its
timer and turns what it reports (snapshots, status changes, the failure) into
messages. A tick is one pass over the tree; it never waits, and everything the
ROS leaves wait for is completed by the executor between ticks.

Pause halts every running leaf (a leaf's ``terminate(INVALID)`` cancels its
goal or drops its request) but leaves the control nodes untouched, so their
memory (current child, retry counts, RoundRobin position, ...) survives.
Resume ticks again: the control nodes tick the same child, which starts
afresh (an action leaf sends its goal again). The pause itself is the built
tree's state (:meth:`BuiltTree.pause`); see docs/behaviour_trees.md.
"""
from collections import namedtuple

import py_trees
from py_trees.common import Status

from orchestrator_pkg.trees.failure import Failure, FailureCode, find_failure

# One behaviour of a snapshot, depth first (parent_id -1: the root; visited: in the last tick).
BehaviourRow = namedtuple('BehaviourRow', 'id parent_id name type path status feedback visited')
# A behaviour showed ``status`` after ``previous``; ``failure`` is its reason, on FAILURE.
StatusChange = namedtuple('StatusChange', 'id path type previous status feedback failure')


class _Recorder(py_trees.visitors.VisitorBase):
    """Record the behaviours ticked in a tick, and every status that differs from the last seen.

    The tree calls :meth:`run` right after each behaviour's own tick, so a
    behaviour that goes RUNNING -> SUCCESS and is reset by its parent later in
    the same tick is still seen as SUCCESS. :meth:`sweep` then catches what
    changed without being ticked (halts and resets, which set INVALID).
    """

    def __init__(self, order, built):
        super().__init__(full=False)
        self._index = {id(b): i for i, (b, _) in enumerate(order)}
        self._order = order
        self._built = built
        self._last = {}
        self.changes = []  # [StatusChange]
        self.visited = set()  # id() of the behaviours ticked in the last tick

    def initialise(self):
        """Start a new tick."""
        self.visited = set()

    def run(self, behaviour):
        """Record one just-ticked behaviour; compare it with its last status."""
        self.visited.add(id(behaviour))
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
        self.changes.append(StatusChange(
            index, self._built.path_of(behaviour), self._built.type_of(behaviour), previous,
            behaviour.status, str(behaviour.feedback_message or ''), failure))


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
    """Drive one :class:`~orchestrator_pkg.trees.runtime.BuiltTree`.

    ``mission`` labels the run (snapshots, status changes); ``source`` says
    where the tree came from (its file, '' for an inline tree).
    """

    def __init__(self, built, mission: str, clock, source: str = ''):
        self.built = built
        self.mission = mission
        self.source = source
        self.clock = clock
        self.ticks = 0
        self.status = Status.INVALID
        self.exception = None
        self.started = None
        self._order = depth_first(built.root)
        self._leaves = [b for b, _ in self._order if not b.children]
        self._succeeded = set()
        self._recorder = _Recorder(self._order, built)
        built.tree.visitors.append(self._recorder)

    def setup(self, timeout_s: float = 5.0, **kwargs) -> None:
        """Set every behaviour up; ROS leaves take ``node=`` (the py_trees_ros convention)."""
        self.built.tree.setup(timeout=timeout_s, **kwargs)

    @property
    def paused(self) -> bool:
        """Tell whether the tree is paused (the built tree keeps that state)."""
        return self.built.paused

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
        self._recorder.sweep()
        self.status = self.built.root.status
        for leaf in self._leaves:
            if leaf.status == Status.SUCCESS:
                self._succeeded.add(id(leaf))
        return self.status

    def halt(self) -> None:
        """Halt the whole tree (this also ends a pause): running leaves cancel their goals now."""
        self.built.halt()
        self._recorder.sweep()

    def pause(self) -> int:
        """Halt the running leaves and stop ticking; returns how many were halted.

        The engine's ``BuiltTree.pause`` keeps every control node's place and
        remembers when the pause began, so timers do not count it.
        """
        halted = self.built.pause()
        self._recorder.sweep()
        return len(halted)

    def resume(self) -> None:
        """Tick again from where the tree was (timers shifted by the paused time)."""
        self.built.resume()

    def shutdown(self) -> None:
        """Release the behaviours' resources (their ROS clients)."""
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

    def snapshot(self) -> list:
        """Return every behaviour as a :class:`BehaviourRow` after the last tick."""
        visited = self._recorder.visited
        return [BehaviourRow(id=index, parent_id=parent, name=behaviour.name,
                             type=self.built.type_of(behaviour),
                             path=self.built.path_of(behaviour), status=behaviour.status,
                             feedback=str(behaviour.feedback_message or ''),
                             visited=id(behaviour) in visited)
                for index, (behaviour, parent) in enumerate(self._order)]

    def take_changes(self) -> list:
        """Return the :class:`StatusChange` list since the last call (each change once)."""
        changes, self._recorder.changes = self._recorder.changes, []
        return changes

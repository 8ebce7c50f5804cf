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

A tick has a budget: the engine's loops yield between iterations, so a tick
visits each node only a few times; a tick that visits more than
``max_visits_per_tick`` behaviours anyway (a node type that loops over its
children without yielding, or an enormous tree ticked at once) is cut short,
the tree is halted and the run fails with TICK_BUDGET_EXCEEDED, naming the
node that kept ticking its children.
"""
from collections import namedtuple

import py_trees
from py_trees.common import Status

from orchestrator_pkg.trees.failure import Failure, FailureCode, find_failure

# One behaviour of a snapshot, depth first (parent_id -1: the root; visited: in the last tick).
BehaviourRow = namedtuple('BehaviourRow', 'id parent_id name type path status feedback visited')
# A behaviour showed ``status`` after ``previous``; ``failure`` is its reason, on FAILURE.
StatusChange = namedtuple('StatusChange', 'id path type previous status feedback failure')
# Behaviours one tick may visit before it is cut short (MissionRunner.max_visits_per_tick).
DEFAULT_MAX_VISITS_PER_TICK = 10_000


class TickBudgetExceeded(RuntimeError):
    """One tick visited more behaviours than its budget allows."""


def tick_tree(tree: py_trees.trees.BehaviourTree) -> None:
    """Tick ``tree`` once, as py_trees' ``BehaviourTree.tick`` does, less one pass.

    After the tick itself, py_trees walks every behaviour of the tree again (a
    generator per behaviour) to show them to its 'full' visitors, also when it
    has none. The runner's only visitor (the recorder) is partial: it sees each
    behaviour as it is ticked. A tree with tick handlers or a full visitor gets
    py_trees' own tick.
    """
    visitors = tree.visitors
    if tree.pre_tick_handlers or tree.post_tick_handlers or any(v.full for v in visitors):
        tree.tick()
        return
    for visitor in visitors:
        visitor.initialise()
    for behaviour in tree.root.tick():
        for visitor in visitors:
            behaviour.visit(visitor)
    for visitor in visitors:
        visitor.finalise()
    tree.count += 1


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
        self.visited = {}  # id() of each behaviour ticked in the last tick -> times
        self.visits = 0
        self.budget = DEFAULT_MAX_VISITS_PER_TICK

    def initialise(self):
        """Start a new tick."""
        self.visited = {}
        self.visits = 0

    def run(self, behaviour):
        """Record one just-ticked behaviour; compare it with its last status."""
        key = id(behaviour)
        self.visited[key] = self.visited.get(key, 0) + 1
        self.visits += 1
        if self.visits > self.budget:
            raise TickBudgetExceeded(f'{self.visits} behaviours visited in one tick')
        index = self._index.get(key)
        if index is not None:
            self._observe(index, behaviour)

    def looping_node(self):
        """Return the behaviour that kept ticking its children in the last tick.

        That is the parent of the shallowest of the most-visited behaviours
        (the looping node itself is not visited until its own tick ends).
        """
        depth = []
        for _, parent in self._order:
            depth.append(0 if parent < 0 else depth[parent] + 1)
        most = max(self.visited.values(), default=0)
        candidates = [(depth[i], i) for i, (b, _) in enumerate(self._order)
                      if self.visited.get(id(b), 0) == most]
        if not candidates:
            return self._built.root
        index = min(candidates)[1]
        parent = self._order[index][1]
        return self._order[parent if parent >= 0 else index][0]

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

    def __init__(self, built, mission: str, clock, source: str = '',
                 max_visits_per_tick: int = DEFAULT_MAX_VISITS_PER_TICK):
        self.built = built
        self.mission = mission
        self.source = source
        self.clock = clock
        self.ticks = 0
        self.status = Status.INVALID
        self.exception = None
        self.budget_failure = None
        self.started = None
        self._order = depth_first(built.root)
        self._leaves = [b for b, _ in self._order if not b.children]
        self._succeeded = set()
        self._recorder = _Recorder(self._order, built)
        self._last_view = None  # view_changed()'s last look
        self.max_visits_per_tick = max_visits_per_tick
        built.tree.visitors.append(self._recorder)

    @property
    def max_visits_per_tick(self) -> int:
        """The tick budget: behaviours one tick may visit before it is cut short."""
        return self._recorder.budget

    @max_visits_per_tick.setter
    def max_visits_per_tick(self, visits: int) -> None:
        if int(visits) < 1:
            raise ValueError(f'max_visits_per_tick must be at least 1, not {visits}')
        self._recorder.budget = int(visits)

    def setup(self, **kwargs) -> None:
        """Set every behaviour up; ROS leaves take ``node=`` (the py_trees_ros convention).

        Without py_trees' setup timeout: py_trees implements it with SIGUSR1 sent
        by a timer thread to the process, which (1) raises "signal only works in
        main thread" where an executor runs the callback in a worker thread
        (a multi-threaded executor, composed mode), and (2) installs its own
        SIGUSR1 handler and afterwards restores what ``signal.getsignal`` said,
        which is SIG_DFL under faulthandler: the next SIGUSR1, the runner asking
        for the node's stacks (ros_edge.main.enable_stack_dumps), then killed the
        node. No behaviour's setup waits (they create clients and subscriptions).
        """
        self.built.tree.setup(timeout=py_trees.common.Duration.INFINITE, **kwargs)

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
            tick_tree(self.built.tree)
        except TickBudgetExceeded:
            self._over_budget()
            return self.status
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

    def _over_budget(self) -> None:
        """Fail the run: the tick visited more behaviours than its budget."""
        looping = self._recorder.looping_node()
        path = self.built.path_of(looping)
        node_type = self.built.type_of(looping)
        times = max(self._recorder.visited.values(), default=0)
        self.budget_failure = Failure(
            node_path=path, node_type=node_type, code=int(FailureCode.TICK_BUDGET_EXCEEDED),
            message=f'tick budget exceeded: tick {self.ticks} visited more than '
                    f'{self.max_visits_per_tick} behaviours; {node_type} "{looping.name}" '
                    f'ticked its children {times} times without returning (a loop that does '
                    'not yield); the tree was halted')
        self.halt()
        self.status = Status.FAILURE

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
        if self.budget_failure is not None:
            return self.budget_failure
        if self.exception is not None:
            return Failure(node_path=self.built.tree_id, node_type='',
                           code=int(FailureCode.EXCEPTION),
                           message=f'a behaviour raised {type(self.exception).__name__}: '
                                   f'{self.exception}')
        return find_failure(self.built)

    def depth_first_order(self) -> list:
        """Return (behaviour, parent index) of every behaviour, depth-first (root: -1)."""
        return list(self._order)

    def snapshot(self) -> list:
        """Return every behaviour as a :class:`BehaviourRow` after the last tick."""
        visited = self._recorder.visited
        return [BehaviourRow(id=index, parent_id=parent, name=behaviour.name,
                             type=self.built.type_of(behaviour),
                             path=self.built.path_of(behaviour), status=behaviour.status,
                             feedback=str(behaviour.feedback_message or ''),
                             visited=id(behaviour) in visited)
                for index, (behaviour, parent) in enumerate(self._order)]

    def view_changed(self) -> bool:
        """Tell whether the snapshot differs from the one at the last call (True at the first).

        A snapshot's variable part is each behaviour's status and feedback message
        and the set visited in the last tick; a tick that changed none of them
        (a leaf still waiting for its result) gives the same snapshot but its tick
        number. Costs a pass over the behaviours, not building the snapshot.
        """
        behaviours = [b for b, _ in self._order]
        view = ([b.status for b in behaviours], [b.feedback_message for b in behaviours],
                set(self._recorder.visited))
        changed = view != self._last_view
        self._last_view = view
        return changed

    def take_changes(self) -> list:
        """Return the :class:`StatusChange` list since the last call (each change once)."""
        changes, self._recorder.changes = self._recorder.changes, []
        return changes

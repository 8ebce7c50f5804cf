"""Base classes giving py_trees behaviours BehaviorTree.CPP's control-flow semantics.

py_trees' own composites differ from BehaviorTree.CPP in which children they
halt and what they remember, so the control nodes of this package derive
from :class:`BtNode`, and so do the decorators (a decorator is a BtNode with
one child, :attr:`BtNode.child`). Its subclasses implement
:meth:`BtNode.bt_tick`, a generator that ticks children with
``status = yield from self.tick_child(i)`` and returns the node's new status.

Vocabulary, mapped onto py_trees:

- *halt* a child: ``child.stop(Status.INVALID)`` if it is RUNNING, which
  makes a leaf's ``terminate(INVALID)`` cancel its work;
- *reset* a child (BehaviorTree.CPP's ``resetStatus``): mark it idle
  (``child.idle = True``) without calling it. Its py_trees ``status`` keeps the
  last result, so snapshots and failure reports still show what happened; a
  node that needs BehaviorTree.CPP's "was I IDLE?" test reads
  :attr:`BtNode.was_idle` during its tick;
- a node's own halt (``stop(INVALID)``) halts its running children and clears
  its memory through :meth:`BtNode.reset_state`.

Loops yield as BehaviorTree.CPP v4's do: a loop whose child was idle and
finished within the tick (it completed synchronously) returns RUNNING before
its next iteration, which runs at the next tick (:meth:`BtNode.child_is_idle`).
A tick therefore visits each node at most a few times, whatever the counts
say, and the host between ticks keeps serving cancels and new goals.
"""
import py_trees
from py_trees.common import Status

from orchestrator_pkg.trees.failure import Failure

RUNNING = Status.RUNNING
SUCCESS = Status.SUCCESS
FAILURE = Status.FAILURE
INVALID = Status.INVALID


class BtNode(py_trees.behaviour.Behaviour):
    """A control node or decorator with BehaviorTree.CPP semantics.

    ``children`` is a list of behaviours, or one behaviour (a decorator's child).
    """

    def __init__(self, name: str, children=()):
        super().__init__(name)
        if isinstance(children, py_trees.behaviour.Behaviour):
            children = [children]
        for child in children:
            if not isinstance(child, py_trees.behaviour.Behaviour):
                raise TypeError(f'{name}: child {child!r} is not a py_trees Behaviour')
            child.parent = self
            self.children.append(child)
        self.failure_cause = None
        self.idle = True
        self.was_idle = True

    # -- to implement -----------------------------------------------------
    def bt_tick(self):
        """Tick children as needed and return the new status (a generator)."""
        raise NotImplementedError
        yield  # pragma: no cover

    def reset_state(self) -> None:
        """Forget the node's memory (current child, counters, timers)."""

    def update(self) -> Status:
        """Unused: :meth:`tick` drives the node through :meth:`bt_tick`."""
        return self.status

    @property
    def child(self):
        """The first (for a decorator: the only) child."""
        return self.children[0]

    # -- machinery ----------------------------------------------------------
    def tick(self):
        """Tick this node (py_trees generator protocol)."""
        if self.status is not RUNNING:
            self.initialise()
        self.was_idle = self.idle or self.status is INVALID
        self.idle = False
        self._last_failed = None
        status = yield from self.bt_tick()
        self.failure_cause = self._last_failed if status is FAILURE else None
        if status is not RUNNING:
            self.terminate(status)
        self.status = status
        yield self

    _last_failed = None

    def tick_child(self, index: int):
        """Tick child ``index``; returns its status (use with ``yield from``)."""
        child = self.children[index]
        yield from child.tick()
        status = child.status
        if status is FAILURE:
            self._last_failed = child
        return status

    def child_is_idle(self, index: int = 0) -> bool:
        """Tell whether child ``index`` will start afresh at its next tick (it is not RUNNING).

        Read it before ticking the child: a loop whose child was idle and ended in
        the same tick yields (returns RUNNING) before its next iteration, as
        BehaviorTree.CPP v4's Repeat and RetryUntilSuccessful do.
        """
        return self.children[index].status is not RUNNING

    def halt_child(self, index: int) -> None:
        """Halt child ``index`` if it is RUNNING, then mark it idle."""
        child = self.children[index]
        if child.status is RUNNING:
            child.stop(INVALID)
        child.idle = True

    def halt_children(self, start: int = 0) -> None:
        """Halt (if running) and mark idle every child from ``start`` on."""
        for index in range(start, len(self.children)):
            self.halt_child(index)

    def reset_children(self) -> None:
        """BehaviorTree.CPP's resetChildren: halt running children, mark all idle."""
        self.halt_children(0)

    def stop(self, new_status: Status = INVALID) -> None:
        """Halt (INVALID): halt running children, clear memory; otherwise just finish."""
        if new_status is INVALID:
            self.halt_children(0)
            self.reset_state()
            self.idle = True
            self._last_failed = None
            self.failure_cause = None
        self.terminate(new_status)
        self.status = new_status
        self.iterator = self.tick()

    def tip(self):
        """Return the deepest running descendant (the 'active node')."""
        for child in self.children:
            if child.status is RUNNING:
                return child.tip()
        return self if self.status is not INVALID else None

    def shift_time(self, seconds: float) -> None:
        """Move the node's timers forward by ``seconds`` (the tree was paused that long)."""

    def fail_on_my_own(self) -> None:
        """Declare that the coming FAILURE is this node's own (not a child's)."""
        self._last_failed = None

    def fail(self, code: int, message: str) -> Status:
        """Fail on the node's own account: record why, show it as feedback, return FAILURE."""
        self.fail_on_my_own()
        self.failure = Failure(code=int(code), message=message)
        self.feedback_message = message
        return FAILURE


class SubTreeNode(BtNode):
    """The instance of a ``<SubTree>``: passes its child's status through."""

    def __init__(self, name, child, subtree_id: str = '', scope=None):
        """``subtree_id``: the BehaviorTree it instantiates; ``scope``: its blackboard."""
        super().__init__(name, child)
        self.subtree_id = subtree_id or name
        self.scope = scope

    def bt_tick(self):
        """Tick the subtree's root."""
        status = yield from self.tick_child(0)
        return status

"""Sequence, SequenceWithMemory and ReactiveSequence (BehaviorTree.CPP v4)."""
from orchestrator_pkg.behaviours.controls.ordered import ordered_tick, reactive_tick
from orchestrator_pkg.trees.behaviour import FAILURE, BtNode


class Sequence(BtNode):
    """Tick children in order; a RUNNING child is resumed, not re-ticked from the start.

    - child RUNNING: return RUNNING; the next tick resumes at that child;
    - child FAILURE: reset every child, restart from the first one, return FAILURE;
    - every child SUCCESS: reset children, return SUCCESS.
    Halting it halts the running child and restarts it from the first child.
    """

    index = 0  # the child to tick next

    def reset_state(self):
        """Restart from the first child."""
        self.index = 0

    def bt_tick(self):
        """Run the children in order."""
        return (yield from ordered_tick(self, FAILURE))


class SequenceWithMemory(BtNode):
    """Like Sequence, but a FAILURE does not restart it: the failed child is ticked again.

    On FAILURE the failed child and those after it are halted and the index is
    kept, so children that already succeeded are not ticked again. As in
    BehaviorTree.CPP, halting the node does not reset that memory either;
    only reaching the end (SUCCESS) does.
    """

    index = 0  # the child to tick next

    def bt_tick(self):
        """Run the sequence with memory."""
        return (yield from ordered_tick(self, FAILURE, memory=True))


class ReactiveSequence(BtNode):
    """Tick every child from the first on each tick; a RUNNING child halts the others.

    - child RUNNING: halt every other child (later ones that were running are
      preempted), return RUNNING;
    - child FAILURE: reset all children, return FAILURE;
    - every child SUCCESS: reset all children, return SUCCESS.
    """

    def bt_tick(self):
        """Run the children from the first."""
        return (yield from reactive_tick(self, FAILURE))

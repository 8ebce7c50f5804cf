"""Fallback and ReactiveFallback (BehaviorTree.CPP v4)."""
from orchestrator_pkg.behaviours.controls.ordered import ordered_tick, reactive_tick
from orchestrator_pkg.trees.behaviour import SUCCESS, BtNode


class Fallback(BtNode):
    """Tick children in order until one does not fail; a RUNNING child is resumed.

    - child RUNNING: return RUNNING; the next tick resumes at that child;
    - child SUCCESS: reset children, restart from the first, return SUCCESS;
    - every child FAILURE: reset children, return FAILURE.
    """

    index = 0  # the child to tick next

    def reset_state(self):
        """Restart from the first child."""
        self.index = 0

    def bt_tick(self):
        """Run the children in order."""
        return (yield from ordered_tick(self, SUCCESS))


class ReactiveFallback(BtNode):
    """Tick every child from the first on each tick; a RUNNING child halts the others.

    - child RUNNING: halt every other child, return RUNNING;
    - child SUCCESS: reset all children, return SUCCESS;
    - every child FAILURE: reset all children, return FAILURE.
    """

    def bt_tick(self):
        """Run the children from the first."""
        return (yield from reactive_tick(self, SUCCESS))

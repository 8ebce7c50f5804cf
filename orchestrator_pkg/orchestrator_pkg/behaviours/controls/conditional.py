"""IfThenElse and WhileDoElse (BehaviorTree.CPP v4)."""
from orchestrator_pkg.trees.behaviour import FAILURE, RUNNING, BtNode


class IfThenElse(BtNode):
    """2 or 3 children: if the first succeeds tick the second, else the third.

    The condition is evaluated once; while the chosen branch is RUNNING it is
    not re-evaluated. Without a third child a failed condition returns FAILURE.
    """

    def __init__(self, name, children=()):
        super().__init__(name, children)
        self.index = 0

    def reset_state(self):
        """Evaluate the condition again next time."""
        self.index = 0

    def bt_tick(self):
        """Run the if-then-else."""
        if self.index == 0:
            status = yield from self.tick_child(0)
            if status is RUNNING:
                return RUNNING
            if status is FAILURE:
                if len(self.children) < 3:
                    self.reset_children()
                    return FAILURE
                self.index = 2
            else:
                self.index = 1
        status = yield from self.tick_child(self.index)
        if status is RUNNING:
            return RUNNING
        self.reset_children()
        self.index = 0
        return status


class WhileDoElse(BtNode):
    """2 or 3 children, reactive: the condition is ticked every tick.

    Condition SUCCESS: halt the else-branch, tick the second child.
    Condition FAILURE: halt the do-branch, tick the third child (FAILURE if
    there is none). Condition RUNNING: return RUNNING.
    """

    def bt_tick(self):
        """Run the while-do-else."""
        condition = yield from self.tick_child(0)
        if condition is RUNNING:
            return RUNNING
        if condition is FAILURE:
            if len(self.children) < 3:
                self.reset_children()
                return FAILURE
            self.halt_child(1)
            status = yield from self.tick_child(2)
        else:
            if len(self.children) == 3:
                self.halt_child(2)
            status = yield from self.tick_child(1)
        if status is RUNNING:
            return RUNNING
        self.reset_children()
        return status

"""Fallback and ReactiveFallback (BehaviorTree.CPP v4)."""
from orchestrator_pkg.behaviours.base import FAILURE, RUNNING, SUCCESS, BtNode


class Fallback(BtNode):
    """Tick children in order until one does not fail; a RUNNING child is resumed.

    - child RUNNING: return RUNNING; the next tick resumes at that child;
    - child SUCCESS: reset children, restart from the first, return SUCCESS;
    - every child FAILURE: reset children, return FAILURE.
    """

    def __init__(self, name, children=()):
        super().__init__(name, children)
        self.index = 0

    def reset_state(self):
        """Restart from the first child."""
        self.index = 0

    def bt_tick(self):
        """Run the fallback."""
        count = len(self.children)
        while self.index < count:
            status = yield from self.tick_child(self.index)
            if status is RUNNING:
                return RUNNING
            if status is SUCCESS:
                self.reset_children()
                self.index = 0
                return SUCCESS
            self.index += 1
        self.reset_children()
        self.index = 0
        return FAILURE


class ReactiveFallback(BtNode):
    """Tick every child from the first on each tick; a RUNNING child halts the others.

    - child RUNNING: halt every other child, return RUNNING;
    - child SUCCESS: reset all children, return SUCCESS;
    - every child FAILURE: reset all children, return FAILURE.
    """

    def bt_tick(self):
        """Run the reactive fallback."""
        children = self.children
        for index in range(len(children)):
            status = yield from self.tick_child(index)
            if status is RUNNING:
                for other in range(len(children)):
                    if other != index:
                        self.halt_child(other)
                return RUNNING
            if status is SUCCESS:
                self.reset_children()
                return SUCCESS
        self.reset_children()
        return FAILURE

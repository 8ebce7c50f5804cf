"""The loop that Sequence and Fallback share, with the deciding status as a parameter.

A Sequence stops at the first FAILURE and succeeds when every child succeeds;
a Fallback stops at the first SUCCESS and fails when every child fails. The
subclasses only set ``STOP_ON``: the child status that ends the loop and is
returned. The other terminal status lets the loop move on to the next child
and, after the last one, is the result.
"""
from orchestrator_pkg.trees.behaviour import FAILURE, RUNNING, SUCCESS, BtNode


def _other(status):
    return FAILURE if status is SUCCESS else SUCCESS


class OrderedComposite(BtNode):
    """Tick children in order from where the last tick left off; see the subclasses.

    - child RUNNING: return RUNNING; the next tick resumes at that child;
    - child ``STOP_ON``: reset children, restart from the first, return ``STOP_ON``;
    - every child the other status: reset children, return it.
    Halting it halts the running child and restarts it from the first child.
    """

    STOP_ON = None  # SUCCESS or FAILURE, set by the subclass

    def __init__(self, name, children=()):
        super().__init__(name, children)
        self.index = 0

    def reset_state(self):
        """Restart from the first child."""
        self.index = 0

    def bt_tick(self):
        """Run the children in order."""
        count = len(self.children)
        while self.index < count:
            status = yield from self.tick_child(self.index)
            if status is RUNNING:
                return RUNNING
            if status is self.STOP_ON:
                self.reset_children()
                self.index = 0
                return status
            self.index += 1
        self.reset_children()
        self.index = 0
        return _other(self.STOP_ON)


class ReactiveOrderedComposite(BtNode):
    """Tick every child from the first on each tick; a RUNNING child halts the others.

    - child RUNNING: halt every other child (later ones that were running are
      preempted), return RUNNING;
    - child ``STOP_ON``: reset all children, return ``STOP_ON``;
    - every child the other status: reset all children, return it.
    """

    STOP_ON = None  # SUCCESS or FAILURE, set by the subclass

    def bt_tick(self):
        """Run the children from the first."""
        children = self.children
        for index in range(len(children)):
            status = yield from self.tick_child(index)
            if status is RUNNING:
                for other in range(len(children)):
                    if other != index:
                        self.halt_child(other)
                return RUNNING
            if status is self.STOP_ON:
                self.reset_children()
                return status
        self.reset_children()
        return _other(self.STOP_ON)

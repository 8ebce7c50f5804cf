"""RunOnce (BehaviorTree.CPP v4)."""
from orchestrator_pkg.trees.behaviour import RUNNING, SUCCESS, BtNode


class RunOnce(BtNode):
    """Tick the child until it finishes once; afterwards skip it or repeat its result.

    ``then_skip=true`` (default): later ticks return SKIPPED in BehaviorTree.CPP;
    py_trees has no SKIPPED status, so this engine returns SUCCESS (parents treat
    a skipped child like a successful one, which is what the BT.CPP composites
    do for a single skipped child). ``then_skip=false``: later ticks return the
    status the child finished with.
    """

    def __init__(self, name, child, then_skip=True):
        super().__init__(name, child)
        self.then_skip = then_skip
        self.result = None

    def bt_tick(self):
        """Run the child once."""
        if self.result is not None:
            if self.then_skip:
                self.feedback_message = 'already ran (skipped)'
                return SUCCESS
            if self.result is not SUCCESS:
                self.fail_on_my_own()
            return self.result
        status = yield from self.tick_child(0)
        if status is not RUNNING:
            self.result = status
            self.halt_child(0)
        return status

"""Inverter, ForceSuccess, ForceFailure, KeepRunningUntilFailure (BehaviorTree.CPP v4)."""
from orchestrator_pkg.trees.behaviour import FAILURE, RUNNING, SUCCESS, BtNode


class Inverter(BtNode):
    """SUCCESS becomes FAILURE and FAILURE becomes SUCCESS; RUNNING passes through."""

    def bt_tick(self):
        """Invert the child's result."""
        status = yield from self.tick_child(0)
        if status is RUNNING:
            return RUNNING
        self.halt_child(0)
        if status is SUCCESS:
            self.fail_on_my_own()
            self.feedback_message = 'child succeeded (inverted to FAILURE)'
            return FAILURE
        return SUCCESS


class ForceSuccess(BtNode):
    """Return SUCCESS once the child finishes, whatever its result; RUNNING passes."""

    def bt_tick(self):
        """Force success."""
        status = yield from self.tick_child(0)
        if status is RUNNING:
            return RUNNING
        self.halt_child(0)
        return SUCCESS


class ForceFailure(BtNode):
    """Return FAILURE once the child finishes, whatever its result; RUNNING passes."""

    def bt_tick(self):
        """Force failure."""
        status = yield from self.tick_child(0)
        if status is RUNNING:
            return RUNNING
        self.halt_child(0)
        if status is SUCCESS:
            self.fail_on_my_own()
            self.feedback_message = 'child succeeded (forced to FAILURE)'
        return FAILURE


class KeepRunningUntilFailure(BtNode):
    """Child SUCCESS becomes RUNNING (the child restarts next tick); FAILURE is FAILURE."""

    def bt_tick(self):
        """Keep running until the child fails."""
        status = yield from self.tick_child(0)
        if status is SUCCESS:
            self.halt_child(0)
            return RUNNING
        if status is FAILURE:
            self.halt_child(0)
            return FAILURE
        return RUNNING

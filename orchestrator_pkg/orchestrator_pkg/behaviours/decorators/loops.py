"""RetryUntilSuccessful and Repeat (BehaviorTree.CPP v4)."""
from orchestrator_pkg.trees.behaviour import FAILURE, RUNNING, SUCCESS, BtNode
from orchestrator_pkg.trees.failure import Failure, FailureCode
from orchestrator_pkg.trees.ports import PortError


class RetryUntilSuccessful(BtNode):
    """Tick the child again after each FAILURE, up to ``num_attempts`` tries (-1: forever).

    As in BehaviorTree.CPP, a child that fails synchronously is retried within
    the same tick. Difference: with ``num_attempts=-1`` this engine returns
    RUNNING after each failure and retries on the next tick, so a child that
    always fails cannot hang the tick loop.
    """

    def __init__(self, name, child, num_attempts=1):
        super().__init__(name, child)
        self.num_attempts = num_attempts
        self.tries = 0

    def reset_state(self):
        """Forget the attempts made."""
        self.tries = 0

    def bt_tick(self):
        """Retry the child."""
        while self.num_attempts < 0 or self.tries < self.num_attempts:
            status = yield from self.tick_child(0)
            if status is RUNNING:
                return RUNNING
            if status is SUCCESS:
                self.tries = 0
                self.halt_child(0)
                return SUCCESS
            self.tries += 1
            self.halt_child(0)
            if self.num_attempts < 0:
                return RUNNING
        self.tries = 0
        self.feedback_message = f'failed {self.num_attempts} attempt(s)'
        return FAILURE


class Repeat(BtNode):
    """Tick the child ``num_cycles`` times while it succeeds (-1: forever).

    A FAILURE stops the loop and is returned. A synchronous child is repeated
    within the same tick, as in BehaviorTree.CPP; with ``num_cycles=-1`` this
    engine returns RUNNING after each cycle instead, so the tick loop never hangs.
    Given ``ports``, ``num_cycles`` is read from them each time the loop starts
    (as BT.CPP does), so it may name a key that is only set while the tree runs.
    """

    def __init__(self, name, child, num_cycles=1, ports=None):
        super().__init__(name, child)
        self.num_cycles = num_cycles
        self.ports = ports
        self.cycles = 0
        self.failure = None

    def reset_state(self):
        """Forget the cycles done."""
        self.cycles = 0

    def initialise(self):
        """Read num_cycles from the port when the loop starts."""
        self.failure = None
        if self.ports is None:
            return
        try:
            self.num_cycles = self.ports.get('num_cycles')
        except PortError as exc:
            self.failure = Failure(code=int(FailureCode.INVALID_INPUT), message=str(exc))

    def bt_tick(self):
        """Repeat the child."""
        if self.failure is not None:
            self.feedback_message = self.failure.message
            self.fail_on_my_own()
            return FAILURE
        while self.num_cycles < 0 or self.cycles < self.num_cycles:
            status = yield from self.tick_child(0)
            if status is RUNNING:
                return RUNNING
            if status is FAILURE:
                self.cycles = 0
                self.halt_child(0)
                return FAILURE
            self.cycles += 1
            self.halt_child(0)
            if self.num_cycles < 0:
                return RUNNING
        self.cycles = 0
        return SUCCESS

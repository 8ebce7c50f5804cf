"""RetryUntilSuccessful and Repeat (BehaviorTree.CPP v4).

Both yield as BehaviorTree.CPP v4's do: when the child was idle and finished
within the tick (it completed synchronously) and another iteration is due,
the loop returns RUNNING and runs that iteration at the next tick. A child
that was RUNNING and finishes is followed at once by the next iteration, in
the same tick. So a loop over a synchronous child costs one tick per
iteration, and no count, however large (or -1, forever), can hold a tick.
Their count ports are read each time the loop starts, so ``{key}`` may be
set by an earlier node; a value out of range fails the node (INVALID_INPUT).
"""
from orchestrator_pkg.trees.behaviour import FAILURE, RUNNING, SUCCESS, BtNode
from orchestrator_pkg.trees.failure import Failure, FailureCode
from orchestrator_pkg.trees.ports import PortError


def _read_count(node, port: str, current: int):
    """Read a loop's count port when it starts; returns (count, Failure or None)."""
    if node.ports is None:
        return current, None
    try:
        return node.ports.get(port), None
    except PortError as exc:
        return current, Failure(code=int(FailureCode.INVALID_INPUT), message=str(exc))


class RetryUntilSuccessful(BtNode):
    """Tick the child again after each FAILURE, up to ``num_attempts`` tries (-1: forever).

    Given ``ports``, ``num_attempts`` is read from them each time the loop starts.
    """

    def __init__(self, name, child, num_attempts=1, ports=None):
        super().__init__(name, child)
        self.num_attempts = num_attempts
        self.ports = ports
        self.tries = 0
        self.failure = None

    def reset_state(self):
        """Forget the attempts made."""
        self.tries = 0

    def initialise(self):
        """Read num_attempts from the port when the loop starts."""
        self.num_attempts, self.failure = _read_count(self, 'num_attempts', self.num_attempts)

    def _more(self) -> bool:
        return self.num_attempts < 0 or self.tries < self.num_attempts

    def bt_tick(self):
        """Retry the child."""
        if self.failure is not None:
            return self.fail(self.failure.code, self.failure.message)
        while self._more():
            started = self.child_is_idle()
            status = yield from self.tick_child(0)
            if status is RUNNING:
                return RUNNING
            if status is SUCCESS:
                self.tries = 0
                self.halt_child(0)
                return SUCCESS
            self.tries += 1
            self.halt_child(0)
            if started and self._more():
                self.feedback_message = f'attempt {self.tries} failed; retrying'
                return RUNNING
        self.tries = 0
        self.feedback_message = f'failed {self.num_attempts} attempt(s)'
        return FAILURE


class Repeat(BtNode):
    """Tick the child ``num_cycles`` times while it succeeds (-1: forever).

    A FAILURE stops the loop and is returned. Given ``ports``, ``num_cycles``
    is read from them each time the loop starts (as BT.CPP does), so it may
    name a key that is only set while the tree runs.
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
        self.num_cycles, self.failure = _read_count(self, 'num_cycles', self.num_cycles)

    def _more(self) -> bool:
        return self.num_cycles < 0 or self.cycles < self.num_cycles

    def bt_tick(self):
        """Repeat the child."""
        if self.failure is not None:
            return self.fail(self.failure.code, self.failure.message)
        while self._more():
            started = self.child_is_idle()
            status = yield from self.tick_child(0)
            if status is RUNNING:
                return RUNNING
            if status is FAILURE:
                self.cycles = 0
                self.halt_child(0)
                return FAILURE
            self.cycles += 1
            self.halt_child(0)
            if started and self._more():
                self.feedback_message = f'cycle {self.cycles} done'
                return RUNNING
        self.cycles = 0
        return SUCCESS

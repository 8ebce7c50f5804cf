"""Timeout, Delay (BehaviorTree.CPP v4) and RateController (Nav2), on the tree's clock."""
from orchestrator_pkg.trees.behaviour import FAILURE, RUNNING, SUCCESS, BtNode
from orchestrator_pkg.trees.failure import Failure, FailureCode


class Timeout(BtNode):
    """Halt the child and fail when it runs longer than ``msec`` milliseconds.

    The timer starts at the first tick; it is checked at each tick, before the
    child is ticked. ``msec`` 0 means no timeout (as in BehaviorTree.CPP).
    """

    def __init__(self, name, child, clock, msec=0):
        super().__init__(name, child)
        self.clock = clock
        self.msec = msec
        self.started_at = None
        self.failure = None

    def reset_state(self):
        """Stop the timer."""
        self.started_at = None

    def shift_time(self, seconds):
        """Do not count a pause against the deadline."""
        if self.started_at is not None:
            self.started_at += seconds

    def bt_tick(self):
        """Tick the child within the deadline."""
        now = self.clock.now()
        if self.started_at is None:
            self.started_at = now
            self.failure = None
        elif self.msec > 0 and (now - self.started_at) * 1000.0 >= self.msec:
            self.halt_child(0)
            self.started_at = None
            self.fail_on_my_own()
            self.feedback_message = f'timed out after {self.msec} ms'
            self.failure = Failure(code=int(FailureCode.TIMEOUT),
                                   message=f'Timeout "{self.name}": child did not finish '
                                           f'within {self.msec} ms')
            return FAILURE
        status = yield from self.tick_child(0)
        if status is not RUNNING:
            self.started_at = None
            self.halt_child(0)
        return status


class Delay(BtNode):
    """Wait ``delay_msec`` milliseconds (RUNNING), then tick the child and pass its result."""

    def __init__(self, name, child, clock, delay_msec=0):
        super().__init__(name, child)
        self.clock = clock
        self.delay_msec = delay_msec
        self.started_at = None
        self.done = False

    def reset_state(self):
        """Restart the delay."""
        self.started_at = None
        self.done = False

    def shift_time(self, seconds):
        """Do not count a pause as waiting time."""
        if self.started_at is not None:
            self.started_at += seconds

    def bt_tick(self):
        """Delay, then tick the child."""
        if not self.done:
            now = self.clock.now()
            if self.started_at is None:
                self.started_at = now
            if (now - self.started_at) * 1000.0 < self.delay_msec:
                return RUNNING
            self.done = True
        status = yield from self.tick_child(0)
        if status is not RUNNING:
            self.reset_state()
            self.halt_child(0)
        return status


class RateController(BtNode):
    """Tick the child at most at ``hz``; while it runs, tick it every time (Nav2).

    The child is ticked on the first tick after the node was idle, every tick
    while it is RUNNING, and again once ``1/hz`` seconds passed since the
    period started. Between those ticks the node returns RUNNING. A child
    SUCCESS restarts the period; the node returns the child's result.
    """

    def __init__(self, name, child, clock, hz=10.0):
        super().__init__(name, child)
        self.clock = clock
        self.period = 1.0 / hz if hz > 0 else 0.0
        self.started_at = 0.0
        self.first_time = True
        self.child_active = False

    def reset_state(self):
        """Start a new period at the next tick."""
        self.first_time = True
        self.child_active = False

    def shift_time(self, seconds):
        """Do not count a pause as part of the period."""
        self.started_at += seconds

    def bt_tick(self):
        """Tick the child at the configured rate."""
        now = self.clock.now()
        if self.was_idle:
            self.started_at = now
            self.first_time = True
        if self.first_time or self.child_active or now - self.started_at >= self.period:
            self.first_time = False
            status = yield from self.tick_child(0)
            self.child_active = status is RUNNING
            if status is SUCCESS:
                self.started_at = self.clock.now()
            return status
        return RUNNING

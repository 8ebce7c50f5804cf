"""Nav2's control nodes: PipelineSequence, RecoveryNode, RoundRobin (nav2_behavior_tree)."""
from orchestrator_pkg.trees.behaviour import FAILURE, RUNNING, SUCCESS, BtNode


class PipelineSequence(BtNode):
    """Re-tick every child up to the furthest one reached; succeed when the last succeeds.

    Children before the furthest running one keep being ticked every tick
    (e.g. a rate-limited planner upstream of a path follower). A FAILURE halts
    every child and restarts the pipeline.
    """

    def __init__(self, name, children=()):
        super().__init__(name, children)
        self.last = 0

    def reset_state(self):
        """Restart the pipeline."""
        self.last = 0

    def bt_tick(self):
        """Run the pipeline."""
        for index in range(len(self.children)):
            status = yield from self.tick_child(index)
            if status is FAILURE:
                self.halt_children(0)
                self.last = 0
                return FAILURE
            if status is RUNNING and index >= self.last:
                self.last = index
                return RUNNING
        self.halt_children(0)
        self.last = 0
        return SUCCESS


class RecoveryNode(BtNode):
    """Two children: an action and its recovery, retried ``number_of_retries`` times.

    The first child's SUCCESS is SUCCESS. Its FAILURE ticks the recovery (the
    second child); if the recovery succeeds the first child is tried again, up
    to ``number_of_retries`` recoveries. A failed recovery, or retries used up,
    is FAILURE. A recovery that was idle and succeeded within the tick (it
    completed synchronously) is followed by RUNNING, and the action is tried
    again at the next tick: the loop yields as BehaviorTree.CPP v4's Repeat and
    RetryUntilSuccessful do, so no retry count can hold a tick (Nav2 loops
    within the tick).
    """

    def __init__(self, name, children=(), number_of_retries=1):
        super().__init__(name, children)
        self.number_of_retries = number_of_retries
        self.index = 0
        self.retries = 0

    def reset_state(self):
        """Forget the retry count."""
        self.index = 0
        self.retries = 0

    def _finish(self, status):
        self.halt_children(0)
        self.reset_state()
        return status

    def bt_tick(self):
        """Run the action/recovery loop."""
        while self.index < 2 and self.retries <= self.number_of_retries:
            started = self.child_is_idle(self.index)
            status = yield from self.tick_child(self.index)
            if self.index == 0:
                if status is SUCCESS:
                    return self._finish(SUCCESS)
                if status is RUNNING:
                    return RUNNING
                if self.retries < self.number_of_retries:
                    self.halt_child(0)
                    self.index = 1
                else:
                    return self._finish(FAILURE)
            else:
                if status is SUCCESS:
                    self.halt_child(1)
                    self.retries += 1
                    self.index = 0
                    if started:
                        self.feedback_message = f'recovery {self.retries} done; retrying'
                        return RUNNING
                elif status is FAILURE:
                    return self._finish(FAILURE)
                else:
                    return RUNNING
        return self._finish(FAILURE)


class RoundRobin(BtNode):
    """Tick one child per activation, moving on to the next child after each one ends.

    A child's SUCCESS is SUCCESS, and the next activation starts with the
    following child. A FAILURE moves on to the next child in the same tick;
    when every child failed in a row the node fails. Halting it (when it is
    RUNNING) starts it again from the first child.
    """

    def __init__(self, name, children=()):
        super().__init__(name, children)
        self.index = 0
        self.failed = 0

    def reset_state(self):
        """Start from the first child."""
        self.index = 0
        self.failed = 0

    def bt_tick(self):
        """Run the round robin."""
        count = len(self.children)
        while self.failed < count:
            status = yield from self.tick_child(self.index)
            if status is SUCCESS:
                self.failed = 0
                self.index = (self.index + 1) % count
                self.halt_children(0)
                return SUCCESS
            if status is RUNNING:
                return RUNNING
            self.index = (self.index + 1) % count
            self.failed += 1
        self.halt_children(0)
        self.reset_state()
        return FAILURE

"""Parallel with success_count / failure_count (BehaviorTree.CPP v4)."""
from orchestrator_pkg.trees.behaviour import FAILURE, RUNNING, SUCCESS, BtNode


def threshold(count: int, children: int) -> int:
    """Resolve a BT.CPP threshold: negative values count from the number of children."""
    return max(children + count + 1, 0) if count < 0 else count


class Parallel(BtNode):
    """Tick all children that have not finished; decide by counting results.

    ``success_count`` (default -1 = all children) successes make it SUCCESS;
    ``failure_count`` (default 1) failures, or too many failures for success
    to stay possible, make it FAILURE. Children that finished are not ticked
    again until the node finishes; when it does, running children are halted.
    The decision is checked after each child, so later children are not ticked
    once it is made.
    """

    def __init__(self, name, children=(), success_count=-1, failure_count=1):
        super().__init__(name, children)
        self.success_count = success_count
        self.failure_count = failure_count
        self.completed: set[int] = set()
        self.successes = 0
        self.failures = 0

    def reset_state(self):
        """Forget which children finished."""
        self.completed = set()
        self.successes = 0
        self.failures = 0

    def bt_tick(self):
        """Run the parallel."""
        count = len(self.children)
        need_success = threshold(self.success_count, count)
        need_failure = threshold(self.failure_count, count)
        for index in range(count):
            if index not in self.completed:
                status = yield from self.tick_child(index)
                if status is SUCCESS:
                    self.completed.add(index)
                    self.successes += 1
                elif status is FAILURE:
                    self.completed.add(index)
                    self.failures += 1
            if self.successes >= need_success:
                self.reset_state()
                self.reset_children()
                return SUCCESS
            if count - self.failures < need_success or self.failures >= need_failure:
                self.reset_state()
                self.reset_children()
                return FAILURE
        return RUNNING

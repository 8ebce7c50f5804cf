"""Builtin leaves of BehaviorTree.CPP v4: AlwaysSuccess, AlwaysFailure, SetBlackboard, Sleep."""
import py_trees
from py_trees.common import Status

from orchestrator_pkg.trees.failure import Failure, FailureCode
from orchestrator_pkg.trees.ports import PortError


class AlwaysSuccess(py_trees.behaviour.Behaviour):
    """Return SUCCESS."""

    def update(self) -> Status:
        """Succeed."""
        return Status.SUCCESS


class AlwaysFailure(py_trees.behaviour.Behaviour):
    """Return FAILURE."""

    def __init__(self, name: str):
        super().__init__(name)
        self.failure = Failure(code=int(FailureCode.UNKNOWN), message='AlwaysFailure failed')

    def update(self) -> Status:
        """Fail."""
        return Status.FAILURE


class SetBlackboard(py_trees.behaviour.Behaviour):
    """Copy ``value`` (a literal, or another key's value) to the key ``output_key``."""

    def __init__(self, name: str, ports):
        super().__init__(name)
        self.ports = ports
        self.failure = None

    def update(self) -> Status:
        """Write the value."""
        try:
            value = self.ports.get('value')
            self.ports.set('output_key', value)
        except PortError as exc:
            self.failure = Failure(code=int(FailureCode.INVALID_INPUT), message=str(exc))
            self.feedback_message = str(exc)
            return Status.FAILURE
        return Status.SUCCESS


class Sleep(py_trees.behaviour.Behaviour):
    """RUNNING until ``msec`` milliseconds passed on the tree's clock, then SUCCESS."""

    def __init__(self, name: str, clock, ports):
        super().__init__(name)
        self.clock = clock
        self.ports = ports
        self.deadline = 0.0
        self.failure = None

    def initialise(self) -> None:
        """Start the timer."""
        self.failure = None
        try:
            msec = self.ports.get('msec')
        except PortError as exc:
            self.failure = Failure(code=int(FailureCode.INVALID_INPUT), message=str(exc))
            self.deadline = None
            return
        self.deadline = self.clock.now() + max(0, msec) / 1000.0

    def update(self) -> Status:
        """Wait for the deadline."""
        if self.deadline is None:
            self.feedback_message = self.failure.message
            return Status.FAILURE
        if self.clock.now() >= self.deadline:
            return Status.SUCCESS
        self.feedback_message = f'sleeping, {self.deadline - self.clock.now():.3f} s left'
        return Status.RUNNING

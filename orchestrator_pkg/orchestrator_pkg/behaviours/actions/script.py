"""Script and ScriptCondition: run the safe expression language on the blackboard."""
import py_trees
from py_trees.common import Status

from orchestrator_pkg.trees.failure import Failure, FailureCode
from orchestrator_pkg.trees.script import ScriptError


class Script(py_trees.behaviour.Behaviour):
    """Run ``code`` (assignments, expressions) on the blackboard; SUCCESS unless it errs."""

    def __init__(self, name: str, code, blackboard):
        super().__init__(name)
        self.code = code
        self.blackboard = blackboard
        self.failure = None

    def update(self) -> Status:
        """Run the script."""
        try:
            self.code.run(self.blackboard)
        except ScriptError as exc:
            self.failure = Failure(code=int(FailureCode.EXCEPTION),
                                   message=f'script "{self.code}": {exc}')
            self.feedback_message = self.failure.message
            return Status.FAILURE
        return Status.SUCCESS


class ScriptCondition(py_trees.behaviour.Behaviour):
    """SUCCESS when the expression ``code`` is true, FAILURE when it is false or errs."""

    def __init__(self, name: str, code, blackboard):
        super().__init__(name)
        self.code = code
        self.blackboard = blackboard
        self.failure = None

    def update(self) -> Status:
        """Evaluate the condition."""
        try:
            if self.code.test(self.blackboard):
                return Status.SUCCESS
            self.failure = Failure(code=int(FailureCode.CONDITION_FAILED),
                                   message=f'condition "{self.code}" is false')
        except ScriptError as exc:
            self.failure = Failure(code=int(FailureCode.EXCEPTION),
                                   message=f'condition "{self.code}": {exc}')
        self.feedback_message = self.failure.message
        return Status.FAILURE

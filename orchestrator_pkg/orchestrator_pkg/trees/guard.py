"""Pre- and post-conditions (BehaviorTree.CPP v4 ``_failureIf``, ``_onSuccess``, ...).

The tree builder wraps a node that carries condition attributes in :class:`Guarded`,
which shares the node's path in failure reports.
"""
from orchestrator_pkg.trees.behaviour import FAILURE, INVALID, RUNNING, SUCCESS, BtNode
from orchestrator_pkg.trees.failure import FailureCode
from orchestrator_pkg.trees.script import ScriptError


class Guarded(BtNode):
    """Check pre-conditions before a node starts and run post-conditions when it ends.

    When the node is not already RUNNING: ``_failureIf`` true returns FAILURE
    and ``_successIf`` true returns SUCCESS, without ticking it. When it ends:
    ``_onSuccess`` / ``_onFailure`` run for that result and ``_post`` for
    either; ``_onHalted`` runs when it is halted while running. A script error
    is a FAILURE with code EXCEPTION.
    """

    def __init__(self, name, child, blackboard, conditions: dict):
        super().__init__(name, child)
        self.blackboard = blackboard
        self.conditions = conditions
        self.failure = None

    def _run_post(self, status):
        names = ('_onSuccess', '_post') if status is SUCCESS else ('_onFailure', '_post')
        for name in names:
            script = self.conditions.get(name)
            if script is not None:
                try:
                    script.run(self.blackboard)
                except ScriptError as exc:
                    return self.fail(FailureCode.EXCEPTION, f'{name} "{script}": {exc}')
        return status

    def bt_tick(self):
        """Check pre-conditions, tick the node, run post-conditions."""
        status = None
        if self.child.status is not RUNNING:
            self.failure = None
            for name, result in (('_failureIf', FAILURE), ('_successIf', SUCCESS)):
                script = self.conditions.get(name)
                if script is None:
                    continue
                try:
                    hit = script.test(self.blackboard)
                except ScriptError as exc:
                    return self.fail(FailureCode.EXCEPTION, f'{name} "{script}": {exc}')
                if hit:
                    if result is FAILURE:
                        return self._run_post(self.fail(
                            FailureCode.CONDITION_FAILED, f'{name} "{script}" is true'))
                    status = SUCCESS
                    break
        if status is None:
            status = yield from self.tick_child(0)
        if status is RUNNING:
            return RUNNING
        return self._run_post(status)

    def stop(self, new_status=INVALID):
        """Run ``_onHalted`` when the node is halted while running."""
        if new_status is INVALID and self.child.status is RUNNING:
            script = self.conditions.get('_onHalted')
            if script is not None:
                try:
                    script.run(self.blackboard)
                except ScriptError as exc:
                    self.feedback_message = f'_onHalted "{script}": {exc}'
        super().stop(new_status)

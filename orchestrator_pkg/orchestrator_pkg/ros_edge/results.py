"""The result of an accepted action goal, asked for again when its reply is lost.

rclpy's ``ClientGoalHandle.get_result_async()`` sends one get_result request;
its reply is the only way the result comes. Under load the middleware can lose
that request or its reply (seen in full runs: the orchestrator's mission ended
SUCCEEDED, the ``orchestrator run`` client never heard it and waited until its
timeout). The goal's status topic (latched) still says the goal ended, so a
goal whose status has said so for :data:`RESULT_ASK_AGAIN_S` without a result
is asked for its result again. Every client in this package that waits for a
result uses :class:`ResultRequest`: polled, never blocking.
"""
import time
from typing import Callable, Optional

from action_msgs.msg import GoalStatus

# a goal whose status says it ended but whose result has not come this long (wall
# time) had its result request or reply lost: ask for the result again
RESULT_ASK_AGAIN_S = 2.0
ENDED = (GoalStatus.STATUS_SUCCEEDED, GoalStatus.STATUS_ABORTED, GoalStatus.STATUS_CANCELED)


class ResultRequest:
    """Ask an accepted goal's result; :meth:`done` polls it and asks again when it was lost.

    Args:
        handle: the accepted goal's ``rclpy.action.client.ClientGoalHandle``.
        on_ask_again: called with the goal's final status each time the result
            is asked for again (for a warning naming the client).
        ask_again_s: how long (wall time) an ended status may go without a result.
    """

    def __init__(self, handle, on_ask_again: Optional[Callable[[int], None]] = None,
                 ask_again_s: float = RESULT_ASK_AGAIN_S, clock=time.monotonic):
        self.handle = handle
        self.future = handle.get_result_async()
        self.asked_again = 0
        self._on_ask_again = on_ask_again
        self._ask_again_s = ask_again_s
        self._clock = clock
        self._ended_seen = None

    def done(self) -> bool:
        """Whether the result came; asks again when the status ended long enough ago."""
        if self.future.done():
            return True
        status = self.handle.status
        if status not in ENDED:
            self._ended_seen = None
            return False
        now = self._clock()
        if self._ended_seen is None:
            self._ended_seen = now
        elif now - self._ended_seen > self._ask_again_s:
            self._ended_seen = now
            self.future.cancel()  # its done callback forgets the unanswered request
            self.future = self.handle.get_result_async()
            self.asked_again += 1
            if self._on_ask_again is not None:
                self._on_ask_again(status)
        return False

    def response(self):
        """Return the get_result response (``status``, ``result``); only once :meth:`done`."""
        return self.future.result()

"""Where the robot will be when the next command takes effect (latency compensation).

A controller measures the pose at the odometry's stamp, computes for a while,
publishes, and the base moves at the new command only after an actuation delay
(a velocity smoother's or base driver's tick, the drive's response). Until then
the robot drives on the commands already sent. A controller that plans from the
measured pose assumes its command acts at once; when it plans to pass an
obstacle closely (MPPI does), the robot's committed motion can carry it into
the obstacle before the change of mind arrives.

:class:`CommandHistory` keeps the commands sent with their send times and
predicts the pose at a later time by driving the measured pose along them:
the command sent at ``t`` is taken to act from ``t + actuation_delay_s`` until
the next one acts. Before the first command it knows, the robot is taken to
stand still. Pure Python; no ROS.
"""
from collections import deque
import math
from typing import Tuple

from orchestrator_pkg.planning.frames import advance

Pose2D = Tuple[float, float, float]
KEEP_S = 1.0
"""Commands that stopped acting this long (plus the delay and max_ahead_s) before the
newest was sent are dropped, so the history stays small while nothing predicts."""


class CommandHistory:
    """The commands sent (time, v, w), and the pose they lead to from a measured one."""

    def __init__(self, actuation_delay_s: float, max_ahead_s: float = 0.5):
        if not (math.isfinite(actuation_delay_s) and actuation_delay_s >= 0.0):
            raise ValueError(f'actuation_delay_s must be finite and >= 0, got {actuation_delay_s}')
        if not (math.isfinite(max_ahead_s) and max_ahead_s > 0.0):
            raise ValueError(f'max_ahead_s must be finite and > 0, got {max_ahead_s}')
        self.actuation_delay_s = float(actuation_delay_s)
        self.max_ahead_s = float(max_ahead_s)
        self._sent = deque()  # (acts_from, v, w), oldest first

    def __len__(self) -> int:
        return len(self._sent)

    def clear(self) -> None:
        """Forget the commands (the robot was driven by something else, or stopped)."""
        self._sent.clear()

    def sent(self, t: float, v: float, w: float) -> None:
        """Record a command published at time ``t`` (s); times must not go back."""
        for name, value in (('t', t), ('v', v), ('w', w)):
            if not math.isfinite(value):
                raise ValueError(f'{name} must be finite, got {value}')
        acts = t + self.actuation_delay_s
        sent = self._sent
        if sent and acts < sent[-1][0]:
            sent.clear()  # the clock went back (a sim reset): the history is void
        sent.append((acts, float(v), float(w)))
        # bounded whether or not anything predicts: a pose older than this is not
        # driven along the commands (at most max_ahead_s of them would be)
        oldest = acts - self.actuation_delay_s - KEEP_S - self.max_ahead_s
        while len(sent) > 1 and sent[1][0] <= oldest:
            sent.popleft()

    def predict(self, pose: Pose2D, stamp: float, until: float) -> Pose2D:
        """Return the pose at ``until`` of a robot measured at ``pose`` at time ``stamp``.

        At most ``max_ahead_s`` is predicted (an older pose is advanced only that
        far). Commands that stopped acting before ``stamp`` are dropped, except
        the one acting at ``stamp``.
        """
        until = min(until, stamp + self.max_ahead_s)
        sent = self._sent
        while len(sent) > 1 and sent[1][0] <= stamp:
            sent.popleft()
        x, y, yaw = pose
        t = stamp
        for i, (acts, v, w) in enumerate(sent):
            end = sent[i + 1][0] if i + 1 < len(sent) else until
            start = max(t, acts)
            end = min(end, until)
            if end > start:
                x, y, yaw = advance((x, y, yaw), v, w, end - start)
                t = end
            if end >= until:
                break
        return x, y, yaw

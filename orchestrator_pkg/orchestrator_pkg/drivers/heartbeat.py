"""A heartbeat watchdog on the caller's clock; no ROS.

base_driver holds the robot still unless a heartbeat (the orchestrator's)
arrived within ``timeout_s``. States:

* ``WAITING``: no heartbeat seen yet (at start-up) - not alive;
* ``ALIVE``: the last heartbeat is at most ``timeout_s`` old;
* ``LOST``: it is older, or the clock went back by more than ``JUMP_BACK_S``
  (a sim reset); latched until the next heartbeat.

Time is whatever the caller passes: base_driver passes its ROS clock, so
under ``use_sim_time`` the timeout is in sim seconds. A heartbeat that
arrives ends a loss at once (:meth:`beat` returns True then); what the robot
does afterwards is the caller's policy (base_driver waits for a new command).
"""
from typing import Optional

WAITING, ALIVE, LOST = 'WAITING', 'ALIVE', 'LOST'
JUMP_BACK_S = 1.0


class HeartbeatWatchdog:
    """Tracks one heartbeat; feed it beats and ask whether it is alive."""

    def __init__(self, timeout_s: float, source: str = 'heartbeat'):
        if not timeout_s > 0:
            raise ValueError(f'heartbeat timeout_s must be > 0, got {timeout_s!r}')
        self.timeout_s = float(timeout_s)
        self.source = source
        self.state = WAITING
        self.losses = 0
        self.last_beat: Optional[float] = None
        self.lost_at: Optional[float] = None
        self.last_loss = ''  # the reason of the latest loss, kept after it ended

    def beat(self, now: float) -> bool:
        """Record a heartbeat at ``now``; return True when it ends a loss."""
        recovered = self.state == LOST
        self.last_beat = now
        self.lost_at = None
        self.state = ALIVE
        return recovered

    def check(self, now: float) -> bool:
        """Return whether the heartbeat is alive at ``now`` (ALIVE -> LOST happens here)."""
        if self.state == ALIVE:
            age = now - self.last_beat
            if age > self.timeout_s or age < -JUMP_BACK_S:
                self.state = LOST
                self.lost_at = now
                self.losses += 1
                self.last_loss = self.reason
        return self.state == ALIVE

    @property
    def reason(self) -> str:
        """Why the heartbeat is not alive ('' when it is)."""
        if self.state == WAITING:
            return f'no heartbeat on {self.source} yet'
        if self.state == LOST:
            return (f'heartbeat on {self.source} lost: none for more than '
                    f'{self.timeout_s:g} s (last at t={self.last_beat:.3f} s, '
                    f'noticed at t={self.lost_at:.3f} s)')
        return ''

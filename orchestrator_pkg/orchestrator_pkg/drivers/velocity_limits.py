"""Velocity limits, a command watchdog and an e-stop for a diff-drive base; no ROS.

:class:`BaseDriverCore` is what the base_driver node runs each cycle:

* a command with a NaN or Inf is rejected, with the reason, and counts as
  no command (the watchdog keeps running);
* the output is clamped to ``[min_vel_x, max_vel_x]`` and
  ``[-max_vel_theta, max_vel_theta]``, then rate-limited by
  ``max_accel_x`` (speeding up), ``max_decel_x`` (slowing down),
  ``max_accel_theta`` and ``max_decel_theta`` (Nav2's velocity_smoother has
  both per axis too);
* when no valid command arrived within ``timeout_s``, or while the e-stop
  is engaged, the output is zero at once (not ramped: a robot stops when
  something goes wrong; the base's own traction limits how fast it does).
  After an e-stop is released the robot stays still until a new command.
* with a :class:`~orchestrator_pkg.drivers.heartbeat.HeartbeatWatchdog`
  (the orchestrator's heartbeat), the output is zero at once while the
  heartbeat is missing (mode ``NO_HEARTBEAT``), and commands that arrive
  meanwhile are dropped. Once the heartbeat is back, the next command moves
  the robot again (ramped up from zero by the acceleration limits): motion
  resumes by itself when the controller is still sending commands.
"""
from dataclasses import dataclass
import math
from typing import Optional, Tuple

from orchestrator_pkg.drivers.heartbeat import HeartbeatWatchdog

IDLE, ACTIVE, TIMEOUT, ESTOP = 'IDLE', 'ACTIVE', 'TIMEOUT', 'ESTOP'
NO_HEARTBEAT = 'NO_HEARTBEAT'


@dataclass(frozen=True)
class VelocityLimits:
    """Limits of a diff-drive base (REP-103 units)."""

    max_vel_x: float = 0.5
    min_vel_x: float = -0.25
    max_vel_theta: float = 2.0
    max_accel_x: float = 1.0
    max_decel_x: float = 2.0
    max_accel_theta: float = 3.0
    max_decel_theta: float = 3.0

    def problem(self) -> Optional[str]:
        """Return why these limits are invalid, or None when they are fine."""
        for name, value in self.__dict__.items():
            if not math.isfinite(value):
                return f'{name} must be finite, got {value!r}'
        if self.max_vel_x <= 0:
            return f'max_vel_x must be > 0, got {self.max_vel_x}'
        if self.min_vel_x > 0:
            return f'min_vel_x must be <= 0, got {self.min_vel_x}'
        for name in ('max_vel_theta', 'max_accel_x', 'max_decel_x', 'max_accel_theta',
                     'max_decel_theta'):
            if getattr(self, name) <= 0:
                return f'{name} must be > 0, got {getattr(self, name)}'
        return None


def non_finite_reason(linear: float, angular: float) -> Optional[str]:
    """Return why a command is unusable (a NaN or Inf), or None."""
    bad = [f'{name}={value}' for name, value in (('linear.x', linear), ('angular.z', angular))
           if not math.isfinite(value)]
    return f'non-finite velocity ({", ".join(bad)})' if bad else None


def _toward(current: float, target: float, up: float, down: float, up_dt: float,
            down_dt: float) -> float:
    """Move ``current`` toward ``target``: ``up*up_dt`` away from 0, ``down*down_dt`` to it.

    A reversal brakes to zero at ``down``, then speeds up the other way at
    ``up`` for the rest of the time: braking never carries the output past zero
    (that would speed up the other way at the braking rate, beyond ``up``).
    """
    if current * target < 0:
        if down <= 0.0 or abs(current) > down * down_dt:
            return current - math.copysign(down * down_dt, current)
        left = down_dt - abs(current) / down  # after reaching zero
        return _toward(0.0, target, up, down, min(left, up_dt), left)
    delta = target - current
    speeding_up = abs(target) > abs(current) and (target * current >= 0)
    step = up * up_dt if speeding_up else down * down_dt
    if abs(delta) <= step:
        return target
    return current + math.copysign(step, delta)


class BaseDriverCore:
    """Limits, watchdog and e-stop; feed it commands and ask it for the output."""

    def __init__(self, limits: VelocityLimits, timeout_s: float = 0.2,
                 heartbeat: Optional[HeartbeatWatchdog] = None,
                 max_step_s: Optional[float] = None):
        """Check the limits and the timeout.

        ``max_step_s``: the longest time one update speeds up over (None: any). A
        late update (a starved process, a sim running fast) then raises the output by
        at most the acceleration times ``max_step_s``, never by a jump; slowing down
        still uses the whole time, so a late update never stops the robot later.
        """
        problem = limits.problem()
        if problem:
            raise ValueError(problem)
        if not timeout_s > 0:
            raise ValueError(f'timeout_s must be > 0, got {timeout_s}')
        if max_step_s is not None and not max_step_s > 0:
            raise ValueError(f'max_step_s must be > 0, got {max_step_s}')
        self.limits = limits
        self.timeout_s = timeout_s
        self.max_step_s = max_step_s
        self.heartbeat = heartbeat
        self.estop = False
        self.estops = 0  # times the e-stop was engaged
        # times the command went stale while the robot moved on it (a timeout after a
        # goal's last zero command is the normal end of a stream, not counted)
        self.timeouts = 0
        self.mode = IDLE
        self.dropped = 0  # valid commands dropped while the heartbeat was missing
        self.last_reject = ''
        self.rejected = 0
        self.clamped = False
        self._target: Tuple[float, float] = (0.0, 0.0)
        self._last_cmd_time: Optional[float] = None
        self._output: Tuple[float, float] = (0.0, 0.0)

    @property
    def output(self) -> Tuple[float, float]:
        """The last output ``(v, w)``."""
        return self._output

    def command(self, linear: float, angular: float, now: float) -> Optional[str]:
        """Take a command at time ``now`` (s); return the rejection reason or None."""
        reason = non_finite_reason(linear, angular)
        if reason:
            self.rejected += 1
            self.last_reject = reason
            return reason
        if self.heartbeat is not None and not self.heartbeat.check(now):
            self.dropped += 1
            return None
        self._target = (linear, angular)
        self._last_cmd_time = now
        return None

    @property
    def stop_reason(self) -> str:
        """Why the output is held at zero ('' while ACTIVE or IDLE)."""
        if self.mode == ESTOP:
            return 'e-stop engaged'
        if self.mode == NO_HEARTBEAT:
            return self.heartbeat.reason
        if self.mode == TIMEOUT:
            return f'no command for more than {self.timeout_s:g} s'
        return ''

    def set_estop(self, engaged: bool) -> None:
        """Engage or release the e-stop; a release waits for a new command."""
        if self.estop and not engaged:
            self._last_cmd_time = None
            self._target = (0.0, 0.0)
        if engaged and not self.estop:
            self.estops += 1
        self.estop = engaged

    def drop_command(self) -> None:
        """Forget the last command (its sender is gone): zero output until a new one."""
        self._last_cmd_time = None
        self._target = (0.0, 0.0)

    def update(self, now: float, dt: float) -> Tuple[float, float]:
        """Compute the output for time ``now``, ``dt`` seconds after the last update."""
        lim = self.limits
        moving_before = self.mode == ACTIVE and self._output != (0.0, 0.0)
        alive = self.heartbeat is None or self.heartbeat.check(now)
        if not alive:  # forget the last command: only one sent after the heartbeat counts
            self._last_cmd_time = None
            self._target = (0.0, 0.0)
        if self.estop:
            self.mode = ESTOP
        elif not alive:
            self.mode = NO_HEARTBEAT
        elif self._last_cmd_time is None:
            self.mode = IDLE
        elif now - self._last_cmd_time > self.timeout_s or now < self._last_cmd_time - 1.0:
            self.mode = TIMEOUT  # (also when time jumped backwards, e.g. a sim reset)
            if moving_before:
                self.timeouts += 1
        else:
            self.mode = ACTIVE
        if self.mode != ACTIVE:
            self.clamped = False
            self._output = (0.0, 0.0)
            return self._output
        v, w = self._target
        cv = min(max(v, lim.min_vel_x), lim.max_vel_x)
        cw = min(max(w, -lim.max_vel_theta), lim.max_vel_theta)
        self.clamped = (cv, cw) != (v, w)
        dt = max(dt, 0.0)
        up_dt = dt if self.max_step_s is None else min(dt, self.max_step_s)
        ov, ow = self._output
        self._output = (_toward(ov, cv, lim.max_accel_x, lim.max_decel_x, up_dt, dt),
                        _toward(ow, cw, lim.max_accel_theta, lim.max_decel_theta, up_dt, dt))
        return self._output

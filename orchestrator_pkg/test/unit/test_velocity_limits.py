"""base_driver's pure core: clamping, acceleration limits, NaN rejection, watchdog, e-stop."""
import math

import pytest

from orchestrator_pkg.drivers.velocity_limits import (
    ACTIVE,
    ESTOP,
    IDLE,
    TIMEOUT,
    BaseDriverCore,
    VelocityLimits,
)

LIMITS = VelocityLimits(max_vel_x=0.5, min_vel_x=-0.25, max_vel_theta=2.0, max_accel_x=1.0,
                        max_decel_x=2.0, max_accel_theta=4.0, max_decel_theta=8.0)


def _run(core, v, w, start, seconds, dt=0.05):
    t = start
    out = None
    while t < start + seconds - 1e-9:
        t += dt
        core.command(v, w, t)
        out = core.update(t, dt)
    return t, out


def test_idle_until_the_first_command():
    core = BaseDriverCore(LIMITS)
    assert core.update(0.0, 0.05) == (0.0, 0.0) and core.mode == IDLE


def test_clamps_to_velocity_limits():
    core = BaseDriverCore(LIMITS)
    _, out = _run(core, 3.0, -9.0, 0.0, 3.0)
    assert out == pytest.approx((0.5, -2.0)) and core.clamped and core.mode == ACTIVE
    _, out = _run(core, -3.0, 9.0, 3.0, 3.0)
    assert out == pytest.approx((-0.25, 2.0))


def test_acceleration_and_deceleration_are_limited():
    core = BaseDriverCore(LIMITS)
    core.command(0.5, 2.0, 0.0)
    assert core.update(0.0, 0.1) == pytest.approx((0.1, 0.4))  # 1 m/s^2, 4 rad/s^2
    assert core.update(0.1, 0.1) == pytest.approx((0.2, 0.8))
    t, out = _run(core, 0.5, 2.0, 0.1, 1.0, dt=0.1)
    assert out == pytest.approx((0.5, 2.0)) and not core.clamped
    core.command(0.0, 2.0, t)
    assert core.update(t + 0.1, 0.1)[0] == pytest.approx(0.3)  # decel 2 m/s^2
    core.command(-0.25, 2.0, t + 0.1)  # through zero: decelerate first, then accelerate
    assert core.update(t + 0.2, 0.1)[0] == pytest.approx(0.1)
    # 0.05 s of braking (2 m/s^2) to zero, then 0.05 s of speeding up (1 m/s^2)
    assert core.update(t + 0.3, 0.1)[0] == pytest.approx(-0.05)
    core.command(0.0, 0.0, t + 0.3)  # a turn slows at max_decel_theta (8), not accel's 4
    assert core.update(t + 0.4, 0.1)[1] == pytest.approx(1.2)


def test_a_late_update_ramps_over_max_step_s_only():
    # base_driver passes two timer periods: a starved tick must not jump the output
    late = BaseDriverCore(LIMITS, max_step_s=0.04)
    late.command(0.5, 2.0, 0.0)
    assert late.update(0.0, 0.4) == pytest.approx((0.04, 0.16))  # 0.04 s of 1 and 4 /s^2
    anything = BaseDriverCore(LIMITS)
    anything.command(0.5, 2.0, 0.0)
    assert anything.update(0.0, 0.4) == pytest.approx((0.4, 1.6))
    # slowing down takes the whole late step: a late tick never stops the robot later
    late.command(0.0, 0.0, 0.4)
    assert late.update(0.4, 0.4) == pytest.approx((0.0, 0.0))
    with pytest.raises(ValueError, match='max_step_s'):
        BaseDriverCore(LIMITS, max_step_s=0.0)


@pytest.mark.parametrize('v, w', [(math.nan, 0.0), (0.1, math.inf), (-math.inf, math.nan)])
def test_non_finite_commands_are_rejected_with_a_reason(v, w):
    core = BaseDriverCore(LIMITS)
    _run(core, 0.3, 0.0, 0.0, 1.0)
    reason = core.command(v, w, 1.0)
    assert reason and 'non-finite' in reason and core.rejected == 1
    assert core.last_reject == reason
    assert all(math.isfinite(x) for x in core.update(1.05, 0.05))
    # a stream of bad commands counts as no command: the watchdog stops the base
    for i in range(10):
        core.command(v, w, 1.05 + 0.05 * i)
    assert core.update(1.5, 0.05) == (0.0, 0.0) and core.mode == TIMEOUT


def test_watchdog_sends_zero_when_commands_stop():
    core = BaseDriverCore(LIMITS, timeout_s=0.2)
    t, out = _run(core, 0.4, 0.5, 0.0, 2.0)
    assert out == pytest.approx((0.4, 0.5))
    assert core.update(t + 0.15, 0.15) != (0.0, 0.0)  # within the timeout: keep going
    assert core.update(t + 0.25, 0.1) == (0.0, 0.0) and core.mode == TIMEOUT
    core.command(0.1, 0.0, t + 0.3)  # commands again: moves again, ramping from zero
    assert core.update(t + 0.35, 0.05) == pytest.approx((0.05, 0.0))
    assert core.mode == ACTIVE


def test_a_stale_command_is_counted_only_when_it_cut_motion():
    core = BaseDriverCore(LIMITS, timeout_s=0.15)
    t, _ = _run(core, 0.4, 0.0, 0.0, 1.0)  # driving on a stream of commands
    assert core.update(t + 0.2, 0.2) == (0.0, 0.0) and core.mode == TIMEOUT
    assert core.update(t + 0.25, 0.05) == (0.0, 0.0)  # still stale: the same stop
    assert core.timeouts == 1
    # a stream that ends on a zero command (a goal's end) goes stale at rest: not counted
    t, out = _run(core, 0.0, 0.0, t + 0.3, 2.0)
    assert out == (0.0, 0.0) and core.mode == ACTIVE
    assert core.update(t + 0.2, 0.2) == (0.0, 0.0) and core.mode == TIMEOUT
    assert core.timeouts == 1
    # nor does a stop for another reason (the e-stop) count as a stale command
    t, _ = _run(core, 0.4, 0.0, t + 0.3, 1.0)
    core.set_estop(True)
    core.update(t + 0.2, 0.2)
    assert core.mode == ESTOP and core.timeouts == 1


def test_estop_holds_zero_until_released_and_a_new_command_arrives():
    core = BaseDriverCore(LIMITS)
    t, _ = _run(core, 0.4, 0.0, 0.0, 1.0)
    core.set_estop(True)
    t, out = _run(core, 0.4, 0.0, t, 1.0)  # commands keep coming
    assert out == (0.0, 0.0) and core.mode == ESTOP
    core.set_estop(False)
    assert core.update(t + 0.05, 0.05) == (0.0, 0.0) and core.mode == IDLE
    core.command(0.4, 0.0, t + 0.1)
    assert core.update(t + 0.15, 0.05)[0] > 0 and core.mode == ACTIVE


def test_estop_engagements_are_counted_once_each():
    core = BaseDriverCore(LIMITS)
    assert core.estops == 0
    core.set_estop(True)
    core.set_estop(True)  # still engaged (a latched topic repeats itself): not a new stop
    core.set_estop(False)
    core.set_estop(True)
    assert core.estops == 2


@pytest.mark.parametrize('change, words', [
    ({'max_vel_x': 0.0}, 'max_vel_x'), ({'min_vel_x': 0.1}, 'min_vel_x'),
    ({'max_accel_x': -1.0}, 'max_accel_x'), ({'max_vel_theta': math.nan}, 'finite'),
])
def test_bad_limits_are_refused_with_the_reason(change, words):
    limits = VelocityLimits(**{**LIMITS.__dict__, **change})
    assert words in limits.problem()
    with pytest.raises(ValueError, match=words):
        BaseDriverCore(limits)
    assert LIMITS.problem() is None


def test_a_dropped_command_stops_at_once_until_a_new_one():
    core = BaseDriverCore(LIMITS, timeout_s=5.0)  # far longer than this test waits
    t, out = _run(core, 0.4, 0.5, 0.0, 2.0)
    assert out == pytest.approx((0.4, 0.5))
    core.drop_command()  # its sender exited
    assert core.update(t + 0.02, 0.02) == (0.0, 0.0) and core.mode == IDLE
    core.command(0.1, 0.0, t + 0.05)
    assert core.update(t + 0.1, 0.05) == pytest.approx((0.05, 0.0)) and core.mode == ACTIVE


def test_a_reversal_brakes_to_zero_before_it_speeds_up_the_other_way():
    # fresh28: a turn reversed from +0.01 to -0.29 rad/s in one output (braking rate
    # carried past zero), more than max_accel_theta allows
    core = BaseDriverCore(LIMITS, max_step_s=0.04)
    t, out = _run(core, 0.0, 0.01, 0.0, 0.5, dt=0.02)
    assert out == pytest.approx((0.0, 0.01))
    core.command(0.0, -2.0, t + 0.03)
    _, w = core.update(t + 0.03, 0.03)
    # braking 0.01 rad/s at 8 rad/s^2 takes 1.25 ms; the rest at the accel limit (4)
    assert w == pytest.approx(-LIMITS.max_accel_theta * (0.03 - 0.01 / 8.0))

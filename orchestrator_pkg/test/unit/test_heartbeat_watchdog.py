"""The heartbeat watchdog and base_driver's core holding the robot when the heartbeat stops."""
import pytest

from orchestrator_pkg.drivers.heartbeat import ALIVE, LOST, WAITING, HeartbeatWatchdog
from orchestrator_pkg.drivers.velocity_limits import (
    ACTIVE,
    ESTOP,
    IDLE,
    NO_HEARTBEAT,
    BaseDriverCore,
    VelocityLimits,
)

LIMITS = VelocityLimits(max_vel_x=0.5, min_vel_x=-0.25, max_vel_theta=2.0, max_accel_x=10.0,
                        max_decel_x=10.0, max_accel_theta=40.0)
DT = 0.02


def test_not_alive_before_the_first_beat():
    dog = HeartbeatWatchdog(0.1, '/orchestrator/heartbeat')
    assert not dog.check(5.0) and dog.state == WAITING
    assert dog.reason == 'no heartbeat on /orchestrator/heartbeat yet'
    assert dog.losses == 0


def test_alive_within_the_timeout_and_lost_after_it():
    dog = HeartbeatWatchdog(0.1, 'hb')
    assert not dog.beat(1.0)
    assert dog.check(1.09) and dog.state == ALIVE and dog.reason == ''
    assert not dog.check(1.11) and dog.state == LOST and dog.losses == 1
    assert dog.lost_at == pytest.approx(1.11)
    assert 'hb lost' in dog.reason and 'more than 0.1 s' in dog.reason
    # latched: time passing does not count a second loss
    assert not dog.check(2.0) and dog.losses == 1


def test_a_beat_ends_a_loss_and_says_so():
    dog = HeartbeatWatchdog(0.1)
    dog.beat(0.0)
    dog.check(0.5)
    assert dog.beat(0.6) is True and dog.state == ALIVE and dog.reason == ''
    assert dog.last_loss.startswith('heartbeat on heartbeat lost')  # kept for the log
    assert dog.beat(0.62) is False  # an ordinary beat


def test_clock_jumping_back_counts_as_lost():
    dog = HeartbeatWatchdog(0.1)
    dog.beat(100.0)
    assert dog.check(99.5)  # small reordering is tolerated
    assert not dog.check(10.0) and dog.state == LOST


def test_bad_timeout_is_rejected():
    with pytest.raises(ValueError, match='timeout_s must be > 0, got 0'):
        HeartbeatWatchdog(0)


def _cycle(core, now, command=None):
    if command is not None:
        core.command(*command, now)
    return core.update(now, DT)


def _drive(core, dog, start, seconds, command=(0.4, 0.3), beat=True):
    """Run 50 Hz cycles: the heartbeat (when ``beat``) and a command each cycle."""
    t, out = start, None
    while t < start + seconds - 1e-9:
        t = round(t + DT, 9)
        if beat:
            dog.beat(t)
        out = _cycle(core, t, command)
    return t, out


def test_core_holds_zero_until_the_first_heartbeat():
    dog = HeartbeatWatchdog(0.1, 'hb')
    core = BaseDriverCore(LIMITS, 0.5, heartbeat=dog)
    t, out = _drive(core, dog, 0.0, 1.0, beat=False)
    assert out == (0.0, 0.0) and core.mode == NO_HEARTBEAT
    assert core.stop_reason == 'no heartbeat on hb yet'
    assert core.dropped == 50
    _, out = _drive(core, dog, t, 0.5)
    assert out == pytest.approx((0.4, 0.3)) and core.mode == ACTIVE and core.stop_reason == ''


def test_heartbeat_loss_zeroes_the_output_within_timeout_plus_one_cycle():
    dog = HeartbeatWatchdog(0.1, 'hb')
    core = BaseDriverCore(LIMITS, 0.5, heartbeat=dog)
    t, out = _drive(core, dog, 0.0, 1.0)
    assert out == pytest.approx((0.4, 0.3))
    last_beat = t
    # the orchestrator dies: commands keep coming (the controller), beats do not
    while core.output != (0.0, 0.0):
        t = round(t + DT, 9)
        _cycle(core, t, (0.4, 0.3))
        assert t - last_beat <= 0.1 + DT + 1e-9, 'still moving after timeout + one cycle'
    assert core.mode == NO_HEARTBEAT and dog.losses == 1
    assert 'lost' in core.stop_reason
    # commands are dropped while it is missing, for as long as it is missing
    t, out = _drive(core, dog, t, 2.0, beat=False)
    assert out == (0.0, 0.0) and core.mode == NO_HEARTBEAT


def test_after_the_heartbeat_returns_only_a_new_command_moves_the_robot():
    dog = HeartbeatWatchdog(0.1)
    core = BaseDriverCore(LIMITS, 0.5, heartbeat=dog)
    t, _ = _drive(core, dog, 0.0, 1.0)
    t, _ = _drive(core, dog, t, 0.5, beat=False)
    # heartbeat back, no command yet: the command from before the loss is forgotten
    t = round(t + DT, 9)
    dog.beat(t)
    assert _cycle(core, t) == (0.0, 0.0) and core.mode == IDLE
    # a fresh command moves it, ramped from zero by the acceleration limit
    t = round(t + DT, 9)
    dog.beat(t)
    v, _ = _cycle(core, t, (0.4, 0.0))
    assert core.mode == ACTIVE and 0.0 < v <= LIMITS.max_accel_x * DT + 1e-9


def test_estop_takes_precedence_and_heartbeat_loss_still_counts():
    dog = HeartbeatWatchdog(0.1)
    core = BaseDriverCore(LIMITS, 0.5, heartbeat=dog)
    t, _ = _drive(core, dog, 0.0, 0.5)
    core.set_estop(True)
    t, out = _drive(core, dog, t, 0.5, beat=False)
    assert out == (0.0, 0.0) and core.mode == ESTOP and dog.state == LOST
    core.set_estop(False)
    t, out = _drive(core, dog, t, 0.1, beat=False)
    assert out == (0.0, 0.0) and core.mode == NO_HEARTBEAT


def test_without_a_watchdog_nothing_changes():
    core = BaseDriverCore(LIMITS, 0.5)
    core.command(0.4, 0.0, 0.02)
    assert core.update(0.02, DT)[0] > 0.0 and core.mode == ACTIVE and core.dropped == 0

"""The velocity oracle's checks on made-up series (the system tests run it on real runs)."""
import math
import os

from orchestrator_pkg.testing.velocity_oracle import (
    RECORDER_LAG_S,
    RECORDER_STALE_S,
    STOP_SETTLE_S,
    Limits,
    check,
    stops,
)

LIMITS = Limits()
DT = 0.02


def _ramp(t0, v0, v1, accel, w=0.0):
    """Commands from v0 to v1 at ``accel`` m/s^2, every DT; (samples, end time)."""
    out, t, v = [], t0, v0
    step = math.copysign(accel * DT, v1 - v0)
    while abs(v1 - v) > 1e-9:
        v = v + step if abs(v1 - v) > abs(step) else v1
        t += DT
        out.append((t, v, w))
    return out, t


def _hold(t0, v, seconds, w=0.0):
    return [(t0 + DT * (i + 1), v, w) for i in range(int(seconds / DT))]


def _clean_run():
    """Speed up at the limit, cruise, step down to zero, stay still."""
    up, t = _ramp(0.0, 0.0, 0.5, LIMITS.max_accel_x)
    cruise = _hold(t, 0.5, 2.0)
    t = cruise[-1][0]
    stop = _hold(t, 0.0, 2.0)
    cmd = up + cruise + stop
    truth = [(s, v, w) for s, v, w in up + cruise]
    truth += [(s, max(0.0, 0.5 - LIMITS.max_decel_x * (s - t)), 0.0) for s, _, _ in stop]
    return cmd, truth, t


def test_a_clean_run_has_no_violation():
    cmd, truth, _ = _clean_run()
    assert check(cmd, truth, LIMITS) == []


def test_a_non_finite_command_or_truth_is_named():
    cmd, truth, _ = _clean_run()
    cmd[10] = (cmd[10][0], math.nan, 0.0)
    truth[20] = (truth[20][0], 0.1, math.inf)
    found = check(cmd, truth, LIMITS)
    assert any('cmd_vel not finite' in line for line in found), found
    assert any('ground truth not finite' in line for line in found), found


def test_commands_over_the_speed_limits():
    cmd = [(0.0, 0.0, 0.0), (0.5, 0.51, 0.0), (1.0, -0.3, 0.0), (1.5, 0.0, 2.5)]
    found = check(cmd, [], LIMITS)
    assert any('linear 0.510' in line for line in found), found
    assert any('linear -0.300' in line for line in found), found
    assert any('angular 2.500' in line for line in found), found


def test_a_command_jumping_up_is_flagged_but_a_ramp_or_a_step_to_zero_is_not():
    # message to message: base_driver rises by two periods' worth at most (x2 for a lost one)
    at_the_limit, t = _ramp(0.0, 0.0, 0.5, LIMITS.max_accel_x)  # 0.02 m/s per 50 Hz message
    assert check(at_the_limit + [(t + DT, 0.0, 0.0)], [], LIMITS) == []
    jump = [(0.0, 0.0, 0.0), (DT, 0.08, 0.0), (2 * DT, 0.3, 0.0)]
    found = check(jump, [], LIMITS)
    assert len(found) == 1 and 'max_accel_x' in found[0] and 't=0.04' in found[0], found
    turn = [(0.0, 0.0, 0.5), (DT, 0.0, 1.0), (2 * DT, 0.0, -1.5)]  # through zero: from 0
    found = check(turn, [], LIMITS)
    assert len(found) == 2 and all('max_accel_theta' in line for line in found), found
    # messages the recording missed (the publisher's sequence numbers jump): the rise of
    # that many messages; time between them does not count (late clocks stretch it)
    missed = [(0.0, 0.19, 0.0, 10), (0.05, 0.34, 0.0, 12)]  # 0.15 m/s in two messages
    assert check(missed, [], LIMITS) == []
    found = check([(0.0, 0.19, 0.0, 10), (0.2, 0.44, 0.0, 12)], [], LIMITS)
    assert len(found) == 1 and '1 not recorded between' in found[0], found
    assert check([(0.0, 0.19, 0.0, 10), (0.5, 0.34, 0.0, 11)], [], LIMITS)  # no gap: a jump


def test_motion_after_a_stop_is_flagged_with_its_time():
    cmd, truth, t_stop = _clean_run()
    late = t_stop + STOP_SETTLE_S + 0.3
    truth = [(s, 0.2 if abs(s - late) < 0.05 else v, w) for s, v, w in truth]
    found = check(cmd, truth, LIMITS)
    assert len(found) == 1 and 'after cmd_vel went to zero' in found[0], found
    assert f'at t={t_stop + DT:.2f}' in found[0], found


def test_motion_before_the_settle_time_or_after_a_new_command_is_allowed():
    cmd, truth, t_stop = _clean_run()
    coasting = t_stop + STOP_SETTLE_S - 0.05  # slowing down late, still within the settle time
    truth = [(s, max(v, 0.1) if s < coasting else v, w) for s, v, w in truth]
    assert check(cmd, truth, LIMITS) == []
    # a new command ends the stop: motion after it is not "after a stop"
    again, _ = _ramp(cmd[-1][0], 0.0, 0.3, LIMITS.max_accel_x)
    moving = [(s, v, 0.0) for s, v, _ in again]
    assert check(cmd + again, truth + moving, LIMITS) == []


def test_motion_just_before_a_late_stamped_command_is_allowed_but_not_earlier():
    # the recorder stamps a command with the /clock it last heard: under load the robot
    # moves on a command that is stamped up to RECORDER_LAG_S later
    cmd, truth, t_stop = _clean_run()
    resume = t_stop + 5.0
    still = [(t_stop + DT * i, 0.0, 0.0) for i in range(1, int(5.0 / DT))]
    again, _ = _ramp(resume, 0.0, 0.3, LIMITS.max_accel_x)
    early = resume - RECORDER_LAG_S + 0.2
    moved = [(s, 0.1 if s >= early else v, w) for s, v, w in truth + still]
    assert check(cmd + again, moved, LIMITS) == []
    too_early = resume - RECORDER_LAG_S - 0.3
    moved = [(s, 0.1 if s >= too_early else v, w) for s, v, w in truth + still]
    found = check(cmd + again, moved, LIMITS)
    assert len(found) == 1 and 'after cmd_vel went to zero' in found[0], found


def test_motion_after_the_recorder_fell_behind_is_not_judged():
    # seen under load: the recorder's process starved for 5 s; truth it took then is
    # stamped far after its receive time, and the commands it took then were timed too
    # early (a stop "lasted" through commands that moved the robot)
    cmd, truth, t_stop = _clean_run()
    late = t_stop + STOP_SETTLE_S + 0.3
    moved = [(s, 0.2 if s >= late else v, w, s) for s, v, w in truth]  # log time = stamp
    found = check(cmd, moved, LIMITS)
    assert len(found) == 1 and 'after cmd_vel went to zero' in found[0], found
    stale = [(s, v, w, log - (RECORDER_STALE_S + 0.1) if s >= late - 0.1 else log)
             for s, v, w, log in moved]
    assert check(cmd, stale, LIMITS) == []
    # but motion before the recorder fell behind still is
    early = [(s, 0.2 if s >= late - 0.2 else v, w, log) for s, v, w, log in stale]
    found = check(cmd, early, LIMITS)
    assert len(found) == 1 and 'after cmd_vel went to zero' in found[0], found


def test_stops_are_spans_of_zero_commands():
    cmd = [(0.0, 0.0, 0.0), (1.0, 0.1, 0.0), (2.0, 0.0, 0.0), (3.0, 0.0, 0.0),
           (4.0, 0.0, 0.1), (5.0, 0.0, 0.0)]
    assert stops(cmd) == [(0.0, 1.0 - RECORDER_LAG_S), (2.0, 4.0 - RECORDER_LAG_S),
                          (5.0, math.inf)]
    # messages the recording missed end a stop at the last zero before them
    cmd = [(0.0, 0.0, 0.0, 1), (1.0, 0.0, 0.0, 2), (2.0, 0.0, 0.0, 5), (3.0, 0.0, 0.0, 6)]
    assert stops(cmd) == [(0.0, 1.0), (2.0, math.inf)]


def test_motion_where_the_recording_missed_commands_is_not_judged_but_before_it_is():
    # seen in CI under load: the robot moved during a "stop" whose non-zero commands the
    # recorder never got; sequence numbers show the hole
    stop = [(t * DT, 0.0, 0.0, i + 1) for i, t in enumerate(range(100))]
    hole = 60  # messages 61..70 were not recorded
    cmd = stop[:hole] + [(t, v, w, seq + 10) for t, v, w, seq in stop[hole:]]
    last_zero, zero_again = cmd[hole - 1][0], cmd[hole][0]  # it stops within the settle time
    truth = [(t * DT, 0.2 if last_zero < t * DT < zero_again + 0.3 else 0.0, 0.0)
             for t in range(100)]
    assert check(cmd, truth, LIMITS) == []
    truth = [(t * DT, 0.2 if last_zero - 0.1 < t * DT < zero_again + 0.3 else 0.0, 0.0)
             for t in range(100)]
    found = check(cmd, truth, LIMITS)
    assert len(found) == 1 and 'after cmd_vel went to zero at t=0.00' in found[0], found


def test_the_limits_come_from_base_drivers_parameters():
    config = os.path.join(os.path.dirname(__file__), '..', '..', 'config')
    limits = Limits.from_yaml(os.path.join(config, 'base_driver.yaml'))
    assert limits == Limits(max_vel_x=0.5, min_vel_x=-0.25, max_vel_theta=2.0,
                            max_accel_x=1.0, max_decel_x=4.0, max_accel_theta=3.0,
                            max_decel_theta=10.0)
    # the robot preset's file overrides, as in the bringup; the rest stays
    jackal = Limits.from_yaml(os.path.join(config, 'base_driver.yaml'),
                              os.path.join(config, 'robots', 'jackal.yaml'))
    assert jackal == Limits(max_vel_x=2.0, min_vel_x=-1.0, max_vel_theta=4.0,
                            max_accel_x=2.0, max_decel_x=4.0, max_accel_theta=6.0,
                            max_decel_theta=10.0)

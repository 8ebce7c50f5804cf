"""planning/latency.py: the pose the commands already sent lead to."""
import math

import pytest

from orchestrator_pkg.planning.frames import advance
from orchestrator_pkg.planning.latency import CommandHistory


def test_without_commands_the_robot_stands_still():
    history = CommandHistory(0.1)
    assert history.predict((1.0, 2.0, 0.5), 3.0, 3.4) == (1.0, 2.0, 0.5)


def test_a_command_acts_only_after_the_actuation_delay():
    history = CommandHistory(0.1)
    history.sent(0.0, 1.0, 0.0)
    # acting from 0.1: 0.2 s of 1 m/s by 0.3
    x, y, yaw = history.predict((0.0, 0.0, 0.0), 0.0, 0.3)
    assert (x, y, yaw) == pytest.approx((0.2, 0.0, 0.0))
    # nothing has moved the robot yet at 0.1
    assert history.predict((0.0, 0.0, 0.0), 0.0, 0.1) == pytest.approx((0.0, 0.0, 0.0))


def test_each_command_acts_until_the_next_one_does():
    history = CommandHistory(0.1)
    history.sent(0.0, 1.0, 0.0)  # acts 0.1 .. 0.2
    history.sent(0.1, 0.0, 0.0)  # acts from 0.2
    x, _, _ = history.predict((0.0, 0.0, 0.0), 0.05, 0.5)
    assert x == pytest.approx(0.1)
    # measured after the first began to act: only its rest counts
    x, _, _ = history.predict((0.0, 0.0, 0.0), 0.15, 0.5)
    assert x == pytest.approx(0.05)


def test_arcs_follow_the_unicycle_exactly():
    history = CommandHistory(0.0)
    history.sent(0.0, 0.5, 1.0)
    history.sent(0.2, 0.5, -0.5)
    got = history.predict((1.0, -1.0, 0.3), 0.0, 0.45)
    want = advance(advance((1.0, -1.0, 0.3), 0.5, 1.0, 0.2), 0.5, -0.5, 0.25)
    assert got == pytest.approx(want)


def test_the_prediction_is_bounded_by_max_ahead():
    history = CommandHistory(0.0, max_ahead_s=0.25)
    history.sent(0.0, 2.0, 0.0)
    x, _, _ = history.predict((0.0, 0.0, 0.0), 0.0, 10.0)
    assert x == pytest.approx(0.5)


def test_commands_that_stopped_acting_before_the_stamp_are_dropped():
    history = CommandHistory(0.1)
    for k in range(100):
        history.sent(0.05 * k, 1.0, 0.0)
    history.predict((0.0, 0.0, 0.0), 4.0, 4.3)
    # the one acting at 4.0 (sent at 3.9) and the ones after it
    assert len(history) == 100 - 78
    x, _, _ = history.predict((0.0, 0.0, 0.0), 4.0, 4.3)
    assert x == pytest.approx(0.3)


def test_the_history_stays_bounded_when_nothing_predicts():
    # the controller records every command, compensation on or off
    history = CommandHistory(0.1, max_ahead_s=0.5)
    for k in range(20 * 3600):
        history.sent(0.05 * k, 1.0, 0.0)
    assert len(history) <= 2 + (0.1 + 1.0 + 0.5) / 0.05
    # the newest commands are all kept: a fresh pose is driven along them
    t = 0.05 * (20 * 3600 - 1)
    x, _, _ = history.predict((0.0, 0.0, 0.0), t - 0.4, t + 0.1)
    assert x == pytest.approx(0.5)


def test_a_clock_that_goes_back_voids_the_history():
    history = CommandHistory(0.1)
    history.sent(10.0, 1.0, 0.0)
    history.sent(1.0, 0.0, 0.5)  # the sim was reset
    assert len(history) == 1
    _, _, yaw = history.predict((0.0, 0.0, 0.0), 1.0, 1.3)
    assert yaw == pytest.approx(0.1)
    history.clear()
    assert len(history) == 0


@pytest.mark.parametrize('delay,ahead', [(-0.1, 0.5), (math.nan, 0.5), (0.1, 0.0),
                                         (0.1, math.inf)])
def test_bad_settings_are_refused(delay, ahead):
    with pytest.raises(ValueError):
        CommandHistory(delay, ahead)


@pytest.mark.parametrize('t,v,w', [(math.nan, 0.0, 0.0), (0.0, math.inf, 0.0),
                                   (0.0, 0.0, -math.inf)])
def test_non_finite_commands_are_refused(t, v, w):
    with pytest.raises(ValueError, match='must be finite'):
        CommandHistory(0.1).sent(t, v, w)

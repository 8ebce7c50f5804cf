"""Run statistics accumulate distance, collisions and battery correctly."""
import math

import numpy as np
import pytest

from orchestrator_pkg.bringup.run_stats import (
    STOPPED_BY_USER,
    LocalizationError,
    RobotRunStats,
    format_summary,
    localization_records,
    rtf_hint,
    run_outcome,
)


def test_distance_sums_steps_and_ignores_jitter_and_nan():
    stats = RobotRunStats()
    for t, (x, y) in enumerate([(0, 0), (3, 4), (3.001, 4.001), (math.nan, 1), (3, 5)]):
        stats.on_pose(float(t), x, y)
    assert math.isclose(stats.distance_m, 5.0 + math.hypot(0.0, 1.0), rel_tol=1e-3)
    assert len(stats.path) == 3


def test_collisions_keep_the_running_count_and_battery_first_and_last():
    stats = RobotRunStats(namespace='robot1')
    stats.on_collision(2)
    stats.on_collision(1)  # late, reordered message
    for fraction in (0.9, 0.8, math.nan, 0.7):
        stats.on_battery(fraction)
    assert stats.collisions == 2
    assert (stats.battery_start, stats.battery_end) == (0.9, 0.7)
    text = format_summary('SUCCEEDED', 120.0, 12.0, [stats])
    assert 'robot1: collisions  2' in text
    assert '90% -> 70%' in text
    assert 'x10.0 real time' in text


def test_collision_points_are_kept_where_they_happened():
    stats = RobotRunStats()
    stats.on_collision(1, 3.0, 1.5, -2.0, 'shelf_3')
    stats.on_collision(2, 4.0, math.nan, 0.0, 'box_1')  # no position: counted, not placed
    assert stats.collisions == 2 and stats.collision_points == [(3.0, 1.5, -2.0, 'shelf_3')]


def test_safety_stops_count_from_the_first_state_and_survive_a_restart():
    stats = RobotRunStats()
    stats.on_safety(3, 0)  # before the mission: the baseline
    stats.on_safety(5, 0)
    stats.on_safety(5, 1)
    stats.on_safety(1, 0)  # base_driver respawned: counting starts again from zero
    stats.on_safety(2, 0)
    assert (stats.heartbeat_losses, stats.estops) == (4, 1)
    text = format_summary('FAILED', 10.0, 5.0, [stats])
    assert 'safety stops  4 heartbeat lapse(s), 1 e-stop(s), 0 stale command(s)' in text
    # stale commands count the same way (a base_driver without the count says 0)
    stale = RobotRunStats()
    stale.on_safety(0, 0, 2)
    stale.on_safety(0, 0, 5)
    stale.on_safety(0, 0, 1)  # restarted
    stale.on_safety(0, 0)
    assert (stale.heartbeat_losses, stale.estops, stale.command_timeouts) == (0, 0, 4)
    assert '0 heartbeat lapse(s), 0 e-stop(s), 4 stale command(s)' in \
        format_summary('SUCCEEDED', 10.0, 5.0, [stale])
    assert 'safety stops' not in format_summary('SUCCEEDED', 10.0, 5.0, [RobotRunStats()])


def test_the_run_outcome_is_one_for_summary_and_json():
    one = {'': 'SUCCEEDED'}
    assert run_outcome('deliver', one, {}, 1) == ('SUCCEEDED', '')
    assert run_outcome('deliver', one, {}, 1, STOPPED_BY_USER) == ('CANCELED', STOPPED_BY_USER)
    assert run_outcome('deliver', {}, {}, 1, STOPPED_BY_USER) == ('CANCELED', STOPPED_BY_USER)
    assert run_outcome('deliver', {}, {}, 1, 'required node sim exited with code 1') == \
        ('FAILED', 'required node sim exited with code 1')
    failed = run_outcome('go_to', {'': 'FAILED'}, {'': 'GoTo/Follow [FollowPath] code 7: x'}, 1)
    assert failed == ('FAILED', 'GoTo/Follow [FollowPath] code 7: x')
    two = run_outcome('go_to', {'robot1': 'SUCCEEDED', 'robot2': 'REJECTED'},
                      {'robot2': 'unknown mission'}, 2)
    assert two == ('REJECTED', 'robot2: unknown mission')
    assert run_outcome('go_to', {'robot1': 'SUCCEEDED'}, {}, 2) == \
        ('FAILED', 'no mission result')
    assert run_outcome(None, {}, {}, 1, STOPPED_BY_USER) == ('NO MISSION', STOPPED_BY_USER)


def test_a_hint_when_the_machine_could_not_keep_the_rtf():
    assert rtf_hint(2.0, 100.0, 51.0) == ''  # kept
    slow = rtf_hint(2.0, 100.0, 100.0, load=12.5)
    assert 'ran the sim at x1.0 real time of the x2 asked' in slow and '--rtf 1' in slow
    assert '(load average 12.5)' in slow
    lapses = rtf_hint(2.0, 100.0, 50.0, heartbeat_losses=2356)
    assert lapses.startswith('2356 heartbeat lapse(s): the nodes fell behind the sim clock at '
                             '--rtf 2') and 'try --rtf 1' in lapses
    assert 'starved' in rtf_hint(1.0, 100.0, 100.0, heartbeat_losses=3)
    assert rtf_hint(0.0, 100.0, 10.0) == ''  # as fast as possible: nothing was asked
    text = format_summary('SUCCEEDED', 100.0, 50.0, [RobotRunStats()], hint=lapses)
    assert '  hint' in text and '2356 heartbeat lapse(s)' in text


def test_localization_error_matches_each_estimate_with_the_truth_of_its_stamp():
    loc = LocalizationError(max_dt_s=0.05, keep_s=1.0)
    assert loc.figures() is None and not loc.on_estimate(0.0, 0.0, 0.0, 0.0)  # no truth yet
    for i in range(100):  # 50 Hz truth along x, heading 3.1 rad
        loc.on_truth(i * 0.02, i * 0.01, 0.0, 3.1)
    # the truth at 1.00 s is (0.50, 0) heading 3.1: 0.1 m off, heading across the +-pi seam
    assert loc.on_estimate(1.0, 0.5, 0.1, -3.1)
    assert loc.position_m == [pytest.approx(0.1)]
    assert loc.heading_deg == [pytest.approx(np.degrees(2 * np.pi - 6.2))]
    # no truth within 50 ms (after the last sample at 1.98 s), one older than keep_s: unmatched
    assert not loc.on_estimate(2.1, 0.0, 0.0, 0.0)
    assert not loc.on_estimate(0.5, 0.25, 0.0, 3.1)
    assert not loc.on_estimate(1.5, math.nan, 0.0, 0.0)
    assert len(loc.position_m) == 1


def test_localization_error_figures_are_mean_p95_max_and_the_summary_shows_them():
    stats = RobotRunStats()
    errors = [0.01 * k for k in range(1, 21)]  # 0.01 .. 0.20 m
    for k, e in enumerate(errors):
        stats.localization.on_truth(k, 0.0, 0.0, 0.0)
        assert stats.localization.on_estimate(k, e, 0.0, math.radians(1.0))
    f = stats.localization.figures()
    assert f['poses'] == 20 and f['mean_m'] == pytest.approx(0.105, abs=1e-3)
    assert f['p95_m'] == pytest.approx(np.percentile(errors, 95), abs=1e-3)
    assert f['max_m'] == pytest.approx(0.2) and f['heading_p95_deg'] == pytest.approx(1.0)
    text = format_summary('SUCCEEDED', 10.0, 10.0, [stats])
    assert 'localization error  0.105 m mean, 0.191 m p95, 0.200 m max; heading 1.0 deg p95' \
        ' (20 poses against ground truth)' in text
    assert 'localization error' not in format_summary('SUCCEEDED', 10.0, 10.0, [RobotRunStats()])


def test_every_estimate_is_kept_for_the_picture_and_the_matched_ones_judged():
    stats = RobotRunStats()
    stats.on_estimate(0.5, 1.0, 2.0, 0.0)  # before any truth: drawn, not judged
    stats.localization.on_truth(1.0, 0.0, 0.0, 0.0)
    stats.on_estimate(1.0, 0.3, 0.4, 0.0)
    stats.on_estimate(1.1, math.nan, 0.0, 0.0)  # not a pose: neither
    assert stats.estimated_path == [(0.5, 1.0, 2.0), (1.0, 0.3, 0.4)]
    assert stats.localization.position_m == [pytest.approx(0.5)]


def test_mission_log_gets_the_localization_error_of_each_robot_with_a_localizer_only():
    judged, silent = RobotRunStats('robot1'), RobotRunStats('robot2')
    judged.localization.on_truth(1.0, 0.0, 0.0, 0.0)
    judged.on_estimate(1.0, 0.1, 0.0, 0.0)
    robots = {'robot1': judged, 'robot2': silent}
    records = localization_records('amcl', robots)
    assert records == [
        {'event': 'localization_error', 'robot': 'robot1', 'localization': 'amcl',
         'localization_error': judged.localization.figures()},
        # amcl ran but nothing was matched: an explicit null, as in summary.json
        {'event': 'localization_error', 'robot': 'robot2', 'localization': 'amcl',
         'localization_error': None}]
    assert records[0]['localization_error']['mean_m'] == pytest.approx(0.1)
    # truth localization: no localizer, nothing to log (summary.json says null)
    assert localization_records('truth', {'robot2': silent}) == []
    assert localization_records('', {'robot2': silent}) == []
    # an estimate heard all the same (a bringup that names no mode) is reported
    assert [r['robot'] for r in localization_records('', robots)] == ['robot1']

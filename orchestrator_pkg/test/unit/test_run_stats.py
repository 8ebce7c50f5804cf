"""Run statistics accumulate distance, collisions and battery correctly."""
import math

from orchestrator_pkg.bringup.run_stats import RobotRunStats, format_summary


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

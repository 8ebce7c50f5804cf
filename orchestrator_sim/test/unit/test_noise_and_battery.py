"""Odometry drift, lidar noise and the battery model (pure numpy)."""
import math

import numpy as np
import pytest

from orchestrator_sim.battery import Battery
from orchestrator_sim.noise import DriftingOdometry, OdometryNoise, lidar_noise


def _square_path(steps=400):
    poses = []
    x = y = yaw = 0.0
    for i in range(steps):
        if (i // 100) % 2 == 0:
            x += 0.01 * math.cos(yaw)
            y += 0.01 * math.sin(yaw)
        else:
            yaw += math.pi / 2 / 100
        poses.append((x, y, yaw))
    return poses


def _run(noise, seed, start=(1.0, 2.0, 0.5)):
    odom = DriftingOdometry(noise, np.random.default_rng(seed))
    odom.reset(start)
    c, s = math.cos(start[2]), math.sin(start[2])
    for px, py, pyaw in _square_path():
        truth = (start[0] + c * px - s * py, start[1] + s * px + c * py, start[2] + pyaw)
        pose = odom.update(truth, 0.02)
    return pose


def test_noise_free_odometry_started_at_the_truth_stays_on_the_truth():
    zero = OdometryNoise(0.0, 0.0, 0.0, 0.0, 0.0)
    start = (1.0, 2.0, 0.5)
    odom = DriftingOdometry(zero, np.random.default_rng(0))
    odom.reset(start, start=start)
    assert odom.pose == start
    truth = (1.0 + 0.5 * math.cos(0.5), 2.0 + 0.5 * math.sin(0.5), 0.5)  # straight ahead
    x, y, yaw = odom.update(truth, 0.02)
    assert (x, y) == pytest.approx(truth[:2], abs=1e-9)
    assert yaw == pytest.approx(truth[2], abs=1e-9)


def test_noise_free_odometry_follows_the_truth_from_its_origin():
    zero = OdometryNoise(0.0, 0.0, 0.0, 0.0, 0.0)
    x, y, yaw = _run(zero, 1)
    ex, ey, eyaw = _square_path()[-1]
    assert (x, y) == pytest.approx((ex, ey), abs=1e-9)
    assert math.cos(yaw - eyaw) == pytest.approx(1.0)


def test_noisy_odometry_drifts_and_is_reproducible_with_a_seed():
    noise = OdometryNoise()
    truth = _square_path()[-1]
    ends = [_run(noise, seed) for seed in range(20)]
    errors = [math.hypot(p[0] - truth[0], p[1] - truth[1]) for p in ends]
    assert np.mean(errors) > 0.003  # it drifts ...
    assert max(errors) < 0.5  # ... like odometry, not like a random walk of metres
    assert _run(noise, 7) == _run(noise, 7)
    assert _run(noise, 7) != _run(noise, 8)


def test_drift_grows_with_distance():
    noise = OdometryNoise(0.02, 0.02, 0.02, 0.02, 0.01)
    short, long_ = [], []
    for seed in range(30):
        odom = DriftingOdometry(noise, np.random.default_rng(seed))
        odom.reset((0.0, 0.0, 0.0))
        for i in range(1, 1001):
            pose = odom.update((i * 0.01, 0.0, 0.0), 0.02)
            if i == 100:
                short.append(math.hypot(pose[0] - 1.0, pose[1]))
        long_.append(math.hypot(pose[0] - 10.0, pose[1]))
    assert np.mean(long_) > 3 * np.mean(short)


def test_lidar_noise_follows_rep117():
    ranges = np.array([0.05, 1.0, np.inf, 9.999])
    out = lidar_noise(ranges, 0.0, np.random.default_rng(0), 0.1, 5.0)
    assert out[0] == -np.inf and out[1] == 1.0 and out[2] == np.inf and out[3] == np.inf


def test_battery_drains_more_when_moving_and_charges_on_the_dock():
    idle = Battery(100.0, 24.0, 20.0, 60.0, 150.0)
    moving = Battery(100.0, 24.0, 20.0, 60.0, 150.0)
    for _ in range(3600):
        idle.update(1.0, 0.0, False)
        moving.update(1.0, 1.0, False)
    assert idle.fraction == pytest.approx(0.8)  # 20 W for an hour of 100 Wh
    assert moving.fraction == pytest.approx(0.2)
    reading = moving.reading()
    assert reading.current < 0 and not reading.charging
    assert reading.voltage < idle.reading().voltage
    for _ in range(600):
        moving.update(1.0, 0.0, True)
    assert moving.fraction == pytest.approx(0.2 + 150 * 600 / 3600 / 100)
    assert moving.reading().charging and moving.reading().current > 0
    for _ in range(3600):
        moving.update(1.0, 0.0, True)
    assert moving.fraction == 1.0 and moving.reading().full
    for _ in range(3600 * 10):
        idle.update(1.0, 1.0, False)
    assert idle.fraction == 0.0


def test_battery_rejects_bad_construction():
    with pytest.raises(ValueError):
        Battery(0.0, 24.0, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError):
        Battery(10.0, 24.0, 1.0, 1.0, 1.0, initial_fraction=1.5)

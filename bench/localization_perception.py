#!/usr/bin/env python3
"""Particle filter update time per scan, and tracker time per detection message.

Run after ``source env.sh``::

    python bench/localization_perception.py [--scans 200] [--rounds 5]

**Filter**: one update per scan, as the localization node does it (motion
model, beam selection, likelihood-field weighting, N_eff-triggered KLD
resampling) on a 6.4 x 6.4 m room map at 5 cm, 360-beam scans thinned to
``laser_max_beams`` = 60, while the simulated robot drives a loop. Measured at
500 and 2,000 particles (min_particles = max_particles, so the count stays
fixed), interleaved in rounds so machine load hits both alike. The figure is
the median (and p90) over all scans; it is compared with the scan period of
the small_indoor lidar (10 Hz: 100 ms) and the jackal's (10 Hz) as a ratio,
and 2,000 against 500 (same run).

**Baseline, same run**: the naive weighting, one beam at a time in a Python
loop (numpy over the particles), on the same scans at 2,000 particles; its
weights are checked equal to the filter's before any time is printed, so the
ratio compares the same computation.

**KLD in the bringup**: the bringup's own ``config/localization.yaml``
(min/max particles, KLD error and quantile) on the same drive, started at the
true pose with its initial spread: the particle count after each resampling
(median, min, max), i.e. how far KLD brings 2,000 down once the cloud is tight.

**Tracker**: 50 tracked objects, every message carries a detection of each
(with noise), against the camera period (5 Hz: 200 ms), and against 5
objects in the same run.
"""
import argparse
import math
import statistics
import time

from ament_index_python.packages import get_package_share_directory
import numpy as np
import yaml

from orchestrator_pkg.localization.particle_filter import FilterParams, ParticleFilter
from orchestrator_pkg.perception.tracker import CameraModel, Observation, Tracker

RES = 0.05
SCAN_PERIOD_S = 0.1     # small_indoor and jackal lidars: 10 Hz
CAMERA_PERIOD_S = 0.2   # small_indoor logical camera: 5 Hz


def room():
    """Return a 6.4 m square room with an inner wall, as an int8 occupancy grid."""
    n = int(6.4 / RES)
    grid = np.zeros((n, n), dtype=np.int8)
    grid[:2, :] = grid[-2:, :] = grid[:, :2] = grid[:, -2:] = 100
    grid[int(2.2 / RES):int(4.2 / RES), int(4.7 / RES):int(4.8 / RES)] = 100
    return grid, -3.2, -3.2


def scans(grid, ox, oy, count):
    """Yield (odom_prev, odom_now, ranges) along a circle, ranges by ray marching."""
    angles = np.linspace(-math.pi, math.pi, 360, endpoint=False)
    steps = np.arange(0.0, 8.0, 0.02)
    rng = np.random.default_rng(0)
    prev = (0.0, -1.0, 0.0)
    out = []
    for k in range(count):
        a = 0.1 * (k + 1)
        now = (math.sin(a), -math.cos(a), a)
        xs = now[0] + steps[None, :] * np.cos(now[2] + angles)[:, None]
        ys = now[1] + steps[None, :] * np.sin(now[2] + angles)[:, None]
        col = np.clip(((xs - ox) / RES).astype(int), 0, grid.shape[1] - 1)
        row = np.clip(((ys - oy) / RES).astype(int), 0, grid.shape[0] - 1)
        hit = grid[row, col] >= 65
        r = np.where(hit.any(axis=1), steps[hit.argmax(axis=1)], np.inf)
        out.append((prev, now, r + rng.normal(0.0, 0.01, r.shape)))
        prev = now
    return out


def filter_times(n, grid, ox, oy, data):
    """Return per-scan update times (s) with ``n`` particles."""
    pf = ParticleFilter(FilterParams(min_particles=n, max_particles=n), seed=1)
    pf.set_map(grid, RES, ox, oy)
    pf.initialize((0.0, -1.0, 0.0))
    times = []
    for prev, now, ranges in data:
        t0 = time.perf_counter()
        pf.predict(prev, now)
        beams, angles = pf.select_beams(ranges, -math.pi, 2 * math.pi / 360, 0.12, 8.0)
        pf.update(beams, angles, 8.0)
        pf.resample_if_needed()
        pf.estimate()
        times.append(time.perf_counter() - t0)
    return times


def naive_weights(pf, ranges, angles, range_max):
    """Weigh like the filter, one beam at a time: the baseline (normalized weights)."""
    prm, p = pf.params, pf.particles
    total = np.zeros(len(p))
    for r, a in zip(ranges, angles, strict=True):
        ex = p[:, 0] + r * np.cos(p[:, 2] + a)
        ey = p[:, 1] + r * np.sin(p[:, 2] + a)
        pz = prm.z_hit * pf.field.hit_likelihood(ex, ey, prm.sigma_hit) + prm.z_rand / range_max
        total += pz ** 3
    w = pf.weights * (1.0 + total)
    return w / w.sum()


def weighting_times(n, grid, ox, oy, data):
    """Per-scan times (s) of the filter's weighting and of the naive loop, same scans."""
    pf = ParticleFilter(FilterParams(min_particles=n, max_particles=n), seed=1)
    pf.set_map(grid, RES, ox, oy)
    pf.initialize((0.0, -1.0, 0.0))
    fast, slow = [], []
    for prev, now, ranges in data:
        pf.predict(prev, now)
        beams, angles = pf.select_beams(ranges, -math.pi, 2 * math.pi / 360, 0.12, 8.0)
        t0 = time.perf_counter()
        expected = naive_weights(pf, beams, angles, 8.0)
        slow.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        pf.update(beams, angles, 8.0)
        fast.append(time.perf_counter() - t0)
        assert np.allclose(pf.weights, expected, rtol=1e-9, atol=1e-15), 'not the same weights'
        pf.resample_if_needed()
    return fast, slow


def bringup_params():
    """FilterParams from the bringup's config/localization.yaml (the amcl node's file)."""
    path = f"{get_package_share_directory('orchestrator_pkg')}/config/localization.yaml"
    with open(path) as f:
        values = yaml.safe_load(f)['amcl']['ros__parameters']
    fields = FilterParams.__dataclass_fields__
    return FilterParams(**{k: v for k, v in values.items() if k in fields}), values


def kld_counts(grid, ox, oy, data):
    """Particle counts after each resampling with the bringup's parameters."""
    params, values = bringup_params()
    pf = ParticleFilter(params, seed=1)
    pf.set_map(grid, RES, ox, oy)
    pf.initialize((0.0, -1.0, 0.0), values.get('initial_cov_xx', 0.25),
                  values.get('initial_cov_yy', 0.25), values.get('initial_cov_aa', 0.0685))
    counts = []
    for prev, now, ranges in data:
        pf.predict(prev, now)
        beams, angles = pf.select_beams(ranges, -math.pi, 2 * math.pi / 360, 0.12, 8.0)
        pf.update(beams, angles, 8.0)
        if pf.resample_if_needed():
            counts.append(len(pf.particles))
    return params, counts


def tracker_times(n_objects, frames):
    """Return per-message times (s) of a tracker following ``n_objects`` objects."""
    rng = np.random.default_rng(2)
    xy = rng.uniform(-2.5, 2.5, (n_objects, 2)) + np.array([3.0, 0.0])
    classes = ['box', 'can', 'crate', 'bottle', 'ball']
    colors = ['red', 'green', 'blue']
    tracker = Tracker(CameraModel(horizontal_fov=math.pi, near=0.05, far=10.0), gate_m=0.3)
    times = []
    for k in range(frames):
        noisy = xy + rng.normal(0.0, 0.02, xy.shape)
        obs = [Observation(classes[i % 5], colors[i % 3], float(x), float(y), source_id=str(i))
               for i, (x, y) in enumerate(noisy)]
        t0 = time.perf_counter()
        tracker.update(obs, (0.0, 0.0, 0.0), 0.2 * k)
        times.append(time.perf_counter() - t0)
    assert len(tracker.tracks) == n_objects, len(tracker.tracks)
    return times


def line(label, times, period):
    """Format median / p90 and the ratio to ``period``."""
    med = statistics.median(times)
    p90 = sorted(times)[int(0.9 * (len(times) - 1))]
    return (f'{label:<34} median {1e3 * med:7.2f} ms  p90 {1e3 * p90:7.2f} ms  '
            f'= {100 * med / period:5.1f} % of the {1e3 * period:.0f} ms period'), med


def main():
    """Run both benchmarks and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--scans', type=int, default=200)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--frames', type=int, default=200)
    args = parser.parse_args()
    grid, ox, oy = room()
    t0 = time.perf_counter()
    ParticleFilter(FilterParams()).set_map(grid, RES, ox, oy)
    field_s = time.perf_counter() - t0
    data = scans(grid, ox, oy, args.scans)
    small, large = [], []
    for _ in range(args.rounds):
        small += filter_times(500, grid, ox, oy, data)
        large += filter_times(2000, grid, ox, oy, data)
    print(f'particle filter: {len(small)} scans per size, 60 of 360 beams, map '
          f'{grid.shape[1]} x {grid.shape[0]} cells (likelihood field built in '
          f'{1e3 * field_s:.1f} ms)')
    text, m500 = line('  update, 500 particles', small, SCAN_PERIOD_S)
    print(text)
    text, m2000 = line('  update, 2000 particles', large, SCAN_PERIOD_S)
    print(text)
    print(f'  ratio 2000 / 500 particles: {m2000 / m500:.2f}')
    fast, slow = [], []
    for _ in range(args.rounds):
        f, sl = weighting_times(2000, grid, ox, oy, data)
        fast += f
        slow += sl
    print('weighting alone, 2000 particles (same scans, same weights):')
    text, mf = line('  vectorized (the filter)', fast, SCAN_PERIOD_S)
    print(text)
    text, ms = line('  naive per-beam loop (baseline)', slow, SCAN_PERIOD_S)
    print(text)
    print(f'  ratio baseline / filter: {ms / mf:.1f}')
    params, counts = kld_counts(grid, ox, oy, data)
    print(f'KLD with config/localization.yaml (min {params.min_particles}, max '
          f'{params.max_particles}, pf_err {params.pf_err}, pf_z {params.pf_z}): '
          f'{len(counts)} resamplings, particles median {statistics.median(counts):.0f}, '
          f'min {min(counts)}, max {max(counts)}')
    few, many = [], []
    for _ in range(args.rounds):
        few += tracker_times(5, args.frames)
        many += tracker_times(50, args.frames)
    print(f'tracker: {len(many)} messages per size, every object detected in every message')
    text, m5 = line('  update, 5 objects', few, CAMERA_PERIOD_S)
    print(text)
    text, m50 = line('  update, 50 objects', many, CAMERA_PERIOD_S)
    print(text)
    print(f'  ratio 50 / 5 objects: {m50 / m5:.2f}')


if __name__ == '__main__':
    main()

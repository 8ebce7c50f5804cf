#!/usr/bin/env python3
"""Global localization in the warehouse: amcl's scan search against the uniform spread.

Run after ``source env.sh``::

    python bench/global_localization.py [--spots 20] [--seed 3]

For each of ``--spots`` random poses in the warehouse (free, 0.5 m from any
obstacle), the robot is "kidnapped" there and the filter is reinitialized
globally, twice in the same run, with the same scans and odometry:

* **uniform** (the baseline; AMCL's reinitialize_global_localization):
  ``global_localization_particles`` (5,000) spread over the free space;
* **search** (amcl's default, ``global_search: true``): the first scan matched
  against every pose of a 0.2 m x 5 degree grid over the map
  (``scan_search``), the particles drawn around the best poses.

Then the robot does Relocalize's moves (missions/relocalize.xml) in short form:
a quarter turn, 0.5 m ahead, another quarter turn, one filter update every
step (25 updates), with a 3 % odometry scale error and noise. Scans come from
a ray-marching oracle on the warehouse map (1 cm steps, 1 cm noise), not from
the filter's likelihood field.

Printed: per method, how many spots ended within 0.3 m and 10 degrees of the
truth, the median final error, and the updates until the estimate was first
and stayed within those bounds; the search's time (median, max) against the
uniform spread's and against the lidar's scan period (100 ms; it runs in a
worker thread, the filter keeps updating meanwhile).
"""
import argparse
import math
import statistics
import time

import numpy as np

from orchestrator_pkg.localization.particle_filter import (
    FilterParams,
    ParticleFilter,
    SearchParams,
    scan_search,
)
from orchestrator_pkg.planning.world_map import world_occupancy
from orchestrator_pkg.testing.raycast import free_poses, ray_ranges

ANGLES = np.linspace(-math.pi, math.pi, 360, endpoint=False)
MOVES = [(0.0, math.pi / 20)] * 10 + [(0.1, 0.0)] * 5 + [(0.0, math.pi / 20)] * 10
GOOD_M, GOOD_RAD = 0.3, math.radians(10.0)
SCAN_PERIOD_S = 0.1
TEMPERATURE = 0.1  # config/localization.yaml global_search_temperature


def scan(omap, pose, rng):
    """Return a 360-beam scan from ``pose`` by the ray-marching oracle (1 cm noise)."""
    return ray_ranges(omap.data, omap.resolution, omap.origin_x, omap.origin_y, pose, ANGLES,
                      noise=0.01, rng=rng)


def relocalize(omap, truth, method, seed):
    """Return (final error m, final error rad, updates to settle or None, setup seconds)."""
    pf = ParticleFilter(FilterParams(), seed=seed)
    pf.set_map(omap.data, omap.resolution, omap.origin_x, omap.origin_y)
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    if method == 'uniform':
        pf.global_localization()
    else:
        ranges, angles = pf.select_beams(scan(omap, truth, rng), -math.pi, 2 * math.pi / 360,
                                         0.12, 8.0)
        poses, scores = scan_search(pf.field, ranges, angles, 8.0, pf.params)
        search = SearchParams()
        pf.seed(poses, scores, TEMPERATURE, search.step_m / 2, math.pi / search.yaw_bins)
    setup_s = time.perf_counter() - start
    truth = list(truth)
    odom = [0.0, 0.0, 0.0]
    good = []
    for dist, rot in MOVES:
        prev = tuple(odom)
        for pose, d, r in ((truth, dist, rot),
                           (odom, dist * 1.03 + rng.normal(0, 0.005),
                            rot * 1.03 + rng.normal(0, 0.005))):
            pose[2] += r / 2
            pose[0] += d * math.cos(pose[2])
            pose[1] += d * math.sin(pose[2])
            pose[2] += r / 2
        pf.predict(prev, tuple(odom))
        ranges, angles = pf.select_beams(scan(omap, truth, rng), -math.pi, 2 * math.pi / 360,
                                         0.12, 8.0)
        pf.update(ranges, angles, 8.0)
        pf.resample_if_needed()
        (x, y, yaw), _ = pf.estimate()
        e = math.hypot(x - truth[0], y - truth[1])
        a = abs(math.atan2(math.sin(yaw - truth[2]), math.cos(yaw - truth[2])))
        good.append(e < GOOD_M and a < GOOD_RAD)
    settled = None
    for k in range(len(good)):
        if all(good[k:]):
            settled = k + 1
            break
    return e, a, settled, setup_s


def main():
    """Relocalize from each spot both ways and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--spots', type=int, default=20)
    parser.add_argument('--seed', type=int, default=3)
    args = parser.parse_args()
    omap = world_occupancy('warehouse', 0.18)
    probe = ParticleFilter(FilterParams())
    probe.set_map(omap.data, omap.resolution, omap.origin_x, omap.origin_y)
    poses = free_poses(probe.field, args.spots, args.seed)
    results = {'uniform': [], 'search': []}
    for i, truth in enumerate(poses):
        for method in results:  # interleaved: machine load hits both alike
            results[method].append(relocalize(omap, truth, method, seed=i + 1))
    print(f'global localization in the warehouse, {len(poses)} spots (seed {args.seed}), '
          f'{len(MOVES)} updates of Relocalize-style motion each')
    for method, rows in results.items():
        ok = sum(1 for e, a, _s, _t in rows if e < GOOD_M and a < GOOD_RAD)
        settled = [s for _e, _a, s, _t in rows if s is not None]
        print(f'  {method:8s} within {GOOD_M} m / {math.degrees(GOOD_RAD):.0f} deg at the end: '
              f'{ok}/{len(rows)}; median final error {statistics.median(r[0] for r in rows):.2f} m'
              f'; settled (and stayed) after a median of '
              f'{statistics.median(settled) if settled else float("nan"):.0f} updates '
              f'({len(settled)} settled)')
    search_s = [t for _e, _a, _s, t in results['search']]
    uniform_s = [t for _e, _a, _s, t in results['uniform']]
    print(f'  search time: median {statistics.median(search_s) * 1e3:.0f} ms, max '
          f'{max(search_s) * 1e3:.0f} ms = {statistics.median(search_s) / SCAN_PERIOD_S:.1f} '
          f'scan periods (in a worker thread); the uniform spread: median '
          f'{statistics.median(uniform_s) * 1e3:.1f} ms (ratio '
          f'{statistics.median(search_s) / statistics.median(uniform_s):.0f}x)')


if __name__ == '__main__':
    main()

"""Navigation benchmarks: planner, costmap update and controller cycle times.

Each figure is compared with a baseline measured in the same run:
- planner: our A* (windowed, flat integer lists kept between plans) against a plain heapq A*
  (tuples, dicts, bounds checks) on the same grids, with identical step costs,
  on fixed-seed 200x200 and 400x400 grids (5 cm cells, 20 % clutter), on a BARN
  world rasterized at 5 cm over 10 x 15 m, and on the 30 x 30 m (600x600)
  global costmap of a BARN run from scans;
- costmap: one scan update (ray-traced clearing, marking, inflation) against
  the scan period;
- controller: one regulated-pure-pursuit cycle against the control period.

Run after ``source env.sh``:  python bench/nav_bench.py [--repeats N] [--world FILE] [--cpu]

``--cpu`` times with this process's CPU time instead of the wall clock: on a
shared, loaded machine the wall clock mostly measures the other jobs.
"""
import argparse
import heapq
import math
import os
import statistics
import time

import numpy as np

from orchestrator_pkg.planning import controller as rpp
from orchestrator_pkg.planning import planner
from orchestrator_pkg.planning.costmap import (
    LETHAL_OBSTACLE,
    Costmap2D,
    InflationParams,
    LaserScanData,
    LayeredCostmap,
    footprint_radii,
    inflate,
    rectangle_footprint,
)
from orchestrator_pkg.planning.world_map import rasterize_discs, read_cylinders

BARN = '/work/shared/benchmarks/barn/worlds/world_0.world'
CLOCK = {'wall': time.perf_counter}  # --cpu: time.process_time
FOOTPRINT = rectangle_footprint(0.508, 0.430)


def baseline_astar(mult, start, goal):
    """Plain heapq A*: (col, row) tuples, dict g-scores, bounds checks, octile heuristic."""
    h, w = mult.shape
    grid = mult.tolist()
    lo = float(np.min(mult[np.isfinite(mult)]))
    moves = [(1, 0, 1.0), (-1, 0, 1.0), (0, 1, 1.0), (0, -1, 1.0), (1, 1, math.sqrt(2)),
             (1, -1, math.sqrt(2)), (-1, 1, math.sqrt(2)), (-1, -1, math.sqrt(2))]

    def heuristic(c, r):
        dx, dy = abs(c - goal[0]), abs(r - goal[1])
        return lo * (max(dx, dy) + (math.sqrt(2) - 1) * min(dx, dy))

    g = {start: 0.0}
    parent = {start: None}
    heap = [(heuristic(*start), start)]
    closed = set()
    while heap:
        _, cur = heapq.heappop(heap)
        if cur in closed:
            continue
        if cur == goal:
            break
        closed.add(cur)
        c, r = cur
        for dc, dr, length in moves:
            nc, nr = c + dc, r + dr
            if not (0 <= nc < w and 0 <= nr < h) or math.isinf(grid[nr][nc]):
                continue
            if dc and dr and (math.isinf(grid[r][nc]) or math.isinf(grid[nr][c])):
                continue
            ng = g[cur] + length * grid[nr][nc]
            if ng < g.get((nc, nr), math.inf):
                g[(nc, nr)] = ng
                parent[(nc, nr)] = cur
                heapq.heappush(heap, (ng + heuristic(nc, nr), (nc, nr)))
    if goal not in parent:
        return None, math.inf
    return parent, g[goal]


def median_time(fn, repeats):
    """Run ``fn`` ``repeats`` times; return the median wall time and the last output."""
    times = []
    out = None
    clock = CLOCK['wall']
    for _ in range(repeats):
        t0 = clock()
        out = fn()
        times.append(clock() - t0)
    return statistics.median(times), out


def clutter_costmap(n, seed):
    """N x N costmap (5 cm) with 20 % random lethal cells, corners kept free."""
    rng = np.random.default_rng(seed)
    cm = Costmap2D(n, n, 0.05)
    cm.data[rng.random((n, n)) < 0.20] = LETHAL_OBSTACLE
    cm.data[:3, :3] = 0
    cm.data[-3:, -3:] = 0
    return cm


def barn_costmap(world):
    """BARN world rasterized at 5 cm over 10 x 15 m, inflated for the Jackal."""
    discs = read_cylinders(world)
    omap = rasterize_discs(discs, -7.25, -0.5, 200, 300, 0.05)
    cm = Costmap2D(200, 300, 0.05, -7.25, -0.5)
    cm.data[omap.data == 100] = LETHAL_OBSTACLE
    inscribed, _ = footprint_radii(FOOTPRINT)
    cm.data = inflate(cm.data, 0.05, InflationParams(inscribed, 0.55, 3.0))
    return cm, discs


def bench_planner(name, cm, start_xy, goal_xy, params, repeats):
    """Time our planner and the baseline on one problem; check they agree on the cost.

    ``search cold``: a fresh search grid each time (costs -> lists -> A*), what
    a single plan pays. ``search kept``: one grid kept between plans, as the
    planner server does; before each plan about 300 cells change (a scan's
    worth), so the grid is updated where they changed and searched again to the
    same goal. ``plan+smooth``: the whole cold ``planner.plan``.
    """
    ours_t, res = median_time(lambda: planner.plan(cm, start_xy, goal_xy, params), repeats)
    mult = planner._step_multipliers(cm.data, params)
    sc, sr, _ = cm.world_to_cell(*start_xy)
    gc, gr, _ = cm.world_to_cell(*goal_xy)
    start, goal = (int(sc), int(sr)), (int(gc), int(gr))
    base_t, (_, base_cost) = median_time(lambda: baseline_astar(mult, start, goal), repeats)

    def cold():
        grid = planner.SearchGrid()
        grid.sync(cm.data, params)
        return grid.search(start, goal)
    cold_t, raw = median_time(cold, repeats)
    kept = planner.SearchGrid()
    kept.sync(cm.data, params)
    kept.search(start, goal)
    rng = np.random.default_rng(1)
    scans = []
    for _ in range(repeats):
        scan = cm.data.copy()
        idx = rng.choice(scan.size, 300, replace=False)
        scan.ravel()[idx] = np.where(scan.ravel()[idx] == LETHAL_OBSTACLE, 0, LETHAL_OBSTACLE)
        scan[sr, sc] = cm.data[sr, sc]
        scan[gr, gc] = cm.data[gr, gc]
        scans.append(scan)
    counter = iter(range(repeats))

    def warm():
        kept.sync(scans[next(counter)], params)  # ~600 cells differ from the last scan
        return kept.search(start, goal)
    warm_t, _ = median_time(warm, repeats)
    cells = raw[0]
    ours_cost = sum(
        (math.sqrt(2) if (a[0] != b[0] and a[1] != b[1]) else 1.0) * mult[b[1], b[0]]
        for a, b in zip(cells[:-1], cells[1:], strict=True)) if cells else math.inf
    agree = 'same cost' if math.isclose(ours_cost, base_cost, rel_tol=1e-6) else \
        f'COST MISMATCH {ours_cost:.3f} vs {base_cost:.3f}'
    print(f'{name:<28} search cold {cold_t * 1e3:7.1f} ms ({base_t / cold_t:4.2f}x)  '
          f'kept {warm_t * 1e3:7.1f} ms ({base_t / warm_t:4.2f}x)  '
          f'plan+smooth {ours_t * 1e3:7.1f} ms  baseline {base_t * 1e3:7.1f} ms  '
          f'({res.error_code}, {agree}, {raw[1]} expansions)')


def disc_scan(discs, x, y, yaw, n=720, range_max=10.0):
    """Ray-cast a 360 deg scan against discs (x, y, r)."""
    angles = yaw - math.pi + (2 * math.pi / n) * np.arange(n)
    dx, dy = np.cos(angles)[:, None], np.sin(angles)[:, None]
    ox, oy = discs[:, 0][None, :] - x, discs[:, 1][None, :] - y
    b = dx * ox + dy * oy
    c = ox * ox + oy * oy - discs[:, 2][None, :] ** 2
    disc = b * b - c
    t = np.where((disc >= 0) & (b > 0), b - np.sqrt(np.maximum(disc, 0)), np.inf)
    r = t.min(axis=1)
    r[r > range_max] = np.inf
    return LaserScanData(r, -math.pi, 2 * math.pi / n, 0.1, range_max)


def bench_costmap(discs, repeats):
    """Time one scan update of a local and a global costmap."""
    scan = disc_scan(discs, -2.25, 3.0, math.pi / 2)
    inscribed, _ = footprint_radii(FOOTPRINT)
    infl = InflationParams(inscribed, 0.55, 3.0)
    for name, cm, rolling in (('local 6x6 m rolling', Costmap2D(120, 120, 0.05), True),
                              ('global 30x30 m', Costmap2D(600, 600, 0.05, -17.25, -12.0),
                               False)):
        layers = LayeredCostmap(cm, infl, 4.0, 5.0, rolling_window=rolling)

        def update(layers=layers):
            layers.update_origin(-2.25, 3.0)
            layers.update_scan(scan, -2.25, 3.0, math.pi / 2)
        t, _ = median_time(update, repeats)
        print(f'costmap {name:<22} {t * 1e3:7.2f} ms per 720-beam scan; scan period 100 ms '
              f'-> {t / 0.1 * 100:5.1f} % of the period')


def bench_controller(cm, path, repeats):
    """Time one controller cycle."""
    ctl = rpp.RegulatedPurePursuit(rpp.ControllerParams(), FOOTPRINT)
    ctl.set_path(path)
    x, y = path[min(20, len(path) - 1)]
    t, _ = median_time(lambda: ctl.compute(x, y, math.pi / 2, 1.0, 0.0, 0.05, cm), repeats)
    print(f'controller cycle              {t * 1e3:7.2f} ms; control period 50 ms (20 Hz) '
          f'-> {t / 0.05 * 100:5.1f} % of the period')


def main():
    """Run every benchmark and print one line per figure."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--world', default=BARN)
    parser.add_argument('--cpu', action='store_true',
                        help='time with process CPU time instead of the wall clock')
    args = parser.parse_args()
    if args.cpu:
        CLOCK['wall'] = time.process_time
    print(f'times: median of {args.repeats}, {"process CPU" if args.cpu else "wall"} time')
    shortest = planner.PlannerParams(cost_weight=0.0, smooth=True, timeout_s=60.0)
    for n in (200, 400):
        cm = clutter_costmap(n, seed=n)
        bench_planner(f'{n}x{n} 20% clutter', cm, (0.025, 0.025),
                      ((n - 0.5) * 0.05, (n - 0.5) * 0.05), shortest, args.repeats)
    if not os.path.exists(args.world):
        print(f'{args.world}: not found; BARN figures skipped')
        return 0
    cm, discs = barn_costmap(args.world)
    aware = planner.PlannerParams(cost_weight=3.0, smooth=True, timeout_s=60.0)
    bench_planner(f'BARN {os.path.basename(args.world)} 200x300', cm, (-2.25, 3.0),
                  (-2.25, 13.0), aware, args.repeats)
    glob = Costmap2D(600, 600, 0.05, -17.25, -7.0)
    glob.data[:] = cm.costs_at(*glob.cell_to_world(*np.meshgrid(np.arange(600), np.arange(600))),
                               outside=0)
    bench_planner('BARN world_0 in 600x600', glob, (-2.25, 3.0), (-2.25, 13.0), aware,
                  args.repeats)
    bench_costmap(discs, args.repeats)
    res = planner.plan(cm, (-2.25, 3.0), (-2.25, 13.0), aware)
    if res.ok:
        bench_controller(cm, res.path, args.repeats * 20)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())

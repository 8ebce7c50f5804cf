"""BARN worlds with a kinematic Jackal: the pure planner + controller + costmaps, closed loop.

This is a proxy, not the BARN benchmark: the robot is an ideal unicycle (the
command is the motion, no dynamics, no wheel slip), the lidar is ray-cast
against the world's cylinders, and a collision is the exact footprint
rectangle overlapping a cylinder. It shows whether the algorithms hold up in
the BARN clutter before the MuJoCo sim exists; the real figures must come
from the sim through navigate_to_pose.

Per world: no prior map; a global costmap from scans alone (A* replans at
1 Hz), a rolling 6 x 6 m local costmap (10 Hz scans, 270 deg, 720 beams) and
regulated pure pursuit at 20 Hz. If the controller sees a collision ahead it
asks for a new plan at once; blocked for more than 2 s, the global obstacles
are cleared and it backs up 0.3 m. Success: within 1 m of the goal inside
100 s without collision; metric as in the BARN README. A same-run baseline is
the straight line to the goal (plan once, no replanning), which shows what the
replanning buys.

Run after ``source env.sh``:
    python bench/barn_kinematic.py [--worlds DIR] [--indices 0,2,4] [--limit N]
"""
import argparse
import math
import os
import statistics
import time

import numpy as np

from orchestrator_pkg.planning import controller as rpp
from orchestrator_pkg.planning import planner
from orchestrator_pkg.planning.costmap import (
    Costmap2D,
    InflationParams,
    LaserScanData,
    LayeredCostmap,
    footprint_radii,
    rectangle_footprint,
)
from orchestrator_pkg.planning.world_map import read_cylinders

WORLDS = '/work/shared/benchmarks/barn/worlds'
PATHS = '/work/shared/benchmarks/barn/path_files'
START = (-2.25, 3.0, math.pi / 2)
GOAL = (-2.25, 13.0)
LENGTH, WIDTH = 0.508, 0.430
DT = 0.05
FOV = math.radians(270.0)


def lidar(discs, x, y, yaw, n=720, fov=FOV, range_max=30.0):
    """Ray-cast the Jackal's 270 deg lidar against discs (x, y, r)."""
    inc = fov / (n - 1)
    angles = yaw - fov / 2 + inc * np.arange(n)
    dx, dy = np.cos(angles)[:, None], np.sin(angles)[:, None]
    ox, oy = discs[:, 0][None, :] - x, discs[:, 1][None, :] - y
    b = dx * ox + dy * oy
    c = ox * ox + oy * oy - discs[:, 2][None, :] ** 2
    disc = b * b - c
    t = np.where((disc >= 0) & (b > 0), b - np.sqrt(np.maximum(disc, 0)), np.inf)
    r = t.min(axis=1)
    r[r > range_max] = np.inf
    return LaserScanData(r, -fov / 2, inc, 0.1, range_max)


def collides(discs, x, y, yaw):
    """Exact overlap of the footprint rectangle with any disc."""
    c, s = math.cos(yaw), math.sin(yaw)
    rx = c * (discs[:, 0] - x) + s * (discs[:, 1] - y)
    ry = -s * (discs[:, 0] - x) + c * (discs[:, 1] - y)
    qx = np.clip(rx, -LENGTH / 2, LENGTH / 2)
    qy = np.clip(ry, -WIDTH / 2, WIDTH / 2)
    return bool(np.any(np.hypot(rx - qx, ry - qy) < discs[:, 2]))


def optimal_time(index):
    """BARN optimal time: reference path length / 2 m/s (README formula)."""
    path = np.load(os.path.join(PATHS, f'path_{index}.npy'))
    pts = [(START[0], START[1])] + [(x * 0.15 - 0.075 - 4.5, y * 0.15 + 0.075 + 5)
                                    for x, y in path] + [GOAL]
    pts = np.asarray(pts, dtype=float)
    return float(np.sum(np.hypot(*np.diff(pts, axis=0).T))) / 2.0


def run_world(discs, replan=True, time_limit_s=100.0):
    """One run; returns (status, time_s, plan_ms list)."""
    footprint = rectangle_footprint(LENGTH, WIDTH)
    inscribed, _ = footprint_radii(footprint)
    infl = InflationParams(inscribed, 0.55, 3.0)
    glob = LayeredCostmap(Costmap2D(600, 600, 0.05, START[0] - 15.0, START[1] - 10.0), infl,
                          4.0, 5.0)
    local = LayeredCostmap(Costmap2D(120, 120, 0.05), infl, 4.0, 5.0, rolling_window=True)
    ctl = rpp.RegulatedPurePursuit(rpp.ControllerParams(), footprint)
    samples = rpp.footprint_points(footprint, 0.025)
    x, y, yaw = START
    v = w = 0.0
    t = 0.0
    last_plan = -1e9
    blocked_since = None
    backup_left = 0.0
    plan_ms = []
    have_path = False
    step = 0
    while t < time_limit_s:
        if step % 2 == 0:
            scan = lidar(discs, x, y, yaw)
            local.update_origin(x, y)
            local.update_scan(scan, x, y, yaw)
            glob.update_scan(scan, x, y, yaw, recompute=False)
        if (replan or not have_path) and t - last_plan >= 1.0 and backup_left <= 0.0:
            glob.update_costs()
            t0 = time.perf_counter()
            res = planner.plan(glob.master, (x, y), GOAL)
            plan_ms.append((time.perf_counter() - t0) * 1e3)
            last_plan = t
            if res.ok:
                ctl.set_path(res.path)
                have_path = True
        if backup_left > 0.0:
            # back up only while the footprint stays clear (as the behavior server does)
            ahead = rpp.simulate_arc(x, y, yaw, -0.3, 0.0, 1.0, 0.025, 0.05)
            if np.any(rpp.footprint_collides(local.master, samples, ahead)):
                backup_left = 0.0
                v = w = 0.0
            else:
                v, w = -0.3, 0.0
                backup_left -= 0.3 * DT
        elif have_path:
            cmd = ctl.compute(x, y, yaw, v, w, DT, local.master)
            v, w = cmd.linear_x, cmd.angular_z
            if cmd.status == rpp.COLLISION_AHEAD:
                blocked_since = t if blocked_since is None else blocked_since
                last_plan = -1e9 if replan else last_plan  # replan now
                if t - blocked_since > 2.0:
                    glob.clear_entirely()
                    backup_left = 0.3
                    blocked_since = None
            else:
                blocked_since = None
        x += v * math.cos(yaw) * DT
        y += v * math.sin(yaw) * DT
        yaw += w * DT
        t += DT
        step += 1
        if collides(discs, x, y, yaw):
            return 'collided', t, plan_ms
        if math.hypot(x - GOAL[0], y - GOAL[1]) <= 1.0:
            return 'succeeded', t, plan_ms
    return 'timeout', t, plan_ms


def main():
    """Run the selected worlds with replanning and with the plan-once baseline."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--worlds', default=WORLDS)
    parser.add_argument('--indices', default='', help='comma-separated world indices')
    parser.add_argument('--limit', type=int, default=10, help='first N worlds if no --indices')
    args = parser.parse_args()
    if args.indices:
        indices = [int(i) for i in args.indices.split(',')]
    else:
        found = sorted(int(f[6:-6]) for f in os.listdir(args.worlds)
                       if f.startswith('world_') and f.endswith('.world'))
        indices = found[:args.limit]
    rows = {'replan 1 Hz': [], 'plan once (baseline)': []}
    print(f'{"world":>6} {"mode":<22} {"status":<10} {"time s":>7} {"metric":>7} '
          f'{"plan ms (median)":>16}')
    for i in indices:
        discs = read_cylinders(os.path.join(args.worlds, f'world_{i}.world'))
        opt = optimal_time(i)
        for mode, replan in (('replan 1 Hz', True), ('plan once (baseline)', False)):
            status, t, plan_ms = run_world(discs, replan=replan)
            ok = status == 'succeeded'
            metric = opt / min(max(t, 2 * opt), 8 * opt) if ok else 0.0
            rows[mode].append((status, metric))
            print(f'{i:>6} {mode:<22} {status:<10} {t:7.1f} {metric:7.3f} '
                  f'{statistics.median(plan_ms) if plan_ms else float("nan"):16.1f}')
    for mode, res in rows.items():
        n = len(res)
        print(f'{mode}: success {sum(s == "succeeded" for s, _ in res) / n:.2f}, '
              f'collision {sum(s == "collided" for s, _ in res) / n:.2f}, '
              f'timeout {sum(s == "timeout" for s, _ in res) / n:.2f}, '
              f'metric {sum(m for _, m in res) / n:.3f}  ({n} worlds)')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())

"""A kinematic robot among cylinders: the pure planner, costmaps and a controller, closed loop.

This is a proxy for the BARN benchmark, not the benchmark: the robot is an
ideal unicycle (the command is the motion, no dynamics, no wheel slip), the
lidar is ray-cast against the world's cylinders (discs ``x, y, r``), and a
collision is the exact footprint rectangle overlapping a disc. It shows whether
the algorithms hold up in clutter without the sim; the real figures come from
the MuJoCo sim through navigate_to_pose (docs/barn.md).

:func:`run_world` drives one run as the navigation stack does, in simplified
form: no prior map; a global costmap from scans alone with A* every second, a
rolling 6 x 6 m local costmap (scans at 10 Hz, 270 deg, 720 beams) and the
controller at 20 Hz. If the controller sees a collision ahead it asks for a
new plan at once; blocked for more than 2 s, or without 0.5 m of progress in
10 s (the controller server's progress checker), the global obstacles are
cleared and the robot backs up 0.3 m while its footprint stays clear (the
navigation tree's recoveries). Used by ``bench/barn_kinematic.py``,
``bench/mppi_bench.py`` and the controllers' unit tests.
"""
from dataclasses import dataclass, field
import math
import time

import numpy as np

from orchestrator_pkg.benchmark import barn
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

JACKAL_LENGTH_M, JACKAL_WIDTH_M = 0.508, 0.430
DT = 0.05
FOV = math.radians(270.0)


def lidar(discs, x, y, yaw, n=720, fov=FOV, range_max=30.0) -> LaserScanData:
    """Ray-cast a lidar (``n`` beams over ``fov``, centred ahead) against discs (x, y, r)."""
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


def collides(discs, x, y, yaw, length=JACKAL_LENGTH_M, width=JACKAL_WIDTH_M) -> bool:
    """Exact overlap of the footprint rectangle (centred on the pose) with any disc."""
    c, s = math.cos(yaw), math.sin(yaw)
    rx = c * (discs[:, 0] - x) + s * (discs[:, 1] - y)
    ry = -s * (discs[:, 0] - x) + c * (discs[:, 1] - y)
    qx = np.clip(rx, -length / 2, length / 2)
    qy = np.clip(ry, -width / 2, width / 2)
    return bool(np.any(np.hypot(rx - qx, ry - qy) < discs[:, 2]))


def step(x, y, yaw, v, w, dt=DT):
    """One step of the ideal unicycle (explicit Euler, as the command is applied)."""
    return x + v * math.cos(yaw) * dt, y + v * math.sin(yaw) * dt, yaw + w * dt


def default_controller(footprint):
    """Regulated pure pursuit with default parameters (the stack's default controller)."""
    return rpp.RegulatedPurePursuit(rpp.ControllerParams(), footprint)


@dataclass
class RunResult:
    """One closed-loop run: status ('succeeded', 'collided', 'timeout'), time and timings."""

    status: str
    time_s: float
    plan_ms: list = field(default_factory=list)
    control_ms: list = field(default_factory=list)
    recoveries: int = 0
    trace: list = field(default_factory=list)  # (x, y, yaw, v, w, status) per control cycle


def run_world(discs, make_controller=default_controller, replan=True, start=barn.START,
              goal=barn.GOAL, time_limit_s=barn.TIME_LIMIT_S,
              success_radius_m=barn.SUCCESS_RADIUS_M, keep_trace=False) -> RunResult:
    """Drive one run from ``start`` to within ``success_radius_m`` of ``goal`` (see module doc).

    ``make_controller(footprint)`` builds the controller (``set_path``,
    ``compute`` as regulated pure pursuit; ``reset()`` is called before a
    recovery when it has one). With ``replan=False`` the first plan is kept (the
    same-run baseline of ``bench/barn_kinematic.py``).
    """
    footprint = rectangle_footprint(JACKAL_LENGTH_M, JACKAL_WIDTH_M)
    inscribed, _ = footprint_radii(footprint)
    infl = InflationParams(inscribed, 0.55, 3.0)
    glob = LayeredCostmap(Costmap2D(600, 600, 0.05, start[0] - 15.0, start[1] - 10.0), infl,
                          4.0, 5.0)
    local = LayeredCostmap(Costmap2D(120, 120, 0.05), infl, 4.0, 5.0, rolling_window=True)
    ctl = make_controller(footprint)
    progress = rpp.ProgressChecker(0.5, 10.0)
    samples = rpp.footprint_points(footprint, 0.025)
    x, y, yaw = start
    v = w = 0.0
    t = 0.0
    last_plan = -1e9
    blocked_since = None
    backup_left = 0.0
    have_path = False
    n = 0
    out = RunResult('timeout', 0.0)
    while t < time_limit_s:
        if n % 2 == 0:
            scan = lidar(discs, x, y, yaw)
            local.update_origin(x, y)
            local.update_scan(scan, x, y, yaw)
            glob.update_scan(scan, x, y, yaw, recompute=False)
        if (replan or not have_path) and t - last_plan >= 1.0 and backup_left <= 0.0:
            glob.update_costs()
            t0 = time.perf_counter()
            res = planner.plan(glob.master, (x, y), goal)
            out.plan_ms.append((time.perf_counter() - t0) * 1e3)
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
            progress.reset()
        elif have_path:
            t0 = time.perf_counter()
            cmd = ctl.compute(x, y, yaw, v, w, DT, local.master)
            out.control_ms.append((time.perf_counter() - t0) * 1e3)
            v, w = cmd.linear_x, cmd.angular_z
            if keep_trace:
                out.trace.append((x, y, yaw, v, w, cmd.status))
            stuck = not progress.check(x, y, t)
            if cmd.status == rpp.COLLISION_AHEAD:
                blocked_since = t if blocked_since is None else blocked_since
                last_plan = -1e9 if replan else last_plan  # replan now
            else:
                blocked_since = None
            if stuck or (blocked_since is not None and t - blocked_since > 2.0):
                glob.clear_entirely()
                backup_left = 0.3
                blocked_since = None
                out.recoveries += 1
                if hasattr(ctl, 'reset'):
                    ctl.reset()
        x, y, yaw = step(x, y, yaw, v, w)
        t += DT
        n += 1
        if collides(discs, x, y, yaw):
            out.status = 'collided'
            break
        if math.hypot(x - goal[0], y - goal[1]) <= success_radius_m:
            out.status = 'succeeded'
            break
    out.time_s = t
    return out

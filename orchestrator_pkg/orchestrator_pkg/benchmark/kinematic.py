"""A kinematic robot among cylinders: the pure planner, costmaps and a controller, closed loop.

This is a proxy for the BARN benchmark, not the benchmark: the robot is an
ideal unicycle (the command is the motion, no dynamics, no wheel slip; or,
with a delay and a lag, :class:`LaggedUnicycle`), the lidar is ray-cast
against the world's cylinders (discs ``x, y, r``), and a collision
is the exact footprint rectangle overlapping a disc. It shows whether
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
from orchestrator_pkg.planning.latency import CommandHistory

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


class LaggedUnicycle:
    """A unicycle that moves at a command ``actuation_delay_s`` after it was sent.

    The velocity then follows the command as a first-order lag of
    ``response_time_s`` (0: at once), integrated in ``substeps`` per step. With
    both zero it is :func:`step`. It stands in for the base driver's tick and the
    drive's response, which a real stack has and the ideal unicycle has not.
    """

    def __init__(self, actuation_delay_s: float = 0.0, response_time_s: float = 0.0,
                 substeps: int = 10):
        if actuation_delay_s < 0.0 or response_time_s < 0.0 or substeps < 1:
            raise ValueError('delay and response time must be >= 0, substeps >= 1')
        self.delay, self.tau, self.substeps = actuation_delay_s, response_time_s, substeps
        self.v = self.w = 0.0
        self._queue = []  # (acts_from, v, w), oldest first

    def step(self, t: float, x: float, y: float, yaw: float, v: float, w: float, dt=DT):
        """Send (v, w) at time ``t`` and move the robot from ``t`` to ``t + dt``."""
        if self.delay == 0.0 and self.tau == 0.0:
            self.v, self.w = v, w
            return step(x, y, yaw, v, w, dt)  # the ideal unicycle, in one step
        self._queue.append((t + self.delay, v, w))
        h = dt / self.substeps
        keep = math.exp(-h / self.tau) if self.tau > 0.0 else 0.0
        for k in range(self.substeps):
            now = t + k * h + 1e-9
            while len(self._queue) > 1 and self._queue[1][0] <= now:
                self._queue.pop(0)
            acts, cv, cw = self._queue[0]
            if acts > now:
                cv = cw = 0.0  # nothing sent has reached the base yet
            self.v = keep * self.v + (1.0 - keep) * cv
            self.w = keep * self.w + (1.0 - keep) * cw
            x, y, yaw = step(x, y, yaw, self.v, self.w, h)
        return x, y, yaw


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
              success_radius_m=barn.SUCCESS_RADIUS_M, keep_trace=False,
              actuation_delay_s=0.0, response_time_s=0.0, compensate=False) -> RunResult:
    """Drive one run from ``start`` to within ``success_radius_m`` of ``goal`` (see module doc).

    ``make_controller(footprint)`` builds the controller (``set_path``,
    ``compute`` as regulated pure pursuit; ``reset()`` is called before a
    recovery when it has one). With ``replan=False`` the first plan is kept (the
    same-run baseline of ``bench/barn_kinematic.py``).

    ``actuation_delay_s`` and ``response_time_s`` make the robot a
    :class:`LaggedUnicycle`; with ``compensate`` the controller plans from the
    pose the commands already sent lead to when its own takes effect
    (planning/latency.py, as the controller server's ``latency_compensation``).
    """
    footprint = rectangle_footprint(JACKAL_LENGTH_M, JACKAL_WIDTH_M)
    inscribed, _ = footprint_radii(footprint)
    infl = InflationParams(inscribed, 0.55, 3.0)
    glob = LayeredCostmap(Costmap2D(600, 600, 0.05, start[0] - 15.0, start[1] - 10.0), infl,
                          4.0, 5.0)
    local = LayeredCostmap(Costmap2D(120, 120, 0.05), infl, 4.0, 5.0, rolling_window=True)
    ctl = make_controller(footprint)
    robot = LaggedUnicycle(actuation_delay_s, response_time_s)
    history = CommandHistory(actuation_delay_s) if compensate else None
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
            px, py, pyaw = (x, y, yaw) if history is None else \
                history.predict((x, y, yaw), t, t + actuation_delay_s)
            cmd = ctl.compute(px, py, pyaw, v, w, DT, local.master)
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
        if history is not None:
            history.sent(t, v, w)
        x, y, yaw = robot.step(t, x, y, yaw, v, w)
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

"""Regulated pure pursuit with footprint collision checking, plus progress and goal checkers.

The controller follows a path (N x 2 points, costmap frame) from the robot pose
and the last commanded velocity. Each cycle it:

1. prunes the path behind the robot and picks a carrot at the lookahead distance
   (scaled by speed, clamped);
2. rotates in place when the carrot is far off the heading;
3. otherwise drives the pure-pursuit arc, with the speed regulated down on tight
   curvature, near obstacles (from the costmap cost), near the goal, and so the
   robot can stop at the goal within its deceleration;
4. limits acceleration, then simulates the commanded arc forward and checks the
   robot footprint against LETHAL cells; if it would collide, it commands zero.

Pure numpy; the ROS controller_server is a thin adapter around it.
"""
from dataclasses import dataclass
import math

import numpy as np

from orchestrator_pkg.planning.costmap import (
    FREE_SPACE,
    INSCRIBED_INFLATED_OBSTACLE,
    LETHAL_OBSTACLE,
    NO_INFORMATION,
    Costmap2D,
)

FOLLOWING = 'following'
ROTATING = 'rotating_to_heading'
GOAL_REACHED = 'goal_reached'
COLLISION_AHEAD = 'collision_ahead'


def wrap_angle(a: float) -> float:
    """Wrap an angle to [-pi, pi)."""
    return (a + math.pi) % (2.0 * math.pi) - math.pi


@dataclass
class ControllerParams:
    """Regulated pure pursuit parameters (Nav2 names where they exist; SI units)."""

    desired_linear_vel: float = 1.0
    max_vel_x: float = 2.0
    max_vel_theta: float = 2.0
    max_linear_accel: float = 2.5
    max_linear_decel: float = 2.5
    max_angular_accel: float = 3.2
    lookahead_time_s: float = 1.2
    min_lookahead_dist_m: float = 0.3
    max_lookahead_dist_m: float = 1.2
    rotate_to_heading_angular_vel: float = 1.5
    rotate_to_heading_min_angle: float = 0.785
    regulated_linear_scaling_min_radius_m: float = 0.6
    regulated_linear_scaling_min_speed: float = 0.15
    cost_scaling_dist_m: float = 0.5
    cost_scaling_gain: float = 1.0
    approach_velocity_scaling_dist_m: float = 0.6
    min_approach_linear_velocity: float = 0.05
    max_allowed_time_to_collision_s: float = 1.0
    xy_goal_tolerance_m: float = 0.25
    yaw_goal_tolerance: float = 0.25
    inscribed_radius_m: float = 0.215
    cost_scaling_factor: float = 3.0

    def validate(self) -> None:
        """Raise ValueError naming the first inconsistent field."""
        positive = ('desired_linear_vel', 'max_vel_x', 'max_vel_theta', 'max_linear_accel',
                    'max_linear_decel', 'max_angular_accel', 'min_lookahead_dist_m',
                    'rotate_to_heading_angular_vel', 'xy_goal_tolerance_m')
        for name in positive:
            if not getattr(self, name) > 0.0:
                raise ValueError(f'{name} must be > 0, got {getattr(self, name)}')
        if self.max_lookahead_dist_m < self.min_lookahead_dist_m:
            raise ValueError(f'max_lookahead_dist_m ({self.max_lookahead_dist_m}) must be >= '
                             f'min_lookahead_dist_m ({self.min_lookahead_dist_m})')
        if self.desired_linear_vel > self.max_vel_x:
            raise ValueError(f'desired_linear_vel ({self.desired_linear_vel}) must be <= '
                             f'max_vel_x ({self.max_vel_x})')


@dataclass
class Command:
    """One controller output."""

    linear_x: float
    angular_z: float
    status: str
    carrot: tuple = (math.nan, math.nan)
    distance_to_goal: float = math.nan


def footprint_points(footprint, spacing: float) -> np.ndarray:
    """Sample the footprint polygon's edges every ``spacing`` metres (robot frame, K x 2)."""
    pts = np.asarray(footprint, dtype=float)
    out = []
    for a, b in zip(pts, np.roll(pts, -1, axis=0), strict=False):
        n = max(1, int(math.ceil(float(np.hypot(*(b - a))) / spacing)))
        t = np.arange(n)[:, None] / n
        out.append(a + (b - a) * t)
    return np.vstack(out)


def footprint_cells(costmap: Costmap2D, samples: np.ndarray, poses: np.ndarray) -> np.ndarray:
    """Cells of the footprint samples at each pose (M x 3), as flat indices into a padded grid.

    The grid is the costmap with a border one cell wide all round, so
    ``(height + 2) x (width + 2)``: samples off the map land on the border.
    """
    poses = np.atleast_2d(poses)
    c, s = np.cos(poses[:, 2])[:, None], np.sin(poses[:, 2])[:, None]
    xs = poses[:, 0:1] + c * samples[None, :, 0] - s * samples[None, :, 1]
    ys = poses[:, 1:2] + s * samples[None, :, 0] + c * samples[None, :, 1]
    col, row, _ = costmap.world_to_cell(xs, ys)
    h, w = costmap.height, costmap.width
    return (np.clip(row, -1, h) + 1) * (w + 2) + np.clip(col, -1, w) + 1


def padded_grid(values: np.ndarray, border=0) -> np.ndarray:
    """Return ``values`` (H x W) framed by one cell of ``border`` (see footprint_cells)."""
    out = np.full((values.shape[0] + 2, values.shape[1] + 2), border, dtype=values.dtype)
    out[1:-1, 1:-1] = values
    return out


def footprint_collides(costmap: Costmap2D, samples: np.ndarray, poses: np.ndarray) -> np.ndarray:
    """For each pose (M x 3: x, y, yaw), whether any footprint sample lies in a LETHAL cell.

    Cells off the map count as free: the local costmap window is larger than
    what the robot can reach within one check horizon.
    """
    lethal = padded_grid(costmap.data == LETHAL_OBSTACLE, False)
    return np.any(lethal.ravel().take(footprint_cells(costmap, samples, poses)), axis=1)


def path_cusps(path: np.ndarray, baseline_m: float = 0.2) -> np.ndarray:
    """Return the indices of the poses where a path turns back (by over 90 degrees).

    A path through poses that returns the way it came (to a via pose and back)
    has a cusp at the via pose. The way in and the way out of each pose are
    taken over ``baseline_m`` of path on either side, so a turn made in small
    steps (a sideways cell, a leg's end repeated as the next leg's start) still
    counts; each run of turning poses gives one cusp, its sharpest.
    """
    pts = np.asarray(path, dtype=float).reshape(-1, 2)
    if len(pts) < 3:
        return np.zeros(0, dtype=int)
    arc = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))])
    idx = np.arange(len(pts))
    before = np.searchsorted(arc, arc - baseline_m, side='right') - 1  # <= arc - baseline
    after = np.searchsorted(arc, arc + baseline_m, side='left')  # >= arc + baseline
    inner = (before >= 0) & (after < len(pts))
    cos = np.ones(len(pts))
    i = idx[inner]
    come = pts[i] - pts[before[inner]]
    go = pts[after[inner]] - pts[i]
    norm = np.hypot(*come.T) * np.hypot(*go.T)
    cos[i] = np.sum(come * go, axis=1) / np.maximum(norm, 1e-12)
    turning = cos < 0.0
    cusps = []
    for run in np.split(idx[turning], np.nonzero(np.diff(idx[turning]) > 1)[0] + 1):
        if len(run):
            cusps.append(int(run[np.argmin(cos[run])]))
    return np.asarray(cusps, dtype=int)


def simulate_arc(x, y, yaw, v, w, duration_s, step_m, step_rad):
    """Poses along the constant-velocity arc (excluding the start), M x 3."""
    if duration_s <= 0.0 or (abs(v) < 1e-9 and abs(w) < 1e-9):
        return np.zeros((0, 3))
    n = int(math.ceil(max(abs(v) * duration_s / step_m, abs(w) * duration_s / step_rad, 1.0)))
    t = np.arange(1, n + 1) * (duration_s / n)
    th = yaw + w * t
    if abs(w) < 1e-6:
        px = x + v * t * math.cos(yaw)
        py = y + v * t * math.sin(yaw)
    else:
        px = x + v / w * (np.sin(th) - math.sin(yaw))
        py = y - v / w * (np.cos(th) - math.cos(yaw))
    return np.column_stack([px, py, th])


class RegulatedPurePursuit:
    """Stateful path follower: call :meth:`set_path`, then :meth:`compute` every cycle."""

    def __init__(self, params: ControllerParams, footprint):
        params.validate()
        self.params = params
        self.footprint = np.asarray(footprint, dtype=float)
        self.path = np.zeros((0, 2))
        self.goal_yaw = None
        self._closest = 0
        self._cusps = np.zeros(0, dtype=int)
        self._samples_cache = {}

    def set_path(self, path, goal_yaw=None) -> None:
        """Start following a new path (N x 2, N >= 1)."""
        path = np.asarray(path, dtype=float).reshape(-1, 2)
        if len(path) == 0:
            raise ValueError('path has no poses')
        if not np.all(np.isfinite(path)):
            raise ValueError('path has non-finite coordinates')
        self.path = path
        self.goal_yaw = goal_yaw
        self._closest = 0
        self._cusps = path_cusps(path)

    def move_path(self, path, goal_yaw=None) -> None:
        """Replace the path's coordinates (the same poses, moved: a new frame transform).

        The progress along the path (the closest-pose index) is kept, so the
        path can be re-expressed every cycle while ``map -> odom`` changes. A
        rigid move keeps the cusps where they were found.
        """
        path = np.asarray(path, dtype=float).reshape(-1, 2)
        if self.path is None or len(path) != len(self.path):
            raise ValueError(f'move_path: {len(path)} poses for a path of '
                             f'{0 if self.path is None else len(self.path)}')
        if not np.all(np.isfinite(path)):
            raise ValueError('path has non-finite coordinates')
        self.path = path
        self.goal_yaw = goal_yaw

    def _samples(self, resolution: float) -> np.ndarray:
        key = round(resolution, 6)
        if key not in self._samples_cache:
            self._samples_cache[key] = footprint_points(self.footprint, resolution * 0.5)
        return self._samples_cache[key]

    def _remaining_length(self, x: float, y: float, end: int = None) -> float:
        """Length along the path from the robot to pose ``end`` (default: the last)."""
        rest = self.path[self._closest:None if end is None else end + 1]
        d = float(np.hypot(rest[0, 0] - x, rest[0, 1] - y))
        if len(rest) > 1:
            d += float(np.sum(np.hypot(*np.diff(rest, axis=0).T)))
        return d

    def remaining_path(self, max_length_m: float) -> np.ndarray:
        """Return the path ahead (from the closest pose) up to ``max_length_m`` along it.

        Nav2's regulated pure pursuit publishes this as ``local_plan``.
        """
        rest = self.path[self._closest:]
        if len(rest) < 2:
            return rest.copy()
        arc = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(rest, axis=0).T))])
        return rest[:int(np.searchsorted(arc, max_length_m, side='right'))].copy()

    def _next_cusp(self):
        """Index of the first cusp ahead of the closest pose, or None."""
        ahead = self._cusps[self._cusps > self._closest]
        return int(ahead[0]) if len(ahead) else None

    def _prune(self, x: float, y: float) -> None:
        """Move the closest-point index forward (never back) within a search window.

        The window ends at the next cusp until the robot is within the goal
        tolerance of it: the way back passes the robot as closely as the way
        there, and must not be taken for it before the turning point is reached.
        """
        cusp = self._next_cusp()
        if cusp is not None and math.hypot(self.path[cusp, 0] - x, self.path[cusp, 1] - y) \
                <= self.params.xy_goal_tolerance_m:
            self._closest = cusp  # reached: on along the way back
            cusp = self._next_cusp()
        end = self._closest + 200 if cusp is None else min(self._closest + 200, cusp + 1)
        window = self.path[self._closest:end]
        d = np.hypot(window[:, 0] - x, window[:, 1] - y)
        self._closest += int(np.argmin(d))

    def _carrot(self, x: float, y: float, lookahead: float):
        cusp = self._next_cusp()  # the carrot stops at a cusp, as at the goal
        rest = self.path[self._closest:None if cusp is None else cusp + 1]
        d = np.hypot(rest[:, 0] - x, rest[:, 1] - y)
        beyond = np.nonzero(d >= lookahead)[0]
        idx = int(beyond[0]) if len(beyond) else len(rest) - 1
        return rest[idx]

    def _limit(self, v: float, w: float, last_v: float, last_w: float, dt: float):
        p = self.params
        dv_up = p.max_linear_accel * dt
        dv_down = p.max_linear_decel * dt
        v = min(max(v, last_v - dv_down), last_v + dv_up)
        dw = p.max_angular_accel * dt
        w = min(max(w, last_w - dw), last_w + dw)
        v = min(max(v, -p.max_vel_x), p.max_vel_x)
        w = min(max(w, -p.max_vel_theta), p.max_vel_theta)
        return v, w

    def _distance_from_cost(self, cost: int) -> float:
        """Invert the inflation decay: distance (m) to the nearest obstacle for a cost."""
        p = self.params
        if cost >= INSCRIBED_INFLATED_OBSTACLE and cost != NO_INFORMATION:
            return 0.0
        if cost <= FREE_SPACE or cost == NO_INFORMATION:
            return math.inf
        return p.inscribed_radius_m - math.log(cost / 252.0) / p.cost_scaling_factor

    def compute(self, x: float, y: float, yaw: float, last_v: float, last_w: float,
                dt: float, costmap: Costmap2D) -> Command:
        """One control cycle; ``dt`` is the control period (s)."""
        p = self.params
        if len(self.path) == 0:
            return Command(0.0, 0.0, GOAL_REACHED, distance_to_goal=0.0)
        self._prune(x, y)
        goal = self.path[-1]
        remaining = self._remaining_length(x, y)
        cusp = self._next_cusp()
        # slow down for a cusp (the robot turns there) as for the goal
        approach = remaining if cusp is None else self._remaining_length(x, y, cusp)
        to_goal = float(np.hypot(goal[0] - x, goal[1] - y))
        # (a path that comes back past its goal is not done there before its cusp)
        if to_goal <= p.xy_goal_tolerance_m and self._closest >= len(self.path) - 1 - 2 \
                or to_goal <= p.xy_goal_tolerance_m * 0.5 and cusp is None:
            if self.goal_yaw is None \
                    or abs(wrap_angle(self.goal_yaw - yaw)) <= p.yaw_goal_tolerance:
                return Command(0.0, 0.0, GOAL_REACHED, tuple(goal), to_goal)
            err = wrap_angle(self.goal_yaw - yaw)
            return self._rotate(x, y, yaw, err, last_v, last_w, dt, costmap, goal, to_goal)
        lookahead = min(max(abs(last_v) * p.lookahead_time_s, p.min_lookahead_dist_m),
                        p.max_lookahead_dist_m)
        carrot = self._carrot(x, y, lookahead)
        dx, dy = carrot[0] - x, carrot[1] - y
        cx = math.cos(yaw) * dx + math.sin(yaw) * dy
        cy = -math.sin(yaw) * dx + math.cos(yaw) * dy
        angle = math.atan2(cy, cx)
        if abs(angle) > p.rotate_to_heading_min_angle:
            return self._rotate(x, y, yaw, angle, last_v, last_w, dt, costmap, carrot, remaining)
        dist2 = cx * cx + cy * cy
        curvature = 2.0 * cy / dist2 if dist2 > 1e-9 else 0.0
        v = p.desired_linear_vel
        # curvature regulation
        if abs(curvature) > 1e-9:
            radius = 1.0 / abs(curvature)
            if radius < p.regulated_linear_scaling_min_radius_m:
                v *= radius / p.regulated_linear_scaling_min_radius_m
        # proximity (cost) regulation
        near = self._distance_from_cost(costmap.cost_at(x, y) if costmap.is_inside(x, y)
                                        else FREE_SPACE)
        if near < p.cost_scaling_dist_m:
            v *= p.cost_scaling_gain * near / p.cost_scaling_dist_m
        v = max(v, p.regulated_linear_scaling_min_speed)
        # approach and stopping distance
        if approach < p.approach_velocity_scaling_dist_m:
            v = min(v, max(p.desired_linear_vel * approach / p.approach_velocity_scaling_dist_m,
                           p.min_approach_linear_velocity))
        # brake so that the robot is down to the approach speed at the goal tolerance
        stop_dist = max(approach - p.xy_goal_tolerance_m, 0.0)
        # (planned with 70 % of the deceleration: margin for the discrete control period)
        v = min(v, max(math.sqrt(1.4 * p.max_linear_decel * stop_dist),
                       p.min_approach_linear_velocity), p.max_vel_x)
        w = v * curvature
        if abs(w) > p.max_vel_theta:
            v *= p.max_vel_theta / abs(w)
            w = math.copysign(p.max_vel_theta, w)
        v, w = self._limit(v, w, last_v, last_w, dt)
        if self._collides(x, y, yaw, v, w, costmap, min(lookahead, approach)):
            return Command(0.0, 0.0, COLLISION_AHEAD, tuple(carrot), remaining)
        return Command(v, w, FOLLOWING, tuple(carrot), remaining)

    def _rotate(self, x, y, yaw, angle, last_v, last_w, dt, costmap, carrot, remaining):
        p = self.params
        w_target = math.copysign(p.rotate_to_heading_angular_vel, angle)
        # slow down so the rotation stops on the heading
        w_stop = math.sqrt(2.0 * p.max_angular_accel * abs(angle))
        w_target = math.copysign(min(abs(w_target), w_stop), angle)
        v, w = self._limit(0.0, w_target, last_v, last_w, dt)
        if self._collides(x, y, yaw, v, w, costmap, 0.0):
            return Command(0.0, 0.0, COLLISION_AHEAD, tuple(carrot), remaining)
        return Command(v, w, ROTATING, tuple(carrot), remaining)

    def _collides(self, x, y, yaw, v, w, costmap, distance_m) -> bool:
        """Check the footprint along the commanded arc for the collision horizon."""
        p = self.params
        horizon = p.max_allowed_time_to_collision_s
        if abs(v) > 1e-6:
            # at least as far as the carrot, at least the stopping distance
            stop_dist = v * v / (2.0 * p.max_linear_decel)
            horizon = max(horizon, (max(distance_m, stop_dist)) / abs(v))
            horizon = min(horizon, 3.0)
        poses = simulate_arc(x, y, yaw, v, w, horizon, costmap.resolution * 0.5, 0.05)
        if len(poses) == 0:
            return False
        return bool(np.any(footprint_collides(costmap, self._samples(costmap.resolution), poses)))


class ProgressChecker:
    """Fails when the robot has not moved ``required_movement_radius_m`` within the allowance."""

    def __init__(self, required_movement_radius_m: float = 0.5,
                 movement_time_allowance_s: float = 10.0):
        self.radius = required_movement_radius_m
        self.allowance = movement_time_allowance_s
        self._base = None

    def reset(self) -> None:
        """Forget the baseline pose (new goal)."""
        self._base = None

    def check(self, x: float, y: float, now_s: float) -> bool:
        """Return False once the robot stayed within the radius for longer than the allowance."""
        if self._base is None or math.hypot(x - self._base[0], y - self._base[1]) > self.radius:
            self._base = (x, y, now_s)
            return True
        return now_s - self._base[2] <= self.allowance


class GoalChecker:
    """Position (and optionally heading) tolerance check, as Nav2's SimpleGoalChecker."""

    def __init__(self, xy_goal_tolerance_m: float = 0.25, yaw_goal_tolerance: float = 0.25):
        self.xy = xy_goal_tolerance_m
        self.yaw = yaw_goal_tolerance

    def reached(self, x, y, yaw, goal_x, goal_y, goal_yaw=None) -> bool:
        """Whether the pose is within tolerance of the goal."""
        if math.hypot(goal_x - x, goal_y - y) > self.xy:
            return False
        return goal_yaw is None or abs(wrap_angle(goal_yaw - yaw)) <= self.yaw

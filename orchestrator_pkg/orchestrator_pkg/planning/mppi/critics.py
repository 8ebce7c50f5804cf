"""MPPI critics: each scores every sampled trajectory (one cost per sample, lower is better).

A critic sees a :class:`CriticInput` (the rolled-out poses, the controls before
and after the model's limits, the path ahead, the goal, the local costmap) and
returns ``cost_weight * term ** cost_power`` per trajectory, or ``None`` when it
does not apply this cycle (for example the path critics near the goal, where the
goal critics take over). The optimizer adds the costs of all critics.

The obstacle critic (:class:`CostCritic`) also decides collisions, which the
controller uses to stop when every sample collides: the footprint polygon
(sampled every half cell along its edges) touching a lethal cell, or the
inscribed circle overlapping one (:class:`FootprintChecker`, which also finds
near misses within ``collision_margin_distance``). Far from obstacles no
footprint is checked, which keeps the critic cheap. Cells off the costmap count
as free, as in regulated pure pursuit.
"""
from dataclasses import dataclass
import math

import numpy as np

from orchestrator_pkg.planning.controller import footprint_cells, footprint_points, padded_grid
from orchestrator_pkg.planning.costmap import (
    FREE_SPACE,
    INSCRIBED_INFLATED_OBSTACLE,
    LETHAL_OBSTACLE,
    NO_INFORMATION,
    Costmap2D,
    InflationParams,
    footprint_radii,
)

PATH_SPACING_M = 0.05
"""The controller resamples the path ahead at this spacing; path offsets count these points."""


def wrap(a):
    """Wrap angles (array or scalar) to [-pi, pi)."""
    return (np.asarray(a) + np.pi) % (2.0 * np.pi) - np.pi


def _squared_distances(flat: np.ndarray, path: np.ndarray) -> np.ndarray:
    d2 = (flat[:, 0:1] - path[None, :, 0]) ** 2
    d2 += (flat[:, 1:2] - path[None, :, 1]) ** 2
    return d2


def nearest_on_path(points: np.ndarray, path: np.ndarray, coarse: int = 5):
    """Distance to and index of the nearest path point for each point (... x 2 -> ..., ...).

    Coarse to fine: the nearest of every ``coarse``-th path point (and the last), then the
    nearest among its ``coarse`` neighbours on either side, at about a third of
    the cost of comparing every point with every path point. For points close to
    a smooth path (those the critics care about) that is the exact answer; far
    from a curved path, where many path points are almost equally far, the
    distance can be too large by at most half a coarse step (the coarse point
    nearest to the true nearest point is that close to it).
    """
    pts = np.asarray(points)
    flat = pts.reshape(-1, 2)
    rows = np.arange(len(flat))
    if len(path) <= 6 * coarse:
        d2 = _squared_distances(flat, path)
        idx = np.argmin(d2, axis=1)
        dist = np.sqrt(d2[rows, idx])
    else:
        knots = np.append(np.arange(0, len(path) - 1, coarse), len(path) - 1)
        near = knots[np.argmin(_squared_distances(flat, path[knots]), axis=1)]
        cand = np.clip(near[:, None] + np.arange(-coarse, coarse + 1)[None, :], 0, len(path) - 1)
        d2 = (flat[:, 0:1] - path[cand, 0]) ** 2 + (flat[:, 1:2] - path[cand, 1]) ** 2
        best = np.argmin(d2, axis=1)
        idx = cand[rows, best]
        dist = np.sqrt(d2[rows, best])
    return dist.reshape(pts.shape[:-1]), idx.reshape(pts.shape[:-1])


@dataclass
class CriticInput:
    """What the critics see in one optimisation iteration (B samples, T steps)."""

    trajectories: np.ndarray  # B x T x 3 (x, y, yaw) at the end of each step
    vx: np.ndarray  # B x T controls after the model's limits
    wz: np.ndarray
    raw_vx: np.ndarray  # B x T controls as sampled
    raw_wz: np.ndarray
    model_dt: float
    robot: tuple  # (x, y, yaw) now
    path: np.ndarray  # M x 2, the path ahead from the robot's nearest point, PATH_SPACING_M apart
    path_ends_at_goal: bool  # whether path[-1] is the goal (else the path goes on beyond it)
    goal: tuple  # (x, y)
    goal_yaw: float  # None: no goal heading
    goal_distance: float  # robot to goal (m)
    costmap: Costmap2D
    furthest_index: int = 0  # max over samples of the path index nearest to their end pose
    path_blocked_ratio: float = 0.0  # fraction of the path ahead in inscribed/lethal cells
    at_goal: bool = False  # within the xy tolerance: only turning to the goal heading is left
    collided: np.ndarray = None  # B, set by CostCritic


class Critic:
    """Base: ``cost_weight * term ** cost_power``, or None when disabled or inactive."""

    name = 'Critic'

    def __init__(self, params):
        self.params = params

    def score(self, ctx: CriticInput):
        """Weighted cost per trajectory (B,), or None."""
        if not self.params.enabled:
            return None
        term = self.term(ctx)
        if term is None:
            return None
        return self.params.cost_weight * term ** self.params.cost_power

    def term(self, ctx: CriticInput):
        """Return the unweighted term (B,) >= 0, or None when the critic does not apply."""
        raise NotImplementedError


class ConstraintCritic(Critic):
    """How far the sampled controls lie outside the speed limits: sum of the excess * dt.

    (metres of vx beyond ``[vx_min, vx_max]`` plus radians of wz beyond
    ``wz_max``, before the model clips them). It keeps the sampling mean away
    from the limits, where the noise beyond them is wasted.
    """

    name = 'ConstraintCritic'

    def __init__(self, params, vx_min: float, vx_max: float, wz_max: float):
        super().__init__(params)
        self.vx_min, self.vx_max, self.wz_max = vx_min, vx_max, wz_max

    def term(self, ctx):
        """Sum over steps of the speed (m/s) and turn rate (rad/s) beyond the limits, * dt."""
        excess = np.maximum(ctx.raw_vx - self.vx_max, 0.0) \
            + np.maximum(self.vx_min - ctx.raw_vx, 0.0) \
            + np.maximum(np.abs(ctx.raw_wz) - self.wz_max, 0.0)
        return excess.sum(axis=1) * ctx.model_dt


class FootprintChecker:
    """Collision and near-miss tests of footprints at poses against an inflated costmap.

    A pose collides when the footprint polygon (its edges sampled every half
    cell) touches a lethal cell, and is a near miss when it does not but comes
    within ``margin`` (``collision_margin_distance``, rounded up to whole cells)
    of one: lethal cells only mark where scans hit an obstacle, so a trajectory
    that grazes them can still meet the obstacle between the marks. Both come
    from one lookup per sample, in a grid of 2 (lethal), 1 (within the margin)
    and 0.

    Testing the polygon at every pose is what costs, so cheaper tests go first.
    The costmap's inflated cost at a pose's cell gives the distance from that
    cell's centre to the nearest lethal cell's centre: 253 and above (an
    obstacle within the inscribed radius) is a collision. The polygon is tested
    only where an obstacle may lie within the circumscribed radius plus the
    margin plus a cell diagonal (the robot's centre and the obstacle's surface
    can each lie half a diagonal off their cells' centres), and there first by
    ``circles`` circles covering the polygon's bounding box: a pose whose circles
    all keep that same margin from every obstacle is clear.
    """

    def __init__(self, footprint, inflation: InflationParams, consider_footprint: bool = True,
                 margin: float = 0.0, circles: int = 3):
        self.footprint = np.asarray(footprint, dtype=float)
        self.inflation = inflation
        self.margin = float(margin)
        inscribed, self.circumscribed = footprint_radii(self.footprint)
        self.consider_footprint = consider_footprint and self.circumscribed > inscribed + 1e-6
        # without the polygon (a round robot): the inscribed circle grown by the margin
        self.round_near_cost = self.cost_at_distance(inscribed + self.margin)
        # circles covering the bounding box: its length cut into equal parts, one circle
        # through the corners of each part
        (x0, y0), (x1, y1) = self.footprint.min(axis=0), self.footprint.max(axis=0)
        part = (x1 - x0) / circles
        self.circle_centres = np.column_stack([x0 + part * (np.arange(circles) + 0.5),
                                               np.full(circles, 0.5 * (y0 + y1))])
        self.circle_radius = math.hypot(0.5 * part, 0.5 * (y1 - y0))
        self._cache = {}

    def cost_at_distance(self, distance_m: float) -> int:
        """Return the lowest inflated cost of a cell within ``distance_m`` of an obstacle."""
        infl = self.inflation
        if distance_m <= infl.inscribed_radius_m:
            return INSCRIBED_INFLATED_OBSTACLE
        if distance_m > infl.inflation_radius_m:
            return 1  # beyond the inflation: any inflated cell may be that close
        cost = int(252.0 * math.exp(-infl.cost_scaling_factor
                                    * (distance_m - infl.inscribed_radius_m)))
        return max(1, cost - 1)  # one below, against rounding in the inflation

    def samples(self, resolution: float):
        """Edge points (robot frame, float32) every half cell, the margin in cells, thresholds.

        Returns ``(samples, margin_cells, band_cost, circle_cost)``, cached per
        resolution.
        """
        key = round(resolution, 6)
        if key not in self._cache:
            cells = int(math.ceil(self.margin / resolution - 1e-9))
            slack = (cells + 1) * resolution * math.sqrt(2.0)
            self._cache[key] = (
                footprint_points(self.footprint, resolution * 0.5).astype(np.float32), cells,
                self.cost_at_distance(self.circumscribed + slack),
                self.cost_at_distance(self.circle_radius + slack))
        return self._cache[key]

    def _circles_clear(self, costmap: Costmap2D, poses: np.ndarray, cost: int) -> np.ndarray:
        """Whether every covering circle of each pose (N x 3) is below ``cost`` (clear)."""
        c, s = np.cos(poses[:, 2:3]), np.sin(poses[:, 2:3])
        cx, cy = self.circle_centres[:, 0], self.circle_centres[:, 1]
        xs = poses[:, 0:1] + c * cx - s * cy
        ys = poses[:, 1:2] + s * cx + c * cy
        # a circle centre off the map is not known to be clear
        return np.all(costmap.costs_at(xs, ys, outside=NO_INFORMATION) < cost, axis=1)

    @staticmethod
    def _levels(costmap: Costmap2D, cells: int) -> np.ndarray:
        """Return a padded grid: 2 on lethal cells, 1 within ``cells`` of one (square), else 0."""
        lethal = costmap.data == LETHAL_OBSTACLE
        near = lethal.copy()
        h, w = lethal.shape
        for dr in range(-cells, cells + 1):
            for dc in range(-cells, cells + 1):
                if dr or dc:
                    near[max(dr, 0):h + min(dr, 0), max(dc, 0):w + min(dc, 0)] |= \
                        lethal[max(-dr, 0):h + min(-dr, 0), max(-dc, 0):w + min(-dc, 0)]
        return padded_grid(near.astype(np.uint8) + lethal.astype(np.uint8), 0)

    def check(self, costmap: Costmap2D, poses: np.ndarray, chunk: int = 10):
        """Centre costs, collisions and near misses of poses (... x T x 3), each (... x T).

        Along the last axis (time) the footprint is checked ``chunk`` steps at a
        time, and only on trajectories that have not collided yet: what happens
        after a collision does not change the verdict.
        """
        cost = costmap.costs_at(poses[..., 0], poses[..., 1], outside=FREE_SPACE)
        collided = (cost == LETHAL_OBSTACLE) | (cost == INSCRIBED_INFLATED_OBSTACLE)
        if not self.consider_footprint:
            near = (cost >= self.round_near_cost) & ~collided if self.margin > 0.0 \
                else np.zeros(cost.shape, dtype=bool)
            return cost, collided, near
        near = np.zeros(cost.shape, dtype=bool)
        samples, cells, band_cost, circle_cost = self.samples(costmap.resolution)
        check = ((cost >= band_cost) & ~collided) | (cost == NO_INFORMATION)
        if not check.any():
            return cost, collided, near
        levels = self._levels(costmap, cells).ravel()
        lead = poses.shape[:-2]
        done = np.zeros(lead, dtype=bool)
        for t0 in range(0, poses.shape[-2], chunk):
            part = (slice(None),) * len(lead) + (slice(t0, t0 + chunk),)
            idx = np.nonzero(check[part] & ~done[..., None])
            if len(idx[0]):
                candidates = poses[part][idx]
                keep = ~self._circles_clear(costmap, candidates, circle_cost)
                idx = tuple(i[keep] for i in idx)
                level = levels.take(footprint_cells(costmap, samples,
                                                    candidates[keep])).max(axis=1)
                # basic slices are views: these write through to the full arrays
                collided[part][tuple(i[level == 2] for i in idx)] = True
                near[part][tuple(i[level == 1] for i in idx)] = True
            done |= np.any(collided[part], axis=-1)
        return cost, collided, near


class CostCritic(Critic):
    """Obstacles: collisions, near misses and the inflated cost along each trajectory.

    term = (mean over the poses of the centre cost + ``critical_cost`` times the
    sum over near misses of ``(vx / vx_max)^2``) / 254; a colliding trajectory
    gets ``collision_cost`` instead (already weighted). Within
    ``near_goal_distance`` of the goal only collisions count.

    Nav2 sums the cost over the poses; the mean keeps the term's scale
    independent of the horizon, comparable with the path critics, so that
    standing still in a low-cost spot does not beat driving on through
    moderately inflated space. Near misses are summed, as Nav2's critical cost,
    but weighted by the squared speed: grazing an obstacle at speed costs as
    much as a whole trajectory of inflated space, while creeping through a gap
    barely wider than the robot (where every pose is a near miss) stays cheap
    enough to be worth it.
    """

    name = 'CostCritic'

    def __init__(self, params, checker: FootprintChecker, vx_max: float):
        super().__init__(params)
        self.checker = checker
        self.vx_max = vx_max

    def score(self, ctx):
        """Weighted cost (B,); also sets ``ctx.collided``."""
        if not self.params.enabled:
            return None
        cost, collided, near = self.checker.check(ctx.costmap, ctx.trajectories)
        ctx.collided = np.any(collided, axis=1)
        out = np.zeros(len(cost))
        if ctx.goal_distance >= self.params.near_goal_distance:
            pose_cost = np.where(cost == NO_INFORMATION, 0.0, cost.astype(float))
            speed2 = np.minimum(np.abs(ctx.vx) / self.vx_max, 1.0) ** 2
            grazing = (near * speed2).sum(axis=1)
            term = (pose_cost.mean(axis=1)
                    + self.params.critical_cost * grazing) / float(LETHAL_OBSTACLE)
            out = self.params.cost_weight * term ** self.params.cost_power
        out[ctx.collided] = self.params.collision_cost
        return out

    def term(self, ctx):
        """Unused: :meth:`score` is overridden (collisions are not weighted)."""
        raise NotImplementedError


class GoalCritic(Critic):
    """Near the goal: mean distance (m) of the trajectory's poses to the goal."""

    name = 'GoalCritic'

    def term(self, ctx):
        """Mean distance to the goal, or None when the robot is far from it."""
        if ctx.goal_distance >= self.params.threshold_to_consider:
            return None
        xy = ctx.trajectories[..., :2]
        return np.hypot(xy[..., 0] - ctx.goal[0], xy[..., 1] - ctx.goal[1]).mean(axis=1)


class GoalAngleCritic(Critic):
    """Near the goal: mean |heading - goal heading| (rad), when the path gives a heading."""

    name = 'GoalAngleCritic'

    def term(self, ctx):
        """Mean heading error, or None far from the goal or without a goal heading."""
        if ctx.goal_yaw is None or ctx.goal_distance >= self.params.threshold_to_consider:
            return None
        return np.abs(wrap(ctx.trajectories[..., 2] - ctx.goal_yaw)).mean(axis=1)


class PathAlignCritic(Critic):
    """Mean distance (m) of every n-th pose to the nearest point of the path ahead.

    Inactive near the goal, before the samples really track the path (the
    furthest one has not reached ``offset_from_furthest`` points), and when the
    path ahead is blocked (``max_path_occupancy_ratio``), so the robot may leave
    the path to go around. Poses nearest to the last point of a path that goes
    on beyond the window are left out (the path there is unknown to the critic).
    """

    name = 'PathAlignCritic'

    def term(self, ctx):
        """Masked mean distance to the path, or None when inactive."""
        p = self.params
        if (ctx.goal_distance < p.threshold_to_consider or len(ctx.path) < 2
                or ctx.furthest_index < p.offset_from_furthest
                or ctx.path_blocked_ratio > p.max_path_occupancy_ratio):
            return None
        pts = ctx.trajectories[:, p.trajectory_point_step - 1::p.trajectory_point_step, :2]
        dist, idx = nearest_on_path(pts, ctx.path)
        if ctx.path_ends_at_goal:
            return dist.mean(axis=1)
        use = idx < len(ctx.path) - 1
        n = use.sum(axis=1)
        return np.where(n > 0, (dist * use).sum(axis=1) / np.maximum(n, 1), 0.0)


def target_point(ctx: CriticInput, offset: int) -> np.ndarray:
    """Return the path point ``offset`` points past the furthest one reached (or the end)."""
    return ctx.path[min(ctx.furthest_index + offset, len(ctx.path) - 1)]


class PathFollowCritic(Critic):
    """Distance (m) from each trajectory's end to a path point beyond the furthest reached.

    The target is ``offset_from_furthest`` points past the furthest path point
    that any sample reaches, so the samples are drawn to make progress along the
    path; but no further than the horizon at ``desired_linear_vel`` reaches (plus
    the offset), or the fastest sample would set the pace and the robot would
    speed up to ``vx_max`` whatever the speed critic says. Inactive near the goal
    (the goal critic takes over).
    """

    name = 'PathFollowCritic'

    def __init__(self, params, desired_linear_vel: float):
        super().__init__(params)
        self.desired_linear_vel = desired_linear_vel

    def term(self, ctx):
        """Distance of the end poses to the target, or None near the goal."""
        p = self.params
        if ctx.goal_distance < p.threshold_to_consider or len(ctx.path) == 0:
            return None
        reach = self.desired_linear_vel * ctx.trajectories.shape[1] * ctx.model_dt
        furthest = min(ctx.furthest_index, int(reach / PATH_SPACING_M))
        target = ctx.path[min(furthest + p.offset_from_furthest, len(ctx.path) - 1)]
        end = ctx.trajectories[:, -1, :2]
        return np.hypot(end[:, 0] - target[0], end[:, 1] - target[1])


class PathAngleCritic(Critic):
    """When the robot faces away from the path: mean angle (rad) of the poses off the target.

    The target is the path point ``offset_from_furthest`` past the furthest
    reached; the critic applies only while the robot's heading is more than
    ``max_angle_to_furthest`` off the bearing to it. Without
    ``forward_preference`` facing it with the back counts as aligned.
    """

    name = 'PathAngleCritic'

    def _angle(self, x, y, yaw, target):
        err = np.abs(wrap(np.arctan2(target[1] - y, target[0] - x) - yaw))
        if not self.params.forward_preference:
            err = np.minimum(err, np.pi - err)
        return err

    def term(self, ctx):
        """Mean bearing error of the poses, or None when inactive."""
        p = self.params
        if ctx.goal_distance < p.threshold_to_consider or len(ctx.path) == 0:
            return None
        target = target_point(ctx, p.offset_from_furthest)
        if self._angle(*ctx.robot, target) <= p.max_angle_to_furthest:
            return None
        tr = ctx.trajectories
        return self._angle(tr[..., 0], tr[..., 1], tr[..., 2], target).mean(axis=1)


class PreferForwardCritic(Critic):
    """Distance (m) driven backwards; inactive near the goal."""

    name = 'PreferForwardCritic'

    def term(self, ctx):
        """Sum of max(-vx, 0) * dt, or None near the goal."""
        if ctx.goal_distance < self.params.threshold_to_consider:
            return None
        return np.maximum(-ctx.vx, 0.0).sum(axis=1) * ctx.model_dt


class SpeedCritic(Critic):
    """Ours: mean ||vx| - desired_linear_vel| / desired_linear_vel; inactive near the goal.

    The speed, not the velocity: which way to drive is the prefer-forward
    critic's business, so backing out of a dead end is not charged twice.
    """

    name = 'SpeedCritic'

    def __init__(self, params, desired_linear_vel: float):
        super().__init__(params)
        self.desired_linear_vel = desired_linear_vel

    def term(self, ctx):
        """Relative speed error, or None near the goal."""
        if ctx.goal_distance < self.params.threshold_to_consider:
            return None
        v = self.desired_linear_vel
        return np.abs(np.abs(ctx.vx) - v).mean(axis=1) / v


class TwirlingCritic(Critic):
    """Mean |wz| (rad/s); inactive once at the goal, where turning is all that is left."""

    name = 'TwirlingCritic'

    def term(self, ctx):
        """Mean turn rate, or None at the goal."""
        if ctx.at_goal:
            return None
        return np.abs(ctx.wz).mean(axis=1)

"""The stateful MPPI path follower, with regulated pure pursuit's interface.

Each :meth:`MPPIController.compute` call is one control cycle:

1. the control sequence kept from the last cycle (the warm start) is shifted by
   the time that has passed, holding its last control;
2. the path is pruned behind the robot and the part ahead (``prune_distance``)
   is resampled every 5 cm for the critics;
3. at the goal position (``xy_goal_tolerance_m``, latched until the goal
   changes) only in-place turns are sampled: the robot brakes within its limits
   and turns to the goal heading; once it can stop within one cycle and the
   heading is within ``yaw_goal_tolerance`` (or the path gives none), the goal
   is reached;
4. ``batch_size`` sequences are sampled around the kept one (Gaussian noise of
   ``vx_std``, ``wz_std``), together with two deterministic candidates: the kept
   sequence itself and a stop (all zero, which the model turns into braking);
   the model makes them feasible and rolls them out; the critics and the control
   cost score them; the softmax-weighted mean is the new sequence (repeated
   ``iteration_count`` times);
5. the sequence is smoothed, made feasible again from the current velocity, and
   checked for collision; if the blend of good samples collides (two ways round
   an obstacle can average into it), the cheapest sample is used instead;
6. if every sample except the stop collides, the robot stops (zero command,
   ``COLLISION_AHEAD``), as regulated pure pursuit does when its arc collides.

The first control of the sequence is the command. Pure numpy; no ROS.
"""
import math

import numpy as np

from orchestrator_pkg.planning.controller import (
    COLLISION_AHEAD,
    FOLLOWING,
    GOAL_REACHED,
    ROTATING,
    Command,
    wrap_angle,
)
from orchestrator_pkg.planning.costmap import (
    FREE_SPACE,
    INSCRIBED_INFLATED_OBSTACLE,
    NO_INFORMATION,
    Costmap2D,
    InflationParams,
)
from orchestrator_pkg.planning.mppi import critics as cr
from orchestrator_pkg.planning.mppi.model import DiffDriveModel
from orchestrator_pkg.planning.mppi.optimizer import (
    control_cost,
    correlated_noise,
    savgol_coefficients,
    smooth_sequence,
    softmax_weights,
)
from orchestrator_pkg.planning.mppi.params import MPPIParams

STOP_ROW = 1
"""Row of the stop candidate in the sampled batch (row 0 is the kept sequence)."""


class MPPIController:
    """Stateful MPPI path follower: call :meth:`set_path`, then :meth:`compute` every cycle.

    ``inflation`` must describe the local costmap's inflation layer (the critic
    reads distances to obstacles back from its costs).
    """

    def __init__(self, params: MPPIParams, footprint, inflation: InflationParams = None):
        params.validate()
        self.params = p = params
        self.inflation = InflationParams() if inflation is None else inflation
        self.model = DiffDriveModel(p.vx_min, p.vx_max, p.wz_max, p.ax_max, p.ax_min,
                                    p.az_max, p.model_dt)
        self.checker = cr.FootprintChecker(footprint, self.inflation, p.cost.consider_footprint,
                                           p.cost.collision_margin_distance)
        self.critics = [
            cr.ConstraintCritic(p.constraint, p.vx_min, p.vx_max, p.wz_max),
            cr.CostCritic(p.cost, self.checker, p.vx_max),
            cr.GoalCritic(p.goal),
            cr.GoalAngleCritic(p.goal_angle),
            cr.PathAlignCritic(p.path_align),
            cr.PathFollowCritic(p.path_follow, p.desired_linear_vel),
            cr.PathAngleCritic(p.path_angle),
            cr.PreferForwardCritic(p.prefer_forward),
            cr.SpeedCritic(p.speed, p.desired_linear_vel),
            cr.TwirlingCritic(p.twirling),
        ]
        self._coeffs = savgol_coefficients(p.smoothing_window, min(p.smoothing_order,
                                                                   p.smoothing_window - 1))
        self._rng = np.random.default_rng(p.seed)
        self._corr = math.exp(-p.model_dt / p.noise_correlation_time_s) \
            if p.noise_correlation_time_s > 0.0 else 0.0
        self.path = np.zeros((0, 2))
        self._arc = np.zeros(0)
        self._keep = np.zeros(0, dtype=bool)
        self.goal_yaw = None
        self._closest = 0
        self._at_goal = False
        self.reset()

    # -- state ----------------------------------------------------------------------
    def reset(self) -> None:
        """Forget the warm start (a new goal, or after the robot was driven by something else)."""
        self._seq = np.zeros((self.params.time_steps, 2))
        self._history = np.zeros((0, 2))
        self.last_trajectory = np.zeros((0, 3))

    def set_path(self, path, goal_yaw=None) -> None:
        """Follow a new path (N x 2, N >= 1); the warm start is kept (replanning is routine)."""
        path = np.asarray(path, dtype=float).reshape(-1, 2)
        if len(path) == 0:
            raise ValueError('path has no poses')
        if not np.all(np.isfinite(path)):
            raise ValueError('path has non-finite coordinates')
        if goal_yaw is not None and not math.isfinite(goal_yaw):
            raise ValueError(f'goal_yaw must be finite, got {goal_yaw}')
        same_goal = (len(self.path) > 0 and np.hypot(*(path[-1] - self.path[-1])) < 0.01
                     and (goal_yaw is None) == (self.goal_yaw is None)
                     and (goal_yaw is None or abs(wrap_angle(goal_yaw - self.goal_yaw)) < 0.01))
        if not same_goal:
            self._at_goal = False
        # repeated points would stall the arc-length interpolation: keep the first of each run
        self._keep = np.concatenate([[True], np.any(np.diff(path, axis=0) != 0.0, axis=1)])
        self._use(path[self._keep], goal_yaw)
        self._closest = 0

    def _use(self, path: np.ndarray, goal_yaw) -> None:
        self.path = path
        self._arc = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(path, axis=0).T))])
        self.goal_yaw = goal_yaw

    def move_path(self, path, goal_yaw=None) -> None:
        """Replace the path's coordinates (the same poses, moved: a new frame transform).

        The progress along the path and the warm start are kept, so the path can
        be re-expressed every cycle while ``map -> odom`` changes.
        """
        path = np.asarray(path, dtype=float).reshape(-1, 2)
        if len(path) != len(self._keep):
            raise ValueError(f'move_path: {len(path)} poses for a path of {len(self._keep)}')
        if not np.all(np.isfinite(path)):
            raise ValueError('path has non-finite coordinates')
        if goal_yaw is not None and not math.isfinite(goal_yaw):
            raise ValueError(f'goal_yaw must be finite, got {goal_yaw}')
        self._use(path[self._keep], goal_yaw)

    def remaining_path(self, max_length_m: float) -> np.ndarray:
        """Return the path ahead (from the closest pose) up to ``max_length_m`` along it."""
        rest = self.path[self._closest:]
        arc = self._arc[self._closest:] - self._arc[self._closest] if len(rest) else self._arc
        return rest[:int(np.searchsorted(arc, max_length_m, side='right'))].copy()

    # -- path -----------------------------------------------------------------------
    def _prune(self, x: float, y: float) -> None:
        """Move the closest-point index forward (never back) within a window ahead."""
        window = self.path[self._closest:self._closest + 200]
        self._closest += int(np.argmin(np.hypot(window[:, 0] - x, window[:, 1] - y)))

    def _local_path(self):
        """Return the path ahead from the closest point, resampled every PATH_SPACING_M."""
        s0 = self._arc[self._closest]
        s_end = self._arc[-1]
        s1 = min(s_end, s0 + self.params.prune_distance)
        s = np.arange(s0, s1, cr.PATH_SPACING_M)
        if len(s) == 0 or s1 - s[-1] > 1e-9:
            s = np.append(s, s1)
        pts = np.column_stack([np.interp(s, self._arc, self.path[:, 0]),
                               np.interp(s, self._arc, self.path[:, 1])])
        return pts, s1 >= s_end - 1e-9, s_end - s0

    # -- control --------------------------------------------------------------------
    def _shift(self, dt: float) -> None:
        """Advance the kept sequence by ``dt`` seconds (linear interpolation, end held)."""
        t = np.arange(self.params.time_steps) * self.params.model_dt
        self._seq = np.column_stack([np.interp(t + dt, t, self._seq[:, a]) for a in range(2)])

    def compute(self, x: float, y: float, yaw: float, last_v: float, last_w: float,
                dt: float, costmap: Costmap2D) -> Command:
        """One control cycle; ``dt`` is the control period (s), (last_v, last_w) the velocity."""
        for name, value in (('x', x), ('y', y), ('yaw', yaw), ('last_v', last_v),
                            ('last_w', last_w), ('dt', dt)):
            if not math.isfinite(value):
                raise ValueError(f'{name} must be finite, got {value}')
        p = self.params
        if len(self.path) == 0:
            return Command(0.0, 0.0, GOAL_REACHED, distance_to_goal=0.0)
        self._shift(dt)
        self._prune(x, y)
        goal = self.path[-1]
        to_goal = float(np.hypot(goal[0] - x, goal[1] - y))
        local, ends_at_goal, remaining = self._local_path()
        # at the goal: within the tolerance and at the path's end, or within half of it.
        # Also within the tolerance, less than that of path left, and the goal no longer
        # ahead (beside or behind): getting closer would mean turning back, and MPPI
        # crept there until the progress checker aborted (a goal 0.15 m to the side).
        # A goal still ahead is driven to (a pre-grasp pose needs the robot there), and
        # a path that comes back past its goal is not done there (much path left).
        behind = math.cos(yaw) * (goal[0] - x) + math.sin(yaw) * (goal[1] - y) <= 0.0
        if to_goal <= p.xy_goal_tolerance_m and (
                self._closest >= len(self.path) - 3
                or behind and remaining <= p.xy_goal_tolerance_m) \
                or to_goal <= 0.5 * p.xy_goal_tolerance_m:
            self._at_goal = True
        # done once the heading is right and the robot can stop within one cycle
        if self._at_goal and abs(last_v) <= -p.ax_min * dt + 1e-9 \
                and abs(last_w) <= p.az_max * dt + 1e-9 \
                and (self.goal_yaw is None
                     or abs(wrap_angle(self.goal_yaw - yaw)) <= p.yaw_goal_tolerance):
            self.reset()
            return Command(0.0, 0.0, GOAL_REACHED, (float(goal[0]), float(goal[1])), to_goal)
        local32 = local.astype(np.float32)
        path_cost = costmap.costs_at(local[:, 0], local[:, 1], outside=FREE_SPACE)
        blocked = float(np.mean((path_cost >= INSCRIBED_INFLATED_OBSTACLE)
                                & (path_cost != NO_INFORMATION)))
        ctx = None
        mean = self._seq.copy()
        for _ in range(p.iteration_count):
            raw = mean[None].astype(np.float32) + correlated_noise(
                self._rng, p.batch_size, p.time_steps, (p.vx_std, p.wz_std), self._corr)
            raw[0] = mean
            raw[STOP_ROW] = 0.0
            if self._at_goal:
                raw[..., 0] = 0.0  # at the goal position: turn in place only
            vx, wz = self.model.constrain(raw[..., 0], raw[..., 1], last_v, last_w, dt)
            traj = self.model.rollout(x, y, yaw, vx, wz)
            ctx = cr.CriticInput(traj, vx, wz, raw[..., 0], raw[..., 1], p.model_dt,
                                 (x, y, yaw), local32, ends_at_goal,
                                 (float(goal[0]), float(goal[1])),
                                 self.goal_yaw, to_goal, costmap,
                                 furthest_index=int(cr.nearest_on_path(traj[:, -1, :2],
                                                                       local32)[1].max()),
                                 path_blocked_ratio=blocked, at_goal=self._at_goal)
            costs = np.zeros(p.batch_size)
            costs += control_cost(mean, (vx, wz), (p.vx_std, p.wz_std), p.gamma, self._corr)
            for critic in self.critics:
                c = critic.score(ctx)
                if c is not None:
                    costs += c
            weights = softmax_weights(costs, p.temperature)
            mean = np.column_stack([weights @ vx, weights @ wz])
        target = cr.target_point(ctx, p.path_follow.offset_from_furthest) if len(local) else goal
        target = (float(target[0]), float(target[1]))
        remaining = float(remaining)
        status = ROTATING if self._at_goal else FOLLOWING
        collided = ctx.collided
        if collided is not None and np.all(np.delete(collided, STOP_ROW)):
            self.reset()
            return Command(0.0, 0.0, COLLISION_AHEAD, target, remaining)
        # the commands sent before, the last replaced by the velocity the robot reports
        history = np.vstack([self._history[:-1], [[last_v, last_w]]])
        seq = smooth_sequence(mean, history, self._coeffs)
        vx, wz = self.model.constrain(seq[None, :, 0], seq[None, :, 1], last_v, last_w, dt)
        traj = self.model.rollout(x, y, yaw, vx, wz)
        if collided is not None and np.any(self.checker.check(costmap, traj)[1]):
            best = int(np.argmin(costs))
            vx, wz, traj = ctx.vx[best:best + 1], ctx.wz[best:best + 1], ctx.trajectories[best]
        self._seq = np.column_stack([vx[0], wz[0]])
        self.last_trajectory = traj.reshape(-1, 3)
        v, w = float(vx[0, 0]), float(wz[0, 0])
        self._history = np.vstack([self._history, [[v, w]]])[-max(1, len(self._coeffs) // 2):]
        return Command(v, w, status, target, remaining)

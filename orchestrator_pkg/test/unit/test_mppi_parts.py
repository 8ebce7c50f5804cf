"""The pure parts of the MPPI controller: motion model, weighting, noise, smoothing, critics."""
import math

import numpy as np
import pytest

from orchestrator_pkg.planning.controller import footprint_collides
from orchestrator_pkg.planning.costmap import (
    LETHAL_OBSTACLE,
    Costmap2D,
    InflationParams,
    inflate,
    rectangle_footprint,
)
from orchestrator_pkg.planning.mppi import MPPIParams, parameter_specs, params_from_dict
from orchestrator_pkg.planning.mppi import critics as cr
from orchestrator_pkg.planning.mppi.model import DiffDriveModel
from orchestrator_pkg.planning.mppi.optimizer import (
    control_cost,
    correlated_noise,
    innovations,
    savgol_coefficients,
    smooth_sequence,
    softmax_weights,
)

JACKAL = rectangle_footprint(0.508, 0.430)
INFLATION = InflationParams(0.215, 0.55, 3.0)


# -- motion model --------------------------------------------------------------------------
def _model(**kw):
    args = dict(vx_min=-0.35, vx_max=2.0, wz_max=2.0, ax_max=2.5, ax_min=-1.5, az_max=3.2,
                model_dt=0.05)
    args.update(kw)
    return DiffDriveModel(**args)


@pytest.mark.parametrize('v0', [0.0, 1.2, -0.2])
def test_constrain_respects_speed_and_acceleration_limits(v0):
    m = _model()
    rng = np.random.default_rng(1)
    raw_v = rng.normal(0.5, 3.0, (500, 30))
    raw_w = rng.normal(0.0, 5.0, (500, 30))
    vx, wz = m.constrain(raw_v, raw_w, v0, 0.3, first_dt=0.1)
    assert vx.shape == wz.shape == (500, 30)
    assert np.all((vx >= -0.35 - 1e-12) & (vx <= 2.0 + 1e-12))
    assert np.all(np.abs(wz) <= 2.0 + 1e-12)
    prev_v = np.column_stack([np.full(500, v0), vx[:, :-1]])
    prev_w = np.column_stack([np.full(500, 0.3), wz[:, :-1]])
    dts = np.broadcast_to(np.array([0.1] + [0.05] * 29), vx.shape)  # first step: first_dt
    dv = np.abs(vx - prev_v)
    slowing = np.abs(vx) <= np.abs(prev_v)
    speeding_up = ~slowing & (np.sign(vx) * np.sign(prev_v) >= 0)
    # speeding up in either direction: ax_max; slowing down: |ax_min|
    assert np.all(dv[speeding_up] <= 2.5 * dts[speeding_up] + 1e-9)
    assert np.all(dv[slowing] <= 1.5 * dts[slowing] + 1e-9)
    assert np.any(dv[speeding_up] > 1.5 * dts[speeding_up] + 1e-3)  # the asymmetry is used
    assert np.all(np.abs(wz - prev_w) <= 3.2 * dts + 1e-9)
    # the limits bind: the raw samples asked for far more
    assert np.abs(np.diff(raw_v, axis=1)).max() > 1.0


def test_constrain_leaves_a_feasible_sequence_alone_and_brakes_from_above_the_box():
    m = _model()
    v = np.linspace(0.0, 1.0, 11)[None]  # +0.1 per step <= 2.5 * 0.05
    w = np.linspace(0.0, 0.5, 11)[None]
    vx, wz = m.constrain(v, w, 0.0, 0.0)
    assert np.allclose(vx, v) and np.allclose(wz, w)
    # faster than vx_max: the deceleration limit wins over the box
    vx, _ = m.constrain(np.full((1, 5), 2.0), np.zeros((1, 5)), 2.5, 0.0)
    assert np.allclose(vx[0], [2.425, 2.35, 2.275, 2.2, 2.125])


@pytest.mark.parametrize('dtype', [np.float64, np.float32])
@pytest.mark.parametrize('v,w,dt', [(1.0, 0.8, 0.05), (0.5, -1.9, 0.05), (1.5, 0.0, 0.05),
                                    (0.0, 1.0, 0.05), (1.0, 3.0, 0.5)])
def test_rollout_of_constant_controls_lies_on_the_analytic_arc(v, w, dt, dtype):
    m = _model(model_dt=dt, wz_max=5.0)
    x0, y0, th0 = 1.0, -2.0, 0.7
    n = 40
    tr = m.rollout(x0, y0, th0, np.full((2, n), v, dtype), np.full((2, n), w, dtype))
    assert tr.dtype == dtype and tr.shape == (2, n, 3)
    t = np.arange(1, n + 1) * dt
    th = th0 + w * t
    if w == 0.0:
        x, y = x0 + v * t * math.cos(th0), y0 + v * t * math.sin(th0)
    else:
        x = x0 + v / w * (np.sin(th) - math.sin(th0))
        y = y0 - v / w * (np.cos(th) - math.cos(th0))
    tol = 1e-9 if dtype == np.float64 else 1e-4
    assert np.allclose(tr[0, :, 0], x, atol=tol) and np.allclose(tr[0, :, 1], y, atol=tol)
    assert np.allclose(tr[0, :, 2], th, atol=tol)


def test_model_rejects_inconsistent_limits():
    with pytest.raises(ValueError, match='ax_min < 0'):
        _model(ax_min=0.5)


# -- weighting, control cost, noise, smoothing ---------------------------------------------
def test_softmax_weights_favour_lower_cost_and_follow_the_temperature():
    costs = np.array([3.0, 1.0, 2.0, 10.0])
    w = softmax_weights(costs, 1.0)
    assert math.isclose(w.sum(), 1.0)
    assert list(np.argsort(-w)) == list(np.argsort(costs))  # lower cost, higher weight
    assert np.allclose(softmax_weights(costs + 1e6, 1.0), w)  # only differences matter
    cold = softmax_weights(costs, 0.01)
    hot = softmax_weights(costs, 1000.0)
    assert cold[1] > 0.999
    assert np.allclose(hot, 0.25, atol=0.01)
    # a colder temperature concentrates the weight on the best
    assert softmax_weights(costs, 0.3)[1] > w[1] > hot[1]
    assert np.all(np.isfinite(softmax_weights(np.array([0.0, 1e9]), 1e-3)))
    with pytest.raises(ValueError, match='temperature'):
        softmax_weights(costs, 0.0)


def _ar_covariance(n, a, sd):
    i = np.arange(n)
    return sd * sd * a ** np.abs(i[:, None] - i[None, :])


@pytest.mark.parametrize('corr', [0.0, 0.9])
def test_control_cost_is_gamma_u_sigma_inverse_perturbation(corr):
    rng = np.random.default_rng(3)
    T = 12
    mean = np.column_stack([np.linspace(0.5, 1.0, T), np.linspace(-0.2, 0.3, T)])
    vx = mean[:, 0] + rng.normal(0, 0.2, (5, T))
    wz = mean[:, 1] + rng.normal(0, 0.4, (5, T))
    got = control_cost(mean, (vx, wz), (0.2, 0.4), 0.1, corr)
    want = np.zeros(5)
    for a, (s, sd) in enumerate(((vx, 0.2), (wz, 0.4))):
        inv = np.linalg.inv(_ar_covariance(T, corr, sd))
        want += (s - mean[:, a]) @ inv @ mean[:, a]
    assert np.allclose(got, 0.1 * want)
    # with a positive mean, slowing down is cheaper than speeding up
    slower = control_cost(mean, (vx - 0.1, wz), (0.2, 0.4), 0.1, corr)
    assert np.all(slower < got)
    assert np.all(control_cost(mean, (vx, wz), (0.2, 0.4), 0.0, corr) == 0.0)


def test_correlated_noise_has_the_asked_spread_and_correlation():
    rng = np.random.default_rng(4)
    n = correlated_noise(rng, 4000, 30, (0.2, 0.4), 0.8)
    assert n.shape == (4000, 30, 2) and n.dtype == np.float32
    assert np.array_equal(n[2000:], -n[:2000])  # antithetic pairs
    assert np.allclose(n.std(axis=(0, 1)), [0.2, 0.4], rtol=0.05)
    lag1 = np.mean(n[:, 1:, 0] * n[:, :-1, 0]) / np.mean(n[:, :, 0] ** 2)
    assert abs(lag1 - 0.8) < 0.03
    white = correlated_noise(rng, 4000, 30, (0.2, 0.4), 0.0)
    assert abs(np.mean(white[:, 1:, 0] * white[:, :-1, 0]) / 0.04) < 0.03
    # innovations undo the correlation
    e = innovations(n[..., 0].astype(float), 0.8)
    assert abs(np.mean(e[:, 2:] * e[:, 1:-1]) / np.mean(e[:, 1:] ** 2)) < 0.03


def test_savitzky_golay_keeps_polynomials_and_removes_noise():
    c = savgol_coefficients(9, 3)
    assert math.isclose(c.sum(), 1.0)
    t = np.arange(30.0)
    cubic = 0.001 * t ** 3 - 0.02 * t ** 2 + 0.3 * t + 1.0
    seq = np.column_stack([cubic, 2.0 * cubic])
    out = smooth_sequence(seq, seq[:0], c)
    assert np.allclose(out[4:-4], seq[4:-4])  # interior: a cubic passes unchanged
    rng = np.random.default_rng(5)
    noisy = np.column_stack([np.full(200, 1.0), np.zeros(200)]) + rng.normal(0, 0.1, (200, 2))
    smooth = smooth_sequence(noisy, np.array([[1.0, 0.0]]), c)
    assert smooth[10:-10].std(axis=0).max() < 0.7 * noisy[10:-10].std(axis=0).min()
    assert np.allclose(smooth_sequence(noisy, noisy[:0], savgol_coefficients(1, 0)), noisy)
    with pytest.raises(ValueError, match='odd'):
        savgol_coefficients(8, 2)


# -- critics ---------------------------------------------------------------------------------
def _costmap(lethal_cells=()):
    cm = Costmap2D.from_size_m(6.0, 6.0, 0.05, -3.0, -3.0)
    for x, y in lethal_cells:
        col, row, _ = cm.world_to_cell(x, y)
        cm.data[row, col] = LETHAL_OBSTACLE
    cm.data = inflate(cm.data, cm.resolution, INFLATION)
    return cm


def _line(x0, y0, yaw, v, n=20, dt=0.05, w=0.0):
    """One trajectory of constant (v, w): poses and controls."""
    m = _model(vx_max=3.0, vx_min=-1.0, wz_max=3.0)
    vx = np.full((1, n), float(v))
    wz = np.full((1, n), float(w))
    return m.rollout(x0, y0, yaw, vx, wz)[0], vx[0], wz[0]


def _ctx(trajs, path=None, goal=(5.0, 0.0), goal_yaw=None, robot=(0.0, 0.0, 0.0), cm=None,
         raw=None, **kw):
    poses = np.stack([t[0] for t in trajs])
    vx = np.stack([t[1] for t in trajs])
    wz = np.stack([t[2] for t in trajs])
    if path is None:
        path = np.column_stack([np.arange(0.0, 5.0001, 0.05), np.zeros(101)])
    goal_distance = math.hypot(goal[0] - robot[0], goal[1] - robot[1])
    raw_vx, raw_wz = (vx, wz) if raw is None else raw
    ctx = cr.CriticInput(poses, vx, wz, raw_vx, raw_wz, 0.05, robot, path, True, goal,
                         goal_yaw, goal_distance, cm if cm is not None else _costmap(), **kw)
    ctx.furthest_index = int(cr.nearest_on_path(poses[:, -1, :2], path)[1].max())
    return ctx


def _strictly_increasing(values):
    return all(a < b for a, b in zip(values, values[1:], strict=False))


def test_cost_critic_grows_towards_obstacles_and_flags_collisions():
    checker = cr.FootprintChecker(JACKAL, INFLATION)
    critic = cr.CostCritic(MPPIParams().cost, checker, 2.0)
    cm = _costmap([(1.0, y) for y in np.arange(0.6, 0.9, 0.05)])  # a short wall left of x = 1
    # straight lines passing the wall at decreasing clearance, the last one into it
    trajs = [_line(0.0, y, 0.0, 1.0, n=40) for y in (-1.5, 0.1, 0.2, 0.3, 0.7)]
    ctx = _ctx(trajs, cm=cm)
    s = critic.score(ctx)
    assert s[0] == 0.0
    assert _strictly_increasing(list(s))
    assert s[4] == 1e6
    assert list(ctx.collided) == [False, False, False, False, True]
    # near the goal only collisions count
    s_near = critic.score(_ctx(trajs, cm=cm, goal=(0.2, 0.0)))
    assert np.all(s_near[:4] == 0.0) and s_near[4] == 1e6


def test_cost_critic_checks_the_rectangular_footprint_near_obstacles():
    # a post in the cell [1.0, 1.05) x [0.25, 0.30): outside the inscribed circle (0.215 m),
    # inside the circumscribed one (0.333 m); the rectangle's corner (0.254, 0.215) hits it
    # only when turned towards it, and parallel its side passes in the next cell
    post = [(1.0, 0.27)]
    cm = _costmap(post)
    parallel = np.array([[[1.0, 0.0, 0.0]]])
    turned = np.array([[[1.0, 0.0, 0.6]]])
    further = np.array([[[1.0, -0.06, 0.0]]])  # the side two cells from the post
    for margin, near_expected in ((0.0, False), (0.02, True), (0.05, True)):
        checker = cr.FootprintChecker(JACKAL, INFLATION, margin=margin)
        _, hit_parallel, near_parallel = checker.check(cm, parallel)
        _, hit_turned, near_turned = checker.check(cm, turned)
        _, hit_further, near_further = checker.check(cm, further)
        assert not hit_parallel[0, 0] and near_parallel[0, 0] == near_expected, margin
        assert hit_turned[0, 0] and not near_turned[0, 0]
        assert not hit_further[0, 0] and not near_further[0, 0]
    circle = cr.FootprintChecker(JACKAL, INFLATION, consider_footprint=False)
    assert not circle.check(cm, turned)[1][0, 0]


def test_cost_critic_counts_near_misses():
    p = MPPIParams().cost
    checker = cr.FootprintChecker(JACKAL, INFLATION, margin=0.05)
    critic = cr.CostCritic(p, checker, 2.0)
    cm = _costmap([(1.0, y) for y in np.arange(0.6, 0.9, 0.05)])  # wall cells from y = 0.60
    # the side of the robot (0.215 m off its centre) passes the wall 8.5, 3.5 and 1.5 cm away
    trajs = [_line(0.0, y, 0.0, 1.0, n=40) for y in (0.30, 0.35, 0.37)]
    ctx = _ctx(trajs, cm=cm)
    s = critic.score(ctx)
    assert not ctx.collided.any()
    _, _, near = checker.check(cm, ctx.trajectories)
    counts = near.sum(axis=1)
    assert counts[0] == 0 and 0 < counts[1] <= counts[2]
    # each near miss weighs critical_cost / 254 (times the weight) times (v / vx_max)^2
    grazing = p.cost_weight * p.critical_cost / 254.0 * counts[1] * (1.0 / 2.0) ** 2
    assert grazing * 0.9 < s[1] - s[0] < grazing * 1.1 + 1.0
    slow = _ctx([_line(0.0, 0.35, 0.0, 0.25, n=40)], cm=cm)
    assert critic.score(slow)[0] < 0.5 * s[1]  # creeping past is cheaper


def test_footprint_checker_agrees_with_checking_every_pose_in_full():
    # the distance band and the covering circles only skip poses the polygon check clears
    rng = np.random.default_rng(8)
    cells = rng.uniform(-2.5, 2.5, (60, 2))
    cm = _costmap([tuple(c) for c in cells])
    checker = cr.FootprintChecker(JACKAL, INFLATION)
    poses = np.column_stack([rng.uniform(-2.8, 2.8, 20000), rng.uniform(-2.8, 2.8, 20000),
                             rng.uniform(-math.pi, math.pi, 20000)]).astype(np.float32)
    cost, collided, _ = checker.check(cm, poses[:, None, :])
    full = footprint_collides(cm, checker.samples(cm.resolution)[0], poses)
    inscribed = (cost[:, 0] == LETHAL_OBSTACLE) | (cost[:, 0] == 253)
    assert np.array_equal(collided[:, 0], full | inscribed)
    assert 1000 < collided.sum() < 19000  # both verdicts occur
    # along trajectories: the verdict per trajectory is the same
    traj = poses.reshape(500, 40, 3)
    _, col_t, _ = checker.check(cm, traj)
    want = (full | inscribed).reshape(500, 40).any(axis=1)
    assert np.array_equal(col_t.any(axis=1), want)


def test_goal_and_goal_angle_critics_prefer_the_goal_and_its_heading():
    goal = (1.0, 0.0)
    p = MPPIParams()
    trajs = [_line(0.0, 0.0, 0.0, v, n=20) for v in (1.0, 0.6, 0.2, 0.0)]  # end 1.0 .. 0 m
    ctx = _ctx(trajs, goal=goal, goal_yaw=0.0)
    s = cr.GoalCritic(p.goal).score(ctx)
    assert _strictly_increasing(list(s))
    far = _ctx(trajs, goal=(4.0, 0.0))
    assert cr.GoalCritic(p.goal).score(far) is None
    turns = [_line(0.9, 0.0, 0.0, 0.0, w=w, n=10) for w in (0.0, 0.5, 1.0, -1.5)]
    near = _ctx(turns, goal=goal, goal_yaw=0.0, robot=(0.9, 0.0, 0.0))
    a = cr.GoalAngleCritic(p.goal_angle).score(near)
    assert _strictly_increasing(list(a))
    assert cr.GoalAngleCritic(p.goal_angle).score(_ctx(turns, goal=goal, robot=(0.9, 0.0, 0.0))) \
        is None


def test_path_align_prefers_staying_on_the_path_unless_it_is_blocked_or_near_the_goal():
    p = MPPIParams().path_align
    trajs = [_line(0.0, y, 0.0, 1.5, n=40) for y in (0.0, 0.1, 0.3)]
    ctx = _ctx(trajs)
    s = cr.PathAlignCritic(p).score(ctx)
    assert _strictly_increasing(list(s))
    assert s[0] < 0.02 * p.cost_weight and math.isclose(s[1], p.cost_weight * 0.1, rel_tol=0.05)
    blocked = _ctx(trajs, path_blocked_ratio=0.5)
    assert cr.PathAlignCritic(p).score(blocked) is None
    assert cr.PathAlignCritic(p).score(_ctx(trajs, goal=(0.3, 0.0))) is None
    slow = [_line(0.0, y, 0.0, 0.1, n=40) for y in (0.0, 0.1)]  # not yet tracking the path
    assert cr.PathAlignCritic(p).score(_ctx(slow)) is None


def test_path_follow_prefers_progress_along_the_path_up_to_the_desired_speed():
    p = MPPIParams().path_follow
    trajs = [_line(0.0, 0.0, 0.0, v, n=40) for v in (2.0, 1.5, 1.0, 0.5, 0.0)]
    s = cr.PathFollowCritic(p, 2.0).score(_ctx(trajs))
    assert _strictly_increasing(list(s))
    assert cr.PathFollowCritic(p, 2.0).score(_ctx(trajs, goal=(0.5, 0.0))) is None
    # with a cruise speed of 1 m/s the target lies 2 m (+ offset) ahead: 1 m/s is best
    s1 = cr.PathFollowCritic(p, 1.0).score(_ctx(trajs))
    assert np.argmin(s1) == 2 and s1[3] > s1[2] and s1[1] > s1[2]


def test_path_angle_turns_a_robot_facing_away_towards_the_path():
    p = MPPIParams().path_angle
    robot = (0.0, 0.0, math.pi)  # facing away from a path along +x
    trajs = [_line(0.0, 0.0, math.pi, 0.0, w=w, n=30) for w in (2.0, 1.0, 0.3)]
    s = cr.PathAngleCritic(p).score(_ctx(trajs, robot=robot))
    assert _strictly_increasing(list(s))  # turning faster towards the path is better
    facing = [_line(0.0, 0.0, 0.0, 0.5, n=30)]
    assert cr.PathAngleCritic(p).score(_ctx(facing)) is None
    back = MPPIParams().path_angle
    back.forward_preference = False
    assert cr.PathAngleCritic(back).score(_ctx(trajs, robot=robot)) is None


def test_prefer_forward_speed_constraint_and_twirling_critics():
    p = MPPIParams()
    trajs = [_line(0.0, 0.0, 0.0, v, n=20) for v in (0.5, -0.1, -0.3)]
    s = cr.PreferForwardCritic(p.prefer_forward).score(_ctx(trajs))
    assert s[0] == 0.0 and _strictly_increasing(list(s))
    speeds = [_line(0.0, 0.0, 0.0, v, n=20) for v in (1.0, 1.2, 0.6, 0.0)]
    speed = cr.SpeedCritic(p.speed, p.desired_linear_vel)
    sp = speed.score(_ctx(speeds))
    assert sp[0] == 0.0 and _strictly_increasing(list(sp))
    backwards = speed.score(_ctx([_line(0.0, 0.0, 0.0, -1.0, n=20)]))
    assert backwards[0] == 0.0  # the speed counts; the direction is prefer-forward's
    assert speed.score(_ctx(speeds, goal=(1.0, 0.0))) is None
    # constraint: how far the raw samples were beyond the limits
    base = _line(0.0, 0.0, 0.0, 1.0, n=10)
    raw_v = np.array([np.full(10, 1.0), np.full(10, 2.5), np.full(10, 3.0)])
    raw_w = np.zeros((3, 10))
    ctx = _ctx([base] * 3, raw=(raw_v, raw_w))
    c = cr.ConstraintCritic(p.constraint, p.vx_min, p.vx_max, p.wz_max).score(ctx)
    assert c[0] == 0.0 and _strictly_increasing(list(c))
    assert math.isclose(c[1], p.constraint.cost_weight * 0.5 * 10 * 0.05)
    turns = [_line(0.0, 0.0, 0.0, 1.0, w=w, n=10) for w in (0.0, 0.5, -1.0)]
    t = cr.TwirlingCritic(p.twirling).score(_ctx(turns))
    assert t[0] == 0.0 and _strictly_increasing(list(t))
    assert cr.TwirlingCritic(p.twirling).score(_ctx(turns, at_goal=True)) is None


def test_weight_power_and_enabled_shape_every_critic():
    p = MPPIParams().speed
    speeds = [_line(0.0, 0.0, 0.0, v, n=20) for v in (0.5, 0.0)]
    p.cost_weight, p.cost_power = 2.0, 2
    s = cr.SpeedCritic(p, 1.0).score(_ctx(speeds))
    assert np.allclose(s, 2.0 * np.array([0.5, 1.0]) ** 2)
    p.enabled = False
    assert cr.SpeedCritic(p, 1.0).score(_ctx(speeds)) is None


def test_nearest_on_path_matches_brute_force():
    rng = np.random.default_rng(6)
    t = np.linspace(0, 3 * math.pi / 2, 120)
    path = np.column_stack([2 * np.cos(t), 2 * np.sin(t)])
    spacing = float(np.hypot(*(path[1] - path[0])))
    pts = rng.uniform(-3, 3, (2000, 2))
    d, i = cr.nearest_on_path(pts, path)
    full = np.hypot(pts[:, None, 0] - path[None, :, 0], pts[:, None, 1] - path[None, :, 1])
    best = full.min(axis=1)
    assert np.allclose(full[np.arange(len(pts)), i], d)
    assert np.all(d >= best - 1e-12) and np.all(d <= best + 2.5 * spacing)
    close = best < 0.5  # near the path the answer is exact
    assert close.sum() > 300 and np.allclose(d[close], best[close])


# -- parameters ----------------------------------------------------------------------------
def test_every_parameter_has_a_description_and_a_range_holding_its_default():
    specs = parameter_specs()
    names = [s.name for s in specs]
    assert len(names) == len(set(names))
    for name in ('batch_size', 'time_steps', 'model_dt', 'vx_std', 'wz_std', 'temperature',
                 'gamma', 'CostCritic.cost_weight', 'PathFollowCritic.offset_from_furthest',
                 'GoalAngleCritic.threshold_to_consider', 'desired_linear_vel'):
        assert name in names
    for s in specs:
        assert len(s.description) > 10, s.name
        if isinstance(s.value, bool):
            assert s.lo is None and s.hi is None
        else:
            assert s.lo <= s.value <= s.hi, s.name
            assert type(s.lo) is type(s.value), s.name
    MPPIParams().validate()


def test_params_from_dict_sets_fields_and_names_the_bad_one():
    base = MPPIParams()
    p = params_from_dict({'batch_size': 500, 'CostCritic.cost_weight': 5, 'vx_max': 1.5,
                          'desired_linear_vel': 1.2}, base=base)
    assert p.batch_size == 500 and p.cost.cost_weight == 5.0 and p.vx_max == 1.5
    assert isinstance(p.cost.cost_weight, float)
    assert base.cost.cost_weight == MPPIParams().cost.cost_weight != 5.0  # base untouched
    for bad, field in (({'batch_size': 3}, 'batch_size'),
                       ({'Nope.cost_weight': 1.0}, 'Nope.cost_weight'),
                       ({'banana': 1}, 'banana'),
                       ({'PathAlignCritic.cost_weight': -1.0}, 'PathAlignCritic.cost_weight'),
                       ({'time_steps': 20.5}, 'time_steps'),
                       ({'CostCritic.enabled': 1}, 'CostCritic.enabled'),
                       ({'temperature': math.nan}, 'temperature'),
                       ({'desired_linear_vel': 3.0}, 'desired_linear_vel'),
                       ({'smoothing_window': 8}, 'smoothing_window')):
        with pytest.raises(ValueError, match=field.replace('.', r'\.')):
            params_from_dict(bad)

"""The MPPI controller closed loop, on a kinematic robot (benchmark/kinematic.py), no ROS."""
import math

import numpy as np
import pytest

from orchestrator_pkg.benchmark import kinematic
from orchestrator_pkg.planning import controller as rpp
from orchestrator_pkg.planning import planner
from orchestrator_pkg.planning.costmap import (
    LETHAL_OBSTACLE,
    Costmap2D,
    InflationParams,
    inflate,
    rectangle_footprint,
)
from orchestrator_pkg.planning.mppi import MPPIController, MPPIParams

JACKAL = rectangle_footprint(kinematic.JACKAL_LENGTH_M, kinematic.JACKAL_WIDTH_M)
INFLATION = InflationParams(0.215, 0.55, 3.0)
DT = kinematic.DT


def _controller(**kw):
    return MPPIController(MPPIParams(**kw), JACKAL, INFLATION)


def _costmap(lethal_boxes=(), size=(12.0, 8.0), origin=(-2.0, -4.0)):
    cm = Costmap2D.from_size_m(size[0], size[1], 0.05, *origin)
    for x0, y0, x1, y1 in lethal_boxes:
        c0, r0, _ = cm.world_to_cell(x0, y0)
        c1, r1, _ = cm.world_to_cell(x1, y1)
        cm.data[max(r0, 0):r1 + 1, max(c0, 0):c1 + 1] = LETHAL_OBSTACLE
    cm.data = inflate(cm.data, cm.resolution, INFLATION)
    return cm


def _run(ctl, cm, start, steps=400, v0=0.0):
    x, y, yaw = start
    v, w = v0, 0.0
    trace = []
    for _ in range(steps):
        cmd = ctl.compute(x, y, yaw, v, w, DT, cm)
        trace.append((x, y, yaw, cmd.linear_x, cmd.angular_z, cmd.status))
        if cmd.status == rpp.GOAL_REACHED:
            break
        v, w = cmd.linear_x, cmd.angular_z
        x, y, yaw = kinematic.step(x, y, yaw, v, w, DT)
    return trace


def _lethal_hits(cm, trace):
    samples = rpp.footprint_points(JACKAL, cm.resolution * 0.5)
    poses = np.array([t[:3] for t in trace])
    return rpp.footprint_collides(cm, samples, poses)


def test_follows_a_straight_path_to_the_goal_within_the_limits():
    p = MPPIParams()
    ctl = MPPIController(p, JACKAL, INFLATION)
    ctl.set_path(np.column_stack([np.linspace(0.0, 6.0, 121), np.zeros(121)]))
    trace = _run(ctl, _costmap(), (0.0, 0.0, 0.0))
    assert trace[-1][5] == rpp.GOAL_REACHED
    assert math.hypot(trace[-1][0] - 6.0, trace[-1][1]) <= p.xy_goal_tolerance_m
    ys = np.array([t[1] for t in trace])
    assert np.abs(ys).max() < 0.1  # stayed on the line
    v = np.array([0.0] + [t[3] for t in trace])
    w = np.array([0.0] + [t[4] for t in trace])
    assert v.min() >= p.vx_min - 1e-9 and v.max() <= p.vx_max + 1e-9
    assert np.abs(w).max() <= p.wz_max + 1e-9
    assert np.all(np.abs(np.diff(v)) <= p.ax_max * DT + 1e-6)
    assert np.all(np.abs(np.diff(w)) <= p.az_max * DT + 1e-6)
    assert v.max() > 0.8 * p.desired_linear_vel  # it got up to speed
    assert len(trace) * DT < 2.0 * 6.0 / p.desired_linear_vel


def test_follows_a_curved_path_and_turns_to_the_goal_heading():
    p = MPPIParams()
    ctl = MPPIController(p, JACKAL, INFLATION)
    t = np.linspace(0.0, math.pi, 200)
    path = np.column_stack([2.0 * np.sin(t), 2.0 - 2.0 * np.cos(t)])  # half circle, radius 2
    ctl.set_path(path, goal_yaw=math.pi)
    trace = _run(ctl, _costmap(), (0.0, 0.0, 0.0), steps=600)
    assert trace[-1][5] == rpp.GOAL_REACHED
    x, y, yaw = trace[-1][:3]
    assert math.hypot(x - path[-1, 0], y - path[-1, 1]) <= p.xy_goal_tolerance_m
    assert abs(rpp.wrap_angle(yaw - math.pi)) <= p.yaw_goal_tolerance
    pts = np.array([tr[:2] for tr in trace])
    off = np.hypot(pts[:, None, 0] - path[None, :, 0], pts[:, None, 1] - path[None, :, 1])
    assert off.min(axis=1).max() < 0.2  # cross-track error


def test_drives_through_clutter_without_entering_a_lethal_cell():
    boxes = [(2.0, -4.0, 2.3, 0.35), (4.5, -0.35, 4.8, 4.0), (6.8, -0.9, 7.1, 0.9)]
    cm = _costmap(boxes)
    res = planner.plan(cm, (0.0, 0.0), (9.0, 0.0))
    assert res.ok, res.message
    ctl = _controller()
    ctl.set_path(res.path)
    trace = _run(ctl, cm, (0.0, 0.0, 0.0), steps=600)
    assert trace[-1][5] == rpp.GOAL_REACHED
    assert not np.any(_lethal_hits(cm, trace))


def _wall_with_gap(x_wall, gap, half_length=3.0, radius=0.1):
    """Discs (x, y, r) forming a wall across y at ``x_wall`` with a gap of ``gap`` metres."""
    ys = np.arange(gap / 2 + radius, half_length, radius)
    ys = np.concatenate([ys, -ys])
    return np.column_stack([np.full(len(ys), x_wall), ys, np.full(len(ys), radius)])


def test_threads_a_gap_ten_centimetres_wider_than_the_robot():
    # the whole loop: lidar, costmaps from scans, A* replanning, MPPI at 20 Hz
    gap = kinematic.JACKAL_WIDTH_M + 0.10
    discs = _wall_with_gap(2.0, gap)
    run = kinematic.run_world(discs, lambda fp: MPPIController(MPPIParams(), fp, INFLATION),
                              start=(0.0, 0.0, 0.0), goal=(4.0, 0.0), time_limit_s=30.0,
                              success_radius_m=0.3, keep_trace=True)
    assert run.status == 'succeeded', run.status  # 'collided' = the footprint touched a disc
    assert run.recoveries == 0
    xs = np.array([t[0] for t in run.trace])
    assert xs.max() > 2.5  # through the wall, not around it (the wall is 6 m long)
    ys = np.array([t[1] for t in run.trace])
    assert np.abs(ys).max() < 1.0


def test_a_robot_that_acts_late_needs_latency_compensation_in_a_zigzag():
    # three walls whose gaps alternate sides: MPPI turns hard close to the discs.
    # The robot moves at a command 0.25 s after it is sent (then with a 0.05 s
    # lag), as a base behind a driver's tick does: planning from the measured pose
    # hits a disc; planning from where the commands already sent lead gets through
    discs = np.vstack([_wall_with_gap(2.0, 0.6) + [0.0, 0.5, 0.0],
                       _wall_with_gap(3.5, 0.6) + [0.0, -0.5, 0.0],
                       _wall_with_gap(5.0, 0.6) + [0.0, 0.5, 0.0]])
    runs = {compensate: kinematic.run_world(
        discs, lambda fp: MPPIController(MPPIParams(), fp, INFLATION), start=(0.0, 0.0, 0.0),
        goal=(7.0, 0.0), time_limit_s=30.0, success_radius_m=0.3, actuation_delay_s=0.25,
        response_time_s=0.05, compensate=compensate) for compensate in (False, True)}
    assert runs[False].status == 'collided'
    assert runs[True].status == 'succeeded'
    assert runs[True].recoveries == 0


def test_stops_short_of_a_wall_across_the_path_without_entering_it():
    cm = _costmap([(3.0, -4.0, 3.3, 4.0)])
    ctl = _controller()
    ctl.set_path(np.column_stack([np.linspace(0.0, 6.0, 121), np.zeros(121)]))
    trace = _run(ctl, cm, (0.0, 0.0, 0.0), steps=200)
    assert not np.any(_lethal_hits(cm, trace))
    assert max(t[0] for t in trace) < 3.0 - 0.254
    assert max(t[0] for t in trace) > 1.5  # it did drive towards it
    assert all(abs(t[3]) < 0.2 for t in trace[-40:])  # and stays stopped


def test_stops_when_every_trajectory_collides():
    # a wall appears 0.3 m ahead of the bumper while the robot drives at 1.5 m/s: braking
    # takes 0.45 m and no turn is tight enough, so every sample collides
    cm = _costmap([(0.254 + 0.3, -4.0, 0.254 + 0.45, 4.0)])
    ctl = _controller()
    ctl.set_path(np.column_stack([np.linspace(0.0, 6.0, 121), np.zeros(121)]))
    cmd = ctl.compute(0.0, 0.0, 0.0, 1.5, 0.0, DT, cm)
    assert cmd.status == rpp.COLLISION_AHEAD
    assert cmd.linear_x == 0.0 and cmd.angular_z == 0.0
    # with the wall 1.5 m further away it brakes (or steers) instead
    cm_far = _costmap([(0.254 + 1.8, -4.0, 0.254 + 1.95, 4.0)])
    ctl2 = _controller()
    ctl2.set_path(np.column_stack([np.linspace(0.0, 6.0, 121), np.zeros(121)]))
    cmd = ctl2.compute(0.0, 0.0, 0.0, 1.5, 0.0, DT, cm_far)
    assert cmd.status == rpp.FOLLOWING


def test_a_footprint_already_on_an_obstacle_is_a_collision_ahead():
    cm = _costmap([(0.2, -0.02, 0.22, 0.02)])  # a post under the robot's front
    ctl = _controller()
    ctl.set_path([[0.0, 0.0], [3.0, 0.0]])
    cmd = ctl.compute(0.0, 0.0, 0.0, 0.0, 0.0, DT, cm)
    assert (cmd.status, cmd.linear_x, cmd.angular_z) == (rpp.COLLISION_AHEAD, 0.0, 0.0)


def test_same_seed_same_commands_other_seed_other_commands():
    cm = _costmap([(2.0, -0.5, 2.3, 0.2)])
    path = np.column_stack([np.linspace(0.0, 5.0, 101), np.zeros(101)])

    def commands(seed):
        ctl = _controller(seed=seed)
        ctl.set_path(path)
        return [(t[3], t[4]) for t in _run(ctl, cm, (0.0, 0.0, 0.0), steps=30)]

    assert commands(7) == commands(7)
    assert commands(7) != commands(8)


def test_bad_input_is_rejected_with_the_field_named():
    ctl = _controller()
    with pytest.raises(ValueError, match='no poses'):
        ctl.set_path(np.zeros((0, 2)))
    with pytest.raises(ValueError, match='non-finite'):
        ctl.set_path([[0.0, math.nan]])
    with pytest.raises(ValueError, match='goal_yaw'):
        ctl.set_path([[0.0, 0.0], [1.0, 0.0]], goal_yaw=math.inf)
    ctl.set_path([[0.0, 0.0], [0.5, 0.0], [0.5, 0.0], [1.0, 0.0], [1.0, 0.0]])
    assert len(ctl.path) == 3  # repeated points dropped
    with pytest.raises(ValueError, match='yaw'):
        ctl.compute(0.0, 0.0, math.nan, 0.0, 0.0, DT, _costmap())
    with pytest.raises(ValueError, match='vx_max'):
        _controller(vx_max=-1.0)
    empty = _controller()
    assert empty.compute(0.0, 0.0, 0.0, 0.0, 0.0, DT, _costmap()).status == rpp.GOAL_REACHED


def test_a_moved_path_keeps_the_progress_and_a_robot_on_it_reaches_its_goal():
    # controller_server re-expresses a map-frame path in odom every cycle (move_path)
    p = MPPIParams()
    ctl = MPPIController(p, JACKAL, INFLATION)
    line = np.column_stack([np.linspace(0.0, 6.0, 121), np.zeros(121)])
    line = np.vstack([line[:10], line[9:]])  # a repeated pose (set_path drops it)
    ctl.set_path(line)
    trace = _run(ctl, _costmap(), (0.0, 0.0, 0.0), steps=40)
    progress = ctl._closest
    assert progress > 10
    ahead = ctl.remaining_path(1.0)
    assert len(ahead) > 1 and np.isclose(np.hypot(*np.diff(ahead, axis=0).T).sum(), 1.0,
                                         atol=0.06)
    # map -> odom moved by 0.3 m sideways: same poses, moved; the progress is kept
    shift = np.array([0.0, 0.3])
    ctl.move_path(line + shift)
    assert ctl._closest == progress
    assert np.allclose(ctl.remaining_path(1.0), ahead + shift)
    x, y, yaw = trace[-1][:3]
    rest = _run(ctl, _costmap(), (x, y, yaw), steps=400, v0=trace[-1][3])
    assert rest[-1][5] == rpp.GOAL_REACHED
    assert math.hypot(rest[-1][0] - 6.0, rest[-1][1] - 0.3) <= p.xy_goal_tolerance_m
    with pytest.raises(ValueError, match='move_path: 5 poses for a path of 122'):
        ctl.move_path(line[:5])
    with pytest.raises(ValueError, match='non-finite'):
        ctl.move_path(np.full_like(line, np.nan))


def test_a_goal_beside_the_robot_within_tolerance_is_reached_one_ahead_is_driven_to():
    # a planner's path, a pose every 0.05 m, ending at (3, 0)
    p = MPPIParams()
    line = np.column_stack([np.linspace(0.0, 3.0, 61), np.zeros(61)])

    def status(path, x, y, yaw):
        ctl = MPPIController(p, JACKAL, INFLATION)
        ctl.set_path(path)
        return ctl.compute(x, y, yaw, 0.0, 0.0, DT, _costmap()).status
    # 0.2 m short, facing the goal: within xy_goal_tolerance_m (0.25) but 4 poses
    # short and the goal ahead: driven to (a pre-grasp pose needs the robot there)
    assert status(line, 2.8, 0.0, 0.0) != rpp.GOAL_REACHED
    # a path that turns left for its last 0.2 m; the robot went 5 cm past the corner
    # and the goal is behind it to the left, 0.21 m away, the nearest pose 4 short of
    # the end (the warehouse's look-up goal, where MPPI crept until the progress
    # checker aborted): reached
    corner = np.vstack([line, [[3.0, 0.05], [3.0, 0.1], [3.0, 0.15], [3.0, 0.2]]])
    assert status(corner, 3.05, 0.0, 0.0) == rpp.GOAL_REACHED
    # a path that passes by its goal and comes back to it: the goal 0.18 m away and
    # behind the robot, but 2.6 m of path left, so not done
    detour = np.vstack([line[:57], [[2.8, 1.0], [3.2, 1.0], [3.2, 0.0], [3.0, 0.0]]])
    assert status(detour, 2.85, -0.1, math.pi) != rpp.GOAL_REACHED

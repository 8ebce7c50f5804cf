import math

import numpy as np
import pytest

from orchestrator_pkg.planning import controller as ctl
from orchestrator_pkg.planning import planner
from orchestrator_pkg.planning.costmap import (
    LETHAL_OBSTACLE,
    Costmap2D,
    InflationParams,
    inflate,
    rectangle_footprint,
)

JACKAL = rectangle_footprint(0.508, 0.430)
DT = 0.05


def _costmap(lethal_boxes=(), size=(10.0, 6.0), origin=(-1.0, -3.0)):
    cm = Costmap2D.from_size_m(size[0], size[1], 0.05, *origin)
    for x0, y0, x1, y1 in lethal_boxes:
        c0, r0, _ = cm.world_to_cell(x0, y0)
        c1, r1, _ = cm.world_to_cell(x1, y1)
        cm.data[max(r0, 0):r1 + 1, max(c0, 0):c1 + 1] = LETHAL_OBSTACLE
    cm.data = inflate(cm.data, cm.resolution, InflationParams(0.215, 0.6, 3.0))
    return cm


def _run(controller, cm, start, steps=600, on_step=None):
    x, y, yaw = start
    v = w = 0.0
    trace = []
    for i in range(steps):
        if on_step:
            on_step(i, controller)
        cmd = controller.compute(x, y, yaw, v, w, DT, cm)
        trace.append((x, y, yaw, cmd.linear_x, cmd.angular_z, cmd.status))
        if cmd.status == ctl.GOAL_REACHED:
            break
        v, w = cmd.linear_x, cmd.angular_z
        x += v * math.cos(yaw) * DT
        y += v * math.sin(yaw) * DT
        yaw += w * DT
    return trace


def _footprint_hits(cm, trace):
    samples = ctl.footprint_points(JACKAL, 0.025)
    poses = np.array([t[:3] for t in trace])
    return ctl.footprint_collides(cm, samples, poses)


def test_follows_a_planned_path_through_clutter_to_the_goal():
    boxes = [(2.0, -3.0, 2.3, 0.3), (4.5, -0.3, 4.8, 3.0)]
    cm = _costmap(boxes)
    res = planner.plan(cm, (0.0, 0.0), (7.0, 0.0))
    assert res.ok, res.message
    c = ctl.RegulatedPurePursuit(ctl.ControllerParams(), JACKAL)
    c.set_path(res.path)
    trace = _run(c, cm, (0.0, 0.0, 0.0))
    assert trace[-1][5] == ctl.GOAL_REACHED
    assert math.hypot(trace[-1][0] - 7.0, trace[-1][1]) <= 0.25
    assert not np.any(_footprint_hits(cm, trace))


def test_respects_velocity_and_acceleration_limits():
    p = ctl.ControllerParams(desired_linear_vel=1.5, max_vel_x=2.0, max_vel_theta=1.0,
                             max_linear_accel=1.0, max_linear_decel=1.5, max_angular_accel=2.0)
    cm = _costmap()
    c = ctl.RegulatedPurePursuit(p, JACKAL)
    t = np.linspace(0, math.pi, 200)
    c.set_path(np.column_stack([3 * np.sin(t) + 0.0, 1.5 - 1.5 * np.cos(t)]))
    trace = _run(c, cm, (0.0, 0.0, 0.0), steps=1000)
    v = np.array([0.0] + [s[3] for s in trace])
    w = np.array([0.0] + [s[4] for s in trace])
    assert np.all(np.abs(v) <= p.max_vel_x + 1e-9) and np.all(np.abs(w) <= 1.0 + 1e-9)
    dv = np.diff(v)
    assert np.all(dv <= p.max_linear_accel * DT + 1e-9)
    assert np.all(dv >= -p.max_linear_decel * DT - 1e-9)
    assert np.all(np.abs(np.diff(w)) <= p.max_angular_accel * DT + 1e-9)
    assert trace[-1][5] == ctl.GOAL_REACHED
    assert v.max() > 1.0  # it did speed up on the way


def test_stops_before_a_lethal_obstacle_on_the_path():
    cm = _costmap([(3.0, -0.5, 3.3, 0.5)])
    c = ctl.RegulatedPurePursuit(ctl.ControllerParams(desired_linear_vel=1.5), JACKAL)
    c.set_path(np.column_stack([np.linspace(0, 6, 121), np.zeros(121)]))  # straight through it
    trace = _run(c, cm, (0.0, 0.0, 0.0), steps=400)
    assert trace[-1][5] == ctl.COLLISION_AHEAD
    assert trace[-1][3] == 0.0 and trace[-1][4] == 0.0
    assert not np.any(_footprint_hits(cm, trace))
    assert 1.5 < trace[-1][0] < 3.0 - 0.254  # it got going, then stopped short


def test_rotates_in_place_toward_a_path_behind():
    cm = _costmap()
    c = ctl.RegulatedPurePursuit(ctl.ControllerParams(), JACKAL)
    c.set_path(np.column_stack([np.linspace(0, -0.9, 10), np.zeros(10)]))
    cmd = c.compute(0.0, 0.0, 0.0, 0.0, 0.0, DT, cm)
    assert cmd.status == ctl.ROTATING and cmd.linear_x == 0.0 and cmd.angular_z != 0.0


def test_rotation_is_refused_when_a_corner_would_hit():
    # obstacle just beside the front-left corner: rotating left would sweep into it
    cm = Costmap2D.from_size_m(4.0, 4.0, 0.05, -2.0, -2.0)
    col, row, _ = cm.world_to_cell(0.20, 0.26)
    cm.data[row, col] = LETHAL_OBSTACLE
    c = ctl.RegulatedPurePursuit(ctl.ControllerParams(), JACKAL)
    c.set_path([[-0.01, 1.0], [-0.01, 1.5]])
    cmd = c.compute(0.0, 0.0, 0.0, 0.0, 0.0, DT, cm)
    assert cmd.status == ctl.COLLISION_AHEAD


def test_goal_heading_and_checkers():
    cm = _costmap()
    c = ctl.RegulatedPurePursuit(ctl.ControllerParams(), JACKAL)
    c.set_path([[0.0, 0.0], [0.05, 0.0]], goal_yaw=math.pi / 2)
    trace = _run(c, cm, (0.0, 0.0, 0.0))
    assert trace[-1][5] == ctl.GOAL_REACHED
    assert abs(ctl.wrap_angle(trace[-1][2] - math.pi / 2)) <= 0.25
    gc = ctl.GoalChecker(0.25, 0.25)
    assert gc.reached(0.1, 0.1, 0.0, 0.0, 0.0)
    assert not gc.reached(0.1, 0.1, 0.0, 0.0, 0.0, goal_yaw=1.0)
    assert not gc.reached(0.3, 0.0, 0.0, 0.0, 0.0)
    pc = ctl.ProgressChecker(0.5, 10.0)
    assert pc.check(0.0, 0.0, 0.0) and pc.check(0.2, 0.0, 9.0)
    assert not pc.check(0.3, 0.0, 10.5)
    assert pc.check(0.9, 0.0, 11.0) and pc.check(0.9, 0.0, 20.0)
    assert not pc.check(0.9, 0.0, 21.5)


def test_bad_parameters_and_paths_are_rejected():
    with pytest.raises(ValueError, match='max_lookahead_dist_m'):
        ctl.RegulatedPurePursuit(ctl.ControllerParams(max_lookahead_dist_m=0.1), JACKAL)
    with pytest.raises(ValueError, match='desired_linear_vel'):
        ctl.RegulatedPurePursuit(ctl.ControllerParams(desired_linear_vel=3.0), JACKAL)
    c = ctl.RegulatedPurePursuit(ctl.ControllerParams(), JACKAL)
    with pytest.raises(ValueError, match='no poses'):
        c.set_path(np.zeros((0, 2)))
    with pytest.raises(ValueError, match='non-finite'):
        c.set_path([[0.0, math.nan]])


def test_path_cusps_are_where_the_path_turns_back():
    out = np.column_stack([np.linspace(0.0, 2.0, 41), np.zeros(41)])
    back = np.column_stack([np.linspace(2.0, 0.0, 41), np.full(41, 0.05)])
    path = np.vstack([out, out[-1:], back])  # a leg's end repeated as the next's start
    (cusp,) = ctl.path_cusps(path)
    assert math.hypot(*(path[cusp] - (2.0, 0.0))) <= 0.05, path[cusp]  # at the via pose
    corner = np.vstack([out, np.column_stack([np.full(20, 2.0), np.linspace(0.05, 1.0, 20)])])
    assert ctl.path_cusps(corner).size == 0  # a right angle is a corner, not a cusp
    assert ctl.path_cusps(out[:1]).size == 0


def test_a_path_that_returns_the_way_it_came_is_followed_to_its_turning_point():
    # a through-poses path to a via pose 3 m ahead and back: the carrot and the
    # closest pose stop at the cusp, so the robot reaches the via pose (within the
    # goal tolerance), turns there and comes back; before, the carrot jumped to the
    # way back one lookahead short of the via pose (and the robot stopped on the way
    # out where it passed the goal)
    cm = _costmap(size=(8.0, 6.0), origin=(-3.0, -3.0))
    out = np.column_stack([np.linspace(0.0, 3.0, 61), np.zeros(61)])
    back = np.column_stack([np.linspace(3.0, 1.0, 41), np.full(41, 0.05)])
    path = np.vstack([out, back])
    c = ctl.RegulatedPurePursuit(ctl.ControllerParams(desired_linear_vel=0.5, max_vel_x=0.5),
                                 JACKAL)
    c.set_path(path)
    trace = _run(c, cm, (0.0, 0.0, 0.0), steps=1200)
    assert trace[-1][5] == ctl.GOAL_REACHED
    xs = np.array([t[0] for t in trace])
    closest = float(np.min(np.hypot(xs - 3.0, np.array([t[1] for t in trace]))))
    assert closest <= c.params.xy_goal_tolerance_m, closest
    assert math.hypot(trace[-1][0] - 1.0, trace[-1][1] - 0.05) <= c.params.xy_goal_tolerance_m
    assert ctl.ROTATING in [t[5] for t in trace]  # it turned in place at the via pose


def test_remaining_path_is_the_path_ahead_up_to_a_length():
    c = ctl.RegulatedPurePursuit(ctl.ControllerParams(), JACKAL)
    c.set_path(np.column_stack([np.linspace(0.0, 3.0, 61), np.zeros(61)]))
    c.compute(1.0, 0.0, 0.0, 0.0, 0.0, DT, _costmap())  # prunes up to the robot
    ahead = c.remaining_path(1.5)
    assert ahead[0] == pytest.approx((1.0, 0.0)) and ahead[-1] == pytest.approx((2.5, 0.0))
    assert c.remaining_path(10.0)[-1] == pytest.approx((3.0, 0.0))

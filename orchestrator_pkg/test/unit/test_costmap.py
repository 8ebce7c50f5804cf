import math

import numpy as np
import pytest

from orchestrator_pkg.planning.costmap import (
    FREE_SPACE,
    INSCRIBED_INFLATED_OBSTACLE,
    LETHAL_OBSTACLE,
    NO_INFORMATION,
    Costmap2D,
    CostmapError,
    InflationParams,
    LaserScanData,
    LayeredCostmap,
    distance_to_obstacles,
    footprint_radii,
    inflate,
    invalid_path_poses,
    rectangle_footprint,
    square_mask,
    static_layer_from_occupancy,
)


def test_world_cell_round_trip_and_bounds():
    cm = Costmap2D(20, 10, 0.1, origin_x=-1.0, origin_y=2.0)
    col, row, inside = cm.world_to_cell(-0.95, 2.05)
    assert (int(col), int(row), bool(inside)) == (0, 0, True)
    col, row, inside = cm.world_to_cell(0.99, 2.99)
    assert (int(col), int(row), bool(inside)) == (19, 9, True)
    for x, y in [(-1.01, 2.5), (1.0, 2.5), (0.0, 1.99), (0.0, 3.0)]:
        assert not cm.is_inside(x, y), (x, y)
    x, y = cm.cell_to_world(3, 4)
    assert math.isclose(float(x), -0.65) and math.isclose(float(y), 2.45)
    assert cm.cost_at(5.0, 5.0) == NO_INFORMATION


def test_bad_geometry_is_rejected_with_the_value():
    with pytest.raises(CostmapError, match='resolution'):
        Costmap2D(10, 10, 0.0)
    with pytest.raises(CostmapError, match='0 x 10'):
        Costmap2D(0, 10, 0.1)


def test_static_layer_values():
    occ = np.array([[0, 50, 65, 100, -1]], dtype=np.int8)
    assert static_layer_from_occupancy(occ).tolist() == [[0, 0, 254, 254, 255]]
    assert static_layer_from_occupancy(occ, track_unknown=False).tolist()[0][4] == 0
    with pytest.raises(CostmapError, match='-1 or 0..100'):
        static_layer_from_occupancy(np.array([[0, 101]]))


def _brute_distance(obst, cap):
    ys, xs = np.nonzero(obst)
    h, w = obst.shape
    rr, cc = np.mgrid[0:h, 0:w]
    d = np.full(obst.shape, np.inf)
    for y, x in zip(ys, xs, strict=False):
        d = np.minimum(d, np.hypot(rr - y, cc - x))
    return np.minimum(d, cap)


def test_distance_transform_matches_brute_force():
    rng = np.random.default_rng(3)
    obst = rng.random((40, 55)) < 0.03
    got = distance_to_obstacles(obst, 8)
    want = _brute_distance(obst, 9)
    assert np.allclose(got, want)


def test_inflation_values_follow_nav2_formula():
    res = 0.05
    costs = np.zeros((41, 41), dtype=np.uint8)
    costs[20, 20] = LETHAL_OBSTACLE
    p = InflationParams(inscribed_radius_m=0.2, inflation_radius_m=0.5, cost_scaling_factor=3.0)
    out = inflate(costs, res, p)
    assert out[20, 20] == LETHAL_OBSTACLE
    assert out[20, 24] == INSCRIBED_INFLATED_OBSTACLE  # 0.20 m
    d = 6 * res  # 0.30 m
    assert out[20, 26] == int(252 * math.exp(-3.0 * (d - 0.2)))
    assert out[20, 30] > 0 and out[20, 31] == FREE_SPACE  # 0.50 m in, 0.55 m out
    assert out[20, 20 - 6] == out[20, 26] == out[26, 20]
    with pytest.raises(CostmapError, match='inflation_radius_m'):
        inflate(costs, res, InflationParams(inscribed_radius_m=0.3, inflation_radius_m=0.2))


def test_footprint_radii_of_jackal():
    inscribed, circumscribed = footprint_radii(rectangle_footprint(0.508, 0.430))
    assert math.isclose(inscribed, 0.215)
    assert math.isclose(circumscribed, math.hypot(0.254, 0.215))


def _scan(ranges, angle_min=-math.pi / 2, inc=None, rmax=10.0):
    ranges = np.asarray(ranges, dtype=float)
    inc = inc if inc is not None else math.pi / max(len(ranges) - 1, 1)
    return LaserScanData(ranges, angle_min, inc, 0.1, rmax)


def test_obstacle_layer_marks_hits_and_clears_along_beams():
    cm = Costmap2D(100, 100, 0.05, -2.5, -2.5)
    layers = LayeredCostmap(cm, InflationParams(0.1, 0.1, 3.0), obstacle_max_range_m=3.0,
                            raytrace_max_range_m=3.0, track_unknown=True)
    # one beam straight ahead (+x) hitting at 1.0 m, sensor at the origin
    layers.update_scan(_scan([1.0], angle_min=0.0, inc=0.01), 0.0, 0.0, 0.0)
    m = layers.master
    assert m.cost_at(1.01, 0.01) == LETHAL_OBSTACLE
    assert m.cost_at(0.5, 0.01) == FREE_SPACE
    assert m.cost_at(0.01, 1.0) == NO_INFORMATION  # never seen
    # the obstacle moved away: a longer beam clears the old hit
    layers.update_scan(_scan([2.0], angle_min=0.0, inc=0.01), 0.0, 0.0, 0.0)
    assert m.cost_at(1.01, 0.01) == FREE_SPACE
    assert m.cost_at(2.01, 0.01) == LETHAL_OBSTACLE
    # inf (no return) clears up to the raytrace range and marks nothing
    layers.update_scan(_scan([math.inf], angle_min=0.0, inc=0.01), 0.0, 0.0, 0.0)
    assert m.cost_at(2.01, 0.01) == FREE_SPACE
    assert not np.any(m.data == LETHAL_OBSTACLE)
    layers.update_scan(_scan([1.0], angle_min=0.0, inc=0.01), 0.0, 0.0, 0.0)
    layers.clear_entirely()
    assert not np.any(m.data == LETHAL_OBSTACLE)


def test_scan_uses_sensor_pose_and_range_limits():
    cm = Costmap2D(100, 100, 0.05, -2.5, -2.5)
    layers = LayeredCostmap(cm, InflationParams(0.1, 0.1, 3.0), obstacle_max_range_m=1.5)
    # sensor at (1, 0) facing +y; hit at 0.5 m -> (1, 0.5)
    layers.update_scan(_scan([0.5], angle_min=0.0, inc=0.01), 1.0, 0.0, math.pi / 2)
    assert layers.master.cost_at(1.01, 0.51) == LETHAL_OBSTACLE
    # beyond obstacle_max_range_m (1.5 m) is not marked; below range_min is ignored
    layers.update_scan(_scan([1.8, 0.05], angle_min=math.pi, inc=math.pi / 2), 0.0, 0.0, 0.0)
    assert layers.master.cost_at(-1.79, 0.01) != LETHAL_OBSTACLE
    assert np.count_nonzero(layers.master.data == LETHAL_OBSTACLE) == 1
    # NaN readings neither mark nor clear
    layers.update_scan(_scan([math.nan], angle_min=math.pi / 2, inc=0.01), 1.0, 0.0, 0.0)
    assert layers.master.cost_at(1.01, 0.51) == LETHAL_OBSTACLE


def test_rolling_window_follows_robot_and_keeps_observations():
    cm = Costmap2D(40, 40, 0.1)
    layers = LayeredCostmap(cm, InflationParams(0.1, 0.1, 3.0), rolling_window=True)
    layers.update_origin(0.0, 0.0)
    assert math.isclose(cm.origin_x, -2.0) and math.isclose(cm.origin_y, -2.0)
    layers.update_scan(_scan([1.0], angle_min=0.0, inc=0.01), 0.0, 0.0, 0.0)
    assert cm.cost_at(1.05, 0.05) == LETHAL_OBSTACLE
    layers.update_origin(1.5, 0.7)
    layers.update_costs()
    assert math.isclose(cm.origin_x, -0.5) and math.isclose(cm.origin_y, -1.3)
    assert cm.cost_at(1.05, 0.05) == LETHAL_OBSTACLE  # same world cell, new index
    layers.update_origin(10.0, 0.0)
    layers.update_costs()
    assert not np.any(cm.data == LETHAL_OBSTACLE)  # window left the obstacle behind


@pytest.mark.parametrize('bad', [(math.nan, 0.0), (0.0, math.inf), (-math.inf, math.nan)])
def test_rolling_window_refuses_a_non_finite_robot_position_and_stays(bad):
    # issue 12: one NaN odometry message raised 'cannot convert float NaN to integer'
    # out of update_origin and killed controller_server and behavior_server
    cm = Costmap2D(40, 40, 0.1)
    layers = LayeredCostmap(cm, InflationParams(0.1, 0.1, 3.0), rolling_window=True)
    layers.update_origin(1.0, 1.0)
    layers.update_scan(_scan([1.0], angle_min=0.0, inc=0.01), 1.0, 1.0, 0.0)
    with pytest.raises(ValueError, match='not finite'):
        layers.update_origin(*bad)
    with pytest.raises(ValueError, match='not finite'):
        layers.update_scan(_scan([1.0], angle_min=0.0, inc=0.01), bad[0], bad[1], 0.0)
    assert math.isclose(cm.origin_x, -1.0) and math.isclose(cm.origin_y, -1.0)
    assert cm.cost_at(2.05, 1.05) == LETHAL_OBSTACLE


def test_static_map_with_obstacles_and_inflation():
    occ = np.zeros((20, 30), dtype=np.int8)
    occ[10, 15] = 100
    occ[0, 0] = -1
    layers = LayeredCostmap(Costmap2D(1, 1, 0.1), InflationParams(0.1, 0.3, 3.0),
                            track_unknown=True)
    layers.set_static(static_layer_from_occupancy(occ), 1.0, 2.0, 0.1)
    m = layers.master
    assert (m.width, m.height, m.origin_x, m.origin_y) == (30, 20, 1.0, 2.0)
    assert m.data[10, 15] == LETHAL_OBSTACLE and m.data[10, 16] == INSCRIBED_INFLATED_OBSTACLE
    assert m.data[0, 0] == NO_INFORMATION
    layers.update_scan(_scan([1.0], angle_min=0.0, inc=0.01), 1.05, 2.05, 0.0)
    assert m.data[0, 10] == LETHAL_OBSTACLE
    layers.clear_entirely()
    assert m.data[0, 10] == FREE_SPACE and m.data[10, 15] == LETHAL_OBSTACLE


def test_deferred_recompute_for_large_global_maps():
    cm = Costmap2D(100, 100, 0.05, -2.5, -2.5)
    layers = LayeredCostmap(cm, InflationParams(0.1, 0.2, 3.0))
    layers.update_scan(_scan([1.0], angle_min=0.0, inc=0.01), 0.0, 0.0, 0.0, recompute=False)
    assert layers.dirty and not np.any(layers.master.data == LETHAL_OBSTACLE)
    layers.update_costs()
    assert not layers.dirty and layers.master.cost_at(1.01, 0.01) == LETHAL_OBSTACLE


def test_costmap_as_occupancy_grid_uses_nav2_translation():
    from builtin_interfaces.msg import Time

    from orchestrator_pkg.ros_edge.convert import costmap_to_grid
    cm = Costmap2D(6, 1, 0.1, 1.0, 2.0)
    cm.data[0] = [0, 1, 252, 253, 254, 255]
    msg = costmap_to_grid(cm, 'odom', Time())
    assert list(msg.data) == [0, 1, 98, 99, 100, -1]
    assert (msg.info.width, msg.info.height, msg.info.origin.position.x) == (6, 1, 1.0)


def test_costmap_as_nav2_costmap_keeps_the_raw_costs():
    from builtin_interfaces.msg import Time

    from orchestrator_pkg.ros_edge.convert import costmap_to_msg
    cm = Costmap2D(3, 2, 0.1, 1.0, 2.0)
    cm.data[0] = [0, 1, 252]
    cm.data[1] = [253, 254, 255]
    msg = costmap_to_msg(cm, 'odom', Time(sec=7))
    assert list(msg.data) == [0, 1, 252, 253, 254, 255]  # row-major from cell (0, 0)
    meta = msg.metadata
    assert (meta.size_x, meta.size_y, meta.layer) == (3, 2, 'master')
    assert math.isclose(meta.resolution, 0.1, rel_tol=1e-6)
    assert (meta.origin.position.x, meta.origin.position.y) == (1.0, 2.0)
    assert meta.origin.orientation.w == 1.0
    assert msg.header.frame_id == 'odom' and msg.header.stamp.sec == 7
    assert meta.update_time.sec == 7 and meta.map_load_time.sec == 7


def _square_of_hits():
    """Build a 4 x 4 m costmap (0.1 m, origin (-2, -2)) with a static wall and four scan hits."""
    occ = np.zeros((40, 40), dtype=np.int8)
    occ[:, 0] = 100  # static wall along x = -2
    layers = LayeredCostmap(Costmap2D(1, 1, 0.1), InflationParams(0.05, 0.05, 3.0))
    layers.set_static(static_layer_from_occupancy(occ), -2.0, -2.0, 0.1)
    # hits at 0.42 m (+x, +y) and at 1.42 m (-x, -y) of a sensor at (0.05, 0.05)
    scan = LaserScanData(np.array([0.42, 0.42, 1.42, 1.42]), 0.0, math.pi / 2, 0.1, 10.0)
    layers.update_scan(scan, 0.05, 0.05, 0.0)
    hits = [(0.47, 0.05), (0.05, 0.47), (-1.37, 0.05), (0.05, -1.37)]
    for x, y in hits:
        assert layers.master.cost_at(x, y) == LETHAL_OBSTACLE, (x, y)
    return layers, hits


def test_square_mask_takes_the_cells_whose_centres_are_inside():
    cm = Costmap2D(10, 10, 1.0)  # centres at 0.5 ... 9.5
    mask = square_mask(cm, 5.0, 5.0, 2.0)  # |c - 5| <= 1: centres 4.5 and 5.5
    assert mask.sum() == 4 and mask[4:6, 4:6].all()
    assert square_mask(cm, 5.0, 5.0, 0.0).sum() == 0
    assert square_mask(cm, 0.0, 0.0, 3.0).sum() == 4  # clipped at the map's corner
    assert square_mask(cm, 50.0, 50.0, 3.0).sum() == 0


def test_clear_around_forgets_the_obstacles_in_the_square_only():
    layers, hits = _square_of_hits()
    cleared = layers.clear_around(0.0, 0.0, 1.2)  # +-0.6 m: the two near hits
    assert cleared > 0
    m = layers.master
    for x, y in hits[:2]:
        assert m.cost_at(x, y) == FREE_SPACE
    for x, y in hits[2:]:
        assert m.cost_at(x, y) == LETHAL_OBSTACLE
    assert m.cost_at(-1.95, 0.05) == LETHAL_OBSTACLE  # the static map stays
    # cleared means unseen, not seen free
    assert layers.obstacles.grid[20, 24] == NO_INFORMATION  # at (0.45, 0.05)


def test_clear_except_forgets_the_obstacles_outside_the_square_only():
    layers, hits = _square_of_hits()
    layers.clear_except(0.0, 0.0, 1.2)
    m = layers.master
    for x, y in hits[:2]:
        assert m.cost_at(x, y) == LETHAL_OBSTACLE
    for x, y in hits[2:]:
        assert m.cost_at(x, y) == FREE_SPACE
    assert m.cost_at(-1.95, 0.05) == LETHAL_OBSTACLE  # the static map stays
    # around a robot elsewhere, a square off the map: everything outside it goes
    layers, hits = _square_of_hits()
    layers.clear_except(30.0, 30.0, 2.0)
    assert not np.any(layers.obstacles.grid == LETHAL_OBSTACLE)
    assert layers.master.cost_at(-1.95, 0.05) == LETHAL_OBSTACLE


@pytest.mark.parametrize('args, text', [
    ((0.0, 0.0, math.nan), 'reset_distance is nan'),
    ((0.0, 0.0, -1.0), 'reset_distance is -1.0, negative'),
    ((math.inf, 0.0, 1.0), 'x is inf'),
])
def test_clearing_refuses_bad_input_and_changes_nothing(args, text):
    layers, _ = _square_of_hits()
    before = layers.obstacles.grid.copy()
    for clear in (layers.clear_around, layers.clear_except):
        with pytest.raises(CostmapError, match=text):
            clear(*args)
        assert np.array_equal(layers.obstacles.grid, before)


def test_invalid_path_poses():
    cm = Costmap2D(10, 5, 1.0)  # 10 x 5 m
    cm.data[2, 5] = LETHAL_OBSTACLE
    cm.data[2, 7] = INSCRIBED_INFLATED_OBSTACLE  # near an obstacle, not in one
    cm.data[2, 8] = NO_INFORMATION
    line = np.column_stack([np.arange(10) + 0.5, np.full(10, 2.5)])
    assert invalid_path_poses(cm, line).tolist() == [5]
    assert invalid_path_poses(cm, line, unknown_is_invalid=True).tolist() == [5, 8]
    off = np.vstack([line[:3], [[12.0, 2.5], [math.nan, 1.0], [1.0, math.inf]]])
    assert invalid_path_poses(cm, off).tolist() == [3, 4, 5]  # off the map, non-finite
    free = line[:4]
    assert invalid_path_poses(cm, free).size == 0
    # the poses behind the robot (before the closest one) are not judged
    assert invalid_path_poses(cm, line, robot_xy=(6.4, 2.4)).size == 0
    assert invalid_path_poses(cm, line, robot_xy=(4.6, 2.4)).tolist() == [5]
    assert invalid_path_poses(cm, np.zeros((0, 2))).size == 0

"""The object layer: perception's objects (below the lidar plane) as lethal rectangles."""
import math

import numpy as np
import pytest

from orchestrator_pkg.planning import planner
from orchestrator_pkg.planning.costmap import (
    FREE_SPACE,
    LETHAL_OBSTACLE,
    Costmap2D,
    CostmapError,
    InflationParams,
    LayeredCostmap,
    distance_to_objects,
    exempt_objects,
    object_mask,
    objects_array,
)


def _layers():
    # 10 x 6 m at 0.05 m, origin (-5, -3); Jackal-like inflation
    return LayeredCostmap(Costmap2D(200, 120, 0.05, -5.0, -3.0), InflationParams(0.22, 0.55, 3.0))


def test_a_rotated_rectangle_marks_the_cells_it_covers_and_no_others():
    cm = Costmap2D(40, 40, 0.05, -1.0, -1.0)
    mask = object_mask(cm, np.array([[0.0, 0.0, math.pi / 4, 0.4, 0.1]]))
    # along the rectangle's long axis (the diagonal) out to 0.2 m, not across it
    for d in (0.0, 0.1, 0.18):
        c, r, _ = cm.world_to_cell(d * math.cos(math.pi / 4), d * math.sin(math.pi / 4))
        assert mask[r, c], d
    for x, y in ((0.15, -0.15), (-0.15, 0.15), (0.3, 0.3), (0.2, 0.0)):
        c, r, _ = cm.world_to_cell(x, y)
        assert not mask[r, c], (x, y)


def test_a_small_or_sizeless_object_still_marks_its_cell_and_min_size_widens_it():
    cm = Costmap2D(40, 40, 0.05, -1.0, -1.0)
    tiny = np.array([[0.31, 0.42, 0.0, 0.0, 0.0]])  # size unknown
    c, r, _ = cm.world_to_cell(0.31, 0.42)
    assert object_mask(cm, tiny)[r, c] and object_mask(cm, tiny).sum() >= 1
    assert object_mask(cm, tiny, min_size_m=0.3).sum() >= 36  # at least 6 x 6 cells


def test_objects_off_the_costmap_mark_nothing():
    cm = Costmap2D(40, 40, 0.05, -1.0, -1.0)
    assert not object_mask(cm, np.array([[50.0, 0.0, 0.0, 0.2, 0.2]])).any()
    # one straddling the edge marks its inside part only
    edge = object_mask(cm, np.array([[1.0, 0.0, 0.0, 0.4, 0.2]]))
    assert edge.any() and edge.shape == (40, 40)


def test_untrusted_rows_are_dropped_and_counted_and_bad_shapes_are_refused():
    rows = [[0.0, 0.0, 0.0, 0.1, 0.1], [math.nan, 0.0, 0.0, 0.1, 0.1],
            [0.0, 0.0, math.inf, 0.1, 0.1], [1.0, 1.0, 0.0, -0.1, 0.1]]
    assert objects_array(rows).tolist() == [[0.0, 0.0, 0.0, 0.1, 0.1]]
    layers = _layers()
    assert layers.set_objects(rows) == 3
    with pytest.raises(CostmapError, match=r'N x 5.*shape \(2, 3\)'):
        objects_array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])


def test_distance_and_exemption_use_the_rectangle_not_the_centre():
    objs = np.array([[2.0, 0.0, 0.0, 1.0, 0.2], [0.0, 3.0, math.pi / 2, 1.0, 0.2]])
    d = distance_to_objects(objs, 1.0, 0.0)
    assert d[0] == pytest.approx(0.5) and d[1] == pytest.approx(math.hypot(0.9, 2.5))
    assert exempt_objects(objs, [(1.0, 0.0)], 0.5).tolist() == [True, False]
    assert exempt_objects(objs, [(1.0, 0.0)], 0.49).tolist() == [False, False]
    # rotated 90 degrees: 1 m long along y (2.5 .. 3.5), 0.2 m across
    assert exempt_objects(objs, [(0.0, 2.5)], 0.01).tolist() == [False, True]
    assert exempt_objects(objs, [(0.5, 3.0)], 0.39).tolist() == [False, False]
    assert exempt_objects(objs, [(0.5, 3.0)], 0.41).tolist() == [False, True]
    assert exempt_objects(objs, [(math.nan, 0.0)], 10.0).tolist() == [False, False]
    # one radius per point: the controller exempts around the robot (a held object,
    # carried just ahead) less widely than around the path's end
    both = [(1.0, 0.0), (0.5, 3.0)]
    assert exempt_objects(objs, both, [0.49, 0.41]).tolist() == [False, True]
    assert exempt_objects(objs, both, [0.5, 0.39]).tolist() == [True, False]


def test_the_layer_marks_objects_lethal_and_inflates_them_except_exempt_ones():
    layers = _layers()
    box = [1.0, 0.0, 0.0, 0.2, 0.2]
    layers.set_objects([box])
    assert layers.dirty
    layers.update_costs()
    m = layers.master
    assert m.cost_at(1.0, 0.0) == LETHAL_OBSTACLE
    assert 0 < m.cost_at(1.0, 0.45) < LETHAL_OBSTACLE  # inflated around it
    # the robot holds it, or is sent to reach it: not an obstacle
    layers.set_object_exemptions([(0.6, 0.0)], radius_m=0.35)
    layers.update_costs()
    assert m.cost_at(1.0, 0.0) == FREE_SPACE
    layers.set_object_exemptions([(-2.0, 0.0)], radius_m=0.35)
    layers.update_costs()
    assert m.cost_at(1.0, 0.0) == LETHAL_OBSTACLE
    layers.clear_entirely()  # as Nav2's clear service: the next tracks bring it back
    assert m.cost_at(1.0, 0.0) == FREE_SPACE


def test_a_plan_goes_around_an_object_on_the_straight_line():
    layers = _layers()
    layers.update_costs()
    straight = planner.Planner().plan(layers.master, (-3.0, 0.0), (3.0, 0.0),
                                      planner.PlannerParams())
    assert straight.ok and np.abs(straight.path[:, 1]).max() < 0.05
    layers.set_objects([[0.0, 0.0, 0.0, 0.3, 0.3]])
    layers.update_costs()
    around = planner.Planner().plan(layers.master, (-3.0, 0.0), (3.0, 0.0),
                                    planner.PlannerParams())
    assert around.ok
    clearance = distance_to_objects(np.array([[0.0, 0.0, 0.0, 0.3, 0.3]]),
                                    around.path[:, 0], around.path[:, 1])
    assert clearance.min() > 0.22  # the robot's inscribed radius: its body misses the box

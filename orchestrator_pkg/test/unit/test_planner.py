import heapq
import math

import numpy as np
import pytest

from orchestrator_pkg.planning import planner
from orchestrator_pkg.planning.costmap import (
    INSCRIBED_INFLATED_OBSTACLE,
    LETHAL_OBSTACLE,
    NO_INFORMATION,
    Costmap2D,
)


def _grid(rows):
    """Text grid, first line = top row; '#' lethal, '.' free, '?' unknown."""
    lut = {'#': LETHAL_OBSTACLE, '.': 0, '?': NO_INFORMATION}
    arr = np.array([[lut[ch] for ch in line] for line in rows], dtype=np.uint8)[::-1]
    cm = Costmap2D(arr.shape[1], arr.shape[0], 1.0)
    cm.data = np.ascontiguousarray(arr)
    return cm


def _centre(col, row):
    return (col + 0.5, row + 0.5)


RAW = planner.PlannerParams(cost_weight=0.0, smooth=False)


def _dijkstra_length(costs, start, goal):
    """Independent reference: plain Dijkstra over free cells, no corner cutting."""
    h, w = costs.shape
    free = costs < INSCRIBED_INFLATED_OBSTACLE
    dist = {start: 0.0}
    heap = [(0.0, start)]
    while heap:
        d, (c, r) = heapq.heappop(heap)
        if (c, r) == goal:
            return d
        if d > dist[(c, r)]:
            continue
        for dc in (-1, 0, 1):
            for dr in (-1, 0, 1):
                if not (dc or dr):
                    continue
                nc, nr = c + dc, r + dr
                if not (0 <= nc < w and 0 <= nr < h and free[nr, nc]):
                    continue
                if dc and dr and not (free[r, nc] and free[nr, c]):
                    continue
                nd = d + (math.sqrt(2) if dc and dr else 1.0)
                if nd < dist.get((nc, nr), math.inf):
                    dist[(nc, nr)] = nd
                    heapq.heappush(heap, (nd, (nc, nr)))
    return math.inf


def test_open_grid_path_is_octile_optimal():
    cm = _grid(['.' * 12] * 8)
    res = planner.plan(cm, _centre(1, 1), _centre(10, 5), RAW)
    assert res.ok, res.message
    assert math.isclose(planner.cells_length(res.cells), 4 * math.sqrt(2) + 5)
    assert math.isclose(res.length(), 4 * math.sqrt(2) + 5)


def test_wall_with_gap_gives_the_known_shortest_length():
    rows = ['..........',
            '..........',
            '#########.',
            '..........',
            '..........']
    cm = _grid(rows)
    # from top-left (0, 4) to bottom-left (0, 0): around the wall's gap at column 9
    res = planner.plan(cm, _centre(0, 4), _centre(0, 0), RAW)
    assert res.ok
    # (0,4)->(9,3): 8 + sqrt2; down through the gap (9,3)->(9,1): 2, since a diagonal
    # may not cut past the wall's end (8,2); (9,1)->(0,0): 8 + sqrt2
    expected = 18 + 2 * math.sqrt(2)
    assert math.isclose(_dijkstra_length(cm.data, (0, 4), (0, 0)), expected)
    assert math.isclose(planner.cells_length(res.cells), expected)
    for c, r in res.cells:
        assert cm.data[r, c] != LETHAL_OBSTACLE


@pytest.mark.parametrize('seed', [0, 1, 2, 3, 4])
def test_random_clutter_matches_dijkstra(seed):
    rng = np.random.default_rng(seed)
    data = np.where(rng.random((30, 40)) < 0.25, LETHAL_OBSTACLE, 0).astype(np.uint8)
    data[0, 0] = data[29, 39] = 0
    cm = Costmap2D(40, 30, 1.0)
    cm.data = data
    want = _dijkstra_length(data, (0, 0), (39, 29))
    res = planner.plan(cm, _centre(0, 0), _centre(39, 29), RAW)
    if math.isinf(want):
        assert res.error_code == planner.NO_VALID_PATH
    else:
        assert res.ok
        assert math.isclose(planner.cells_length(res.cells), want)


def test_cost_weight_keeps_away_from_costly_cells():
    cm = Costmap2D(21, 9, 1.0)
    cm.data[4, 5:16] = 200  # a costly band on the straight line
    straight = planner.plan(cm, _centre(0, 4), _centre(20, 4), RAW)
    aware = planner.plan(cm, _centre(0, 4), _centre(20, 4),
                         planner.PlannerParams(cost_weight=3.0, smooth=False))
    assert all(r == 4 for _, r in straight.cells)
    assert not any(cm.data[r, c] == 200 for c, r in aware.cells)


def test_smoothing_shortens_and_stays_clear():
    rows = ['....................'] * 10
    cm = _grid(rows)
    cm.data[3:7, 9:11] = LETHAL_OBSTACLE
    params = planner.PlannerParams(cost_weight=0.0, smooth=True)
    res = planner.plan(cm, _centre(0, 0), _centre(19, 9), params)
    raw = planner.plan(cm, _centre(0, 0), _centre(19, 9), RAW)
    assert res.ok and res.length() <= raw.length() + 1e-9
    assert np.all(np.diff(res.path, axis=0).__abs__().max(axis=1) <= cm.resolution + 1e-9)
    assert np.all(cm.costs_at(res.path[:, 0], res.path[:, 1]) != LETHAL_OBSTACLE)
    assert np.allclose(res.path[0], _centre(0, 0)) and np.allclose(res.path[-1], _centre(19, 9))


def test_error_codes():
    rows = ['..........',
            '...###....',
            '...#.#....',
            '...###....',
            '..........']
    cm = _grid(rows)
    assert planner.plan(cm, (-1.0, 0.5), (5.0, 0.5)).error_code == planner.START_OUTSIDE_MAP
    assert planner.plan(cm, (0.5, 0.5), (5.0, 7.0)).error_code == planner.GOAL_OUTSIDE_MAP
    assert planner.plan(cm, _centre(3, 1), _centre(8, 0)).error_code == planner.START_OCCUPIED
    res = planner.plan(cm, _centre(0, 0), _centre(4, 3))
    assert res.error_code == planner.GOAL_OCCUPIED and 'goal' in res.message
    # (4, 2) is free but walled in
    assert planner.plan(cm, _centre(0, 0), _centre(4, 2)).error_code == planner.NO_VALID_PATH
    cm.data[0, 8] = INSCRIBED_INFLATED_OBSTACLE
    assert planner.plan(cm, _centre(0, 0), _centre(8, 0)).error_code == planner.GOAL_OCCUPIED


def test_unknown_space_is_allowed_or_not():
    cm = _grid(['..???..'])
    assert planner.plan(cm, _centre(0, 0), _centre(6, 0)).ok
    strict = planner.PlannerParams(allow_unknown=False)
    assert planner.plan(cm, _centre(0, 0), _centre(6, 0), strict).error_code == \
        planner.NO_VALID_PATH
    assert planner.plan(cm, _centre(0, 0), _centre(3, 0), strict).error_code == \
        planner.GOAL_OCCUPIED


def test_timeout():
    cm = Costmap2D(600, 600, 0.05)
    cm.data[:, 300] = LETHAL_OBSTACLE  # unreachable goal: the search must exhaust or time out
    res = planner.plan(cm, (1.0, 1.0), (29.0, 29.0), planner.PlannerParams(timeout_s=0.0))
    assert res.error_code == planner.TIMEOUT


def test_start_inside_inflation_can_leave():
    cm = _grid(['.....'] * 3)
    cm.data[1, 1] = INSCRIBED_INFLATED_OBSTACLE
    assert planner.plan(cm, _centre(1, 1), _centre(4, 2)).ok


def test_window_grows_when_the_shortest_path_leaves_it():
    # 200 x 200 free grid, a wall at column 100 open only at the very top: the detour
    # leaves the first search window (start/goal box + 40 cells) by far
    cm = Costmap2D(200, 200, 1.0)
    cm.data[:195, 100] = LETHAL_OBSTACLE
    start, goal = (80, 20), (120, 20)
    res = planner.plan(cm, _centre(*start), _centre(*goal), RAW)
    assert res.ok
    assert math.isclose(planner.cells_length(res.cells), _dijkstra_length(cm.data, start, goal))
    assert max(r for _, r in res.cells) >= 195
    # a kept grid builds only the windows it searched: first the small one, then more
    grid = planner.SearchGrid()
    grid.sync(cm.data, RAW)
    grid.search((80, 20), (100 - 2, 20), margin_cells=5)
    assert grid.built == (75, 15, 104, 26)
    cells, _, _, cost = grid.search(start, goal)
    assert cells == res.cells and grid.built == (0, 0, 200, 200)


def test_window_result_is_exact_when_a_cheaper_path_runs_outside():
    # the straight line is costly; a free corridor just outside the first window is cheaper
    cm = Costmap2D(300, 120, 1.0)
    cm.data[:, :] = 250
    cm.data[10, :] = 0
    cm.data[10:61, 5] = 0
    cm.data[10:61, 294] = 0
    params = planner.PlannerParams(cost_weight=3.0, smooth=False)
    res = planner.plan(cm, _centre(5, 60), _centre(294, 60), params)
    mult = planner._step_multipliers(cm.data, params)
    full, _, _, full_cost = planner.astar_cost_cells(mult, (5, 60), (294, 60))
    grid = planner.SearchGrid()
    grid.sync(cm.data, params)
    win, _, _, win_cost = grid.search((5, 60), (294, 60))
    assert res.ok and win == res.cells
    assert math.isclose(win_cost, full_cost, rel_tol=1e-9)
    cost = sum((math.sqrt(2) if a[0] != b[0] and a[1] != b[1] else 1.0) * mult[b[1], b[0]]
               for a, b in zip(res.cells[:-1], res.cells[1:], strict=True))
    assert math.isclose(cost, full_cost, rel_tol=1e-6)
    assert min(r for _, r in res.cells) == 10  # it took the corridor outside the window


def _path_cost(cells, mult):
    return sum((math.sqrt(2) if a[0] != b[0] and a[1] != b[1] else 1.0) * mult[b[1], b[0]]
               for a, b in zip(cells[:-1], cells[1:], strict=True))


def test_planner_reused_across_costmap_changes_matches_a_fresh_search():
    # one Planner (as the server keeps) while scans change cells, the goal moves and
    # parameters change: each plan costs what the reference full-grid A* finds
    rng = np.random.default_rng(7)
    cm = Costmap2D(80, 60, 1.0)
    cm.data[rng.random((60, 80)) < 0.2] = LETHAL_OBSTACLE
    cm.data[rng.random((60, 80)) < 0.2] = 120
    keeper = planner.Planner()
    goals = [(79, 59), (79, 59), (40, 5), (3, 50), (79, 59)]
    for k, goal in enumerate(goals):
        changed = rng.random((60, 80)) < (0.02 if k != 3 else 0.5)  # k = 3: most cells
        cm.data[changed] = rng.choice(np.array([0, 60, 200, 253, 254, 255], dtype=np.uint8),
                                      int(changed.sum()))
        cm.data[0, 0] = INSCRIBED_INFLATED_OBSTACLE  # start in the inscribed zone
        cm.data[goal[1], goal[0]] = 0
        params = planner.PlannerParams(cost_weight=0.0 if k == 4 else 3.0, smooth=False)
        res = keeper.plan(cm, _centre(0, 0), _centre(*goal), params)
        mult = planner._step_multipliers(cm.data, params)
        mult[0, 0] = 1.0 + params.cost_weight
        want, _, _, want_cost = planner.astar_cost_cells(mult, (0, 0), goal)
        if want is None:
            assert res.error_code == planner.NO_VALID_PATH
            continue
        assert res.ok, res.message
        assert res.cells[0] == (0, 0) and res.cells[-1] == goal
        # the same cost as the reference (up to the search's rounding to 1e-6 per step)
        assert math.isclose(_path_cost(res.cells, mult), _path_cost(want, mult),
                            abs_tol=1e-6 * len(want))
        assert math.isclose(_path_cost(want, mult), want_cost, abs_tol=1e-6 * len(want))
        for a, b in zip(res.cells[:-1], res.cells[1:], strict=True):
            assert max(abs(a[0] - b[0]), abs(a[1] - b[1])) == 1
            if a[0] != b[0] and a[1] != b[1]:  # no corner cutting
                assert math.isfinite(mult[a[1], b[0]]) and math.isfinite(mult[b[1], a[0]])
    assert keeper.grid.rebuilds == 3  # first plan, most cells changed, cost_weight changed
    assert keeper.grid.updated_cells > 0


def test_search_grid_lists_match_a_fresh_build_after_updates():
    rng = np.random.default_rng(3)
    costs = rng.choice(np.array([0, 10, 128, 253, 254, 255], dtype=np.uint8), (30, 40))
    params = planner.PlannerParams()
    kept = planner.SearchGrid()
    kept.sync(costs, params)
    kept.search((0, 0), (39, 29), start_mult=4.0)  # overrides and fences are restored
    for _ in range(3):
        changed = rng.random(costs.shape) < 0.05
        costs[changed] = rng.choice(np.array([0, 200, 254, 255], dtype=np.uint8),
                                    int(changed.sum()))
        kept.sync(costs, params)
        kept.search((5, 5), (20, 10), margin_cells=2)
    fresh = planner.SearchGrid()
    fresh.sync(costs, params)
    fresh._build((0, 0, 40, 30))
    assert kept.rebuilds == 1 and kept.built == (0, 0, 40, 30)
    assert kept._straight == fresh._straight and kept._diagonal == fresh._diagonal


def test_plan_through_chains_the_legs_into_one_path():
    rows = ['..........',
            '...###....',
            '...#.#....',
            '...###....',
            '..........']
    cm = _grid(rows)
    goals = [_centre(9, 4), _centre(9, 0), _centre(0, 0)]
    res = planner.plan_through(planner.Planner(), cm, _centre(0, 4), goals, RAW)
    assert res.ok, res.message
    pts = res.path
    assert np.allclose(pts[0], _centre(0, 4)) and np.allclose(pts[-1], _centre(0, 0))
    # it passes through every goal, in order, and each joint is there once
    at = [int(np.flatnonzero(np.all(np.isclose(pts, g), axis=1))[0]) for g in goals]
    assert at == sorted(at) and at[-1] == len(pts) - 1
    assert len(np.flatnonzero(np.all(np.isclose(pts, goals[0]), axis=1))) == 1
    # its length is the sum of the legs planned alone
    legs = [planner.plan(cm, a, b, RAW) for a, b in
            zip([_centre(0, 4)] + goals[:-1], goals, strict=True)]
    assert math.isclose(res.length(), sum(leg.length() for leg in legs))


def test_plan_through_names_the_failing_goal_and_leg():
    rows = ['..........',
            '...###....',
            '...#.#....',
            '...###....',
            '..........']
    cm = _grid(rows)
    p = planner.Planner()
    start = _centre(0, 0)
    res = planner.plan_through(p, cm, start, [_centre(9, 0), _centre(4, 3)], RAW)
    assert res.error_code == planner.GOAL_OCCUPIED and not len(res.path)
    assert res.message.startswith('goals[1] (4.50, 3.50): goal (4.5, 3.5) is occupied')
    res = planner.plan_through(p, cm, start, [_centre(9, 0), _centre(4, 2)], RAW)
    assert res.error_code == planner.NO_VALID_PATH
    assert res.message.startswith('leg 1 (from goals[0] (9.50, 0.50) to goals[1] (4.50, 2.50))')
    res = planner.plan_through(p, cm, start, [_centre(9, 0), (20.0, 0.5)], RAW)
    assert res.error_code == planner.GOAL_OUTSIDE_MAP and res.message.startswith('goals[1]')
    res = planner.plan_through(p, cm, _centre(3, 1), [_centre(9, 0)], RAW)
    assert res.error_code == planner.START_OCCUPIED
    assert res.message.startswith('leg 0 (from the start to goals[0]')
    with pytest.raises(ValueError, match='empty'):
        planner.plan_through(p, cm, start, [], RAW)


def test_every_planner_code_has_its_nav2_name_in_both_actions():
    from nav2_msgs.action import ComputePathThroughPoses, ComputePathToPose
    for code, name in planner.CODE_NAMES.items():
        assert getattr(ComputePathToPose.Result, name) == code
        assert getattr(ComputePathThroughPoses.Result, name) == (code + 100 if code else 0)

"""Cost-aware A* on a costmap (8-connected, octile heuristic) with path smoothing.

Results carry Nav2's ComputePathToPose error codes; the numbers mirror
``nav2_msgs/action/ComputePathToPose`` so that this module needs no ROS.

Step cost from cell a to neighbour b: ``length * (1 + cost_weight * cost(b) / 252)``
where ``length`` is 1 or sqrt(2) cells. Cells at or above
INSCRIBED_INFLATED_OBSTACLE are not traversable; NO_INFORMATION is traversable
(at ``unknown_cost``) only with ``allow_unknown``. With ``cost_weight = 0`` the
search returns shortest paths, and the octile heuristic keeps it optimal.
"""
from dataclasses import dataclass, field
import heapq
import math
import time

import numpy as np

from orchestrator_pkg.planning.costmap import (
    INSCRIBED_INFLATED_OBSTACLE,
    LETHAL_OBSTACLE,
    NO_INFORMATION,
    Costmap2D,
)

NONE = 0
UNKNOWN = 200
START_OUTSIDE_MAP = 203
GOAL_OUTSIDE_MAP = 204
START_OCCUPIED = 205
GOAL_OCCUPIED = 206
TIMEOUT = 207
NO_VALID_PATH = 208

SQRT2 = math.sqrt(2.0)


@dataclass
class PlannerParams:
    """Parameters of the grid planner (see docs/navigation.md)."""

    cost_weight: float = 3.0
    allow_unknown: bool = True
    unknown_cost: int = 128
    timeout_s: float = 1.0
    smooth: bool = True
    max_smoothing_cost: int = 200


@dataclass
class PlanResult:
    """A path in world coordinates (N x 2) or an error code with a message."""

    error_code: int
    path: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    message: str = ''
    expansions: int = 0
    cells: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when a path was found."""
        return self.error_code == NONE

    def length(self) -> float:
        """Length of the path in metres."""
        if len(self.path) < 2:
            return 0.0
        return float(np.sum(np.hypot(*np.diff(self.path, axis=0).T)))


def _step_multipliers(costs: np.ndarray, params: PlannerParams) -> np.ndarray:
    """Per-cell traversal multiplier; inf where the cell cannot be entered."""
    c = costs.astype(float)
    if params.allow_unknown:
        c[costs == NO_INFORMATION] = params.unknown_cost
    mult = 1.0 + params.cost_weight * c / float(INSCRIBED_INFLATED_OBSTACLE - 1)
    blocked = costs >= INSCRIBED_INFLATED_OBSTACLE
    if params.allow_unknown:
        blocked &= costs != NO_INFORMATION
    mult[blocked] = math.inf
    return mult


SCALE = 1_000_000  # step costs are integers in millionths of a cell
OCTILE_EXTRA = int((SQRT2 - 1.0) * SCALE)  # rounded down, so the heuristic stays admissible


def astar_cells(mult: np.ndarray, start, goal, timeout_s: float = math.inf):
    """Run A* over a grid of step multipliers; return (cells or None, expansions, timed_out).

    See :func:`astar_cost_cells`, which also returns the path cost.
    """
    cells, expansions, timed_out, _ = astar_cost_cells(mult, start, goal, timeout_s)
    return cells, expansions, timed_out


def astar_cost_cells(mult: np.ndarray, start, goal, timeout_s: float = math.inf):
    """Run A*; return (cells or None, expansions, timed_out, path cost).

    ``start`` and ``goal`` are (col, row). The grid is padded with a blocked border
    so neighbours need no bounds checks. For speed the inner loop works on flat
    Python lists of integers: costs in millionths of a cell, and heap entries
    packed as one integer ``f * n_cells + index`` (no tuple comparisons). At that
    scale the rounding cannot change which path is shortest on any grid this
    planner handles.
    """
    h, w = mult.shape
    pw = w + 2
    n = (h + 2) * pw
    finite = np.isfinite(mult)
    blocked = -1
    padded = np.full((h + 2, pw), blocked, dtype=np.int64)
    padded[1:-1, 1:-1] = np.where(finite, np.rint(np.where(finite, mult, 0.0) * SCALE), blocked)
    straight = padded.ravel().tolist()
    diag_np = np.where(padded == blocked, blocked, np.rint(padded * SQRT2)).astype(np.int64)
    diagonal = diag_np.ravel().tolist()
    s = (start[1] + 1) * pw + start[0] + 1
    g_idx = (goal[1] + 1) * pw + goal[0] + 1
    min_mult = float(np.min(mult[finite])) if finite.any() else 1.0
    # octile distance to the goal, scaled by the cheapest step, rounded down: admissible
    dx = np.abs(np.arange(pw, dtype=np.int64) - (goal[0] + 1))[None, :]
    dy = np.abs(np.arange(h + 2, dtype=np.int64) - (goal[1] + 1))[:, None]
    hgrid = np.maximum(dx, dy) * SCALE + np.minimum(dx, dy) * OCTILE_EXTRA
    if min_mult != 1.0:
        hgrid = np.floor(hgrid * (min_mult * (1.0 - 1e-12))).astype(np.int64)
    heur = hgrid.ravel().tolist()
    big = 1 << 62
    g = [big] * n
    parent = [-1] * n
    closed = bytearray(n)
    g[s] = 0
    heap = [heur[s] * n + s]
    push, pop = heapq.heappush, heapq.heappop
    expansions = 0
    found = False
    deadline = time.monotonic() + timeout_s
    while heap:
        cur = pop(heap) % n
        if closed[cur]:
            continue
        if cur == g_idx:
            found = True
            break
        closed[cur] = 1
        expansions += 1
        if not expansions & 1023 and time.monotonic() > deadline:
            return None, expansions, True, math.inf
        gc = g[cur]
        # the 8 neighbours, unrolled; the straight costs double as the corner checks
        east, west, north, south = cur + 1, cur - 1, cur + pw, cur - pw
        se, sw, sn, ss = straight[east], straight[west], straight[north], straight[south]
        if se >= 0:
            ng = gc + se
            if ng < g[east]:
                g[east] = ng
                parent[east] = cur
                push(heap, (ng + heur[east]) * n + east)
        if sw >= 0:
            ng = gc + sw
            if ng < g[west]:
                g[west] = ng
                parent[west] = cur
                push(heap, (ng + heur[west]) * n + west)
        if sn >= 0:
            ng = gc + sn
            if ng < g[north]:
                g[north] = ng
                parent[north] = cur
                push(heap, (ng + heur[north]) * n + north)
            if se >= 0:
                nb = north + 1
                m = diagonal[nb]
                if m >= 0:
                    ng = gc + m
                    if ng < g[nb]:
                        g[nb] = ng
                        parent[nb] = cur
                        push(heap, (ng + heur[nb]) * n + nb)
            if sw >= 0:
                nb = north - 1
                m = diagonal[nb]
                if m >= 0:
                    ng = gc + m
                    if ng < g[nb]:
                        g[nb] = ng
                        parent[nb] = cur
                        push(heap, (ng + heur[nb]) * n + nb)
        if ss >= 0:
            ng = gc + ss
            if ng < g[south]:
                g[south] = ng
                parent[south] = cur
                push(heap, (ng + heur[south]) * n + south)
            if se >= 0:
                nb = south + 1
                m = diagonal[nb]
                if m >= 0:
                    ng = gc + m
                    if ng < g[nb]:
                        g[nb] = ng
                        parent[nb] = cur
                        push(heap, (ng + heur[nb]) * n + nb)
            if sw >= 0:
                nb = south - 1
                m = diagonal[nb]
                if m >= 0:
                    ng = gc + m
                    if ng < g[nb]:
                        g[nb] = ng
                        parent[nb] = cur
                        push(heap, (ng + heur[nb]) * n + nb)
    if not found:
        return None, expansions, False, math.inf
    cells = []
    cur = g_idx
    while cur != -1:
        cells.append((cur % pw - 1, cur // pw - 1))
        cur = parent[cur]
    cells.reverse()
    return cells, expansions, False, g[g_idx] / SCALE


def _exit_bound(start, goal, box, shape, min_mult: float) -> float:
    """Lower bound on the cost of any path from start to goal that leaves ``box``.

    Such a path steps on a cell of the ring just outside the box (on the sides
    that are not the grid's edge); its cost is at least the octile distance
    start -> ring cell -> goal times the cheapest step multiplier.
    """
    c0, r0, c1, r1 = box  # inclusive-exclusive window
    h, w = shape
    ring = []
    cols = np.arange(max(c0 - 1, 0), min(c1 + 1, w))
    rows = np.arange(max(r0 - 1, 0), min(r1 + 1, h))
    if r0 > 0:
        ring.append(np.column_stack([cols, np.full(cols.size, r0 - 1)]))
    if r1 < h:
        ring.append(np.column_stack([cols, np.full(cols.size, r1)]))
    if c0 > 0:
        ring.append(np.column_stack([np.full(rows.size, c0 - 1), rows]))
    if c1 < w:
        ring.append(np.column_stack([np.full(rows.size, c1), rows]))
    if not ring:
        return math.inf
    pts = np.vstack(ring).astype(float)

    def octile(ax, ay):
        dx, dy = np.abs(pts[:, 0] - ax), np.abs(pts[:, 1] - ay)
        return np.maximum(dx, dy) + (SQRT2 - 1.0) * np.minimum(dx, dy)
    return float(np.min(octile(*start) + octile(*goal))) * min_mult


def windowed_astar(mult: np.ndarray, start, goal, timeout_s: float = math.inf,
                   margin_cells: int = 40):
    """Exact A* that searches a window around start and goal first, growing it when needed.

    Copying a large grid into the search's flat lists costs more than the search
    itself on open maps, so the search starts on the bounding box of start and
    goal plus ``margin_cells``. A path found there is returned only when its
    cost is no more than :func:`_exit_bound` (so no path leaving the window can
    be cheaper); otherwise the margin grows 4x, up to the whole grid. Returns
    (cells or None, expansions, timed_out).
    """
    h, w = mult.shape
    finite = np.isfinite(mult)
    min_mult = float(np.min(mult[finite])) if finite.any() else 1.0
    deadline = time.monotonic() + timeout_s
    total = 0
    margin = margin_cells
    while True:
        c0 = max(min(start[0], goal[0]) - margin, 0)
        r0 = max(min(start[1], goal[1]) - margin, 0)
        c1 = min(max(start[0], goal[0]) + margin + 1, w)
        r1 = min(max(start[1], goal[1]) + margin + 1, h)
        whole = c0 == 0 and r0 == 0 and c1 == w and r1 == h
        cells, expansions, timed_out, cost = astar_cost_cells(
            mult[r0:r1, c0:c1], (start[0] - c0, start[1] - r0), (goal[0] - c0, goal[1] - r0),
            max(deadline - time.monotonic(), 0.0))
        total += expansions
        if timed_out:
            return None, total, True
        if cells is not None and (whole or cost <= _exit_bound(
                start, goal, (c0, r0, c1, r1), (h, w), min_mult) + 1e-9):
            return [(c + c0, r + r0) for c, r in cells], total, False
        if whole:
            return None, total, False
        margin *= 4


def _line_cells(c0, r0, c1, r1):
    """Cells on the segment between two cell centres (supercover-like sampling)."""
    n = int(max(abs(c1 - c0), abs(r1 - r0)) * 2) + 1
    t = np.linspace(0.0, 1.0, n + 1)
    cols = np.rint(c0 + (c1 - c0) * t).astype(np.int64)
    rows = np.rint(r0 + (r1 - r0) * t).astype(np.int64)
    return cols, rows


def _clear(a, b, costs: np.ndarray, limit: int) -> bool:
    cols, rows = _line_cells(a[0], a[1], b[0], b[1])
    seg = costs[rows, cols].astype(np.int64)
    seg[seg == NO_INFORMATION] = 0
    return int(seg.max()) <= limit


def smooth_cells(cells, costs: np.ndarray, max_cost: int):
    """Shortcut the cell path where a straight segment stays below ``max_cost`` (string pulling).

    A shortcut is also refused when it would cross a cell costlier than the
    costliest cell of the sub-path it replaces, so smoothing never pulls the
    path closer to obstacles than the search chose.
    """
    if len(cells) < 3:
        return list(cells)
    cell_cost = np.array([costs[r, c] for c, r in cells], dtype=np.int64)
    cell_cost[cell_cost == NO_INFORMATION] = 0
    out = [cells[0]]
    i = 0
    n = len(cells)
    while i < n - 1:
        # extend the segment from i forward while it stays clear (greedy line of sight)
        j = i + 1
        while j + 1 < n and _clear(cells[i], cells[j + 1], costs,
                                   min(max_cost, int(cell_cost[i:j + 2].max()))):
            j += 1
        out.append(cells[j])
        i = j
    return out


def densify(points: np.ndarray, spacing: float) -> np.ndarray:
    """Resample a polyline so consecutive points are at most ``spacing`` apart."""
    if len(points) < 2:
        return points.copy()
    out = [points[0]]
    for a, b in zip(points[:-1], points[1:], strict=False):
        seg = float(np.hypot(*(b - a)))
        n = max(1, int(math.ceil(seg / spacing)))
        for k in range(1, n + 1):
            out.append(a + (b - a) * (k / n))
    return np.asarray(out)


def plan(costmap: Costmap2D, start_xy, goal_xy, params: PlannerParams = None) -> PlanResult:
    """Plan from ``start_xy`` to ``goal_xy`` (world, metres) on ``costmap``."""
    params = params or PlannerParams()
    sc, sr, s_in = costmap.world_to_cell(*start_xy)
    gc, gr, g_in = costmap.world_to_cell(*goal_xy)
    if not s_in:
        return PlanResult(START_OUTSIDE_MAP, message=f'start {tuple(start_xy)} is outside the map')
    if not g_in:
        return PlanResult(GOAL_OUTSIDE_MAP, message=f'goal {tuple(goal_xy)} is outside the map')
    costs = costmap.data
    s_cost, g_cost = int(costs[sr, sc]), int(costs[gr, gc])
    if s_cost == LETHAL_OBSTACLE:
        return PlanResult(START_OCCUPIED, message=f'start {tuple(start_xy)} is in a lethal cell')
    if g_cost in (LETHAL_OBSTACLE, INSCRIBED_INFLATED_OBSTACLE) or (
            g_cost == NO_INFORMATION and not params.allow_unknown):
        return PlanResult(GOAL_OCCUPIED,
                          message=f'goal {tuple(goal_xy)} is occupied (cost {g_cost})')
    mult = _step_multipliers(costs, params)
    # The robot may start inside the inflated zone; let it leave.
    if not math.isfinite(mult[sr, sc]):
        mult[sr, sc] = 1.0 + params.cost_weight
    cells, expansions, timed_out = windowed_astar(mult, (int(sc), int(sr)), (int(gc), int(gr)),
                                                  params.timeout_s)
    if timed_out:
        return PlanResult(TIMEOUT, expansions=expansions,
                          message=f'no path within timeout_s={params.timeout_s}')
    if cells is None:
        return PlanResult(NO_VALID_PATH, expansions=expansions,
                          message=f'no valid path from {tuple(start_xy)} to {tuple(goal_xy)}')
    kept = smooth_cells(cells, costs, params.max_smoothing_cost) if params.smooth else cells
    cols = np.array([c for c, _ in kept])
    rows = np.array([r for _, r in kept])
    xs, ys = costmap.cell_to_world(cols, rows)
    pts = np.column_stack([xs, ys])
    pts[0] = start_xy
    pts[-1] = goal_xy
    if params.smooth:
        pts = densify(pts, costmap.resolution)
    return PlanResult(NONE, path=pts, expansions=expansions, cells=cells)


def cells_length(cells) -> float:
    """Length of a cell path in cells (1 per straight, sqrt(2) per diagonal step)."""
    total = 0.0
    for (c0, r0), (c1, r1) in zip(cells[:-1], cells[1:], strict=False):
        total += SQRT2 if (c0 != c1 and r0 != r1) else 1.0
    return total

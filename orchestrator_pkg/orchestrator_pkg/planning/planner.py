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

# the planner's codes (ComputePathToPose's values) by the name of Nav2's constant: an
# action with other values (ComputePathThroughPoses: 300 + ...) takes its own by name
CODE_NAMES = {NONE: 'NONE', UNKNOWN: 'UNKNOWN', START_OUTSIDE_MAP: 'START_OUTSIDE_MAP',
              GOAL_OUTSIDE_MAP: 'GOAL_OUTSIDE_MAP', START_OCCUPIED: 'START_OCCUPIED',
              GOAL_OCCUPIED: 'GOAL_OCCUPIED', TIMEOUT: 'TIMEOUT', NO_VALID_PATH: 'NO_VALID_PATH'}

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
_BIG = 1 << 62
_CHUNK = range(1024)  # expansions between two deadline checks


def _step_table(params: PlannerParams) -> np.ndarray:
    """Per cost value (0..255): the multiplier of a step into such a cell; inf when blocked."""
    return _step_multipliers(np.arange(256, dtype=np.uint8), params)


def _scaled(mult) -> tuple:
    """(straight, diagonal) integer step costs for a multiplier; (-1, -1) when blocked."""
    if not math.isfinite(mult):
        return -1, -1
    straight = int(round(mult * SCALE))
    return straight, int(round(straight * SQRT2))


def _search(straight, diagonal, hn, pw, n, s, goal, deadline):
    """Run A* over flat padded lists; return (g list, closed bytearray, found, timed_out).

    ``straight[i]`` / ``diagonal[i]`` are the integer costs of a straight / diagonal
    step into cell ``i`` (-1: blocked; the padding is blocked, so there are no
    bounds checks; the straight costs double as the corner-cutting checks).
    ``hn[i]`` is ``heuristic(i) * n + i``, so a heap entry is the single integer
    ``f * n + i`` (no tuples) and pushing costs one multiply and one add. The
    heap's top is popped in chunks of 1024 between deadline checks; an empty
    heap ends the search through IndexError.
    """
    g = [_BIG] * n
    closed = bytearray(n)
    g[s] = 0
    heap = [hn[s]]
    push, pop = heapq.heappush, heapq.heappop
    try:
        while True:
            for _ in _CHUNK:
                cur = pop(heap) % n
                if closed[cur]:
                    continue
                if cur == goal:
                    return g, closed, True, False
                closed[cur] = 1
                gc = g[cur]
                # the 8 neighbours, unrolled
                east, west, north, south = cur + 1, cur - 1, cur + pw, cur - pw
                se, sw, sn, ss = straight[east], straight[west], straight[north], straight[south]
                if se >= 0:
                    ng = gc + se
                    if ng < g[east]:
                        g[east] = ng
                        push(heap, ng * n + hn[east])
                if sw >= 0:
                    ng = gc + sw
                    if ng < g[west]:
                        g[west] = ng
                        push(heap, ng * n + hn[west])
                if sn >= 0:
                    ng = gc + sn
                    if ng < g[north]:
                        g[north] = ng
                        push(heap, ng * n + hn[north])
                    if se >= 0:
                        nb = north + 1
                        m = diagonal[nb]
                        if m >= 0:
                            ng = gc + m
                            if ng < g[nb]:
                                g[nb] = ng
                                push(heap, ng * n + hn[nb])
                    if sw >= 0:
                        nb = north - 1
                        m = diagonal[nb]
                        if m >= 0:
                            ng = gc + m
                            if ng < g[nb]:
                                g[nb] = ng
                                push(heap, ng * n + hn[nb])
                if ss >= 0:
                    ng = gc + ss
                    if ng < g[south]:
                        g[south] = ng
                        push(heap, ng * n + hn[south])
                    if se >= 0:
                        nb = south + 1
                        m = diagonal[nb]
                        if m >= 0:
                            ng = gc + m
                            if ng < g[nb]:
                                g[nb] = ng
                                push(heap, ng * n + hn[nb])
                    if sw >= 0:
                        nb = south - 1
                        m = diagonal[nb]
                        if m >= 0:
                            ng = gc + m
                            if ng < g[nb]:
                                g[nb] = ng
                                push(heap, ng * n + hn[nb])
            if time.monotonic() > deadline:
                return g, closed, False, True
    except IndexError:  # the heap ran empty: no path
        return g, closed, False, False


def _trace_back(g, closed, straight, diagonal, pw, s, goal):
    """Return the path ``s -> goal`` (indices) and its cost, from the closed g-scores.

    No parent pointers are kept during the search.

    From each cell, step back to the closed neighbour that reaches it most
    cheaply; one exists (the cell that last lowered its g-score), and g falls
    strictly along the way, so this ends at the start.
    """
    path = [goal]
    cost = 0
    cur = goal
    while cur != s:
        best, best_g, best_step = -1, _BIG, 0
        st_cur, dg_cur = straight[cur], diagonal[cur]
        for nb in (cur + 1, cur - 1, cur + pw, cur - pw):
            if closed[nb] and g[nb] + st_cur < best_g:
                best, best_g, best_step = nb, g[nb] + st_cur, st_cur
        for dc, dr in ((1, 1), (-1, 1), (1, -1), (-1, -1)):
            nb = cur + dc + dr * pw
            # the move nb -> cur must not cut a corner: both side cells free
            if closed[nb] and straight[cur + dc] >= 0 and straight[cur + dr * pw] >= 0 \
                    and g[nb] + dg_cur < best_g:
                best, best_g, best_step = nb, g[nb] + dg_cur, dg_cur
        cost += best_step
        cur = best
        path.append(cur)
    path.reverse()
    return path, cost


def _heuristic(rows, cols, goal_cr, min_mult: float) -> np.ndarray:
    """Octile distance to ``goal_cr`` (padded col, row) times the cheapest step, rounded down.

    Admissible: no step costs less than ``min_mult`` per cell of length. Returns
    an int64 array over the padded cells ``rows x cols``.
    """
    dx = np.abs(cols - goal_cr[0])[None, :]
    dy = np.abs(rows - goal_cr[1])[:, None]
    h = np.maximum(dx, dy) * SCALE + np.minimum(dx, dy) * OCTILE_EXTRA
    if min_mult != 1.0:
        h = np.floor(h * (min_mult * (1.0 - 1e-12))).astype(np.int64)
    return h


def astar_cost_cells(mult: np.ndarray, start, goal, timeout_s: float = math.inf):
    """Run A* over a whole grid of step multipliers.

    Returns (cells or None, expansions, timed_out, cost).

    ``start`` and ``goal`` are (col, row); ``cost`` is in cells times multipliers.
    The reference search (no window, no cache); :class:`SearchGrid` is the fast
    path used by :func:`plan` and returns the same costs.
    """
    h, w = mult.shape
    pw = w + 2
    n = (h + 2) * pw
    finite = np.isfinite(mult)
    padded = np.full((h + 2, pw), -1, dtype=np.int64)
    padded[1:-1, 1:-1] = np.where(finite, np.rint(np.where(finite, mult, 0.0) * SCALE), -1)
    straight = padded.ravel().tolist()
    diagonal = np.where(padded < 0, -1, np.rint(padded * SQRT2)).astype(np.int64).ravel().tolist()
    s = (start[1] + 1) * pw + start[0] + 1
    g_idx = (goal[1] + 1) * pw + goal[0] + 1
    min_mult = float(np.min(mult[finite])) if finite.any() else 1.0
    heur = _heuristic(np.arange(h + 2), np.arange(pw), (goal[0] + 1, goal[1] + 1), min_mult)
    hn = (heur.ravel() * n + np.arange(n)).tolist()
    g, closed, found, timed_out = _search(straight, diagonal, hn, pw, n, s, g_idx,
                                          time.monotonic() + timeout_s)
    expansions = closed.count(1)
    if not found:
        return None, expansions, timed_out, math.inf
    idx, cost = _trace_back(g, closed, straight, diagonal, pw, s, g_idx)
    return [(i % pw - 1, i // pw - 1) for i in idx], expansions, False, cost / SCALE


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


class SearchGrid:
    """The costmap as the search's flat lists, kept between plans.

    Converting a large costmap into Python lists costs more than many searches,
    so the lists (integer step costs per cell) live here and cover only the
    *built box*: the union of the search windows used so far, padded with a
    blocked border (so neighbours need no bounds checks). The box grows, and
    its lists are rebuilt, only when a search needs a larger window.
    :meth:`sync` rewrites only the built cells whose cost changed since the last
    call (a scan changes a few hundred), and starts over only when the size,
    the parameters or most cells changed. The heuristic of the last goal is kept
    too (replanning to the same goal reuses it).
    """

    def __init__(self):
        """Empty; the first :meth:`sync` sets the grid up."""
        self._shape = None
        self._key = None
        self._costs = None
        self._built = None
        self.rebuilds = 0
        self.updated_cells = 0

    @property
    def built(self):
        """Return the built box ``(c0, r0, c1, r1)``, grid cells, end-exclusive (or None)."""
        return self._built

    def sync(self, costs: np.ndarray, params: PlannerParams):
        """Bring the grid in line with ``costs`` (uint8, rows x cols) and ``params``."""
        key = (params.cost_weight, params.allow_unknown, params.unknown_cost)
        costs = np.asarray(costs, dtype=np.uint8)
        if costs.shape != self._shape or key != self._key:
            self._reset(costs, params, key)
            return
        changed = np.flatnonzero(self._costs != costs)
        if changed.size == 0:
            return
        if changed.size * 8 > costs.size:
            self._reset(costs, params, key)
            return
        values = costs.ravel()[changed]
        self._costs.ravel()[changed] = values
        if self._built is None:
            return
        w = costs.shape[1]
        rows, cols = changed // w, changed % w
        c0, r0, c1, r1 = self._built
        inside = (rows >= r0) & (rows < r1) & (cols >= c0) & (cols < c1)
        idx = (rows[inside] - r0 + 1) * self._pw + cols[inside] - c0 + 1
        straight, diagonal, st, dg = self._straight, self._diagonal, self._st, self._dg
        for i, v in zip(idx.tolist(), values[inside].tolist(), strict=True):
            straight[i] = st[v]
            diagonal[i] = dg[v]
        self.updated_cells += int(inside.sum())

    def _reset(self, costs, params, key):
        self._shape, self._key = costs.shape, key
        self._costs = costs.copy()
        self._mult = _step_table(params)
        pairs = [_scaled(m) for m in self._mult]
        self._st = [a for a, _ in pairs]
        self._dg = [b for _, b in pairs]
        self._built = None
        self.rebuilds += 1

    def _build(self, box):
        """Make the built box hold ``box`` (grid cells): rebuild the lists over the union."""
        if self._built is not None:
            b0, b1, b2, b3 = self._built
            if b0 <= box[0] and b1 <= box[1] and b2 >= box[2] and b3 >= box[3]:
                return
            box = (min(b0, box[0]), min(b1, box[1]), max(b2, box[2]), max(b3, box[3]))
        c0, r0, c1, r1 = box
        padded = np.full((r1 - r0 + 2, c1 - c0 + 2), LETHAL_OBSTACLE, dtype=np.uint8)
        padded[1:-1, 1:-1] = self._costs[r0:r1, c0:c1]
        flat = padded.tobytes()
        st, dg = self._st, self._dg
        self._straight = [st[v] for v in flat]
        self._diagonal = [dg[v] for v in flat]
        self._pw = c1 - c0 + 2
        self._n = len(flat)
        self._hn = [0] * self._n
        self._h_goal = None  # (goal, min_mult, filled box)
        self._built = box

    def step_multiplier(self, cost: int) -> float:
        """Return the step multiplier of a cell of this cost (inf: blocked) under the params."""
        return float(self._mult[cost])

    def _min_mult(self, extra=math.inf) -> float:
        """Return the cheapest step multiplier on the grid (and ``extra``); 1 if none is finite."""
        # multipliers grow with the cost up to 252, 253 and 254 are blocked, 255 is apart
        m = float(self._mult[int(self._costs.min())])
        if int(self._costs.max()) == NO_INFORMATION:
            m = min(m, float(self._mult[NO_INFORMATION]))
        m = min(m, extra)
        return m if math.isfinite(m) else 1.0

    def _index(self, cell) -> int:
        c0, r0 = self._built[0], self._built[1]
        return (cell[1] - r0 + 1) * self._pw + cell[0] - c0 + 1

    def search(self, start, goal, timeout_s: float = math.inf, margin_cells: int = 40,
               start_mult: float = None):
        """Run exact A* from ``start`` to ``goal`` (col, row).

        Returns (cells or None, expansions, timed_out, cost).

        ``start_mult`` overrides the step multiplier of the start cell (the robot
        may start inside the inflated zone and must be able to leave). The search
        runs first on the bounding box of start and goal plus ``margin_cells``,
        fenced off by blocking the ring of cells around it for the search. A
        path found there is returned only when its cost is no more than
        :func:`_exit_bound` (no path leaving the window can be cheaper);
        otherwise the margin grows 4x, up to the whole grid.
        """
        h, w = self._shape
        min_mult = self._min_mult(start_mult if start_mult is not None else math.inf)
        deadline = time.monotonic() + timeout_s
        total = 0
        margin = margin_cells
        while True:
            c0 = max(min(start[0], goal[0]) - margin, 0)
            r0 = max(min(start[1], goal[1]) - margin, 0)
            c1 = min(max(start[0], goal[0]) + margin + 1, w)
            r1 = min(max(start[1], goal[1]) + margin + 1, h)
            box = (c0, r0, c1, r1)
            whole = box == (0, 0, w, h)
            self._build(box)
            cells, expansions, timed_out, cost = self._search_window(
                start, goal, box, min_mult, start_mult, deadline)
            total += expansions
            if timed_out:
                return None, total, True, math.inf
            if cells is not None and (whole or cost <= _exit_bound(
                    start, goal, box, (h, w), min_mult) + 1e-9):
                return cells, total, False, cost
            if whole:
                return None, total, False, math.inf
            margin *= 4

    def _search_window(self, start, goal, box, min_mult, start_mult, deadline):
        """One A* inside ``box``; the lists are restored afterwards."""
        straight, diagonal, pw, n = self._straight, self._diagonal, self._pw, self._n
        s, g_idx = self._index(start), self._index(goal)
        self._fill_heuristic(goal, min_mult, box)
        saved = self._fence(box)
        saved.append((s, straight[s], diagonal[s]))
        if start_mult is not None:
            straight[s], diagonal[s] = _scaled(start_mult)
        try:
            g, closed, found, timed_out = _search(straight, diagonal, self._hn, pw, n, s, g_idx,
                                                  deadline)
            if not found:
                return None, closed.count(1), timed_out, math.inf
            idx, cost = _trace_back(g, closed, straight, diagonal, pw, s, g_idx)
        finally:
            for i, a, b in reversed(saved):
                straight[i], diagonal[i] = a, b
        bc, br = self._built[0] - 1, self._built[1] - 1
        return [(i % pw + bc, i // pw + br) for i in idx], closed.count(1), False, cost / SCALE

    def _fence(self, box):
        """Block the ring of cells around ``box`` inside the built box; return what to restore."""
        c0, r0, c1, r1 = box
        b0, b1, b2, b3 = self._built
        if (c0, r0, c1, r1) == (b0, b1, b2, b3):
            return []  # the padding is the fence
        pw = self._pw
        straight, diagonal = self._straight, self._diagonal
        # local padded coordinates of the ring: one cell outside the window
        lc0, lr0, lc1, lr1 = c0 - b0, r0 - b1, c1 - b0 + 1, r1 - b1 + 1
        ring = set()
        for pc in range(lc0, lc1 + 1):
            ring.add(lr0 * pw + pc)
            ring.add(lr1 * pw + pc)
        for pr in range(lr0, lr1 + 1):
            ring.add(pr * pw + lc0)
            ring.add(pr * pw + lc1)
        saved = [(i, straight[i], diagonal[i]) for i in ring]
        for i in ring:
            straight[i] = diagonal[i] = -1
        return saved

    def _fill_heuristic(self, goal, min_mult, box):
        """Heap-key tails ``h * n + i`` for the cells of ``box``, kept for the same goal."""
        c0, r0, c1, r1 = box
        cached = self._h_goal
        if cached is not None and cached[0] == goal and cached[1] == min_mult:
            f0, g0, f1, g1 = cached[2]
            if f0 <= c0 and g0 <= r0 and f1 >= c1 and g1 >= r1:
                return
        pw, n = self._pw, self._n
        b0, b1 = self._built[0], self._built[1]
        rows = np.arange(r0 - b1 + 1, r1 - b1 + 1)  # local padded rows and columns of the box
        cols = np.arange(c0 - b0 + 1, c1 - b0 + 1)
        heur = _heuristic(rows, cols, (goal[0] - b0 + 1, goal[1] - b1 + 1), min_mult)
        if heur.size and int(heur.max()) * n >= 1 << 62:  # keep int64 exact
            heur = heur.astype(object)
        keys = heur * n + (rows[:, None] * pw + cols[None, :])
        hn = self._hn
        width = c1 - c0
        flat = keys.ravel().tolist()
        for k, pr in enumerate(rows.tolist()):
            a = pr * pw + int(cols[0])
            hn[a:a + width] = flat[k * width:(k + 1) * width]
        self._h_goal = (goal, min_mult, box)


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


class Planner:
    """Plans on a costmap, keeping its :class:`SearchGrid` between plans (see :func:`plan`)."""

    def __init__(self):
        """Start with an empty search grid."""
        self.grid = SearchGrid()

    def plan(self, costmap: Costmap2D, start_xy, goal_xy,
             params: PlannerParams = None) -> PlanResult:
        """Plan from ``start_xy`` to ``goal_xy`` (world, metres) on ``costmap``."""
        params = params or PlannerParams()
        sc, sr, s_in = costmap.world_to_cell(*start_xy)
        gc, gr, g_in = costmap.world_to_cell(*goal_xy)
        if not s_in:
            return PlanResult(START_OUTSIDE_MAP,
                              message=f'start {tuple(start_xy)} is outside the map')
        if not g_in:
            return PlanResult(GOAL_OUTSIDE_MAP, message=f'goal {tuple(goal_xy)} is outside the map')
        costs = costmap.data
        s_cost, g_cost = int(costs[sr, sc]), int(costs[gr, gc])
        if s_cost == LETHAL_OBSTACLE:
            return PlanResult(START_OCCUPIED,
                              message=f'start {tuple(start_xy)} is in a lethal cell')
        if g_cost in (LETHAL_OBSTACLE, INSCRIBED_INFLATED_OBSTACLE) or (
                g_cost == NO_INFORMATION and not params.allow_unknown):
            return PlanResult(GOAL_OCCUPIED,
                              message=f'goal {tuple(goal_xy)} is occupied (cost {g_cost})')
        self.grid.sync(costs, params)
        # The robot may start inside the inflated zone; let it leave.
        start_mult = None
        if not math.isfinite(self.grid.step_multiplier(s_cost)):
            start_mult = 1.0 + params.cost_weight
        cells, expansions, timed_out, _ = self.grid.search(
            (int(sc), int(sr)), (int(gc), int(gr)), params.timeout_s, start_mult=start_mult)
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


def plan(costmap: Costmap2D, start_xy, goal_xy, params: PlannerParams = None) -> PlanResult:
    """Plan once from ``start_xy`` to ``goal_xy`` (world, metres) on ``costmap``.

    A fresh :class:`Planner` each call; a server that plans repeatedly keeps one
    :class:`Planner` so the search grid is only updated where the costmap changed.
    """
    return Planner().plan(costmap, start_xy, goal_xy, params)


def plan_through(planner: Planner, costmap: Costmap2D, start_xy, goals_xy,
                 params: PlannerParams = None) -> PlanResult:
    """Plan from ``start_xy`` through every goal of ``goals_xy`` in order: one path.

    Each leg starts where the last one ended (as Nav2's ComputePathThroughPoses);
    the joint of two legs is kept once. A failing leg ends the plan with its
    code (ComputePathToPose's values, :data:`CODE_NAMES`) and a message naming
    the goal (``goals[i]``) and the leg. ``goals_xy`` must not be empty.
    """
    goals_xy = [tuple(float(v) for v in g) for g in goals_xy]
    if not goals_xy:
        raise ValueError('goals_xy is empty')
    start = tuple(float(v) for v in start_xy)
    parts = []
    expansions = 0
    for i, goal in enumerate(goals_xy):
        res = planner.plan(costmap, start, goal, params)
        expansions += res.expansions
        if not res.ok:
            where = 'the start' if i == 0 else f'goals[{i - 1}] {_xy(start)}'
            if res.error_code in (GOAL_OCCUPIED, GOAL_OUTSIDE_MAP):
                what = f'goals[{i}] {_xy(goal)}: {res.message}'
            else:
                what = f'leg {i} (from {where} to goals[{i}] {_xy(goal)}): {res.message}'
            return PlanResult(res.error_code, message=what, expansions=expansions)
        parts.append(res.path if i == 0 else res.path[1:])
        start = goal
    return PlanResult(NONE, path=np.concatenate(parts), expansions=expansions)


def _xy(p) -> str:
    return f'({p[0]:.2f}, {p[1]:.2f})'


def cells_length(cells) -> float:
    """Length of a cell path in cells (1 per straight, sqrt(2) per diagonal step)."""
    total = 0.0
    for (c0, r0), (c1, r1) in zip(cells[:-1], cells[1:], strict=False):
        total += SQRT2 if (c0 != c1 and r0 != r1) else 1.0
    return total

"""A 2D costmap with Nav2's cost values, its layers and a rolling window.

Cells are indexed ``[row, col]`` = ``[y, x]``; cell ``(0, 0)`` has its lower-left
corner at the origin, as in nav_msgs/OccupancyGrid. Everything is vectorized
numpy; nothing here imports ROS.

Cost values (Nav2 ``nav2_costmap_2d/cost_values.hpp``):
``FREE_SPACE`` 0, ``INSCRIBED_INFLATED_OBSTACLE`` 253, ``LETHAL_OBSTACLE`` 254,
``NO_INFORMATION`` 255. Values 1..252 decay with distance from an obstacle.
"""
from dataclasses import dataclass
import math

import numpy as np

FREE_SPACE = 0
INSCRIBED_INFLATED_OBSTACLE = 253
LETHAL_OBSTACLE = 254
NO_INFORMATION = 255


def _floats(a) -> np.ndarray:
    """Return ``a`` as a float array: float32 stays float32, anything else becomes float64."""
    a = np.asarray(a)
    return a if a.dtype == np.float32 else a.astype(float)


class CostmapError(ValueError):
    """Invalid costmap geometry or input data."""


class Costmap2D:
    """A grid of uint8 costs with its geometry (origin, resolution, size) in a frame."""

    def __init__(self, width: int, height: int, resolution: float,
                 origin_x: float = 0.0, origin_y: float = 0.0, default_value: int = FREE_SPACE):
        if int(width) <= 0 or int(height) <= 0:
            raise CostmapError(f'costmap size must be positive, got {width} x {height} cells')
        if not (resolution > 0.0 and math.isfinite(resolution)):
            raise CostmapError(f'costmap resolution must be > 0 m, got {resolution}')
        self.width = int(width)
        self.height = int(height)
        self.resolution = float(resolution)
        self.origin_x = float(origin_x)
        self.origin_y = float(origin_y)
        self.data = np.full((self.height, self.width), default_value, dtype=np.uint8)

    @classmethod
    def from_size_m(cls, size_x_m: float, size_y_m: float, resolution: float,
                    origin_x: float = 0.0, origin_y: float = 0.0, default_value: int = FREE_SPACE):
        """Build a costmap covering ``size_x_m`` x ``size_y_m`` metres."""
        if resolution <= 0.0:
            raise CostmapError(f'costmap resolution must be > 0 m, got {resolution}')
        return cls(int(round(size_x_m / resolution)), int(round(size_y_m / resolution)),
                   resolution, origin_x, origin_y, default_value)

    def copy(self) -> 'Costmap2D':
        """Return a deep copy."""
        out = Costmap2D(self.width, self.height, self.resolution, self.origin_x, self.origin_y)
        out.data = self.data.copy()
        return out

    @property
    def size_x_m(self) -> float:
        """Width in metres."""
        return self.width * self.resolution

    @property
    def size_y_m(self) -> float:
        """Height in metres."""
        return self.height * self.resolution

    def world_to_cell(self, x, y):
        """Map world coordinates to integer cells ``(col, row, inside)`` (arrays or scalars).

        float32 coordinates are computed in float32 (twice as fast on large
        batches; a cell boundary moves by well under a micrometre).
        """
        col = np.floor((_floats(x) - self.origin_x) / self.resolution)
        row = np.floor((_floats(y) - self.origin_y) / self.resolution)
        inside = (col >= 0) & (col < self.width) & (row >= 0) & (row < self.height)
        return col.astype(np.int64), row.astype(np.int64), inside

    def cell_to_world(self, col, row):
        """Map cells to the world coordinates of their centres."""
        x = self.origin_x + (np.asarray(col, dtype=float) + 0.5) * self.resolution
        y = self.origin_y + (np.asarray(row, dtype=float) + 0.5) * self.resolution
        return x, y

    def is_inside(self, x: float, y: float) -> bool:
        """Whether the world point lies on the map."""
        return bool(self.world_to_cell(x, y)[2])

    def cost_at(self, x: float, y: float) -> int:
        """Cost of the cell holding a world point; NO_INFORMATION when off the map."""
        col, row, inside = self.world_to_cell(x, y)
        if not inside:
            return NO_INFORMATION
        return int(self.data[row, col])

    def costs_at(self, xs, ys, outside: int = NO_INFORMATION) -> np.ndarray:
        """Vectorized :meth:`cost_at`; cells off the map get ``outside``."""
        col, row, inside = self.world_to_cell(xs, ys)
        # one gather through clipped flat indices, then the outside cells replaced
        out = self.data.ravel().take(row * self.width + col, mode='clip')
        return np.where(inside, out, np.uint8(outside))

    def clear(self, value: int = FREE_SPACE) -> None:
        """Reset every cell (Nav2's clear_entirely_* services)."""
        self.data.fill(value)


def static_layer_from_occupancy(occupancy, track_unknown: bool = True,
                                occupied_threshold: int = 65) -> np.ndarray:
    """Convert OccupancyGrid values (-1 unknown, 0..100) into costs (uint8, same shape).

    Values ``>= occupied_threshold`` become LETHAL, -1 becomes NO_INFORMATION (or
    FREE when ``track_unknown`` is false), everything else FREE. Nav2's static
    layer with ``trinary_costmap: true`` does the same.
    """
    occ = np.asarray(occupancy)
    if occ.ndim != 2:
        raise CostmapError(f'occupancy data must be 2-D, got shape {occ.shape}')
    bad = (occ < -1) | (occ > 100)
    if np.any(bad):
        raise CostmapError(f'occupancy values must be -1 or 0..100, found {occ[bad].flat[0]}')
    out = np.full(occ.shape, FREE_SPACE, dtype=np.uint8)
    out[occ >= occupied_threshold] = LETHAL_OBSTACLE
    if track_unknown:
        out[occ == -1] = NO_INFORMATION
    return out


@dataclass
class LaserScanData:
    """The fields of a sensor_msgs/LaserScan that the obstacle layer needs."""

    ranges: np.ndarray
    angle_min: float
    angle_increment: float
    range_min: float
    range_max: float


def scan_endpoints(scan: LaserScanData, sensor_x: float, sensor_y: float, sensor_yaw: float):
    """Return beam angles (world frame), ranges and a finite mask for a scan."""
    ranges = np.asarray(scan.ranges, dtype=float)
    angles = sensor_yaw + scan.angle_min + scan.angle_increment * np.arange(ranges.size)
    return angles, ranges, np.isfinite(ranges)


class ObstacleLayer:
    """Marks scan hits as lethal and clears the cells that beams pass through.

    The layer keeps its own grid (same geometry as the costmap it feeds):
    ``LETHAL_OBSTACLE`` where marked, ``FREE_SPACE`` where a beam saw free space,
    ``NO_INFORMATION`` where nothing was seen yet.
    """

    def __init__(self, costmap: Costmap2D, obstacle_max_range_m: float = 2.5,
                 raytrace_max_range_m: float = 3.0, obstacle_min_range_m: float = 0.0):
        self.geometry = costmap
        self.grid = np.full_like(costmap.data, NO_INFORMATION)
        self.obstacle_max_range_m = obstacle_max_range_m
        self.raytrace_max_range_m = raytrace_max_range_m
        self.obstacle_min_range_m = obstacle_min_range_m

    def reset(self) -> None:
        """Forget every observation."""
        self.grid.fill(NO_INFORMATION)

    def update(self, scan: LaserScanData, sensor_x: float, sensor_y: float,
               sensor_yaw: float) -> None:
        """Ray-trace free space along every beam, then mark the hits (vectorized)."""
        geo = self.geometry
        angles, ranges, finite = scan_endpoints(scan, sensor_x, sensor_y, sensor_yaw)
        # A beam with no return (+inf or >= range_max) clears up to the raytrace range;
        # NaN, -inf and readings below range_min are ignored.
        with np.errstate(invalid='ignore'):
            no_hit = np.isposinf(ranges) | (finite & (ranges >= scan.range_max))
            valid = no_hit | (finite & (ranges >= scan.range_min))
        measured = np.nan_to_num(ranges, nan=0.0, posinf=0.0, neginf=0.0)
        clear_len = np.where(no_hit, min(scan.range_max, self.raytrace_max_range_m),
                             np.minimum(measured, self.raytrace_max_range_m))
        clear_len = np.where(valid, clear_len, 0.0)
        step = geo.resolution * 0.5
        n_steps = int(math.ceil(float(clear_len.max(initial=0.0)) / step))
        if n_steps > 0:
            t = np.arange(n_steps) * step
            # samples every half cell along each beam, stopping half a cell short of the
            # hit so the hit cell itself survives: beam i keeps its first counts[i]
            # samples (t < clear_len - step; t is sorted), so only those are computed
            counts = np.searchsorted(t, clear_len - step, side='left')
            beam = np.repeat(np.arange(counts.size), counts)
            starts = np.cumsum(counts) - counts
            dist = t[np.arange(beam.size) - np.repeat(starts, counts)]
            xs = sensor_x + np.cos(angles)[beam] * dist
            ys = sensor_y + np.sin(angles)[beam] * dist
            col, row, inside = geo.world_to_cell(xs, ys)
            self.grid[row[inside], col[inside]] = FREE_SPACE
        hit = finite & (ranges >= scan.range_min) & (ranges < scan.range_max) \
            & (ranges <= self.obstacle_max_range_m) & (ranges >= self.obstacle_min_range_m)
        hx = sensor_x + np.cos(angles[hit]) * ranges[hit]
        hy = sensor_y + np.sin(angles[hit]) * ranges[hit]
        col, row, inside = geo.world_to_cell(hx, hy)
        self.grid[row[inside], col[inside]] = LETHAL_OBSTACLE

    def shift(self, d_col: int, d_row: int) -> None:
        """Move the window by whole cells, keeping what overlaps (rolling window)."""
        self.grid = _shifted(self.grid, d_col, d_row, NO_INFORMATION)


def _shifted(grid: np.ndarray, d_col: int, d_row: int, fill: int) -> np.ndarray:
    """Return ``grid`` seen from an origin moved by (d_col, d_row) cells."""
    h, w = grid.shape
    out = np.full_like(grid, fill)
    if abs(d_col) >= w or abs(d_row) >= h:
        return out
    src_r = slice(max(d_row, 0), h + min(d_row, 0))
    dst_r = slice(max(-d_row, 0), h + min(-d_row, 0))
    src_c = slice(max(d_col, 0), w + min(d_col, 0))
    dst_c = slice(max(-d_col, 0), w + min(-d_col, 0))
    out[dst_r, dst_c] = grid[src_r, src_c]
    return out


def distance_to_obstacles(obstacles: np.ndarray, max_cells: int) -> np.ndarray:
    """Exact Euclidean distance (in cells) to the nearest True cell, capped at ``max_cells + 1``.

    Two separable passes, both vectorized: the horizontal distance per row from
    running maxima/minima of obstacle indices, then a bounded vertical window
    ``min_k (dx[i+k]^2 + k^2)`` over ``|k| <= max_cells``.
    """
    obstacles = np.asarray(obstacles, dtype=bool)
    h, w = obstacles.shape
    cap = max_cells + 1
    if not obstacles.any():
        return np.full(obstacles.shape, float(cap))
    cols = np.arange(w)
    big = 10 * (w + h + cap)
    left = np.where(obstacles, cols[None, :], -big)
    left = np.maximum.accumulate(left, axis=1)
    right = np.where(obstacles, cols[None, :], big)
    right = np.minimum.accumulate(right[:, ::-1], axis=1)[:, ::-1]
    dx = np.minimum(cols[None, :] - left, right - cols[None, :]).astype(float)
    dx = np.minimum(dx, cap)
    dx2 = dx * dx
    best = dx2.copy()
    for k in range(1, min(max_cells, h - 1) + 1):
        k2 = float(k * k)
        np.minimum(best[k:], dx2[:-k] + k2, out=best[k:])
        np.minimum(best[:-k], dx2[k:] + k2, out=best[:-k])
    return np.minimum(np.sqrt(best), cap)


@dataclass
class InflationParams:
    """Inflation layer parameters (Nav2 names and meanings)."""

    inscribed_radius_m: float = 0.215
    inflation_radius_m: float = 0.55
    cost_scaling_factor: float = 3.0


def inflate(costs: np.ndarray, resolution: float, params: InflationParams,
            inflate_unknown: bool = False) -> np.ndarray:
    """Inflate LETHAL cells: 253 within the inscribed radius, exponential decay beyond.

    cost = 252 * exp(-cost_scaling_factor * (d - inscribed_radius)) for
    inscribed < d <= inflation_radius, as in Nav2's inflation layer. Lethal and
    unknown cells keep their value; the result is the max of the input and the
    inflated cost.
    """
    if params.inflation_radius_m < params.inscribed_radius_m:
        raise CostmapError(
            f'inflation_radius_m ({params.inflation_radius_m}) must be >= '
            f'inscribed_radius_m ({params.inscribed_radius_m})')
    lethal = costs == LETHAL_OBSTACLE
    if inflate_unknown:
        lethal = lethal | (costs == NO_INFORMATION)
    max_cells = int(math.ceil(params.inflation_radius_m / resolution))
    dist_m = distance_to_obstacles(lethal, max_cells) * resolution
    inflated = np.zeros(costs.shape, dtype=float)
    decay = (INSCRIBED_INFLATED_OBSTACLE - 1) * np.exp(
        -params.cost_scaling_factor * (dist_m - params.inscribed_radius_m))
    ring = (dist_m > params.inscribed_radius_m) & (dist_m <= params.inflation_radius_m)
    inflated[ring] = decay[ring]
    inflated[dist_m <= params.inscribed_radius_m] = INSCRIBED_INFLATED_OBSTACLE
    inflated = inflated.astype(np.uint8)
    out = costs.copy()
    known = costs != NO_INFORMATION
    out[known] = np.maximum(costs[known], inflated[known])
    out[lethal & (costs == LETHAL_OBSTACLE)] = LETHAL_OBSTACLE
    return out


def footprint_radii(footprint) -> tuple:
    """Inscribed and circumscribed radius (m) of a polygon around the robot's origin."""
    pts = np.asarray(footprint, dtype=float)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 3:
        raise CostmapError(f'footprint must be at least 3 [x, y] points, got {pts.tolist()}')
    circumscribed = float(np.max(np.hypot(pts[:, 0], pts[:, 1])))
    a = pts
    b = np.roll(pts, -1, axis=0)
    seg = b - a
    t = np.clip(-(a * seg).sum(1) / np.maximum((seg * seg).sum(1), 1e-12), 0.0, 1.0)
    closest = a + seg * t[:, None]
    inscribed = float(np.min(np.hypot(closest[:, 0], closest[:, 1])))
    return inscribed, circumscribed


def rectangle_footprint(length_m: float, width_m: float):
    """Footprint polygon of a rectangle centred on the robot's origin."""
    hx, hy = length_m / 2.0, width_m / 2.0
    return [[hx, hy], [hx, -hy], [-hx, -hy], [-hx, hy]]


OBJECT_FIELDS = ('x', 'y', 'yaw', 'size_x', 'size_y')


def objects_array(objects) -> np.ndarray:
    """Return objects as an N x 5 float array ``(x, y, yaw, size_x, size_y)``.

    Rows with a non-finite value or a negative size are dropped (an untrusted
    detection never marks the costmap); the caller counts what was dropped.
    """
    a = np.asarray(objects, dtype=float)
    if a.size == 0:
        return np.zeros((0, 5))
    if a.ndim != 2 or a.shape[1] != 5:
        raise CostmapError(f'objects must be N x 5 {OBJECT_FIELDS}, got shape {a.shape}')
    keep = np.all(np.isfinite(a), axis=1) & (a[:, 3] >= 0.0) & (a[:, 4] >= 0.0)
    return a[keep]


def distance_to_objects(objects: np.ndarray, x: float, y: float) -> np.ndarray:
    """Distance (m) from (x, y) to each object's rectangle (0 inside it)."""
    dx, dy = x - objects[:, 0], y - objects[:, 1]
    c, s = np.cos(objects[:, 2]), np.sin(objects[:, 2])
    u, v = c * dx + s * dy, -s * dx + c * dy  # the point in each object's frame
    return np.hypot(np.maximum(np.abs(u) - objects[:, 3] / 2.0, 0.0),
                    np.maximum(np.abs(v) - objects[:, 4] / 2.0, 0.0))


def exempt_objects(objects: np.ndarray, points, radius) -> np.ndarray:
    """Return the mask of the objects within ``radius`` of any of ``points`` (N x 2).

    ``radius`` is one distance for all points or one per point. The robot's own
    place and its goal are such points: an object the robot holds, or one it is
    sent to reach (a pre-grasp pose), is not an obstacle to that plan.
    """
    out = np.zeros(len(objects), dtype=bool)
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    radii = np.broadcast_to(np.asarray(radius, dtype=float), (len(points),))
    for (x, y), r in zip(points, radii, strict=True):
        if math.isfinite(x) and math.isfinite(y):
            out |= distance_to_objects(objects, x, y) <= r
    return out


def object_mask(costmap: Costmap2D, objects: np.ndarray, min_size_m: float = 0.0) -> np.ndarray:
    """Return the ``[row, col]`` mask of the cells the objects' rectangles cover.

    A cell is covered when its centre lies within half a cell of a rectangle, so
    an object smaller than a cell still marks the cell it stands in. Sizes below
    ``min_size_m`` (0 = unknown) are taken as ``min_size_m``.
    """
    mask = np.zeros((costmap.height, costmap.width), dtype=bool)
    half_cell = costmap.resolution / 2.0
    for x, y, yaw, sx, sy in objects:
        hx, hy = max(sx, min_size_m) / 2.0, max(sy, min_size_m) / 2.0
        reach = math.hypot(hx, hy) + costmap.resolution
        c0, r0, _ = costmap.world_to_cell(x - reach, y - reach)
        c1, r1, _ = costmap.world_to_cell(x + reach, y + reach)
        c0, c1 = max(int(c0), 0), min(int(c1), costmap.width - 1)
        r0, r1 = max(int(r0), 0), min(int(r1), costmap.height - 1)
        if c0 > c1 or r0 > r1:
            continue  # off this costmap
        cx, _ = costmap.cell_to_world(np.arange(c0, c1 + 1), 0)
        _, cy = costmap.cell_to_world(0, np.arange(r0, r1 + 1))
        dx, dy = cx[None, :] - x, cy[:, None] - y
        c, s = math.cos(yaw), math.sin(yaw)
        u, v = c * dx + s * dy, -s * dx + c * dy
        mask[r0:r1 + 1, c0:c1 + 1] |= ((np.abs(u) <= hx + half_cell)
                                       & (np.abs(v) <= hy + half_cell))
    return mask


class LayeredCostmap:
    """Static + obstacle + object + inflation layers combined into one master costmap.

    The object layer marks the rectangles of known objects (perception's
    tracked objects: things below the lidar plane that the scan never sees) as
    lethal, except those near the exemption points (:meth:`set_object_exemptions`).

    With ``rolling_window`` the map stays centred on the robot (Nav2's local
    costmap); call :meth:`update_origin` with the robot position before each
    scan update. Without a static map, unknown space is treated as free unless
    ``track_unknown`` is set, so the costmap can be built from scans alone.
    """

    def __init__(self, costmap: Costmap2D, inflation: InflationParams,
                 obstacle_max_range_m: float = 2.5, raytrace_max_range_m: float = 3.0,
                 rolling_window: bool = False, track_unknown: bool = False):
        self.master = costmap
        self.inflation = inflation
        self.rolling_window = rolling_window
        self.track_unknown = track_unknown
        self.static = None
        self.obstacles = ObstacleLayer(costmap, obstacle_max_range_m, raytrace_max_range_m)
        self.objects = np.zeros((0, 5))
        self.object_min_size_m = 0.0
        self.exempt_points = np.zeros((0, 2))
        self.exempt_radius_m = 0.0
        self.update_costs()

    def set_objects(self, objects, min_size_m: float = 0.0) -> int:
        """Replace the object layer's objects (N x 5 ``(x, y, yaw, size_x, size_y)``).

        Returns how many rows were dropped as non-finite or negative in size.
        The master costmap is recomputed at the next :meth:`update_costs`.
        """
        raw = np.asarray(objects, dtype=float)
        self.objects = objects_array(raw)
        self.object_min_size_m = float(min_size_m)
        self.dirty = True
        return (len(raw) if raw.size else 0) - len(self.objects)

    def set_object_exemptions(self, points, radius_m) -> None:
        """Objects within ``radius_m`` (one, or one per point) of any of ``points`` are not marked.

        The planner passes the robot's place and its goals: what the robot holds
        or is sent to reach is no obstacle to it.
        """
        self.exempt_points = np.asarray(points, dtype=float).reshape(-1, 2)
        self.exempt_radius_m = np.broadcast_to(np.asarray(radius_m, dtype=float),
                                               (len(self.exempt_points),)).copy()
        if len(self.objects):
            self.dirty = True

    def marked_objects(self) -> np.ndarray:
        """Return the objects the object layer marks now (the others are exempt)."""
        if not len(self.objects):
            return self.objects
        keep = ~exempt_objects(self.objects, self.exempt_points, self.exempt_radius_m)
        return self.objects[keep]

    def set_static(self, static_costs: np.ndarray, origin_x: float, origin_y: float,
                   resolution: float) -> None:
        """Install a static map: the master costmap takes its geometry."""
        static_costs = np.asarray(static_costs, dtype=np.uint8)
        if self.rolling_window:
            raise CostmapError('a rolling-window costmap takes no static map')
        h, w = static_costs.shape
        self.master = Costmap2D(w, h, resolution, origin_x, origin_y)
        self.obstacles = ObstacleLayer(self.master, self.obstacles.obstacle_max_range_m,
                                       self.obstacles.raytrace_max_range_m)
        self.static = static_costs.copy()
        self.update_costs()

    def update_origin(self, robot_x: float, robot_y: float) -> None:
        """Recentre a rolling window on the robot, keeping overlapping observations.

        A non-finite position is a ``ValueError`` naming it; the window stays.
        """
        if not self.rolling_window:
            return
        if not (math.isfinite(robot_x) and math.isfinite(robot_y)):
            raise ValueError(f'robot position ({robot_x!r}, {robot_y!r}) is not finite: '
                             'the rolling window stays where it is')
        m = self.master
        new_ox = robot_x - m.size_x_m / 2.0
        new_oy = robot_y - m.size_y_m / 2.0
        d_col = int(math.floor((new_ox - m.origin_x) / m.resolution + 1e-9))
        d_row = int(math.floor((new_oy - m.origin_y) / m.resolution + 1e-9))
        if d_col == 0 and d_row == 0:
            return
        m.origin_x += d_col * m.resolution
        m.origin_y += d_row * m.resolution
        self.obstacles.shift(d_col, d_row)

    def update_scan(self, scan: LaserScanData, sensor_x: float, sensor_y: float,
                    sensor_yaw: float, recompute: bool = True) -> None:
        """Feed one scan into the obstacle layer; recompute the master costmap unless told not.

        A large global costmap can defer the (costlier) inflation with
        ``recompute=False`` and call :meth:`update_costs` once before it plans.
        A non-finite sensor pose is a ``ValueError`` naming it; nothing changes.
        """
        if not all(math.isfinite(v) for v in (sensor_x, sensor_y, sensor_yaw)):
            raise ValueError(f'sensor pose ({sensor_x!r}, {sensor_y!r}, {sensor_yaw!r}) is '
                             'not finite: the scan is not used')
        self.obstacles.update(scan, sensor_x, sensor_y, sensor_yaw)
        self.dirty = True
        if recompute:
            self.update_costs()

    def update_costs(self) -> None:
        """Combine the layers: static (or unknown/free), obstacles, objects, inflation."""
        obs = self.obstacles.grid
        if self.static is not None:
            combined = self.static.copy()
            seen_free = (obs == FREE_SPACE) & (combined == NO_INFORMATION)
            combined[seen_free] = FREE_SPACE
        else:
            fill = NO_INFORMATION if self.track_unknown else FREE_SPACE
            combined = np.full(obs.shape, fill, dtype=np.uint8)
            combined[obs == FREE_SPACE] = FREE_SPACE
        combined[obs == LETHAL_OBSTACLE] = LETHAL_OBSTACLE
        marked = self.marked_objects()
        if len(marked):
            combined[object_mask(self.master, marked, self.object_min_size_m)] = LETHAL_OBSTACLE
        self.master.data = inflate(combined, self.master.resolution, self.inflation)
        self.dirty = False

    def clear_entirely(self) -> None:
        """Drop every obstacle observation and object (static map stays), as Nav2's clear service.

        Objects come back with the next ``set_objects`` (perception publishes
        its tracks at the camera's rate).
        """
        self.obstacles.reset()
        self.objects = np.zeros((0, 5))
        self.update_costs()

    def clear_around(self, x: float, y: float, reset_distance: float) -> int:
        """Forget the obstacle observations in the square of side ``reset_distance`` at (x, y).

        Nav2's ``clear_around_*`` service: a cell is in the square when its
        centre is; the static map stays. Returns how many cells were cleared
        (that held an observation); a non-finite or negative input is a
        :class:`CostmapError` naming it and nothing changes.
        """
        return self._clear_square(x, y, reset_distance, inside=True)

    def clear_except(self, x: float, y: float, reset_distance: float) -> int:
        """Forget the obstacle observations outside that square (Nav2's ``clear_except_*``)."""
        return self._clear_square(x, y, reset_distance, inside=False)

    def _clear_square(self, x, y, reset_distance, inside):
        for name, value in (('x', x), ('y', y), ('reset_distance', reset_distance)):
            if not math.isfinite(value):
                raise CostmapError(f'{name} is {value!r}: nothing cleared')
        if reset_distance < 0.0:
            raise CostmapError(f'reset_distance is {reset_distance!r}, negative: nothing cleared')
        mask = square_mask(self.master, x, y, reset_distance)
        if not inside:
            mask = ~mask
        grid = self.obstacles.grid
        cleared = int(np.count_nonzero(grid[mask] != NO_INFORMATION))
        grid[mask] = NO_INFORMATION
        self.update_costs()
        return cleared


def square_mask(costmap: Costmap2D, x: float, y: float, side: float) -> np.ndarray:
    """Return the ``[row, col]`` mask of the cells whose centres lie in the square of ``side``.

    The square is axis-aligned and centred on (x, y).
    """
    cx, _ = costmap.cell_to_world(np.arange(costmap.width), 0)
    _, cy = costmap.cell_to_world(0, np.arange(costmap.height))
    half = side / 2.0
    return (np.abs(cy - y) <= half)[:, None] & (np.abs(cx - x) <= half)[None, :]


def invalid_path_poses(costmap: Costmap2D, points, unknown_is_invalid: bool = False,
                       robot_xy=None) -> np.ndarray:
    """Return the indices of the path points (N x 2, world) that make it invalid (is_path_valid).

    A point is invalid on a lethal cell, off the map, non-finite, or (with
    ``unknown_is_invalid``) on a NO_INFORMATION cell. As Nav2's planner server,
    with ``robot_xy`` the check starts at the point closest to the robot: the
    points already passed are not judged.
    """
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    finite = np.all(np.isfinite(pts), axis=1)
    first = 0
    if robot_xy is not None and finite.any():
        d = np.hypot(pts[:, 0] - robot_xy[0], pts[:, 1] - robot_xy[1])
        first = int(np.argmin(np.where(finite, d, np.inf)))
    safe = np.where(finite[:, None], pts, 0.0)
    col, row, inside = costmap.world_to_cell(safe[:, 0], safe[:, 1])
    cost = costmap.data.ravel().take(row * costmap.width + col, mode='clip')
    bad = ~finite | ~inside | (cost == LETHAL_OBSTACLE)
    if unknown_is_invalid:
        bad |= cost == NO_INFORMATION
    bad[:first] = False
    return np.flatnonzero(bad)

"""A world's obstacles rasterized into an occupancy grid: the static map of any world.

Gazebo SDF worlds (BARN style): parsing uses defusedxml. Each ``<model>``
whose collision geometry is a ``<cylinder>`` becomes a disc at its pose; poses
from the world's ``<state>`` block win over the model's own ``<pose>``, as
Gazebo loads them. Our YAML worlds (read with orchestrator_sim's loader):
every static box and cylinder that reaches the lidar plane becomes an
obstacle, as the lidar sees it; pickable objects are not part of the map.
:func:`world_occupancy` does either, for ``map_server`` and
``orchestrator map-from-world``.
"""
import math

from defusedxml import ElementTree
import numpy as np

from orchestrator_pkg.planning.map_io import OccupancyMap


class WorldFileError(ValueError):
    """A world file cannot be read or has a bad element; the message names it."""


def _pose_xy(text, path, name):
    try:
        vals = [float(v) for v in (text or '').split()]
    except ValueError:
        raise WorldFileError(f'{path}: model {name!r}: bad <pose> {text!r}') from None
    if len(vals) < 2:
        raise WorldFileError(f'{path}: model {name!r}: bad <pose> {text!r}')
    return vals[0], vals[1]


def read_cylinders(path: str) -> np.ndarray:
    """Return an (N, 3) array of (x, y, radius) for every cylinder model in the world."""
    try:
        root = ElementTree.parse(path).getroot()
    except OSError as exc:
        raise WorldFileError(f'{path}: cannot read: {exc.strerror}') from None
    except ElementTree.ParseError as exc:
        raise WorldFileError(f'{path}: invalid XML: {exc}') from None
    world = root.find('world')
    if world is None:
        raise WorldFileError(f'{path}: no <world> element')
    state_pose = {}
    for model in world.findall('state/model'):
        pose = model.find('pose')
        if pose is not None:
            state_pose[model.get('name')] = pose.text
    out = []
    for model in world.findall('model'):
        name = model.get('name')
        radius = model.find('link/collision/geometry/cylinder/radius')
        if radius is None:
            continue
        try:
            r = float(radius.text)
        except (TypeError, ValueError):
            raise WorldFileError(f'{path}: model {name!r}: bad cylinder radius') from None
        pose = state_pose.get(name)
        if pose is None:
            el = model.find('pose')
            pose = el.text if el is not None else '0 0 0'
        x, y = _pose_xy(pose, path, name)
        out.append((x, y, r))
    return np.asarray(out, dtype=float).reshape(-1, 3)


def rasterize_discs(discs: np.ndarray, origin_x: float, origin_y: float, width: int,
                    height: int, resolution: float) -> OccupancyMap:
    """Occupancy grid (0 free, 100 occupied) marking every cell whose centre is in a disc."""
    data = np.zeros((height, width), dtype=np.int8)
    xs = origin_x + (np.arange(width) + 0.5) * resolution
    ys = origin_y + (np.arange(height) + 0.5) * resolution
    for x, y, r in discs:
        c0 = max(int(np.floor((x - r - origin_x) / resolution)), 0)
        c1 = min(int(np.ceil((x + r - origin_x) / resolution)) + 1, width)
        r0 = max(int(np.floor((y - r - origin_y) / resolution)), 0)
        r1 = min(int(np.ceil((y + r - origin_y) / resolution)) + 1, height)
        if c0 >= c1 or r0 >= r1:
            continue
        dx = xs[c0:c1][None, :] - x
        dy = ys[r0:r1][:, None] - y
        inside = dx * dx + dy * dy <= (r + 0.5 * resolution) ** 2
        data[r0:r1, c0:c1][inside] = 100
    return OccupancyMap(data, resolution, origin_x, origin_y)


def rasterize_boxes(boxes: np.ndarray, omap: OccupancyMap) -> OccupancyMap:
    """Mark (100) every cell of ``omap`` whose centre is within half a cell of a box.

    ``boxes`` rows are ``(x, y, yaw, size_x, size_y)``: centre, heading and full extents.
    """
    h, w = omap.data.shape
    res = omap.resolution
    xs = omap.origin_x + (np.arange(w) + 0.5) * res
    ys = omap.origin_y + (np.arange(h) + 0.5) * res
    gx, gy = np.meshgrid(xs, ys)
    for x, y, yaw, sx, sy in np.asarray(boxes, dtype=float).reshape(-1, 5):
        dx, dy = gx - x, gy - y
        c, s = np.cos(yaw), np.sin(yaw)
        inside = (np.abs(c * dx + s * dy) <= sx / 2 + res / 2) & \
            (np.abs(-s * dx + c * dy) <= sy / 2 + res / 2)
        omap.data[inside] = 100
    return omap


def shapes_extent(boxes: np.ndarray, discs: np.ndarray):
    """Return ``(xmin, ymin, xmax, ymax)`` covering rotated boxes and discs, or None."""
    pts = []
    for x, y, yaw, sx, sy in np.asarray(boxes, dtype=float).reshape(-1, 5):
        for hx, hy in ((sx / 2, sy / 2), (sx / 2, -sy / 2), (-sx / 2, sy / 2),
                       (-sx / 2, -sy / 2)):
            pts.append((x + np.cos(yaw) * hx - np.sin(yaw) * hy,
                        y + np.sin(yaw) * hx + np.cos(yaw) * hy))
    for x, y, r in np.asarray(discs, dtype=float).reshape(-1, 3):
        pts += [(x - r, y - r), (x + r, y + r)]
    if not pts:
        return None
    pts = np.asarray(pts)
    return (*pts.min(axis=0), *pts.max(axis=0))


def yaml_world_shapes(world: str, scan_height_m: float):
    """Boxes ``(x, y, yaw, sx, sy)`` and discs ``(x, y, r)`` of a YAML world at the scan height."""
    try:
        from orchestrator_sim.resolve import resolve_world
        from orchestrator_sim.world.model import WorldError, quat_yaw
        from orchestrator_sim.world.yaml_world import load_yaml_world
    except ImportError as exc:
        raise WorldFileError(f'{world}: YAML worlds need orchestrator_sim ({exc})') from None
    try:
        w = load_yaml_world(resolve_world(world))
    except (WorldError, OSError, ValueError) as exc:
        raise WorldFileError(str(exc)) from None
    boxes, discs = [], []
    for g in w.geoms:
        half = g.shape.half_height()
        if not g.position[2] - half <= scan_height_m <= g.position[2] + half:
            continue
        if g.shape.kind == 'box':
            boxes.append((g.position[0], g.position[1], quat_yaw(g.quat), g.shape.size[0],
                          g.shape.size[1]))
        elif g.shape.kind == 'cylinder':
            discs.append((g.position[0], g.position[1], g.shape.size[0]))
    return (np.asarray(boxes, dtype=float).reshape(-1, 5),
            np.asarray(discs, dtype=float).reshape(-1, 3))


def world_spawn(world: str, namespaces, namespace: str = ''):
    """Start pose ``(x, y, yaw)`` of robot ``namespace`` among ``namespaces`` in ``world``.

    The sim's own rule (``orchestrator_sim.resolve.robot_spawns``): one robot
    starts at the world's spawn, several at its ``spawns`` list in namespace
    order. Raises WorldFileError naming the world, the robot or the reason.
    """
    try:
        from orchestrator_sim.resolve import resolve_world, robot_spawns
        from orchestrator_sim.world import WorldError, load_world
    except ImportError as exc:
        raise WorldFileError(f'{world}: spawns need orchestrator_sim ({exc})') from None
    names = [n.strip('/') for n in namespaces if n.strip('/')] or ['']
    robot = namespace.strip('/')
    if robot not in names:
        raise WorldFileError(f'{world}: robot {robot or "(no namespace)"!r} is not one of the '
                             f'run\'s robots {names}')
    try:
        spawns = robot_spawns(load_world(resolve_world(world)), names)
    except (WorldError, OSError, ValueError) as exc:
        raise WorldFileError(str(exc)) from None
    pose = spawns[names.index(robot)]
    if pose is None:
        raise WorldFileError(f'{world}: the world has no spawn pose')
    return tuple(float(v) for v in pose)


def world_occupancy(world: str, scan_height_m: float, resolution: float = 0.05,
                    margin: float = 1.0, bounds=None) -> OccupancyMap:
    """Rasterize a world (SDF ``.world``/``.sdf`` path, YAML path or shipped name).

    ``bounds`` ``(xmin, ymin, xmax, ymax)`` in metres, or None for the
    obstacles' extent plus ``margin``. Raises WorldFileError naming the world
    or the bad value.
    """
    if not (math.isfinite(resolution) and resolution > 0.0):
        raise WorldFileError(f'{world}: resolution must be > 0, got {resolution}')
    boxes = np.zeros((0, 5))
    if world.endswith(('.world', '.sdf')):
        discs = read_cylinders(world)
    else:
        boxes, discs = yaml_world_shapes(world, scan_height_m)
    if bounds is not None:
        x0, y0, x1, y1 = (float(b) for b in bounds)
    elif len(discs) or len(boxes):
        x0, y0, x1, y1 = shapes_extent(boxes, discs)
        x0, y0, x1, y1 = x0 - margin, y0 - margin, x1 + margin, y1 + margin
    else:
        raise WorldFileError(f'{world}: no obstacles at the lidar plane ({scan_height_m} m) '
                             'and no bounds')
    if not (all(math.isfinite(v) for v in (x0, y0, x1, y1)) and x1 > x0 and y1 > y0):
        raise WorldFileError(f'{world}: bounds must have xmax > xmin and ymax > ymin, got '
                             f'{(x0, y0, x1, y1)}')
    width = int(np.ceil((x1 - x0) / resolution))
    height = int(np.ceil((y1 - y0) / resolution))
    omap = rasterize_discs(discs, float(x0), float(y0), width, height, resolution)
    return rasterize_boxes(boxes, omap)

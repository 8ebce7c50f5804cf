"""``orchestrator map-from-world``: write a map_server YAML + PGM map from a world file.

Gazebo SDF worlds (``.world``, ``.sdf``): every cylinder model (BARN's
obstacles) is rasterized. Our YAML worlds (a path or a shipped name such as
``warehouse``, read with orchestrator_sim's loader): every static box and
cylinder that reaches the lidar plane (``--scan-height``, small_indoor's 0.18 m)
is rasterized, as the lidar sees it. A cell is occupied when its centre lies
within the shape plus half a cell.
"""
import sys

import numpy as np

from orchestrator_pkg.planning.map_io import MapFileError, save_map
from orchestrator_pkg.planning.world_map import (
    WorldFileError,
    rasterize_boxes,
    rasterize_discs,
    read_cylinders,
    shapes_extent,
)


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


def run(args) -> int:
    """Read the world, rasterize its obstacles, save the map."""
    boxes = np.zeros((0, 5))
    try:
        if args.world.endswith(('.world', '.sdf')):
            discs = read_cylinders(args.world)
        else:
            boxes, discs = yaml_world_shapes(args.world, args.scan_height)
    except WorldFileError as exc:
        print(f'map-from-world: {exc}', file=sys.stderr)
        return 1
    if args.resolution <= 0.0:
        print(f'map-from-world: --resolution must be > 0, got {args.resolution}',
              file=sys.stderr)
        return 1
    if args.bounds:
        x0, y0, x1, y1 = args.bounds
    elif len(discs) or len(boxes):
        m = args.margin
        x0, y0, x1, y1 = shapes_extent(boxes, discs)
        x0, y0, x1, y1 = x0 - m, y0 - m, x1 + m, y1 + m
    else:
        print(f'map-from-world: {args.world}: no obstacles and no --bounds', file=sys.stderr)
        return 1
    if x1 <= x0 or y1 <= y0:
        print(f'map-from-world: --bounds must have xmax > xmin and ymax > ymin, got '
              f'{args.bounds}', file=sys.stderr)
        return 1
    width = int(np.ceil((x1 - x0) / args.resolution))
    height = int(np.ceil((y1 - y0) / args.resolution))
    omap = rasterize_discs(discs, float(x0), float(y0), width, height, args.resolution)
    rasterize_boxes(boxes, omap)
    try:
        image = save_map(omap, args.out)
    except (OSError, MapFileError) as exc:
        print(f'map-from-world: cannot write {args.out}: {exc}', file=sys.stderr)
        return 1
    print(f'{args.out}: {width} x {height} cells at {args.resolution} m, '
          f'{len(discs)} cylinders, {len(boxes)} boxes, image {image}')
    return 0


def register(subparsers) -> None:
    """Add ``map-from-world``."""
    parser = subparsers.add_parser(
        'map-from-world', help='write a map_server YAML + PGM map from a world file')
    parser.add_argument('world', help='Gazebo SDF world file (e.g. a BARN world: its cylinders), '
                        'or a YAML world path or shipped name (e.g. warehouse)')
    parser.add_argument('out', help='output map YAML path (the .pgm is written next to it)')
    parser.add_argument('--resolution', type=float, default=0.05, help='cell size in metres')
    parser.add_argument('--bounds', type=float, nargs=4, metavar=('XMIN', 'YMIN', 'XMAX', 'YMAX'),
                        help='map extent in metres (default: the obstacles plus --margin)')
    parser.add_argument('--margin', type=float, default=1.0,
                        help='free border around the obstacles when --bounds is not given')
    parser.add_argument('--scan-height', type=float, default=0.18,
                        help='YAML worlds: height (m) of the lidar plane; shapes crossing it '
                        'are obstacles')
    parser.set_defaults(func=run)

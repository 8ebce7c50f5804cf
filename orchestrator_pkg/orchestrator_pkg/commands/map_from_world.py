"""``orchestrator map-from-world``: write a map_server YAML + PGM map from a Gazebo world.

Every cylinder model in the world (BARN's obstacles) is rasterized; a cell is
occupied when its centre lies within the cylinder radius plus half a cell.
"""
import sys

import numpy as np

from orchestrator_pkg.planning.map_io import MapFileError, save_map
from orchestrator_pkg.planning.world_map import WorldFileError, rasterize_discs, read_cylinders


def run(args) -> int:
    """Read the world, rasterize its cylinders, save the map."""
    try:
        discs = read_cylinders(args.world)
    except WorldFileError as exc:
        print(f'map-from-world: {exc}', file=sys.stderr)
        return 1
    if args.resolution <= 0.0:
        print(f'map-from-world: --resolution must be > 0, got {args.resolution}',
              file=sys.stderr)
        return 1
    if args.bounds:
        x0, y0, x1, y1 = args.bounds
    elif len(discs):
        m = args.margin
        x0, y0 = np.min(discs[:, :2] - discs[:, 2:3], axis=0) - m
        x1, y1 = np.max(discs[:, :2] + discs[:, 2:3], axis=0) + m
    else:
        print(f'map-from-world: {args.world}: no cylinders and no --bounds', file=sys.stderr)
        return 1
    if x1 <= x0 or y1 <= y0:
        print(f'map-from-world: --bounds must have xmax > xmin and ymax > ymin, got '
              f'{args.bounds}', file=sys.stderr)
        return 1
    width = int(np.ceil((x1 - x0) / args.resolution))
    height = int(np.ceil((y1 - y0) / args.resolution))
    omap = rasterize_discs(discs, float(x0), float(y0), width, height, args.resolution)
    try:
        image = save_map(omap, args.out)
    except (OSError, MapFileError) as exc:
        print(f'map-from-world: cannot write {args.out}: {exc}', file=sys.stderr)
        return 1
    print(f'{args.out}: {width} x {height} cells at {args.resolution} m, '
          f'{len(discs)} cylinders, image {image}')
    return 0


def register(subparsers) -> None:
    """Add ``map-from-world``."""
    parser = subparsers.add_parser(
        'map-from-world', help='write a map_server YAML + PGM map from a world file\'s cylinders')
    parser.add_argument('world', help='Gazebo SDF world file (e.g. a BARN world)')
    parser.add_argument('out', help='output map YAML path (the .pgm is written next to it)')
    parser.add_argument('--resolution', type=float, default=0.05, help='cell size in metres')
    parser.add_argument('--bounds', type=float, nargs=4, metavar=('XMIN', 'YMIN', 'XMAX', 'YMAX'),
                        help='map extent in metres (default: the cylinders plus --margin)')
    parser.add_argument('--margin', type=float, default=1.0,
                        help='free border around the cylinders when --bounds is not given')
    parser.set_defaults(func=run)

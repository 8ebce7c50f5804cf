"""``orchestrator map-from-world``: write a map_server YAML + PGM map from a world file.

Gazebo SDF worlds (``.world``, ``.sdf``): every cylinder model (BARN's
obstacles) is rasterized. Our YAML worlds (a path or a shipped name such as
``warehouse``, read with orchestrator_sim's loader): every static box and
cylinder that reaches the lidar plane (``--scan-height``, small_indoor's 0.18 m)
is rasterized, as the lidar sees it. A cell is occupied when its centre lies
within the shape plus half a cell.
"""
import sys

from orchestrator_pkg.planning.map_io import MapFileError, save_map
from orchestrator_pkg.planning.world_map import WorldFileError, world_occupancy


def run(args) -> int:
    """Read the world, rasterize its obstacles, save the map."""
    try:
        omap = world_occupancy(args.world, args.scan_height, args.resolution, args.margin,
                               args.bounds)
    except WorldFileError as exc:
        print(f'map-from-world: {exc}', file=sys.stderr)
        return 1
    try:
        image = save_map(omap, args.out)
    except (OSError, MapFileError) as exc:
        print(f'map-from-world: cannot write {args.out}: {exc}', file=sys.stderr)
        return 1
    height, width = omap.data.shape
    print(f'{args.out}: {width} x {height} cells at {args.resolution} m, '
          f'{int((omap.data == 100).sum())} occupied cells, image {image}')
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

"""map_server: serves the static map on ``map`` (transient local), from a map file or a world.

The map comes from exactly one of two sources:

- ``yaml_filename``: a map_server-style YAML + PGM map (Nav2's format);
- ``world``: a world the sim can load (a shipped name such as ``warehouse``, a
  YAML world, or a Gazebo/BARN ``.world``), rasterized at start-up at the
  lidar plane ``scan_height_m`` (:func:`planning.world_map.world_occupancy`):
  what the robot's lidar can see of the world's static shapes.

With neither, the node does not configure (a bringup with no map leaves
``map_server`` out; the costmaps are then built from scans alone, as in BARN).

A managed node (:class:`~orchestrator_pkg.ros_edge.lifecycle.ManagedNode`):
the map is read on configure (a bad file or world fails the configure; with
``autostart`` the process exits with code 1) and published on activate.

Parameters: see ``config/nav.yaml`` (``map_server``) and docs/navigation.md.
Publishers: ``map`` (nav_msgs/OccupancyGrid, transient local; again after a load_map).
Services: ``map_server/map`` (nav_msgs/GetMap), ``map_server/load_map``
(nav2_msgs/LoadMap: a map YAML by path, ``file://`` URL or ``package://``
URL; Nav2's result codes).
"""
import os

from nav2_msgs.srv import LoadMap
from nav_msgs.msg import OccupancyGrid
from nav_msgs.srv import GetMap

from orchestrator_pkg.planning.map_io import MapFileError, load_map
from orchestrator_pkg.planning.world_map import WorldFileError, world_occupancy
from orchestrator_pkg.ros_edge import convert, params, qos
from orchestrator_pkg.ros_edge.lifecycle import ManagedNode
from orchestrator_pkg.ros_edge.main import run_node
from orchestrator_pkg.ros_edge.params import Spec

SPECS = {
    'yaml_filename': Spec('', 'map YAML file (map_server format, PGM image); or set world',
                          read_only=True),
    'world': Spec('', 'world to rasterize instead of a map file: shipped name, YAML world or '
                  'Gazebo .world', read_only=True),
    'scan_height_m': Spec(0.18, 'world maps: height of the lidar plane; shapes crossing it are '
                          'obstacles (small_indoor 0.18)', 0.0, 10.0, read_only=True),
    'resolution_m': Spec(0.05, 'world maps: cell size', 0.01, 1.0, read_only=True),
    'margin_m': Spec(1.0, 'world maps: free border around the obstacles', 0.0, 50.0,
                     read_only=True),
    'frame_id': Spec('map', 'frame of the published map', read_only=True),
    'topic_name': Spec('map', 'topic the map is published on', read_only=True),
}


def occupancy_grid(omap, frame_id: str, stamp) -> OccupancyGrid:
    """nav_msgs/OccupancyGrid from a loaded map."""
    msg = OccupancyGrid()
    msg.header.frame_id = frame_id
    msg.header.stamp = stamp
    msg.info.map_load_time = stamp
    msg.info.resolution = float(omap.resolution)
    msg.info.height, msg.info.width = (int(n) for n in omap.data.shape)
    msg.info.origin.position.x = float(omap.origin_x)
    msg.info.origin.position.y = float(omap.origin_y)
    msg.info.origin.orientation = convert.yaw_to_quaternion(omap.origin_yaw)
    msg.data = omap.data.astype('int8').ravel().tolist()
    return msg


def map_path_from_url(url: str) -> str:
    """Return a LoadMap ``map_url`` as a file path (a plain path, file:// or package://).

    Raises FileNotFoundError naming the URL when a package is unknown.
    """
    if url.startswith('file://'):
        return url[len('file://'):]
    if url.startswith('package://'):
        from ament_index_python.packages import PackageNotFoundError, get_package_share_directory
        package, _, rest = url[len('package://'):].partition('/')
        try:
            return os.path.join(get_package_share_directory(package), rest)
        except PackageNotFoundError:
            raise FileNotFoundError(f'{url}: no package {package!r}') from None
    return url


class MapServer(ManagedNode):
    """Load the map on configure, latch it on activate; serve GetMap and LoadMap."""

    def __init__(self, **kwargs):
        super().__init__('map_server', **kwargs)
        self._v = params.declare(self, SPECS)
        self._frame = self._v['frame_id']
        self._omap = None
        self._map = None

    def configure_node(self):
        """Read the map file or rasterize the world (ConfigError: configure fails)."""
        v = self._v
        if bool(v['yaml_filename']) == bool(v['world']):
            raise params.ConfigError(
                'set exactly one of yaml_filename and world (got yaml_filename='
                f'{v["yaml_filename"]!r}, world={v["world"]!r})')
        try:
            if v['world']:
                self._omap = world_occupancy(v['world'], v['scan_height_m'], v['resolution_m'],
                                             v['margin_m'])
                self._source = f'world {v["world"]}'
            else:
                self._omap = load_map(v['yaml_filename'])
                self._source = v['yaml_filename']
        except (MapFileError, WorldFileError) as exc:
            raise params.ConfigError(str(exc)) from None
        self._pub = self.create_publisher(OccupancyGrid, v['topic_name'], qos.LATCHED_QOS)
        self.create_service(GetMap, '~/map', self._on_get_map)
        self.create_service(LoadMap, '~/load_map', self._on_load_map)

    def activate_node(self):
        """Publish the map (latched)."""
        self._map = self._publish(self._omap)
        h, w = self._omap.data.shape
        self.get_logger().info(f'map_server ready: {self._source} ({w} x {h} cells at '
                               f'{self._omap.resolution} m)')

    def cleanup_node(self):
        """Forget the map."""
        self._omap = self._map = None

    def _publish(self, omap) -> OccupancyGrid:
        msg = occupancy_grid(omap, self._frame, self.get_clock().now().to_msg())
        self._pub.publish(msg)
        return msg

    def _on_get_map(self, request, response):
        if self._map is not None:
            response.map = self._map
        return response

    def _on_load_map(self, request, response):
        url = request.map_url
        try:
            path = map_path_from_url(url)
            if not os.path.isfile(path):
                raise FileNotFoundError(f'{url}: no such map file')
        except FileNotFoundError as exc:
            response.result = LoadMap.Response.RESULT_MAP_DOES_NOT_EXIST
            self.get_logger().error(f'load_map: {exc}')
            return response
        try:
            omap = load_map(path)
        except MapFileError as exc:
            # as Nav2: an image that cannot be read is bad data, the rest bad metadata
            text = str(exc)
            response.result = (LoadMap.Response.RESULT_INVALID_MAP_DATA
                               if 'image' in text or 'PGM' in text or 'map data' in text
                               else LoadMap.Response.RESULT_INVALID_MAP_METADATA)
            self.get_logger().error(f'load_map {url!r}: {text}')
            return response
        self._omap = omap
        self._map = self._publish(omap)
        response.map = self._map
        response.result = LoadMap.Response.RESULT_SUCCESS
        h, w = omap.data.shape
        self.get_logger().info(f'load_map: {url} ({w} x {h} cells)')
        return response


def main(args=None):
    """Run the map server; a bad map file or world is reported in one line, exit code 1."""
    return run_node(MapServer, args, exit_process=True)


if __name__ == '__main__':
    raise SystemExit(main())

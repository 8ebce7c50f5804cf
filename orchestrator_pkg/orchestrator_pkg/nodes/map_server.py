"""map_server: serves a map_server-style YAML + PGM map on ``map`` (transient local).

Parameters: ``yaml_filename`` (read-only), ``frame_id``, ``topic_name``; see
``config/nav.yaml`` (``map_server``).
Publishers: ``map`` (nav_msgs/OccupancyGrid, transient local, published on activation).

A managed node (:class:`~orchestrator_pkg.ros_edge.lifecycle.ManagedNode`): the
map file is read on configure (a bad file fails the configure; with
``autostart`` the process exits with code 1) and published on activate.
"""
from nav_msgs.msg import OccupancyGrid

from orchestrator_pkg.planning.map_io import MapFileError, load_map
from orchestrator_pkg.ros_edge import convert, params, qos
from orchestrator_pkg.ros_edge.lifecycle import ManagedNode
from orchestrator_pkg.ros_edge.main import run_node
from orchestrator_pkg.ros_edge.params import Spec

SPECS = {
    'yaml_filename': Spec('', 'map YAML file (map_server format, PGM image)', read_only=True),
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


class MapServer(ManagedNode):
    """Load the map on configure and latch it on the map topic on activate (a managed node)."""

    def __init__(self):
        super().__init__('map_server')
        self._v = params.declare(self, SPECS)
        self._map = None

    def configure_node(self):
        """Load the map file (ConfigError: configure fails) and create the publisher."""
        v = self._v
        if not v['yaml_filename']:
            raise params.ConfigError('parameter yaml_filename is empty')
        try:
            self._map = load_map(v['yaml_filename'])
        except MapFileError as exc:
            raise params.ConfigError(str(exc)) from None
        self._pub = self.create_publisher(OccupancyGrid, v['topic_name'], qos.LATCHED_QOS)

    def activate_node(self):
        """Publish the map (latched)."""
        v = self._v
        self._pub.publish(occupancy_grid(self._map, v['frame_id'],
                                         self.get_clock().now().to_msg()))
        h, w = self._map.data.shape
        self.get_logger().info(f'map_server ready: {v["yaml_filename"]} ({w} x {h} cells)')

    def cleanup_node(self):
        """Forget the map."""
        self._map = None


def main(args=None):
    """Run the map server; a bad map file is reported in one line, exit code 1."""
    return run_node(MapServer, args)


if __name__ == '__main__':
    raise SystemExit(main())

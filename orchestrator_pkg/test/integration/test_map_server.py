"""Real process: map_server serves a world's map, GetMap and LoadMap with Nav2's result codes."""
import subprocess

from nav2_msgs.srv import LoadMap
from nav_helpers import TIMEOUT_S, node_cmd, spin_until, wait_future
from nav_msgs.msg import OccupancyGrid
from nav_msgs.srv import GetMap
import numpy as np
import pytest
import rclpy

from orchestrator_pkg.planning.map_io import OccupancyMap, save_map
from orchestrator_pkg.ros_edge import qos
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.testing.processes import ManagedProcess


def _cell(msg: OccupancyGrid, x: float, y: float) -> int:
    info = msg.info
    col = int((x - info.origin.position.x) / info.resolution)
    row = int((y - info.origin.position.y) / info.resolution)
    return msg.data[row * info.width + col]


@pytest.fixture
def warehouse_map_server(ros_domain):
    proc = ManagedProcess(node_cmd('map_server', 'world:=warehouse'), env=ros_domain.env())
    with proc:
        assert proc.wait_for_output('map_server ready', TIMEOUT_S), proc.output()
        rclpy.init(domain_id=ros_domain.domain_id)
        node = rclpy.create_node('map_server_test_client')
        maps = []
        node.create_subscription(OccupancyGrid, 'map', maps.append, qos.LATCHED_QOS)
        try:
            yield node, maps
        finally:
            destroy_node_and_waitables(node)
            rclpy.shutdown()
    assert proc.returncode == 0, proc.output()


def test_a_world_map_has_the_shelves_crates_and_pillars_and_free_aisles(warehouse_map_server):
    node, maps = warehouse_map_server
    assert spin_until(node, lambda: maps), 'no map on the latched topic'
    latched = maps[0]
    client = node.create_client(GetMap, 'map_server/map')
    assert client.wait_for_service(timeout_sec=TIMEOUT_S)
    served = wait_future(node, client.call_async(GetMap.Request())).map
    assert served.header.frame_id == latched.header.frame_id == 'map'
    assert (served.info.width, served.info.height) == (latched.info.width, latched.info.height)
    # warehouse.yaml: shelf_a1 at (-2, 2.5), crate_1 at (6.5, -3.5), pillar_1 at (0.75, 0.75),
    # the wall along y = 5; the aisle at y = 0.8 and the dock at (-6.5, -3.5) are free
    for x, y in ((-2.0, 2.5), (6.5, -3.5), (0.75, 0.75), (0.0, 5.0)):
        assert _cell(served, x, y) == 100, (x, y)
    for x, y in ((-4.5, 0.8), (1.5, 0.8), (-6.5, -3.5)):
        assert _cell(served, x, y) == 0, (x, y)
    # the pickable objects are not part of the static map (red_box_1 at (-2.5, 1.6))
    assert _cell(served, -2.5, 1.6) == 0


def test_load_map_replaces_the_map_and_answers_with_nav2_result_codes(warehouse_map_server,
                                                                      tmp_path):
    node, maps = warehouse_map_server
    client = node.create_client(LoadMap, 'map_server/load_map')
    assert client.wait_for_service(timeout_sec=TIMEOUT_S)

    def load(url):
        return wait_future(node, client.call_async(LoadMap.Request(map_url=url)))

    data = np.zeros((40, 60), dtype=np.int8)
    data[10:20, 10:20] = 100
    save_map(OccupancyMap(data, 0.1, -1.0, -2.0), str(tmp_path / 'small.yaml'))
    ok = load(f'file://{tmp_path}/small.yaml')
    assert ok.result == LoadMap.Response.RESULT_SUCCESS
    assert (ok.map.info.width, ok.map.info.height) == (60, 40)
    assert spin_until(node, lambda: maps and maps[-1].info.width == 60), 'map not republished'
    assert _cell(maps[-1], -1.0 + 1.5, -2.0 + 1.5) == 100
    getter = node.create_client(GetMap, 'map_server/map')
    assert getter.wait_for_service(timeout_sec=TIMEOUT_S)
    assert wait_future(node, getter.call_async(GetMap.Request())).map.info.width == 60

    assert load(str(tmp_path / 'none.yaml')).result == LoadMap.Response.RESULT_MAP_DOES_NOT_EXIST
    assert load('package://no_such_package/maps/x.yaml').result == \
        LoadMap.Response.RESULT_MAP_DOES_NOT_EXIST
    (tmp_path / 'meta.yaml').write_text('image: small.pgm\nresolution: -1\norigin: [0, 0, 0]\n')
    assert load(str(tmp_path / 'meta.yaml')).result == \
        LoadMap.Response.RESULT_INVALID_MAP_METADATA
    (tmp_path / 'bad.pgm').write_bytes(b'P2\n2 2\n255\n0 0 0 0\n')
    (tmp_path / 'data.yaml').write_text('image: bad.pgm\nresolution: 0.1\norigin: [0, 0, 0]\n'
                                        'occupied_thresh: 0.65\nfree_thresh: 0.196\nnegate: 0\n')
    assert load(str(tmp_path / 'data.yaml')).result == LoadMap.Response.RESULT_INVALID_MAP_DATA
    # a failed load keeps the map that was served
    assert wait_future(node, getter.call_async(GetMap.Request())).map.info.width == 60


@pytest.mark.parametrize('args,expected', [
    ((), 'set exactly one of yaml_filename and world'),
    (('world:=warehouse', 'yaml_filename:=/tmp/x.yaml'), 'set exactly one'),
    (('world:=no_such_world',), 'no_such_world'),
    (('world:=/tmp/missing.world',), 'missing.world'),
])
def test_a_bad_source_is_one_line_and_exit_1(ros_domain, args, expected):
    bad = subprocess.run(node_cmd('map_server', *args), env=ros_domain.env(),
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1, bad.stderr
    assert expected in bad.stderr and 'Traceback' not in bad.stderr

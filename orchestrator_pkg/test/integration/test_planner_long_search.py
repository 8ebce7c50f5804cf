"""Real processes: planner_server keeps serving its callbacks while a long search runs.

Its own rig (a 60 x 60 m map), apart from test_planner_server.py's shared one:
one rclpy context per process, and this rig lives for this test only.
"""
from geometry_msgs.msg import PoseStamped
from nav2_msgs.action import ComputePathToPose
from nav2_msgs.srv import ClearEntireCostmap
from nav_helpers import TIMEOUT_S, node_cmd, spin_until, wait_future
import numpy as np
import rclpy
from rclpy.action import ActionClient

from orchestrator_pkg.planning.map_io import OccupancyMap, save_map
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.testing.processes import ManagedProcess


def _pose(x, y):
    ps = PoseStamped()
    ps.header.frame_id = 'map'
    ps.pose.position.x = x
    ps.pose.position.y = y
    ps.pose.orientation.w = 1.0
    return ps


def test_callbacks_are_served_while_a_long_search_runs(ros_domain, tmp_path):
    # 60 x 60 m at 5 cm with the goal walled in: the search exhausts 1.4 M cells, which
    # takes seconds in Python; meanwhile the clear service (the callbacks' group) answers
    data = np.zeros((1200, 1200), dtype=np.int8)
    data[1100:1110, 1090:1200] = 100
    data[1100:1200, 1090:1100] = 100
    save_map(OccupancyMap(data, 0.05, 0.0, 0.0), str(tmp_path / 'big.yaml'))
    env = ros_domain.env()
    map_proc = ManagedProcess(node_cmd('map_server', f'yaml_filename:={tmp_path}/big.yaml'),
                              env=env)
    planner_proc = ManagedProcess(node_cmd('planner_server', 'global_frame:=map',
                                           'timeout_s:=60.0'), env=env)
    with map_proc, planner_proc:
        assert planner_proc.wait_for_output('map received', TIMEOUT_S), planner_proc.output()
        rclpy.init(domain_id=ros_domain.domain_id)
        node = rclpy.create_node('planner_thread_test')
        client = ActionClient(node, ComputePathToPose, 'compute_path_to_pose')
        cli = node.create_client(ClearEntireCostmap,
                                 'global_costmap/clear_entirely_global_costmap')
        try:
            assert client.wait_for_server(timeout_sec=TIMEOUT_S)
            assert cli.wait_for_service(timeout_sec=TIMEOUT_S)
            goal = ComputePathToPose.Goal(goal=_pose(58.0, 58.0), start=_pose(1.0, 1.0),
                                          use_start=True)
            handle = wait_future(node, client.send_goal_async(goal), what='goal response')
            result = handle.get_result_async()
            # call the service again and again while the plan runs: with planning in its
            # own callback group the answers keep coming; on one thread they would stop
            # once the search began, until it ended
            answered = 0
            while not result.done():
                call = cli.call_async(ClearEntireCostmap.Request())
                assert spin_until(node, lambda c=call: c.done() or result.done(),
                                  timeout_s=120.0)
                answered += call.done() and not result.done()
            # on one thread at most the first call (made before the search began) is
            # answered; how many more come depends on the machine's load, not on the code
            assert answered >= 3, f'{answered} service answers during the search'
            response = wait_future(node, result, timeout_s=120.0, what='result')
            assert response.result.error_code == ComputePathToPose.Result.NO_VALID_PATH
        finally:
            client.destroy()
            destroy_node_and_waitables(node)
            rclpy.shutdown()
    assert planner_proc.returncode == 0, planner_proc.output()
    assert map_proc.returncode == 0, map_proc.output()

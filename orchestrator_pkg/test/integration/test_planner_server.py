"""Real processes: map_server serves a map, planner_server plans on it for a real client."""
import time

from action_msgs.msg import GoalStatus
from geometry_msgs.msg import PoseStamped
from nav2_msgs.action import ComputePathToPose
from nav2_msgs.srv import ClearEntireCostmap
from nav_helpers import TIMEOUT_S, node_cmd, spin_until, wait_future
import numpy as np
import pytest
import rclpy
from rclpy.action import ActionClient

from orchestrator_pkg.planning.map_io import OccupancyMap, save_map
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.testing.processes import ManagedProcess


def _pose(x, y, frame='map'):
    ps = PoseStamped()
    ps.header.frame_id = frame
    ps.pose.position.x = x
    ps.pose.position.y = y
    ps.pose.orientation.w = 1.0
    return ps


@pytest.fixture
def planner(ros_domain, tmp_path):
    data = np.zeros((100, 100), dtype=np.int8)  # 5 x 5 m at 0.05 m, origin (0, 0)
    data[40:60, 20:80] = 100  # a wall 3 m wide, 1 m thick across the middle
    save_map(OccupancyMap(data, 0.05, 0.0, 0.0), str(tmp_path / 'wall.yaml'))
    env = ros_domain.env()
    map_proc = ManagedProcess(node_cmd('map_server', f'yaml_filename:={tmp_path}/wall.yaml'),
                              env=env)
    planner_proc = ManagedProcess(node_cmd('planner_server', 'global_frame:=map'), env=env)
    with map_proc, planner_proc:
        assert planner_proc.wait_for_output('map received', TIMEOUT_S), planner_proc.output()
        rclpy.init(domain_id=ros_domain.domain_id)
        node = rclpy.create_node('planner_test_client')
        client = ActionClient(node, ComputePathToPose, 'compute_path_to_pose')
        try:
            assert client.wait_for_server(timeout_sec=TIMEOUT_S)
            yield node, client, planner_proc
        finally:
            client.destroy()
            destroy_node_and_waitables(node)
            rclpy.shutdown()
    assert planner_proc.returncode == 0, planner_proc.output()
    assert map_proc.returncode == 0, map_proc.output()


def _plan(node, client, start, goal):
    goal_msg = ComputePathToPose.Goal(goal=_pose(*goal), start=_pose(*start), use_start=True)
    handle = wait_future(node, client.send_goal_async(goal_msg), what='goal response')
    assert handle.accepted
    return wait_future(node, handle.get_result_async(), what='result')


def test_goal_inside_an_obstacle_fails_with_goal_occupied(planner):
    node, client, _ = planner
    response = _plan(node, client, (2.5, 0.5), (2.5, 2.5))
    assert response.status == GoalStatus.STATUS_ABORTED
    assert response.result.error_code == ComputePathToPose.Result.GOAL_OCCUPIED
    assert 'occupied' in response.result.error_msg


def test_path_around_the_wall_and_other_error_codes(planner):
    node, client, _ = planner
    response = _plan(node, client, (2.5, 0.5), (2.5, 4.5))
    assert response.status == GoalStatus.STATUS_SUCCEEDED
    r = response.result
    assert r.error_code == ComputePathToPose.Result.NONE
    pts = np.array([(p.pose.position.x, p.pose.position.y) for p in r.path.poses])
    assert r.path.header.frame_id == 'map'
    assert np.allclose(pts[0], (2.5, 0.5)) and np.allclose(pts[-1], (2.5, 4.5))
    # it went around the wall (x in [1, 4] is blocked for 2 <= y < 3)
    mid = pts[(pts[:, 1] > 2.0) & (pts[:, 1] < 3.0)]
    assert len(mid) and np.all((mid[:, 0] < 1.0) | (mid[:, 0] > 4.0))
    length = float(np.sum(np.hypot(*np.diff(pts, axis=0).T)))
    assert 4.0 < length < 8.0
    outside = _plan(node, client, (2.5, 0.5), (7.0, 4.5))
    assert outside.result.error_code == ComputePathToPose.Result.GOAL_OUTSIDE_MAP
    start_bad = _plan(node, client, (2.5, 2.5), (2.5, 4.5))
    assert start_bad.result.error_code == ComputePathToPose.Result.START_OCCUPIED
    cli = node.create_client(ClearEntireCostmap, 'global_costmap/clear_entirely_global_costmap')
    assert cli.wait_for_service(timeout_sec=TIMEOUT_S)
    wait_future(node, cli.call_async(ClearEntireCostmap.Request()), what='clear response')
    # the static map survives clearing: the goal is still occupied
    again = _plan(node, client, (2.5, 0.5), (2.5, 2.5))
    assert again.result.error_code == ComputePathToPose.Result.GOAL_OCCUPIED


def _plan_in(node, client, start, goal, frame):
    goal_msg = ComputePathToPose.Goal(goal=_pose(*goal, frame=frame),
                                      start=_pose(*start, frame=frame), use_start=True)
    handle = wait_future(node, client.send_goal_async(goal_msg), what='goal response')
    assert handle.accepted
    return wait_future(node, handle.get_result_async(), what='result')


def test_goals_in_another_frame_go_through_tf(planner):
    from geometry_msgs.msg import TransformStamped
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
    from tf2_msgs.msg import TFMessage
    node, client, _ = planner
    t0 = time.monotonic()
    unknown = _plan_in(node, client, (1.5, 0.5), (1.5, 4.5), 'world')
    # it waited transform_timeout_s (2 s, steady time) for the transform, then gave up
    assert time.monotonic() - t0 >= 2.0
    assert unknown.status == GoalStatus.STATUS_ABORTED
    assert unknown.result.error_code == ComputePathToPose.Result.TF_ERROR
    assert "frame 'world' cannot be expressed in global_frame 'map'" in unknown.result.error_msg
    # world -> map: map is 1 m along world's x
    static = node.create_publisher(TFMessage, 'tf_static', QoSProfile(
        depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL,
        reliability=ReliabilityPolicy.RELIABLE))
    t = TransformStamped()
    t.header.frame_id, t.child_frame_id = 'world', 'map'
    t.transform.translation.x = 1.0
    t.transform.rotation.w = 1.0
    # the goal is sent first; the transform arrives while the planner waits for it
    goal_msg = ComputePathToPose.Goal(goal=_pose(2.5, 4.5, frame='world'),
                                      start=_pose(2.5, 0.5, frame='world'), use_start=True)
    handle = wait_future(node, client.send_goal_async(goal_msg), what='goal response')
    static.publish(TFMessage(transforms=[t]))
    response = wait_future(node, handle.get_result_async(), what='result')
    assert response.status == GoalStatus.STATUS_SUCCEEDED, response.result.error_msg
    pts = np.array([(p.pose.position.x, p.pose.position.y) for p in response.result.path.poses])
    assert response.result.path.header.frame_id == 'map'
    # world (2.5, y) is map (1.5, y)
    assert np.allclose(pts[0], (1.5, 0.5)) and np.allclose(pts[-1], (1.5, 4.5))


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

"""Real processes: map_server serves a map, planner_server plans on it for a real client.

One map_server + planner_server pair serves the module's tests that share it
(``planner``): compute_path_to_pose, compute_path_through_poses, is_path_valid,
global_costmap/get_costmap and the clear services, good and bad requests.
"""
import math
import re
import time

from action_msgs.msg import GoalStatus
from geometry_msgs.msg import PoseStamped
from nav2_msgs.action import ComputePathThroughPoses, ComputePathToPose
from nav2_msgs.srv import (
    ClearCostmapAroundPose,
    ClearCostmapAroundRobot,
    ClearCostmapExceptRegion,
    ClearEntireCostmap,
    GetCostmap,
    IsPathValid,
)
from nav_helpers import TIMEOUT_S, call, node_cmd, spin_until, tracked_objects, wait_future
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


@pytest.fixture(scope='module')
def planner(ros_domain_module, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp('wall')
    data = np.zeros((100, 100), dtype=np.int8)  # 5 x 5 m at 0.05 m, origin (0, 0)
    data[40:60, 20:80] = 100  # a wall 3 m wide, 1 m thick across the middle
    save_map(OccupancyMap(data, 0.05, 0.0, 0.0), str(tmp_path / 'wall.yaml'))
    ros_domain = ros_domain_module
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


PR = ComputePathThroughPoses.Result


def _length(poses):
    pts = np.array([(p.pose.position.x, p.pose.position.y) for p in poses])
    return float(np.sum(np.hypot(*np.diff(pts, axis=0).T)))


def test_path_through_poses_visits_every_goal_in_order(planner):
    node, client, proc = planner
    through = ActionClient(node, ComputePathThroughPoses, 'compute_path_through_poses')
    assert through.wait_for_server(timeout_sec=TIMEOUT_S)

    def _through(goals):
        goal_msg = ComputePathThroughPoses.Goal(goals=goals, start=_pose(2.5, 0.5),
                                                use_start=True)
        handle = wait_future(node, through.send_goal_async(goal_msg), what='goal response')
        assert handle.accepted
        return wait_future(node, handle.get_result_async(), what='result')
    try:
        _check_through(node, client, proc, _through)
    finally:
        through.destroy()


def _check_through(node, client, proc, _through):
    via = [_pose(0.5, 2.5), _pose(2.5, 4.5), _pose(4.5, 4.5)]
    response = _through(via)
    assert response.status == GoalStatus.STATUS_SUCCEEDED, response.result.error_msg
    r = response.result
    assert r.error_code == PR.NONE and r.path.header.frame_id == 'map'
    pts = np.array([(p.pose.position.x, p.pose.position.y) for p in r.path.poses])
    assert np.allclose(pts[0], (2.5, 0.5)) and np.allclose(pts[-1], (4.5, 4.5))
    at = [int(np.flatnonzero(np.all(np.isclose(pts, (g.pose.position.x, g.pose.position.y)),
                                    axis=1))[0]) for g in via]
    assert at == sorted(at), at
    # the legs are the plans of compute_path_to_pose, one after the other
    legs = [_plan(node, client, a, b).result.path.poses for a, b in
            (((2.5, 0.5), (0.5, 2.5)), ((0.5, 2.5), (2.5, 4.5)), ((2.5, 4.5), (4.5, 4.5)))]
    assert math.isclose(_length(r.path.poses), sum(_length(leg) for leg in legs),
                        rel_tol=0.01)
    joints = [np.all(np.isclose(pts, (g.pose.position.x, g.pose.position.y)), axis=1).sum()
              for g in via]
    assert joints == [1, 1, 1]  # each joint once
    # Nav2's codes of ComputePathThroughPoses, naming the goal or the field
    occupied = _through([_pose(0.5, 2.5), _pose(2.5, 2.5)])
    assert occupied.status == GoalStatus.STATUS_ABORTED
    assert occupied.result.error_code == PR.GOAL_OCCUPIED
    assert occupied.result.error_msg.startswith('goals[1] (2.50, 2.50)'), \
        occupied.result.error_msg
    outside = _through([_pose(0.5, 2.5), _pose(7.0, 4.5)])
    assert outside.result.error_code == PR.GOAL_OUTSIDE_MAP
    assert 'goals[1] (7.00, 4.50)' in outside.result.error_msg
    empty = _through([])
    assert empty.result.error_code == PR.NO_VIAPOINTS_GIVEN
    assert 'goals is empty' in empty.result.error_msg
    bad = _pose(1.0, 1.0)
    bad.pose.orientation.z = 1.0  # with w = 1: norm 1.414
    refused = _through([_pose(0.5, 2.5), bad])
    assert refused.result.error_code == PR.UNKNOWN and not refused.result.path.poses
    assert 'goals[1].pose.orientation (0, 0, 1, 1) has norm 1.41421' in \
        refused.result.error_msg
    nan = _through([_pose(math.nan, 1.0)])
    assert nan.result.error_code == PR.GOAL_OUTSIDE_MAP
    assert 'goals[0].pose.position.x is nan' in nan.result.error_msg
    assert proc.poll() is None, proc.output()


def _path(points, frame='map'):
    from nav_msgs.msg import Path
    path = Path()
    path.header.frame_id = frame
    path.poses = [_pose(x, y, frame) for x, y in points]
    return path


def test_is_path_valid_judges_the_poses_on_the_global_costmap(planner):
    node, _, proc = planner
    cli = node.create_client(IsPathValid, 'is_path_valid')
    try:
        ys = np.arange(0.52, 4.51, 0.25)  # off the cell boundaries (float32 resolution)
        through_wall = _path([(2.5, y) for y in ys])
        answer = call(node, cli, IsPathValid.Request(path=through_wall))
        assert not answer.is_valid
        # the wall is 2 <= y < 3
        assert list(answer.invalid_pose_indices) == \
            [i for i, y in enumerate(ys) if 2.0 <= y < 3.0]
        around = _path([(0.5, y) for y in ys])
        answer = call(node, cli, IsPathValid.Request(path=around))
        assert answer.is_valid and not list(answer.invalid_pose_indices)
        off_map = _path([(0.5, 0.5), (0.5, 6.0)])
        answer = call(node, cli, IsPathValid.Request(path=off_map))
        assert not answer.is_valid and list(answer.invalid_pose_indices) == [1]
        # bad requests: an answer each, a warning naming the problem, the node lives on
        answer = call(node, cli, IsPathValid.Request(path=_path([])))
        assert not answer.is_valid
        nan = _path([(0.5, 0.5), (math.nan, 1.0), (0.5, 1.5)])
        answer = call(node, cli, IsPathValid.Request(path=nan))
        assert not answer.is_valid and list(answer.invalid_pose_indices) == [1]
        assert spin_until(node, lambda: 'is_path_valid: path.poses[1].pose.position.x is nan'
                          in proc.output(), 5.0), proc.output()[-2000:]
        lost = _path([(0.5, 0.5)], frame='nowhere')
        answer = call(node, cli, IsPathValid.Request(path=lost))
        assert not answer.is_valid
        assert spin_until(node, lambda: "is_path_valid: path in frame 'nowhere'" in
                          proc.output(), 5.0), proc.output()[-2000:]
        assert call(node, cli, IsPathValid.Request(path=around)).is_valid
        assert proc.poll() is None, proc.output()
    finally:
        node.destroy_client(cli)


def _costs(node, cli):
    """Return the global costmap as served: (message, costs as [row, col])."""
    msg = call(node, cli, GetCostmap.Request()).map
    meta = msg.metadata
    return msg, np.frombuffer(bytes(msg.data), dtype=np.uint8).reshape(meta.size_y, meta.size_x)


def _cell(x, y):
    return int(math.floor(y / 0.05)), int(math.floor(x / 0.05))  # [row, col] of the wall map


def test_get_costmap_and_the_clear_services_of_the_global_costmap(planner):
    from geometry_msgs.msg import TransformStamped
    from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy, qos_profile_sensor_data
    from sensor_msgs.msg import LaserScan
    from tf2_msgs.msg import TFMessage
    node, _, proc = planner
    get = node.create_client(GetCostmap, 'global_costmap/get_costmap')
    around = node.create_client(ClearCostmapAroundRobot,
                                 'global_costmap/clear_around_global_costmap')
    outside = node.create_client(ClearCostmapExceptRegion,
                                 'global_costmap/clear_except_global_costmap')
    entirely = node.create_client(ClearEntireCostmap,
                                  'global_costmap/clear_entirely_global_costmap')
    around_pose = node.create_client(ClearCostmapAroundPose,
                                     'global_costmap/clear_around_pose_global_costmap')
    static = node.create_publisher(TFMessage, 'tf_static', QoSProfile(
        depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL,
        reliability=ReliabilityPolicy.RELIABLE))
    scans = node.create_publisher(LaserScan, 'scan', qos_profile_sensor_data)
    try:
        msg, costs = _costs(node, get)
        meta = msg.metadata
        assert msg.header.frame_id == 'map' and meta.layer == 'master'
        assert (meta.size_x, meta.size_y) == (100, 100)
        assert math.isclose(meta.resolution, 0.05, rel_tol=1e-6)
        assert (meta.origin.position.x, meta.origin.position.y) == (0.0, 0.0)
        assert costs[_cell(2.5, 2.5)] == 254 and costs[_cell(2.5, 0.5)] == 0
        assert 0 < costs[_cell(2.5, 1.9)] < 254  # inflated next to the wall
        # a bad request: GetCostmap's specs are ignored (as Nav2 does), whatever they say
        odd = GetCostmap.Request()
        odd.specs.resolution = math.nan
        odd.specs.size_x = 7
        again = call(node, get, odd).map
        assert (again.metadata.size_x, again.metadata.size_y) == (100, 100)
        # no robot pose yet: nothing cleared, a warning says why
        call(node, around, ClearCostmapAroundRobot.Request(reset_distance=1.0))
        assert spin_until(node, lambda: 'clear_around_global_costmap: nothing cleared: no '
                          'robot pose' in proc.output(), 5.0), proc.output()[-2000:]
        # the robot at (2.52, 1.02) (off the cell boundaries: the map's resolution is a
        # float32); its scan sees one thing 0.51 m ahead (+x), one 1.51 m behind
        t = TransformStamped()
        t.header.frame_id, t.child_frame_id = 'map', 'base_link'
        t.transform.translation.x, t.transform.translation.y = 2.52, 1.02
        t.transform.rotation.w = 1.0
        static.publish(TFMessage(transforms=[t]))
        scan = LaserScan(angle_min=0.0, angle_increment=math.pi, angle_max=math.pi,
                         range_min=0.1, range_max=10.0, ranges=[0.51, 1.51])
        near, far = _cell(3.03, 1.02), _cell(1.01, 1.02)

        def marked():
            scans.publish(scan)
            costs = _costs(node, get)[1]
            return costs[near] == 254 and costs[far] == 254

        def mark():
            assert spin_until(node, marked, TIMEOUT_S), 'the scan never reached the costmap'
            spin_until(node, lambda: False, 0.5)  # a scan still in flight lands before a clear
        mark()
        # bad requests clear nothing and say why
        for cli, srv, name in ((around, ClearCostmapAroundRobot, 'around'),
                               (outside, ClearCostmapExceptRegion, 'except')):
            call(node, cli, srv.Request(reset_distance=math.nan))
            assert spin_until(node, lambda n=name: f'clear_{n}_global_costmap: reset_distance '
                              'is nan: nothing cleared' in proc.output(), 5.0), \
                proc.output()[-2000:]
        costs = _costs(node, get)[1]
        assert costs[near] == 254 and costs[far] == 254
        # the 2 m square around the robot (x 1.52 .. 3.52) holds the near one only
        call(node, around, ClearCostmapAroundRobot.Request(reset_distance=2.0))
        costs = _costs(node, get)[1]
        assert costs[near] < 254 and costs[far] == 254
        assert costs[_cell(2.5, 2.5)] == 254  # the static map stays
        assert re.search(r'global_costmap: [1-9]\d* cells cleared within the 2 m square around '
                         r'the robot at \(2\.52, 1\.02\)', proc.output())
        mark()  # both again, then keep only the square
        call(node, outside, ClearCostmapExceptRegion.Request(reset_distance=2.0))
        costs = _costs(node, get)[1]
        assert costs[near] == 254 and costs[far] < 254
        assert costs[_cell(2.5, 2.5)] == 254
        call(node, entirely, ClearEntireCostmap.Request())
        costs = _costs(node, get)[1]
        assert costs[near] < 254 and costs[_cell(2.5, 2.5)] == 254
        # clear_around_pose: a 1 m square around a pose given in map, then in base_link
        # (the far one is 1.51 m behind the robot), then in a frame tf does not know
        for frame, x, y in (('map', 1.01, 1.02), ('base_link', -1.51, 0.0)):
            mark()
            request = ClearCostmapAroundPose.Request(reset_distance=1.0)
            request.pose.header.frame_id = frame
            request.pose.pose.position.x, request.pose.pose.position.y = x, y
            request.pose.pose.orientation.w = 1.0
            call(node, around_pose, request)
            costs = _costs(node, get)[1]
            assert costs[near] == 254 and costs[far] < 254, frame
        assert re.search(r"cells cleared within the 1 m square around the pose given in "
                         r"'base_link' at \(1\.01, 1\.02\)", proc.output()), proc.output()[-2000:]
        mark()
        request.pose.header.frame_id = 'nowhere'
        call(node, around_pose, request)
        assert spin_until(node, lambda: "clear_around_pose_global_costmap: nothing cleared: "
                          "pose in 'nowhere' not expressible in 'map'" in proc.output(), 5.0), \
            proc.output()[-2000:]
        costs = _costs(node, get)[1]
        assert costs[near] == 254 and costs[far] == 254
        assert proc.poll() is None, proc.output()
    finally:
        for cli in (get, around, outside, entirely, around_pose):
            node.destroy_client(cli)
        node.destroy_publisher(static)
        node.destroy_publisher(scans)


def _clearance(response, box):
    """Smallest distance (m) from the path's poses to the square box (x, y, size)."""
    pts = np.array([(p.pose.position.x, p.pose.position.y) for p in response.result.path.poses])
    x, y, size = box
    return float(np.min(np.hypot(np.maximum(np.abs(pts[:, 0] - x) - size / 2, 0.0),
                                 np.maximum(np.abs(pts[:, 1] - y) - size / 2, 0.0))))


def test_tracked_objects_are_obstacles_except_the_one_a_goal_reaches(planner):
    """Issue 19: a box below the lidar plane, known from perception, is planned around."""
    from orchestrator_interfaces.msg import DetectionArray
    node, client, proc = planner
    pub = node.create_publisher(DetectionArray, 'tracked_objects', 10)
    cli = node.create_client(IsPathValid, 'is_path_valid')
    # on the straight line y = 1 (the wall is 2 <= y < 3), 1.5 m from where the
    # previous test put the robot on tf, (2.52, 1.02)
    box = (4.0, 1.0, 0.2)
    clear = node.create_client(ClearEntireCostmap, 'global_costmap/clear_entirely_global_costmap')
    try:
        call(node, clear, ClearEntireCostmap.Request())  # the previous test's scan obstacles
        straight = _plan(node, client, (0.5, 1.0), (4.7, 1.0))
        assert straight.status == GoalStatus.STATUS_SUCCEEDED
        assert _clearance(straight, box) < 0.01  # without the object: straight over it
        seen = {}

        def planned_around():
            pub.publish(tracked_objects([box]))
            seen['r'] = _plan(node, client, (0.5, 1.0), (4.7, 1.0))
            return _clearance(seen['r'], box) > 0.0
        assert spin_until(node, planned_around, 10.0), 'the box never reached the costmap'
        around = seen['r']
        assert around.status == GoalStatus.STATUS_SUCCEEDED
        # the footprint's half width is 0.215 m: the robot's body misses the box
        assert _clearance(around, box) > 0.25
        # is_path_valid judges with the object too
        over = _path([(x, 1.0) for x in np.linspace(0.52, 4.48, 9)])
        answer = call(node, cli, IsPathValid.Request(path=over))
        # judged from the pose nearest the robot on: index 7 is x = 3.985
        assert not answer.is_valid and list(answer.invalid_pose_indices) == [7]

        # a goal 0.1 m short of the box (a pre-grasp pose): the box is what the
        # robot is sent to reach, not an obstacle to that plan
        reach = _plan(node, client, (0.5, 1.0), (3.8, 1.0))
        assert reach.status == GoalStatus.STATUS_SUCCEEDED, reach.result.error_msg
        pts = reach.result.path.poses
        assert math.hypot(pts[-1].pose.position.x - 3.8, pts[-1].pose.position.y - 1.0) < 0.01
        # ... and a plan elsewhere marks it again
        assert _clearance(_plan(node, client, (0.5, 1.0), (4.7, 1.0)), box) > 0.25

        # untrusted tracks: a NaN drops the message (the box stays), an unknown
        # frame is named; the node lives on
        bad = tracked_objects([(math.nan, 1.0, 0.2)])
        pub.publish(bad)
        assert spin_until(node, lambda: 'dropped a message on tracked_objects' in proc.output(),
                          5.0), proc.output()[-2000:]
        pub.publish(tracked_objects([(1.0, 0.5, 0.2)], frame='nowhere'))
        assert spin_until(node, lambda: "objects in frame 'nowhere' not used" in proc.output(),
                          5.0), proc.output()[-2000:]
        assert _clearance(_plan(node, client, (0.5, 1.0), (4.7, 1.0)), box) > 0.25
        assert proc.poll() is None, proc.output()

        def straight_again():  # no tracks: no objects
            pub.publish(tracked_objects([]))
            return _clearance(_plan(node, client, (0.5, 1.0), (4.7, 1.0)), box) < 0.01
        assert spin_until(node, straight_again, 10.0)
    finally:
        node.destroy_publisher(pub)
        node.destroy_client(cli)
        node.destroy_client(clear)

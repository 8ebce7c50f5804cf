"""System test: the stack driven the way Nav2's BasicNavigator (Jazzy) drives it.

One stack for the module: ``orchestrator run --world warehouse --localization
amcl`` without a mission (sim with drifting odometry, base_driver, amcl, the
managed navigation servers,
lifecycle_manager_navigation, perception, orchestrator). A client node named
``basic_navigator`` uses the names, types and call order of Jazzy's
``nav2_simple_commander.BasicNavigator`` for what the stack serves:
``lifecycleStartup`` (every ``nav2_msgs/srv/ManageLifecycleNodes`` service in
the graph, STARTUP), ``setInitialPose`` (``initialpose``, the true pose) and
``waitUntilNav2Active(localizer='amcl')`` (``amcl/get_state`` until active, the
initial pose again until ``amcl_pose`` comes, ``bt_navigator/get_state``), then
getPath, getPathThroughPoses, getGlobalCostmap and getLocalCostmap, goToPose
with feedback (and what RViz shows meanwhile: ``local_plan``, both costmaps'
``published_footprint`` and ``costmap_raw``), spin, backup, driveOnHeading,
followWaypoints, goThroughPoses, followPath (a path planned in ``map``),
changeMap (``map_server/load_map``; the planner's costmap takes the new map),
cancelTask and clearAllCostmaps. Motion
is judged by the sim's ground truth. The last case SIGKILLs a managed node
during a long spin: the manager must stop the robot (ground truth) and report it.
"""
import math
import os
import signal
import sys
import time

from builtin_interfaces.msg import Duration
from diagnostic_msgs.msg import DiagnosticStatus
from geometry_msgs.msg import Point, PolygonStamped, PoseStamped, PoseWithCovarianceStamped
from lifecycle_msgs.srv import GetState
from nav2_msgs.action import (
    BackUp,
    ComputePathThroughPoses,
    ComputePathToPose,
    DriveOnHeading,
    FollowPath,
    FollowWaypoints,
    NavigateThroughPoses,
    NavigateToPose,
    Spin,
)
from nav2_msgs.msg import Costmap
from nav2_msgs.srv import ClearEntireCostmap, GetCostmap, LoadMap, ManageLifecycleNodes
from nav_msgs.msg import Odometry, Path
import pytest
import rclpy
from rclpy.action import ActionClient
from rclpy.qos import qos_profile_sensor_data
from std_srvs.srv import Trigger

from orchestrator_pkg.places import load_places
from orchestrator_pkg.planning.map_io import save_map
from orchestrator_pkg.planning.world_map import world_occupancy
from orchestrator_pkg.ros_edge import convert, qos
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.ros_edge.waiting import spin_until, wait_future
from orchestrator_pkg.testing.processes import ManagedProcess, child_pid
from orchestrator_pkg.testing.ros_domain import claim_domain
from orchestrator_pkg.testing.velocity_oracle import assert_run_within_limits

START_WAIT_S = 120.0  # wall: the whole stack up on a loaded 2-core machine
MANAGED = ('amcl', 'planner_server', 'controller_server', 'behavior_server', 'bt_navigator',
           'waypoint_follower')
MANAGER = 'lifecycle_manager_navigation'


def _pose(x, y, yaw=0.0) -> PoseStamped:
    return convert.pose_stamped('map', x, y, yaw)


class Client:
    """The BasicNavigator's clients (same names and types), each call bounded in time."""

    def __init__(self, node):
        self.node = node
        self.truth = None
        self.feedback = []
        node.create_subscription(Odometry, '/ground_truth/odom',
                                 lambda m: setattr(self, 'truth', m), qos_profile_sensor_data)
        self.manager_states = []  # every ~/state message of the manager (its text)
        node.create_subscription(DiagnosticStatus, f'{MANAGER}/state',
                                 lambda m: self.manager_states.append(m.message),
                                 qos.LATCHED_QOS)
        self.nav_to_pose = ActionClient(node, NavigateToPose, 'navigate_to_pose')
        self.nav_through_poses = ActionClient(node, NavigateThroughPoses,
                                              'navigate_through_poses')
        self.follow_path_client = ActionClient(node, FollowPath, 'follow_path')
        self.load_map = node.create_client(LoadMap, 'map_server/load_map')
        self.compute_path_to_pose = ActionClient(node, ComputePathToPose,
                                                 'compute_path_to_pose')
        self.compute_path_through_poses = ActionClient(node, ComputePathThroughPoses,
                                                       'compute_path_through_poses')
        self.get_costmap_global = node.create_client(GetCostmap, 'global_costmap/get_costmap')
        self.get_costmap_local = node.create_client(GetCostmap, 'local_costmap/get_costmap')
        self.spin_client = ActionClient(node, Spin, 'spin')
        self.backup_client = ActionClient(node, BackUp, 'backup')
        self.drive_on_heading_client = ActionClient(node, DriveOnHeading, 'drive_on_heading')
        self.follow_waypoints_client = ActionClient(node, FollowWaypoints, 'follow_waypoints')
        self.clear_local = node.create_client(
            ClearEntireCostmap, 'local_costmap/clear_entirely_local_costmap')
        self.clear_global = node.create_client(
            ClearEntireCostmap, 'global_costmap/clear_entirely_global_costmap')
        # setInitialPose publishes here; waitUntilNav2Active waits for amcl_pose (latched)
        self.initial_pose_pub = node.create_publisher(PoseWithCovarianceStamped,
                                                      'initialpose', 10)
        self.amcl_poses = []
        node.create_subscription(PoseWithCovarianceStamped, 'amcl_pose',
                                 self.amcl_poses.append, qos.LATCHED_QOS)
        self.goal_handle = None

    def set_initial_pose(self, x, y, yaw):
        """BasicNavigator._setInitialPose: the pose in ``map``, stamped now."""
        msg = PoseWithCovarianceStamped()
        msg.header = _pose(x, y, yaw).header
        msg.header.stamp = self.node.get_clock().now().to_msg()
        msg.pose.pose = _pose(x, y, yaw).pose
        self.initial_pose_pub.publish(msg)

    def xy_yaw(self):
        p = self.truth.pose.pose
        return p.position.x, p.position.y, convert.quaternion_to_yaw(p.orientation)

    def speed(self):
        t = self.truth.twist.twist
        return abs(t.linear.x), abs(t.angular.z)

    def call(self, client, request, timeout_s=30.0):
        assert client.wait_for_service(timeout_sec=timeout_s), client.srv_name
        return wait_future(self.node, client.call_async(request), timeout_s)

    def send(self, client, goal, timeout_s=30.0):
        """send_goal_async with the feedback callback; the goal handle (accepted or not)."""
        assert client.wait_for_server(timeout_sec=timeout_s)
        self.feedback = []
        self.goal_handle = wait_future(self.node, client.send_goal_async(
            goal, feedback_callback=lambda m: self.feedback.append(m.feedback)), timeout_s)
        return self.goal_handle

    def result(self, timeout_s):
        return wait_future(self.node, self.goal_handle.get_result_async(), timeout_s)


@pytest.fixture(scope='module')
def nav(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp('basic_navigator') / 'run'
    with claim_domain() as claim:
        cmd = [sys.executable, '-m', 'orchestrator_pkg.cli', 'run', '--world', 'warehouse',
               '--localization', 'amcl', '--rtf', '1', '--run-dir', str(run_dir)]
        run = ManagedProcess(cmd, env=claim.env(), stop_timeout_s=30.0)
        with run:
            rclpy.init(domain_id=claim.domain_id)
            node = rclpy.create_node('basic_navigator')
            try:
                client = Client(node)
                assert spin_until(node, lambda: client.truth is not None, START_WAIT_S), \
                    run.output()[-3000:]
                yield {'run': run, 'node': node, 'client': client, 'run_dir': run_dir}
            finally:
                destroy_node_and_waitables(node)
                rclpy.try_shutdown()
    assert_run_within_limits(run_dir)  # the velocity oracle over every case


def test_lifecycle_startup_set_initial_pose_and_wait_until_active(nav):
    node, run = nav['node'], nav['run']
    # lifecycleStartup: every ManageLifecycleNodes service in the graph gets STARTUP
    deadline = time.monotonic() + START_WAIT_S
    managers = []
    while not managers and time.monotonic() < deadline:
        managers = [name for name, types in node.get_service_names_and_types()
                    if types[0] == 'nav2_msgs/srv/ManageLifecycleNodes']
        rclpy.spin_once(node, timeout_sec=0.2)
    assert managers == [f'/{MANAGER}/manage_nodes'], run.output()[-3000:]
    manage = node.create_client(ManageLifecycleNodes, managers[0])
    startup = ManageLifecycleNodes.Request(command=ManageLifecycleNodes.Request.STARTUP)
    assert nav['client'].call(manage, startup, START_WAIT_S).success
    # setInitialPose: where the robot truly is, as a user who knows it would give
    client = nav['client']
    x, y, yaw = client.xy_yaw()
    client.set_initial_pose(x, y, yaw)
    # waitUntilNav2Active(localizer='amcl'): amcl active, then the initial pose again
    # (once a second) until amcl_pose comes, then the navigator active
    get_state = node.create_client(GetState, 'amcl/get_state')
    assert client.call(get_state, GetState.Request()).current_state.label == 'active'
    amcl_log = nav['run_dir'] / 'logs' / 'amcl.log'
    seeded = amcl_log.read_text().count('initial pose set: ')  # the spawn, at configure
    last_sent = [time.monotonic()]

    def taken():
        if time.monotonic() - last_sent[0] >= 1.0:
            client.set_initial_pose(x, y, yaw)
            last_sent[0] = time.monotonic()
        return amcl_log.read_text().count('initial pose set: ') > seeded
    assert spin_until(node, taken, 30.0), amcl_log.read_text()[-2000:]
    last = amcl_log.read_text().split('initial pose set: ')[-1]
    assert last.startswith(f'({x:.2f}, {y:.2f}, '), (last[:40], (x, y, yaw))
    # the update the new pose forces ends in an amcl_pose there
    assert spin_until(node, lambda: client.amcl_poses and math.hypot(
        client.amcl_poses[-1].pose.pose.position.x - x,
        client.amcl_poses[-1].pose.pose.position.y - y) < 0.1, 10.0), client.amcl_poses[-1:]
    for name in MANAGED:
        get_state = node.create_client(GetState, f'{name}/get_state')
        state = nav['client'].call(get_state, GetState.Request()).current_state.label
        assert state == 'active', name
    is_active = node.create_client(Trigger, f'{MANAGER}/is_active')
    assert nav['client'].call(is_active, Trigger.Request()).success


def test_get_path(nav):
    client = nav['client']
    x, y, _ = client.xy_yaw()
    goal = load_places('warehouse')['search_3']
    handle = client.send(client.compute_path_to_pose,
                         ComputePathToPose.Goal(start=_pose(x, y), goal=_pose(*goal[:2]),
                                                planner_id='', use_start=False))
    assert handle.accepted
    result = client.result(30.0).result
    assert result.error_code == 0, result.error_msg
    poses = result.path.poses
    assert len(poses) > 10
    end = poses[-1].pose.position
    assert math.hypot(end.x - goal[0], end.y - goal[1]) < 0.1
    start = poses[0].pose.position
    assert math.hypot(start.x - x, start.y - y) < 0.3


def test_get_path_through_poses_and_the_costmaps(nav):
    client = nav['client']
    x, y, _ = client.xy_yaw()
    places = load_places('warehouse')
    via = [places['search_3'], places['pickup_c']]
    handle = client.send(client.compute_path_through_poses, ComputePathThroughPoses.Goal(
        start=_pose(x, y), goals=[_pose(*p[:2]) for p in via], planner_id='', use_start=False))
    assert handle.accepted
    result = client.result(30.0).result
    assert result.error_code == 0, result.error_msg
    pts = [(p.pose.position.x, p.pose.position.y) for p in result.path.poses]
    assert math.hypot(pts[0][0] - x, pts[0][1] - y) < 0.3
    # through search_3, then to pickup_c
    assert min(math.hypot(px - via[0][0], py - via[0][1]) for px, py in pts) < 0.05
    assert math.hypot(pts[-1][0] - via[1][0], pts[-1][1] - via[1][1]) < 0.05
    # getGlobalCostmap / getLocalCostmap: nav2_msgs/Costmap with its metadata
    for srv, frame in ((client.get_costmap_global, 'map'), (client.get_costmap_local, 'odom')):
        costmap = client.call(srv, GetCostmap.Request()).map
        meta = costmap.metadata
        assert costmap.header.frame_id == frame, srv.srv_name
        assert meta.size_x > 0 and len(costmap.data) == meta.size_x * meta.size_y
        assert 254 in bytes(costmap.data), srv.srv_name  # the warehouse has walls


def test_go_to_pose_with_feedback_and_what_rviz_shows(nav):
    client, node = nav['client'], nav['node']
    # what RViz's Nav2 panels subscribe to, published only while subscribed
    seen = {}
    topics = ((Path, 'local_plan'), (PolygonStamped, 'global_costmap/published_footprint'),
              (PolygonStamped, 'local_costmap/published_footprint'),
              (Costmap, 'global_costmap/costmap_raw'), (Costmap, 'local_costmap/costmap_raw'))
    subs = [node.create_subscription(t, name, lambda m, n=name: seen.__setitem__(n, m), 1)
            for t, name in topics]
    goal = load_places('warehouse')['search_3']
    handle = client.send(client.nav_to_pose, NavigateToPose.Goal(pose=_pose(*goal[:2])))
    assert handle.accepted
    wrapped = client.result(120.0)
    assert wrapped.status == 4, wrapped.result.error_msg  # SUCCEEDED
    assert client.feedback and client.feedback[-1].distance_remaining >= 0.0
    # the robot at rest, and a footprint published since (the one kept so far may be
    # a cycle old, from before the robot stopped: fresh35 saw one 0.47 m behind it)
    spin_until(node, lambda: client.speed()[0] < 0.01, 5.0)
    seen.pop('global_costmap/published_footprint', None)
    x, y, _ = client.xy_yaw()
    assert math.hypot(x - goal[0], y - goal[1]) < 0.4, (x, y)
    assert spin_until(node, lambda: len(seen) == len(topics), 10.0), sorted(seen)
    for sub in subs:
        node.destroy_subscription(sub)
    plan = seen['local_plan']
    assert plan.header.frame_id == 'odom' and plan.poses
    for name, frame in (('global_costmap', 'map'), ('local_costmap', 'odom')):
        raw = seen[f'{name}/costmap_raw']
        assert raw.header.frame_id == frame
        assert len(raw.data) == raw.metadata.size_x * raw.metadata.size_y > 0
        assert seen[f'{name}/published_footprint'].header.frame_id == frame
    # the global footprint (map = the sim's world frame) is around the true pose
    corners = seen['global_costmap/published_footprint'].polygon.points
    assert len(corners) == 4
    cx, cy = sum(p.x for p in corners) / 4, sum(p.y for p in corners) / 4
    assert math.hypot(cx - x, cy - y) < 0.3, ((cx, cy), (x, y))


def test_spin(nav):
    client = nav['client']
    _, _, yaw0 = client.xy_yaw()
    handle = client.send(client.spin_client,
                         Spin.Goal(target_yaw=1.57, time_allowance=Duration(sec=10)))
    assert handle.accepted
    wrapped = client.result(30.0)
    assert wrapped.status == 4, wrapped.result.error_msg
    assert client.feedback
    spin_until(nav['node'], lambda: client.speed()[1] < 0.05, 5.0)
    _, _, yaw1 = client.xy_yaw()
    turned = math.atan2(math.sin(yaw1 - yaw0), math.cos(yaw1 - yaw0))
    assert turned == pytest.approx(1.57, abs=0.25)


def test_backup(nav):
    client = nav['client']
    x0, y0, yaw = client.xy_yaw()
    handle = client.send(client.backup_client, BackUp.Goal(
        target=Point(x=0.15), speed=0.025, time_allowance=Duration(sec=10)))
    assert handle.accepted
    wrapped = client.result(30.0)
    assert wrapped.status == 4, wrapped.result.error_msg
    spin_until(nav['node'], lambda: client.speed()[0] < 0.01, 5.0)
    x1, y1, _ = client.xy_yaw()
    along = (x1 - x0) * math.cos(yaw) + (y1 - y0) * math.sin(yaw)
    assert along == pytest.approx(-0.15, abs=0.05)


def test_drive_on_heading(nav):
    client = nav['client']
    x0, y0, yaw = client.xy_yaw()
    # driveOnHeading's defaults: dist 0.15, speed 0.025, time_allowance 10
    handle = client.send(client.drive_on_heading_client, DriveOnHeading.Goal(
        target=Point(x=0.15), speed=0.025, time_allowance=Duration(sec=10)))
    assert handle.accepted
    wrapped = client.result(30.0)
    assert wrapped.status == 4, wrapped.result.error_msg
    spin_until(nav['node'], lambda: client.speed()[0] < 0.01, 5.0)
    x1, y1, _ = client.xy_yaw()
    along = (x1 - x0) * math.cos(yaw) + (y1 - y0) * math.sin(yaw)
    assert along == pytest.approx(0.15, abs=0.05)


def test_follow_waypoints(nav):
    client, node = nav['client'], nav['node']
    places = load_places('warehouse')
    route = [places['pickup_c'][:2], places['search_3'][:2]]  # there and back, ~5 m
    handle = client.send(client.follow_waypoints_client,
                         FollowWaypoints.Goal(poses=[_pose(*p) for p in route]))
    assert handle.accepted
    result = handle.get_result_async()
    closest = [math.inf]  # ground truth: how near the robot came to the first waypoint

    def watch():
        x, y, _ = client.xy_yaw()
        closest[0] = min(closest[0], math.hypot(x - route[0][0], y - route[0][1]))
        return result.done()
    assert spin_until(node, watch, 240.0), 'no follow_waypoints result'
    wrapped = result.result()
    assert wrapped.status == 4, wrapped.result.error_msg  # SUCCEEDED
    assert list(wrapped.result.missed_waypoints) == []
    assert closest[0] < 0.4, closest[0]
    x, y, _ = client.xy_yaw()
    assert math.hypot(x - route[1][0], y - route[1][1]) < 0.4, (x, y)
    assert [f.current_waypoint for f in client.feedback][-1] == 1
    assert 0 in [f.current_waypoint for f in client.feedback]


def test_go_through_poses(nav):
    client, node = nav['client'], nav['node']
    places = load_places('warehouse')
    # from search_3 (where follow_waypoints ended): through pickup_c to search_1; the last
    # pose is not the start (a path ending where the robot is succeeds at once, as in Nav2)
    via = [places['pickup_c'][:2], places['search_1'][:2]]
    handle = client.send(client.nav_through_poses,
                         NavigateThroughPoses.Goal(poses=[_pose(*p) for p in via]))
    assert handle.accepted
    result = handle.get_result_async()
    closest = [math.inf]  # ground truth: how near the robot came to the first pose

    def watch():
        x, y, _ = client.xy_yaw()
        closest[0] = min(closest[0], math.hypot(x - via[0][0], y - via[0][1]))
        return result.done()
    assert spin_until(node, watch, 240.0), 'no navigate_through_poses result'
    wrapped = result.result()
    assert wrapped.status == 4, wrapped.result.error_msg  # SUCCEEDED
    assert closest[0] < 0.5, closest[0]
    x, y, _ = client.xy_yaw()
    assert math.hypot(x - via[1][0], y - via[1][1]) < 0.4, (x, y)
    assert client.feedback and client.feedback[-1].number_of_poses_remaining <= 1


def test_follow_path_with_a_map_path(nav):
    # followPath: a path planned in map, given to the controller (which drives in odom)
    client, node = nav['client'], nav['node']
    goal = load_places('warehouse')['pickup_c'][:2]
    client.send(client.compute_path_to_pose, ComputePathToPose.Goal(
        goal=_pose(*goal), planner_id='', use_start=False))
    path = client.result(30.0).result.path
    assert path.header.frame_id == 'map' and len(path.poses) > 10
    handle = client.send(client.follow_path_client, FollowPath.Goal(path=path))
    assert handle.accepted
    wrapped = client.result(180.0)
    assert wrapped.status == 4, wrapped.result.error_msg  # SUCCEEDED
    spin_until(node, lambda: max(client.speed()) < 0.02, 5.0)
    x, y, _ = client.xy_yaw()
    assert math.hypot(x - goal[0], y - goal[1]) < 0.4, (x, y)


def test_change_map(nav, tmp_path):
    # changeMap: map_server/load_map; the planner's global costmap takes the new map
    client, node = nav['client'], nav['node']

    def global_resolution():
        return client.call(client.get_costmap_global, GetCostmap.Request()).map.metadata.resolution

    before = global_resolution()
    for resolution in (0.1, before):
        out = tmp_path / f'warehouse_{resolution:g}.yaml'
        save_map(world_occupancy('warehouse', 0.18, resolution, 1.0, None), str(out))
        answer = client.call(client.load_map, LoadMap.Request(map_url=str(out)))
        assert answer.result == LoadMap.Response.RESULT_SUCCESS, answer.result
        assert answer.map.info.resolution == pytest.approx(resolution)
        assert spin_until(node, lambda r=resolution: global_resolution() == pytest.approx(r), 15.0,
                          step_s=0.5), (global_resolution(), resolution)
        client.send(client.compute_path_to_pose, ComputePathToPose.Goal(
            goal=_pose(*load_places('warehouse')['search_3'][:2]), use_start=False))
        result = client.result(30.0).result
        assert result.error_code == 0, result.error_msg


def test_cancel_task(nav):
    client, node = nav['client'], nav['node']
    goal = load_places('warehouse')['dropoff']
    handle = client.send(client.nav_to_pose, NavigateToPose.Goal(pose=_pose(*goal[:2])))
    assert handle.accepted
    assert spin_until(node, lambda: client.speed()[0] > 0.1, 30.0), 'the robot never moved'
    wait_future(node, handle.cancel_goal_async(), 10.0)
    assert client.result(30.0).status == 5  # CANCELED
    assert spin_until(node, lambda: max(client.speed()) < 0.02, 5.0), client.speed()
    x, y, _ = client.xy_yaw()
    assert math.hypot(x - goal[0], y - goal[1]) > 3.0


def test_clear_all_costmaps(nav):
    client = nav['client']
    # clearAllCostmaps: local first, then global
    assert client.call(client.clear_local, ClearEntireCostmap.Request()) is not None
    assert client.call(client.clear_global, ClearEntireCostmap.Request()) is not None


def test_killed_managed_node_stops_the_robot(nav):
    client, node, run = nav['client'], nav['node'], nav['run']
    handle = client.send(client.spin_client,
                         Spin.Goal(target_yaw=30.0, time_allowance=Duration(sec=90)))
    assert handle.accepted
    assert spin_until(node, lambda: client.speed()[1] > 0.3, 20.0), 'no spin'
    planner = child_pid(run.pid, 'planner_server')
    assert planner is not None
    killed = time.monotonic()
    os.kill(planner, signal.SIGKILL)
    # bond_timeout is 10 s; the graph shows the death within a few watch rounds
    assert spin_until(node, lambda: client.speed()[1] < 0.05, 20.0), client.speed()
    # (a 30 rad spin does not end by itself: only the manager's e-stop stops it here)
    stopped_after = time.monotonic() - killed
    assert stopped_after < 15.0, stopped_after
    assert spin_until(node, lambda: any('planner_server died' in text
                                        for text in client.manager_states), 5.0)
    assert 'managed node planner_server died' in run.output()
    # the bringup respawns it: the manager brings it up again and releases the e-stop
    is_active = node.create_client(Trigger, f'{MANAGER}/is_active')
    assert spin_until(node, lambda: client.call(is_active, Trigger.Request()).success, 40.0,
                      step_s=0.5), run.output()[-3000:]
    wait_future(node, handle.cancel_goal_async(), 10.0)
    client.result(30.0)

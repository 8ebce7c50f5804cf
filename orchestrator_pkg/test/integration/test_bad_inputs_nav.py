"""Real processes (issue 12): bad messages and bad goals at the navigation servers.

controller_server, behavior_server and planner_server run against the
kinematic robot fixture (one rig for the module). The test publishes
non-finite odometry and scans at them (one NaN odometry message used to kill
controller_server and behavior_server in the rolling costmap's origin update),
then checks that they are alive and still serve goals, and that malformed goals
are refused with Nav2's error codes and a message naming the value. The same
rig serves the checks of compute_path_through_poses from the robot pose on tf
and of the local costmap's services on controller_server.
"""
import math
import os
import re
import signal
import time

from action_msgs.msg import GoalStatus
from builtin_interfaces.msg import Duration
from geometry_msgs.msg import Point, PoseStamped, Quaternion, Twist
from nav2_msgs.action import BackUp, ComputePathThroughPoses, ComputePathToPose, FollowPath, Spin
from nav2_msgs.srv import ClearCostmapAroundRobot, ClearCostmapExceptRegion, GetCostmap
from nav_helpers import ROBOT, TIMEOUT_S, call, node_cmd, spin_until, wait_future
from nav_msgs.msg import Odometry
import numpy as np
import pytest
import rclpy
from rclpy.action import ActionClient
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import LaserScan

from orchestrator_pkg.ros_edge.convert import path_poses
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.testing.processes import ManagedProcess

BOX = (3.0, -0.5, 3.6, 0.5)  # ahead of the robot: the planner's scan marks it
TRANSFORM_TIMEOUT_S = 1.0
ACTIONS = {'follow_path': FollowPath, 'spin': Spin, 'backup': BackUp,
           'compute_path_to_pose': ComputePathToPose,
           'compute_path_through_poses': ComputePathThroughPoses}


@pytest.fixture(scope='module')
def rig(ros_domain_module):
    env = ros_domain_module.env()
    procs = {
        'robot': ManagedProcess.python(ROBOT, '--boxes=' + ','.join(map(str, BOX)),
                                       '--start=0,0,0', env=env),
        'controller_server': ManagedProcess(node_cmd('controller_server', 'use_sim_time:=true'),
                                            env=env),
        'behavior_server': ManagedProcess(node_cmd('behavior_server', 'use_sim_time:=true'),
                                          env=env),
        'planner_server': ManagedProcess(node_cmd(
            'planner_server', 'use_sim_time:=true', 'global_frame:=odom',  # no map here
            f'transform_timeout_s:={TRANSFORM_TIMEOUT_S}'), env=env),
    }
    for proc in procs.values():
        proc.start()
    try:
        assert procs['robot'].wait_for_output('fixture ready', TIMEOUT_S)
        for name in ('controller_server', 'behavior_server', 'planner_server'):
            assert procs[name].wait_for_output(f'{name} ready', TIMEOUT_S), procs[name].output()
        rclpy.init(domain_id=ros_domain_module.domain_id)
        node = rclpy.create_node('bad_inputs_client')
        state = {'t': 0.0, 'x': None}
        node.create_subscription(
            Clock, '/clock', lambda m: state.update(t=m.clock.sec + m.clock.nanosec * 1e-9), 50)
        clients = {name: ActionClient(node, action, name) for name, action in ACTIONS.items()}
        try:
            for client in clients.values():
                assert client.wait_for_server(timeout_sec=TIMEOUT_S)
            assert spin_until(node, lambda: state['t'] > 1.0), 'no /clock from the fixture'
            yield node, clients, procs
        finally:
            for client in clients.values():
                client.destroy()
            destroy_node_and_waitables(node)
            rclpy.shutdown()
    finally:
        for proc in reversed(list(procs.values())):
            proc.stop()
    for name in ('controller_server', 'behavior_server', 'planner_server'):
        assert procs[name].returncode == 0, procs[name].output()


def _run(node, client, goal, timeout_s=60.0):
    handle = wait_future(node, client.send_goal_async(goal), what='goal response')
    assert handle.accepted
    return wait_future(node, handle.get_result_async(), timeout_s=timeout_s, what='result')


def _alive(procs):
    for name, proc in procs.items():
        assert proc.poll() is None, f'{name} died:\n{proc.output()[-3000:]}'


def _pose(x=1.0, y=0.0, q=(0.0, 0.0, 0.0, 1.0), frame='odom'):
    pose = PoseStamped()
    pose.header.frame_id = frame
    pose.pose.position.x, pose.pose.position.y = x, y
    pose.pose.orientation = Quaternion(x=q[0], y=q[1], z=q[2], w=q[3])
    return pose


ODOM_DROP = r'dropped a message on odom: pose\.pose\.\S+ is -?(nan|inf)'
SCAN_DROP = r'dropped a message on scan: (angle_min|range_max) is (nan|inf)'


def _publish_bad_round(node, odom_pub, scan_pub):
    """Thirty odometry messages and thirty scans, each with a NaN or an inf."""
    for i in range(30):
        odom = Odometry()
        odom.pose.pose.orientation.w = 1.0
        if i % 3 == 0:
            odom.pose.pose.position.x = math.nan
        elif i % 3 == 1:
            odom.pose.pose.position.y = math.inf
        else:
            odom.pose.pose.orientation.z = -math.inf
        odom_pub.publish(odom)
        scan = LaserScan(angle_min=math.nan if i % 2 else 0.0, angle_increment=0.01,
                         range_min=0.1, range_max=math.inf if i % 2 == 0 else 10.0,
                         ranges=[1.0, math.nan, math.inf] * 20)
        scan_pub.publish(scan)
        rclpy.spin_once(node, timeout_sec=0.02)


def test_non_finite_odometry_and_scans_kill_no_server_and_goals_are_served_after(rig):
    node, clients, procs = rig
    odom_pub = node.create_publisher(Odometry, 'odom', 10)
    scan_pub = node.create_publisher(LaserScan, 'scan', 10)
    try:
        assert spin_until(node, lambda: odom_pub.get_subscription_count() >= 2
                          and scan_pub.get_subscription_count() >= 3, 10.0)
        # A publisher can match a subscription before that subscription has
        # matched the publisher, and messages sent in between are lost (seen in
        # a fresh-clone run: the planner logged no drop). So the bad messages go
        # out in rounds until every server has logged dropping them.
        # (the planner takes the robot pose from tf, not odom)
        expected = {name: [SCAN_DROP] + ([ODOM_DROP] if name != 'planner_server' else [])
                    for name in ('controller_server', 'behavior_server', 'planner_server')}

        def logged_all():
            return all(re.search(pattern, procs[name].output())
                       for name, patterns in expected.items() for pattern in patterns)

        deadline = time.monotonic() + 20.0
        while not logged_all() and time.monotonic() < deadline:
            _publish_bad_round(node, odom_pub, scan_pub)
            spin_until(node, lambda: False, 0.5)
            _alive(procs)
        for name, patterns in expected.items():
            for pattern in patterns:
                text = procs[name].output()
                assert re.search(pattern, text), f'{name}: no {pattern!r} in\n{text[-2000:]}'
        _alive(procs)
        # they still serve goals
        goal = FollowPath.Goal()
        goal.path.header.frame_id = 'odom'
        goal.path.poses = path_poses(np.array([[0.0, 0.0], [0.5, 0.0], [1.0, 0.0]]), 'odom',
                                     goal.path.header.stamp)
        follow = _run(node, clients['follow_path'], goal)
        assert follow.status == GoalStatus.STATUS_SUCCEEDED, follow.result.error_msg
        spin = _run(node, clients['spin'], Spin.Goal(target_yaw=0.5,
                                                     time_allowance=Duration(sec=10)))
        assert spin.status == GoalStatus.STATUS_SUCCEEDED, spin.result.error_msg
        plan = _run(node, clients['compute_path_to_pose'],
                    ComputePathToPose.Goal(goal=_pose(2.0, 1.5)))
        assert plan.status == GoalStatus.STATUS_SUCCEEDED, plan.result.error_msg
        _alive(procs)
    finally:
        node.destroy_publisher(odom_pub)
        node.destroy_publisher(scan_pub)


S = math.sqrt(0.5)
R = ComputePathToPose.Result


@pytest.mark.parametrize('goal, code, text', [
    (_pose(math.nan), R.GOAL_OUTSIDE_MAP, 'goal.pose.position.x is nan'),
    (_pose(y=math.inf), R.GOAL_OUTSIDE_MAP, 'goal.pose.position.y is inf'),
    (_pose(q=(0.0, 0.0, math.nan, S)), R.UNKNOWN, 'goal.pose.orientation.z is nan'),
    (_pose(q=(0.0, 0.0, 0.0, 0.0)), R.UNKNOWN, 'has norm 0, not 1'),
    (_pose(q=(0.0, 0.0, 0.5, 0.5)), R.UNKNOWN, 'has norm 0.707107, not 1'),
    (_pose(frame=''), R.TF_ERROR, 'goal.header.frame_id is empty'),
])
def test_planner_refuses_malformed_goals_with_nav2_codes(rig, goal, code, text):
    node, clients, procs = rig
    t0 = time.monotonic()
    res = _run(node, clients['compute_path_to_pose'], ComputePathToPose.Goal(goal=goal))
    assert res.status == GoalStatus.STATUS_ABORTED
    assert res.result.error_code == code and text in res.result.error_msg, res.result.error_msg
    assert not res.result.path.poses
    assert time.monotonic() - t0 < 5.0  # refused, not planned nor waited on (load margin)
    _alive(procs)


def test_unknown_frame_fails_within_the_transform_timeout(rig):
    node, clients, _ = rig
    t0 = time.monotonic()
    res = _run(node, clients['compute_path_to_pose'],
               ComputePathToPose.Goal(goal=_pose(frame='nowhere')))
    took = time.monotonic() - t0
    assert res.result.error_code == R.TF_ERROR and 'nowhere' in res.result.error_msg
    # it waited for the transform, then gave up: not the 10 s of old. The upper margin is
    # wide because `took` is a whole action round trip on a loaded machine (3.3 s seen)
    assert TRANSFORM_TIMEOUT_S - 0.05 <= took < TRANSFORM_TIMEOUT_S + 5.0, took


def test_goal_inside_an_obstacle_is_goal_occupied_naming_the_pose(rig):
    node, clients, _ = rig
    res = _run(node, clients['compute_path_to_pose'],
               ComputePathToPose.Goal(goal=_pose(3.02, 0.0)))
    assert res.result.error_code == R.GOAL_OCCUPIED, res.result.error_msg
    assert '(3.02, 0.0)' in res.result.error_msg


def test_controller_and_behaviors_refuse_malformed_goals(rig):
    node, clients, procs = rig
    goal = FollowPath.Goal()
    goal.path.header.frame_id = 'odom'
    goal.path.poses = [_pose(0.0), _pose(0.5, q=(0.0, 0.0, 0.0, 0.0))]
    res = _run(node, clients['follow_path'], goal)
    assert res.result.error_code == FollowPath.Result.INVALID_PATH
    assert 'path.poses[1].pose.orientation' in res.result.error_msg
    goal.path.poses[1] = _pose(math.inf)
    res = _run(node, clients['follow_path'], goal)
    assert res.result.error_code == FollowPath.Result.INVALID_PATH
    assert 'path.poses[1].pose.position.x is inf' in res.result.error_msg
    goal.path.header.frame_id = ''
    goal.path.poses[1] = _pose(0.5)
    res = _run(node, clients['follow_path'], goal)
    assert res.result.error_code == FollowPath.Result.INVALID_PATH
    assert 'frame_id is empty' in res.result.error_msg

    res = _run(node, clients['spin'], Spin.Goal(target_yaw=math.nan))
    assert res.status == GoalStatus.STATUS_ABORTED
    assert res.result.error_code == Spin.Result.UNKNOWN
    assert 'target_yaw is nan' in res.result.error_msg
    res = _run(node, clients['backup'], BackUp.Goal(target=Point(x=-math.inf), speed=0.2))
    assert res.result.error_code == BackUp.Result.INVALID_INPUT
    assert 'target.x is -inf' in res.result.error_msg
    _alive(procs)


TR = ComputePathThroughPoses.Result


def test_path_through_poses_starts_at_the_robot_and_refuses_malformed_goals(rig):
    node, clients, procs = rig
    odom = []
    sub = node.create_subscription(Odometry, 'odom', odom.append, 10)
    try:
        assert spin_until(node, lambda: bool(odom), 10.0)
        res = _run(node, clients['compute_path_through_poses'],
                   ComputePathThroughPoses.Goal(goals=[_pose(1.5, 1.5), _pose(2.0, -1.5)]))
        assert res.status == GoalStatus.STATUS_SUCCEEDED, res.result.error_msg
        p = odom[-1].pose.pose.position
        first = res.result.path.poses[0].pose.position
        assert math.hypot(first.x - p.x, first.y - p.y) < 0.1  # from the robot (tf)
        last = res.result.path.poses[-1].pose.position
        assert (last.x, last.y) == (2.0, -1.5)
    finally:
        node.destroy_subscription(sub)
    for goals, code, text in (
            ([], TR.NO_VIAPOINTS_GIVEN, 'goals is empty'),
            ([_pose(1.0), _pose(y=math.inf)], TR.GOAL_OUTSIDE_MAP,
             'goals[1].pose.position.y is inf'),
            ([_pose(q=(0.0, 0.0, 0.0, 0.0))], TR.UNKNOWN, 'goals[0].pose.orientation'),
            ([_pose(1.0), _pose(frame='')], TR.TF_ERROR, 'goals[1].header.frame_id is empty'),
            ([_pose(1.0), _pose(3.02, 0.0)], TR.GOAL_OCCUPIED, 'goals[1] (3.02, 0.00)')):
        res = _run(node, clients['compute_path_through_poses'],
                   ComputePathThroughPoses.Goal(goals=goals))
        assert res.status == GoalStatus.STATUS_ABORTED
        assert res.result.error_code == code and text in res.result.error_msg, \
            res.result.error_msg
        assert not res.result.path.poses
    _alive(procs)


def test_local_costmap_services(rig):
    node, _, procs = rig
    ctl = procs['controller_server']
    get = node.create_client(GetCostmap, 'local_costmap/get_costmap')
    around = node.create_client(ClearCostmapAroundRobot,
                                'local_costmap/clear_around_local_costmap')
    outside = node.create_client(ClearCostmapExceptRegion,
                                 'local_costmap/clear_except_local_costmap')
    try:
        msg = call(node, get, GetCostmap.Request()).map
        meta = msg.metadata
        assert msg.header.frame_id == 'odom' and meta.layer == 'master'
        assert (meta.size_x, meta.size_y) == (120, 120)  # 6 m at 0.05 m, rolling
        assert math.isclose(meta.resolution, 0.05, rel_tol=1e-6)
        costs = np.frombuffer(bytes(msg.data), dtype=np.uint8).reshape(120, 120)
        # the box the fixture's scan sees is lethal where the window covers it
        xs = meta.origin.position.x + (np.arange(120) + 0.5) * 0.05
        ys = meta.origin.position.y + (np.arange(120) + 0.5) * 0.05
        x0, y0, x1, y1 = BOX
        near_box = ((ys[:, None] > y0 - 0.1) & (ys[:, None] < y1 + 0.1)
                    & (xs[None, :] > x0 - 0.1) & (xs[None, :] < x1 + 0.1))
        assert np.any(costs[near_box] == 254)
        assert not np.any(costs[~near_box] == 254)
        # a bad request: its specs are ignored, as Nav2 does
        odd = GetCostmap.Request()
        odd.specs.resolution = math.inf
        assert call(node, get, odd).map.metadata.size_x == 120
        # bad clear requests clear nothing, say why, kill nothing
        call(node, around, ClearCostmapAroundRobot.Request(reset_distance=-1.0))
        call(node, outside, ClearCostmapExceptRegion.Request(reset_distance=math.nan))
        assert spin_until(node, lambda: 'clear_around_local_costmap: reset_distance is -1.0, '
                          'negative: nothing cleared' in ctl.output() and
                          'clear_except_local_costmap: reset_distance is nan: nothing cleared'
                          in ctl.output(), 5.0), ctl.output()[-2000:]
        # the box is outside a 1 m square around the robot: clear_except forgets it
        # (the fixture's next scan marks it again: the count in the log is the evidence)
        call(node, outside, ClearCostmapExceptRegion.Request(reset_distance=1.0))
        call(node, around, ClearCostmapAroundRobot.Request(reset_distance=1.0))
        assert spin_until(node, lambda: re.search(
            r'local_costmap: [1-9]\d* cells cleared outside the 1 m square', ctl.output()) and
            re.search(r'local_costmap: \d+ cells cleared within the 1 m square',
                      ctl.output()), 5.0), ctl.output()[-2000:]
        _alive(procs)
    finally:
        for cli in (get, around, outside):
            node.destroy_client(cli)


CLIENT = '''
import sys, rclpy
from nav2_msgs.action import FollowPath
from rclpy.action import ActionClient
import numpy as np
from orchestrator_pkg.ros_edge.convert import path_poses
x, y = float(sys.argv[1]), float(sys.argv[2])
rclpy.init()
node = rclpy.create_node('doomed_client')
client = ActionClient(node, FollowPath, 'follow_path')
client.wait_for_server()
goal = FollowPath.Goal()
goal.path.header.frame_id = 'odom'
goal.path.poses = path_poses(np.array([[x, y], [x - 3.0, y], [x - 6.0, y]]), 'odom',
                             goal.path.header.stamp)
future = client.send_goal_async(goal)
rclpy.spin_until_future_complete(node, future)
print('accepted' if future.result().accepted else 'rejected', flush=True)
rclpy.spin(node)
'''


def test_an_orphaned_follow_path_goal_is_ended_by_the_controller(rig, ros_domain_module):
    """SIGKILL the client mid-goal: the controller ends the goal and stops (issue 12).

    A goal is orphaned when none of the follow_path clients in the graph at its
    acceptance is left, so the test's own follow_path client goes first (this
    test runs last in the module).
    """
    node, clients, procs = rig
    clients.pop('follow_path').destroy()
    state = {'odom': None, 'cmds': []}
    odom_sub = node.create_subscription(Odometry, 'odom', lambda m: state.update(odom=m), 10)
    cmd_sub = node.create_subscription(
        Twist, 'cmd_vel_nav', lambda m: state['cmds'].append(
            (time.monotonic(), m.linear.x, m.angular.z)), 50)
    try:
        assert spin_until(node, lambda: state['odom'] is not None, 10.0)
        p = state['odom'].pose.pose.position
        client = ManagedProcess.python('-c', CLIENT, str(p.x), str(p.y),
                                       env=ros_domain_module.env())
        with client:
            assert client.wait_for_output('accepted', TIMEOUT_S), client.output()
            assert spin_until(node, lambda: any(abs(v) > 0.05 or abs(w) > 0.05
                                                for _, v, w in state['cmds'][-5:]), 20.0)
            os.kill(client.pid, signal.SIGKILL)
            killed = time.monotonic()
            assert spin_until(
                node, lambda: 'client of this follow_path goal left' in
                procs['controller_server'].output(), 5.0), procs['controller_server'].output()
            ended = time.monotonic() - killed
            spin_until(node, lambda: False, 0.5)
        moving = [c for c in state['cmds'] if c[0] > killed + ended + 0.1 and
                  (c[1] != 0.0 or c[2] != 0.0)]
        assert not moving, moving[:3]
        assert state['cmds'][-1][1:] == (0.0, 0.0)
        assert ended < 2.5, ended  # the DDS lease (1 s) + the watch (0.1 s) + margin
        print(f'orphaned goal ended {ended:.2f} s after the SIGKILL of its client')
    finally:
        node.destroy_subscription(odom_sub)
        node.destroy_subscription(cmd_sub)

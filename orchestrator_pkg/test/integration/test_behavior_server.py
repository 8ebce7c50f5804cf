"""Real processes: behavior_server spins, backs up, drives on heading and waits a robot.

The kinematic robot fixture starts with a wall 0.30 m to its left (its
corners sweep 0.333 m when it turns), a box 1.0 m behind it and one 1.6 m
ahead, so spin must refuse, a short backup must succeed and a long one stop
before the box; a short drive_on_heading must succeed and a long one stop
before the box ahead. One rig for the module (the cases run in order).
"""
import math

from action_msgs.msg import GoalStatus
from builtin_interfaces.msg import Duration
from geometry_msgs.msg import Point
from nav2_msgs.action import BackUp, DriveOnHeading, Spin, Wait
from nav_helpers import ROBOT, TIMEOUT_S, node_cmd, spin_until, wait_future
from nav_msgs.msg import Odometry
import numpy as np
import pytest
import rclpy
from rclpy.action import ActionClient
from rosgraph_msgs.msg import Clock

from orchestrator_pkg.planning.controller import footprint_points
from orchestrator_pkg.planning.costmap import rectangle_footprint
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.testing.processes import ManagedProcess

BOXES = [(-1.2, -1.0, -1.0, 1.0), (-0.9, 0.30, 1.0, 0.5), (1.6, -1.0, 1.8, 1.0)]
FOOTPRINT = footprint_points(rectangle_footprint(0.508, 0.430), 0.02)


def _touches(x, y, yaw):
    c, s = math.cos(yaw), math.sin(yaw)
    px = x + c * FOOTPRINT[:, 0] - s * FOOTPRINT[:, 1]
    py = y + s * FOOTPRINT[:, 0] + c * FOOTPRINT[:, 1]
    return any(np.any((px >= x0) & (px <= x1) & (py >= y0) & (py <= y1))
               for x0, y0, x1, y1 in BOXES)


@pytest.fixture(scope='module')
def rig(ros_domain_module):
    env = ros_domain_module.env()
    boxes = ';'.join(','.join(str(v) for v in b) for b in BOXES)
    robot = ManagedProcess.python(ROBOT, f'--boxes={boxes}', '--start=0,0,0', env=env)
    server = ManagedProcess(node_cmd('behavior_server', 'use_sim_time:=true'), env=env)
    with robot, server:
        assert robot.wait_for_output('fixture ready', TIMEOUT_S), robot.output()
        assert server.wait_for_output('behavior_server ready', TIMEOUT_S), server.output()
        rclpy.init(domain_id=ros_domain_module.domain_id)
        node = rclpy.create_node('behavior_test_client')
        state = {'poses': [], 't': 0.0}
        node.create_subscription(
            Odometry, 'odom', lambda m: state['poses'].append(
                (m.pose.pose.position.x, m.pose.pose.position.y,
                 2.0 * math.atan2(m.pose.pose.orientation.z, m.pose.pose.orientation.w))), 50)
        node.create_subscription(
            Clock, '/clock', lambda m: state.update(t=m.clock.sec + m.clock.nanosec * 1e-9), 50)
        clients = {name: ActionClient(node, action, name)
                   for name, action in (('spin', Spin), ('backup', BackUp), ('wait', Wait),
                                        ('drive_on_heading', DriveOnHeading))}
        try:
            for client in clients.values():
                assert client.wait_for_server(timeout_sec=TIMEOUT_S)
            assert spin_until(node, lambda: state['t'] > 1.0), 'no /clock from the fixture'
            yield node, clients, state
        finally:
            for client in clients.values():
                client.destroy()
            destroy_node_and_waitables(node)
            rclpy.shutdown()
    assert server.returncode == 0, server.output()


def _run(node, client, goal, timeout_s=60.0, feedback=None):
    handle = wait_future(node, client.send_goal_async(
        goal, feedback_callback=(lambda m: feedback.append(m.feedback.distance_traveled))
        if feedback is not None else None), what='goal response')
    assert handle.accepted
    return wait_future(node, handle.get_result_async(), timeout_s=timeout_s, what='result')


def test_spin_refused_backup_short_then_blocked_and_wait(rig):
    node, clients, state = rig
    spin = _run(node, clients['spin'], Spin.Goal(target_yaw=1.57,
                                                 time_allowance=Duration(sec=10)))
    assert spin.status == GoalStatus.STATUS_ABORTED
    assert spin.result.error_code == Spin.Result.COLLISION_AHEAD
    assert abs(state['poses'][-1][2]) < 0.2

    short = _run(node, clients['backup'], BackUp.Goal(target=Point(x=0.3), speed=0.3,
                                                      time_allowance=Duration(sec=20)))
    assert short.status == GoalStatus.STATUS_SUCCEEDED, short.result.error_msg
    assert state['poses'][-1][0] < -0.28

    far = _run(node, clients['backup'], BackUp.Goal(target=Point(x=2.0), speed=0.3,
                                                    time_allowance=Duration(sec=20)))
    assert far.status == GoalStatus.STATUS_ABORTED
    assert far.result.error_code == BackUp.Result.COLLISION_AHEAD
    assert not [p for p in state['poses'] if _touches(*p)]
    assert state['poses'][-1][0] > -1.0 + 0.254  # stopped short of the box

    bad = _run(node, clients['backup'], BackUp.Goal(target=Point(x=0.3), speed=0.0))
    assert bad.result.error_code == BackUp.Result.INVALID_INPUT

    t0 = state['t']
    wait = _run(node, clients['wait'], Wait.Goal(time=Duration(sec=1)))
    assert wait.status == GoalStatus.STATUS_SUCCEEDED
    elapsed = wait.result.total_elapsed_time
    assert elapsed.sec + elapsed.nanosec * 1e-9 >= 1.0
    # The test's own /clock copy may be a step behind the server's (0.99 s seen).
    assert state['t'] - t0 >= 0.95


def test_drive_on_heading_reaches_its_distance_then_stops_before_the_box_ahead(rig):
    node, clients, state = rig
    x0 = state['poses'][-1][0]
    feedback = []
    short = _run(node, clients['drive_on_heading'], DriveOnHeading.Goal(
        target=Point(x=0.4), speed=0.3, time_allowance=Duration(sec=20)), feedback=feedback)
    assert short.status == GoalStatus.STATUS_SUCCEEDED, short.result.error_msg
    assert short.result.error_code == DriveOnHeading.Result.NONE
    assert state['poses'][-1][0] - x0 > 0.38  # odometry, not the server's word
    assert feedback and 0.0 < max(feedback) <= 0.45

    far = _run(node, clients['drive_on_heading'], DriveOnHeading.Goal(
        target=Point(x=5.0), speed=0.3, time_allowance=Duration(sec=30)))
    assert far.status == GoalStatus.STATUS_ABORTED
    assert far.result.error_code == DriveOnHeading.Result.COLLISION_AHEAD, far.result.error_msg
    assert not [p for p in state['poses'] if _touches(*p)]
    stopped = state['poses'][-1][0]
    print(f'drive_on_heading stopped at x = {stopped:.3f} (box face at 1.6)')
    assert 0.6 < stopped < 1.6 - 0.254, stopped  # went on, stopped short of the box

    x1 = state['poses'][-1][0]
    for goal, words in (
            (DriveOnHeading.Goal(target=Point(x=0.3), speed=-0.2), 'same sign'),
            (DriveOnHeading.Goal(target=Point(x=0.3, y=0.1), speed=0.2), 'target.y is 0.1'),
            (DriveOnHeading.Goal(target=Point(x=0.0), speed=0.2), 'target.x != 0')):
        bad = _run(node, clients['drive_on_heading'], goal)
        assert bad.status == GoalStatus.STATUS_ABORTED
        assert bad.result.error_code == DriveOnHeading.Result.INVALID_INPUT
        assert words in bad.result.error_msg
    assert abs(state['poses'][-1][0] - x1) < 0.01  # a refused goal does not move the robot

    timeout = _run(node, clients['drive_on_heading'], DriveOnHeading.Goal(
        target=Point(x=-0.5), speed=-0.05, time_allowance=Duration(sec=1)))
    assert timeout.status == GoalStatus.STATUS_ABORTED
    assert timeout.result.error_code == DriveOnHeading.Result.TIMEOUT, timeout.result.error_msg

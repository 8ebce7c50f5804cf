"""Real controller_server: the wait for the first odometry, and progress across path updates.

The test node owns /clock (sim time advances 10 ms per 10 ms wall tick) and
publishes odometry itself: a robot that stays where it is, whatever it is told.
"""
from action_msgs.msg import GoalStatus
from geometry_msgs.msg import Twist
from nav2_msgs.action import FollowPath
from nav_helpers import TIMEOUT_S, node_cmd, spin_until, wait_future
from nav_msgs.msg import Odometry, Path
import numpy as np
import pytest
import rclpy
from rclpy.action import ActionClient
from rosgraph_msgs.msg import Clock

from orchestrator_pkg.ros_edge.convert import path_poses
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.testing.processes import ManagedProcess

R = FollowPath.Result
STEP_S = 0.01


class StillRobot:
    """/clock, and (once ``odom_on``) odometry of a robot standing at the origin."""

    def __init__(self, node):
        self.node = node
        self.t = 0.0
        self.odom_on = False
        self.cmds = []  # (sim time, linear.x, angular.z) of cmd_vel_nav
        self._clock = node.create_publisher(Clock, '/clock', 10)
        self._odom = node.create_publisher(Odometry, 'odom', 10)
        node.create_subscription(Twist, 'cmd_vel_nav', self._on_cmd, 50)
        node.create_timer(STEP_S, self._tick)

    def _on_cmd(self, msg):
        self.cmds.append((self.t, msg.linear.x, msg.angular.z))

    def _tick(self):
        self.t += STEP_S
        clock = Clock()
        clock.clock.sec = int(self.t)
        clock.clock.nanosec = int((self.t - int(self.t)) * 1e9)
        self._clock.publish(clock)
        if self.odom_on and round(self.t / STEP_S) % 2 == 0:
            odom = Odometry()
            odom.header.frame_id = 'odom'
            odom.child_frame_id = 'base_link'
            odom.header.stamp = clock.clock
            odom.pose.pose.orientation.w = 1.0
            self._odom.publish(odom)


@pytest.fixture
def start_controller(ros_domain):
    """Return a function starting controller_server (extra ``-p`` overrides) and the test node."""
    started = []

    def start(*overrides):
        ctl = ManagedProcess(node_cmd('controller_server', 'use_sim_time:=true', *overrides),
                             env=ros_domain.env())
        started.append(ctl.start())
        assert ctl.wait_for_output('controller_server ready', TIMEOUT_S), ctl.output()
        rclpy.init(domain_id=ros_domain.domain_id)
        node = rclpy.create_node('controller_startup_test')
        client = ActionClient(node, FollowPath, 'follow_path')
        started.append((node, client))
        robot = StillRobot(node)
        assert client.wait_for_server(timeout_sec=TIMEOUT_S)
        return node, client, robot, ctl
    yield start
    if len(started) == 2:
        node, client = started[1]
        client.destroy()
        destroy_node_and_waitables(node)
        rclpy.shutdown()
    if started:
        assert started[0].stop() == 0, started[0].output()


def _send(node, client, length_m=5.0):
    pts = np.column_stack([np.linspace(0.0, length_m, int(length_m / 0.05) + 1),
                           np.zeros(int(length_m / 0.05) + 1)])
    path = Path()
    path.header.frame_id = 'odom'
    path.poses = path_poses(pts, 'odom', path.header.stamp)
    handle = wait_future(node, client.send_goal_async(FollowPath.Goal(path=path)),
                         what='goal response')
    assert handle.accepted
    return handle


def test_a_goal_before_odometry_waits_standing_then_drives(start_controller):
    node, client, robot, ctl = start_controller('odom_timeout_s:=3.0')
    assert spin_until(node, lambda: robot.t > 0.5)
    handle = _send(node, client)
    t_goal = robot.t
    # no odometry yet: the controller commands zero, cycle after cycle, for a while
    assert spin_until(node, lambda: robot.t > t_goal + 1.0)
    waiting = [c for c in robot.cmds if c[0] >= t_goal]
    assert len(waiting) >= 5, waiting
    assert all(c[1:] == (0.0, 0.0) for c in waiting), waiting
    assert not handle.get_result_async().done()
    # the first odometry arrives within odom_timeout_s: it proceeds and drives
    robot.odom_on = True
    assert spin_until(node, lambda: any(c[1] > 0.0 for c in robot.cmds)), \
        (robot.cmds[-5:], ctl.output()[-2000:])
    cancel = wait_future(node, handle.cancel_goal_async(), what='cancel response')
    assert len(cancel.goals_canceling) == 1
    assert wait_future(node, handle.get_result_async()).status == GoalStatus.STATUS_CANCELED


def test_no_odometry_at_all_fails_with_tf_error_without_moving(start_controller):
    node, client, robot, _ = start_controller('odom_timeout_s:=1.0')
    assert spin_until(node, lambda: robot.t > 0.5)
    handle = _send(node, client)
    t_goal = robot.t
    response = wait_future(node, handle.get_result_async(), what='result')
    assert response.status == GoalStatus.STATUS_ABORTED
    assert response.result.error_code == R.TF_ERROR, response.result.error_msg
    assert 'odometry' in response.result.error_msg
    assert robot.t >= t_goal + 1.0  # it waited odom_timeout_s of sim time first
    assert all(c[1:] == (0.0, 0.0) for c in robot.cmds)


def test_path_updates_do_not_reset_the_progress_checker(start_controller):
    allowance = 3.0
    node, client, robot, ctl = start_controller(f'movement_time_allowance_s:={allowance}',
                                              'odom_timeout_s:=1.0')
    robot.odom_on = True
    assert spin_until(node, lambda: robot.t > 0.5)
    # a new path on the same goal every 1 s of sim time (as the Nav2 tree replans);
    # the robot never moves, so the checker fails allowance after the first path
    handles = [_send(node, client)]
    results = [handles[0].get_result_async()]
    t_first = robot.t

    def any_ended():  # the failure's result may come after a later path was sent (load)
        return results[-1].done() or any(
            result.done() and result.result().result.error_code == R.FAILED_TO_MAKE_PROGRESS
            for result in results)
    while not any_ended():
        t_sent = robot.t
        assert spin_until(node, lambda t=t_sent: robot.t > t + 1.0 or any_ended())
        if any_ended():
            break
        assert robot.t < t_first + 3 * allowance, \
            ('the progress checker never failed', [r.done() and r.result().result.error_code
                                                   for r in results], ctl.output()[-3000:])
        handles.append(_send(node, client, length_m=5.0 + 0.1 * len(handles)))
        results.append(handles[-1].get_result_async())
    responses = [wait_future(node, result) for result in results]
    codes = [r.result.error_code for r in responses]
    assert R.FAILED_TO_MAKE_PROGRESS in codes, codes
    first = codes.index(R.FAILED_TO_MAKE_PROGRESS)
    assert first >= 2, codes  # paths did arrive while the timer ran
    failed = responses[first]
    assert failed.status == GoalStatus.STATUS_ABORTED
    # every goal before it ended as preempted (aborted, not a progress failure); the
    # paths sent while the failure's result was on its way (one or more under load:
    # fresh36, fresh38) are new goals, which the checker rightly times afresh
    assert all(r.status == GoalStatus.STATUS_ABORTED for r in responses[:first]), codes
    # not before the allowance ran out, counted from the first path
    assert robot.t - t_first >= allowance

"""Real processes: controller_server (in odom) follows a path given in map.

map -> odom is not the identity, as with localization: the controller must
transform the path through tf every control cycle. The kinematic robot
fixture integrates cmd_vel_nav into odom and owns /clock; this test publishes
map -> odom on tf (and changes it mid-goal, as a localization correction
does) and checks where the robot ends in odom.
"""
import math

from action_msgs.msg import GoalStatus
from geometry_msgs.msg import TransformStamped
from nav2_msgs.action import FollowPath
from nav_helpers import ROBOT, TIMEOUT_S, node_cmd, spin_until, wait_future
from nav_msgs.msg import Odometry, Path
import numpy as np
import pytest
import rclpy
from rclpy.action import ActionClient
from rosgraph_msgs.msg import Clock
from tf2_msgs.msg import TFMessage

from orchestrator_pkg.planning.frames import compose, invert, transform_points
from orchestrator_pkg.ros_edge.convert import path_poses, yaw_to_quaternion
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.testing.processes import ManagedProcess
from orchestrator_pkg.testing.ros_domain import claim_domain

MAP_TO_ODOM = (1.0, 2.0, 0.5)  # odom's pose in map: far from the identity
SHIFT = (0.0, 0.8, 0.0)         # a correction: odom moves 0.8 m along its own y in map
TRANSFORM_TIMEOUT_S = 1.0


class Rig:
    """Spins a client node: odom poses, /clock, and map -> odom on tf at 20 Hz (wall)."""

    def __init__(self, node):
        self.node = node
        self.poses = []
        self.sim_t = 0.0
        self.map_to_odom = MAP_TO_ODOM
        self.tf = node.create_publisher(TFMessage, 'tf', 10)
        node.create_subscription(Odometry, 'odom', self._odom, 50)
        node.create_subscription(Clock, '/clock', self._clock, 50)
        node.create_timer(0.05, self._publish_tf)

    def _clock(self, msg):
        self.sim_t = msg.clock.sec + msg.clock.nanosec * 1e-9

    def _odom(self, msg):
        p = msg.pose.pose
        self.poses.append((p.position.x, p.position.y,
                           2.0 * math.atan2(p.orientation.z, p.orientation.w)))

    def _publish_tf(self):
        t = TransformStamped()
        t.header.frame_id, t.child_frame_id = 'map', 'odom'
        t.transform.translation.x, t.transform.translation.y = self.map_to_odom[:2]
        t.transform.rotation = yaw_to_quaternion(self.map_to_odom[2])
        self.tf.publish(TFMessage(transforms=[t]))


@pytest.fixture(scope='module')
def rig():
    with claim_domain() as claim:
        yield from _rig(claim)


def _rig(ros_domain):
    env = ros_domain.env()
    robot = ManagedProcess.python(ROBOT, '--start=0,0,0', env=env)
    ctl = ManagedProcess(node_cmd('controller_server', 'use_sim_time:=true',
                                  'desired_linear_vel:=0.8',
                                  f'transform_timeout_s:={TRANSFORM_TIMEOUT_S}'), env=env)
    with robot, ctl:
        assert robot.wait_for_output('fixture ready', TIMEOUT_S), robot.output()
        assert ctl.wait_for_output('controller_server ready', TIMEOUT_S), ctl.output()
        rclpy.init(domain_id=ros_domain.domain_id)
        node = rclpy.create_node('controller_map_frame_test')
        rig = Rig(node)
        client = ActionClient(node, FollowPath, 'follow_path')
        try:
            assert client.wait_for_server(timeout_sec=TIMEOUT_S)
            assert spin_until(node, lambda: rig.sim_t > 1.0 and rig.poses), 'no /clock or odom'
            yield rig, client, ctl
        finally:
            client.destroy()
            destroy_node_and_waitables(node)
            rclpy.shutdown()
    assert ctl.returncode == 0, ctl.output()


def _send(rig, client, points, frame):
    path = Path()
    path.header.frame_id = frame
    path.poses = path_poses(np.asarray(points), frame, path.header.stamp)
    handle = wait_future(rig.node, client.send_goal_async(FollowPath.Goal(path=path)),
                         what='goal response')
    assert handle.accepted
    return handle


def test_follows_a_map_path_through_a_changing_map_to_odom(rig):
    rig, client, ctl = rig
    x0, y0, _ = rig.poses[-1]
    # a straight 4 m line in odom (away from anything), given to the controller in map
    line_odom = np.column_stack([np.linspace(x0, x0 - 4.0, 81), np.full(81, y0)])
    line_map = transform_points(MAP_TO_ODOM, line_odom)
    assert np.min(np.hypot(*(line_map - line_odom).T)) > 1.0  # the frames really differ
    handle = _send(rig, client, line_map, 'map')
    # after a metre, localization corrects map -> odom: the same map path now lies
    # 0.8 m to the side in odom, and the robot must follow it there
    assert spin_until(rig.node, lambda: rig.poses[-1][0] < x0 - 1.0, timeout_s=60.0), \
        ('the robot never got going', ctl.output()[-2000:])
    rig.map_to_odom = compose(MAP_TO_ODOM, SHIFT)
    response = wait_future(rig.node, handle.get_result_async(), timeout_s=120.0,
                           what='result')
    assert response.status == GoalStatus.STATUS_SUCCEEDED, (response.result.error_msg,
                                                            ctl.output()[-2000:])
    goal_odom = transform_points(invert(rig.map_to_odom), line_map[-1:])[0]
    x, y, _ = rig.poses[-1]
    assert math.hypot(x - goal_odom[0], y - goal_odom[1]) <= 0.3, (x, y, goal_odom)
    # where the unchanged transform would have put the end: 0.8 m away
    assert math.hypot(x - line_odom[-1, 0], y - line_odom[-1, 1]) >= 0.5, (x, y)


def test_a_path_in_an_unknown_frame_fails_with_tf_error_naming_both_frames(rig):
    rig, client, _ = rig
    x0, y0, _ = rig.poses[-1]
    handle = _send(rig, client, [(x0 - 0.5 * i, y0) for i in range(5)], 'elsewhere')
    t_sent = rig.sim_t
    response = wait_future(rig.node, handle.get_result_async(), what='result')
    assert response.status == GoalStatus.STATUS_ABORTED
    assert response.result.error_code == FollowPath.Result.TF_ERROR
    assert "'elsewhere'" in response.result.error_msg and "'odom'" in response.result.error_msg
    # it waited transform_timeout_s standing still, no longer than needed
    assert rig.sim_t - t_sent >= TRANSFORM_TIMEOUT_S * 0.9
    x, y, _ = rig.poses[-1]
    assert math.hypot(x - x0, y - y0) < 0.05

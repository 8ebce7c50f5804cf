"""Nav2's other navigate-to-pose trees, unmodified, run end to end against the fixture servers.

One navigator and one fixture-server process serve every case; each goal
names its tree file through NavigateToPose's ``behavior_tree`` field.
"""
import os

from action_msgs.msg import GoalStatus
from geometry_msgs.msg import PoseStamped
from nav2_msgs.action import NavigateToPose
import pytest
import rclpy
from rclpy.action import ActionClient

from orchestrator_interfaces.action import ExecuteMission
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.ros_edge.waiting import spin_until, wait_future
from orchestrator_pkg.testing.processes import ManagedProcess
from orchestrator_pkg.testing.ros_domain import claim_domain

TIMEOUT_S = 40.0
TREES = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', 'data',
                                     'nav2_jazzy_trees'))
TO_POSE_TREES = [
    'navigate_w_replanning_distance.xml',            # DistanceController
    'navigate_w_replanning_speed.xml',               # SpeedController
    'navigate_w_replanning_time.xml',
    'navigate_w_replanning_only_if_goal_is_updated.xml',   # GoalUpdatedController
    'navigate_w_replanning_only_if_path_becomes_invalid.xml',  # IsPathValid, GlobalUpdatedGoal
    'navigate_w_recovery_and_replanning_only_if_path_becomes_invalid.xml',
    'nav_to_pose_with_consistent_replanning_and_if_path_becomes_invalid.xml',  # PathExpiringTimer
    'navigate_to_pose_w_replanning_goal_patience_and_recovery.xml',  # PathLongerOnApproach
]


@pytest.fixture(scope='module')
def world():
    with claim_domain() as claim:
        env = claim.env()
        servers = ManagedProcess.python('-m', 'orchestrator_pkg.testing.nav_fixture_servers',
                                        '--follow-s', '0.6', '--behavior-s', '0.05', env=env)
        navigator = ManagedProcess.python('-m', 'orchestrator_pkg.nodes.navigator_node',
                                          env=env)
        orchestrator = ManagedProcess.python('-m', 'orchestrator_pkg.nodes.orchestrator_node',
                                             env=env)
        with servers, navigator, orchestrator:
            assert servers.wait_for_output('nav fixture ready', TIMEOUT_S), servers.output()
            assert navigator.wait_for_output('navigator ready', TIMEOUT_S), navigator.output()
            assert orchestrator.wait_for_output('orchestrator ready', TIMEOUT_S), \
                orchestrator.output()
            rclpy.init(domain_id=claim.domain_id)
            node = rclpy.create_node('nav2_trees_client')
            client = ActionClient(node, NavigateToPose, 'navigate_to_pose')
            try:
                assert client.wait_for_server(timeout_sec=TIMEOUT_S)
                yield node, client, servers, navigator
            finally:
                client.destroy()
                destroy_node_and_waitables(node)
                rclpy.shutdown()
        assert navigator.returncode == 0, navigator.output()


def goal_for(tree):
    goal = NavigateToPose.Goal(behavior_tree=os.path.join(TREES, tree))
    goal.pose = PoseStamped()
    goal.pose.header.frame_id = 'map'
    goal.pose.pose.position.x = 2.0
    goal.pose.pose.orientation.w = 1.0
    return goal


@pytest.mark.parametrize('tree', TO_POSE_TREES)
def test_nav2_tree_reaches_the_goal(world, tree):
    node, client, servers, navigator = world
    follows = servers.output().count('EVENT follow_path succeeded')
    handle = wait_future(node, client.send_goal_async(goal_for(tree)), TIMEOUT_S)
    assert handle.accepted
    response = wait_future(node, handle.get_result_async(), TIMEOUT_S)
    assert response.status == GoalStatus.STATUS_SUCCEEDED, \
        response.result.error_msg + navigator.output()[-2000:]
    assert servers.output().count('EVENT follow_path succeeded') > follows


def test_follow_point_runs_until_canceled(world):
    node, client, servers, _ = world
    goals = servers.output().count('EVENT follow_path goal')
    handle = wait_future(node, client.send_goal_async(goal_for('follow_point.xml')), TIMEOUT_S)
    # KeepRunningUntilFailure keeps following: it never succeeds, so cancel it
    assert spin_until(node, lambda: servers.output().count('EVENT follow_path succeeded') >= 1
                      and servers.output().count('EVENT follow_path goal') > goals + 1,
                      TIMEOUT_S), servers.output()[-1500:]
    wait_future(node, handle.cancel_goal_async(), TIMEOUT_S)
    response = wait_future(node, handle.get_result_async(), TIMEOUT_S)
    assert response.status == GoalStatus.STATUS_CANCELED


def test_odometry_calibration_runs_as_a_mission(world):
    """Nav2's DriveOnHeading square (Repeat 3 x 4 sides), run by execute_mission."""
    node, _, servers, _ = world
    client = ActionClient(node, ExecuteMission, 'execute_mission')
    try:
        assert client.wait_for_server(timeout_sec=TIMEOUT_S)
        with open(os.path.join(TREES, 'odometry_calibration.xml'), encoding='utf-8') as f:
            xml = f.read()
        drives = servers.output().count('EVENT drive_on_heading succeeded')
        handle = wait_future(node, client.send_goal_async(ExecuteMission.Goal(tree_xml=xml)),
                             TIMEOUT_S)
        result = wait_future(node, handle.get_result_async(), 2 * TIMEOUT_S).result
        assert result.outcome == ExecuteMission.Result.SUCCEEDED, result.failure.message
        assert servers.output().count('EVENT drive_on_heading succeeded') - drives == 12
    finally:
        client.destroy()

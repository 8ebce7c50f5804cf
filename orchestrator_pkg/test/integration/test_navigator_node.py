"""navigate_to_pose end to end: Nav2's own default tree against fixture Nav2 servers.

The navigator runs navigate_to_pose_w_replanning_and_recovery.xml unmodified;
the fixture servers (another process) plan, follow, spin, wait, back up and
clear costmaps, with scripted outcomes.
"""
import math
import os
import signal
import time

from action_msgs.msg import GoalStatus
from geometry_msgs.msg import PoseStamped
from nav2_msgs.action import NavigateToPose
from nav2_msgs.msg import BehaviorTreeLog
import pytest
import rclpy
from rclpy.action import ActionClient

from orchestrator_pkg import nav2_codes
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.ros_edge.waiting import spin_until, wait_future
from orchestrator_pkg.testing.processes import ManagedProcess

TIMEOUT_S = 40.0


@pytest.fixture
def navigation(ros_domain):
    """Start the navigator and fixture servers (with ``options``); yield a client harness."""
    started = []

    def start(*fixture_options):
        servers = ManagedProcess.python('-m', 'orchestrator_pkg.testing.nav_fixture_servers',
                                        *fixture_options, env=ros_domain.env()).start()
        started.append(servers)
        navigator = ManagedProcess.python('-m', 'orchestrator_pkg.nodes.navigator_node',
                                          env=ros_domain.env()).start()
        started.append(navigator)
        assert servers.wait_for_output('nav fixture ready', TIMEOUT_S), servers.output()
        assert navigator.wait_for_output('navigator ready', TIMEOUT_S), navigator.output()
        rclpy.init(domain_id=ros_domain.domain_id)
        node = rclpy.create_node('navigate_client')
        client = ActionClient(node, NavigateToPose, 'navigate_to_pose')
        assert client.wait_for_server(timeout_sec=TIMEOUT_S)
        resources.extend([client, node])
        return node, client, servers, navigator
    resources = []
    try:
        yield start
    finally:
        if resources:
            try:
                resources[0].destroy()
            except (ValueError, RuntimeError):
                pass  # the test destroyed its client already
            destroy_node_and_waitables(resources[1])
            rclpy.shutdown()
        for proc in reversed(started):
            proc.stop()
        for proc in started:
            assert proc.returncode == 0, proc.output()


def send(node, client, x, y, feedback, behavior_tree=''):
    goal = NavigateToPose.Goal()
    goal.behavior_tree = behavior_tree
    goal.pose = PoseStamped()
    goal.pose.header.frame_id = 'map'
    goal.pose.pose.position.x, goal.pose.pose.position.y = x, y
    goal.pose.pose.orientation.w = 1.0
    handle = wait_future(node, client.send_goal_async(
        goal, feedback_callback=lambda m: feedback.append(m.feedback)), TIMEOUT_S)
    assert handle.accepted
    return handle


def test_navigate_to_pose_succeeds(navigation):
    node, client, servers, _ = navigation('--follow-s', '1.0')
    feedback = []
    response = wait_future(node, send(node, client, 2.0, 1.0, feedback).get_result_async(),
                           TIMEOUT_S)
    assert response.status == GoalStatus.STATUS_SUCCEEDED, response.result.error_msg
    assert response.result.error_code == 0
    out = servers.output()
    assert 'EVENT compute_path_to_pose goal' in out and 'EVENT follow_path succeeded' in out
    assert 'EVENT spin goal' not in out
    assert feedback, 'no feedback'
    assert feedback[-1].current_pose.pose.position.x == pytest.approx(0.5)  # in map
    assert feedback[-1].distance_remaining > 0.0
    assert feedback[-1].number_of_recoveries == 0


def test_behavior_tree_log_shows_the_trees_transitions_as_nav2s_does(navigation):
    node, client, _, _ = navigation('--follow-s', '1.0')
    logs = []
    node.create_subscription(BehaviorTreeLog, 'behavior_tree_log', logs.append, 10)
    assert spin_until(node, lambda: node.count_publishers('/behavior_tree_log') > 0, TIMEOUT_S)
    response = wait_future(node, send(node, client, 2.0, 1.0, []).get_result_async(), TIMEOUT_S)
    assert response.status == GoalStatus.STATUS_SUCCEEDED, response.result.error_msg
    spin_until(node, lambda: any(e.node_name == 'NavigateRecovery' and
                                 e.current_status == 'SUCCESS'
                                 for log in logs for e in log.event_log), 5.0)
    events = [(e.node_name, e.previous_status, e.current_status)
              for log in logs for e in log.event_log]
    # Nav2's tree (navigate_to_pose_w_replanning_and_recovery.xml), by its node names
    assert ('NavigateRecovery', 'IDLE', 'RUNNING') in events, events[:20]
    assert ('ComputePathToPose', 'IDLE', 'RUNNING') in events, events[:20]
    assert ('FollowPath', 'RUNNING', 'SUCCESS') in events, events
    assert ('NavigateRecovery', 'RUNNING', 'SUCCESS') in events, events[-20:]
    statuses = {s for _, before, after in events for s in (before, after)}
    assert statuses <= {'IDLE', 'RUNNING', 'SUCCESS', 'FAILURE'}, statuses
    uids = {(e.node_name, e.uid) for log in logs for e in log.event_log}
    assert len({uid for _, uid in uids}) == len(uids), 'a uid named two nodes'


def test_planner_error_code_reaches_the_result(navigation):
    node, client, servers, _ = navigation('--plan-error', '206')  # GOAL_OCCUPIED
    response = wait_future(node, send(node, client, 2.0, 1.0, []).get_result_async(),
                           TIMEOUT_S)
    assert response.status == GoalStatus.STATUS_ABORTED
    assert response.result.error_code == 206
    assert 'compute_path_error_code=206' in response.result.error_msg
    # the planner's own words reach the caller
    assert ('last server error: ComputePathToPose "ComputePathToPose" error 206: '
            'fixture planner told to fail with 206') in response.result.error_msg
    out = servers.output()
    assert 'EVENT compute_path_to_pose aborted' in out
    # GOAL_OCCUPIED is not one a planner recovery helps with: no recoveries ran
    assert 'EVENT spin goal' not in out and 'clear_entirely_global_costmap call' not in out


KILTED_STYLE_TREE = """<root BTCPP_format="4"><BehaviorTree ID="T"><Sequence>
  <ComputePathToPose goal="{goal}" path="{path}" planner_id="GridBased"
      error_code_id="{compute_path_error_code}" error_msg="{compute_path_error_msg}"/>
  <ForceSuccess><FollowPath path="{path}" controller_id="FollowPath"
      error_code_id="{follow_path_error_code}" error_msg="{follow_path_error_msg}"/></ForceSuccess>
  <Spin spin_dist="1.57" error_code_id="{spin_error_code}" error_msg="{spin_error_msg}"/>
</Sequence></BehaviorTree></root>"""


def test_the_lowest_error_code_wins_with_its_message_as_kilted_reports_it(navigation,
                                                                           tmp_path):
    # the controller's 105 and the spin's 703 are both on the blackboard: Nav2 reports
    # the lower (the more specific), with its <prefix>_error_msg (Kilted's prefixes)
    tree = tmp_path / 'kilted_style.xml'
    tree.write_text(KILTED_STYLE_TREE)
    node, client, servers, _ = navigation('--follow-error', '105', '--spin-error', '703')
    response = wait_future(
        node, send(node, client, 2.0, 1.0, [], str(tree)).get_result_async(), TIMEOUT_S)
    assert response.status == GoalStatus.STATUS_ABORTED
    assert 'EVENT spin goal' in servers.output()  # the spin ran and failed too
    assert response.result.error_code == 105, response.result.error_msg
    assert response.result.error_msg.startswith(
        'follow_path_error_code=105 (fixture controller told to fail with 105); '), \
        response.result.error_msg


def test_a_missing_server_is_named_in_the_result(navigation, tmp_path):
    # a tree whose controller is not there: the result names the server, not a bare code
    tree = tmp_path / 'absent_controller.xml'
    tree.write_text('<root BTCPP_format="4"><BehaviorTree ID="T"><Sequence>'
                    '<ComputePathToPose goal="{goal}" path="{path}" planner_id="GridBased"/>'
                    '<FollowPath path="{path}" controller_id="FollowPath" '
                    'server_name="no_such_follow_path" server_timeout="10"/>'
                    '</Sequence></BehaviorTree></root>')
    node, client, _, _ = navigation()
    response = wait_future(
        node, send(node, client, 2.0, 1.0, [], str(tree)).get_result_async(), TIMEOUT_S)
    assert response.status == GoalStatus.STATUS_ABORTED
    assert 'action server /no_such_follow_path not available after' in \
        response.result.error_msg, response.result.error_msg


def test_a_tree_that_does_not_load_is_failed_to_load_behavior_tree(navigation, tmp_path):
    # Jazzy's nav2_msgs has no constant for it: the navigator reports Kilted's value
    bad = tmp_path / 'bad.xml'
    bad.write_text('<root BTCPP_format="4"><BehaviorTree ID="T"><NoSuchNode/>'
                   '</BehaviorTree></root>')
    node, client, _, _ = navigation()
    response = wait_future(node, send(node, client, 1.0, 0.0, [], str(bad)).get_result_async(),
                           TIMEOUT_S)
    assert response.status == GoalStatus.STATUS_ABORTED
    assert response.result.error_code == nav2_codes.NAVIGATE_TO_POSE.FAILED_TO_LOAD_BEHAVIOR_TREE
    assert 'unknown node type "NoSuchNode"' in response.result.error_msg
    assert f'{bad}:1' in response.result.error_msg


def test_cancel_cancels_the_controller_goal(navigation):
    node, client, servers, _ = navigation('--follow-s', '60')
    handle = send(node, client, 2.0, 1.0, [])
    assert spin_until(node, lambda: 'EVENT follow_path goal' in servers.output(), TIMEOUT_S)
    wait_future(node, handle.cancel_goal_async(), TIMEOUT_S)
    response = wait_future(node, handle.get_result_async(), TIMEOUT_S)
    assert response.status == GoalStatus.STATUS_CANCELED
    assert spin_until(node, lambda: 'EVENT follow_path canceled' in servers.output(),
                      TIMEOUT_S), servers.output()


def test_navigate_through_poses_runs_nav2s_tree(navigation):
    from nav2_msgs.action import NavigateThroughPoses
    node, _, servers, _ = navigation('--follow-s', '1.0')
    client = ActionClient(node, NavigateThroughPoses, 'navigate_through_poses')
    try:
        assert client.wait_for_server(timeout_sec=TIMEOUT_S)
        goal = NavigateThroughPoses.Goal()
        for x, y in ((1.0, 0.0), (2.0, 1.0), (3.0, 1.0)):
            pose = PoseStamped()
            pose.header.frame_id = 'map'
            pose.pose.position.x, pose.pose.position.y = x, y
            goal.poses.append(pose)
        feedback = []
        handle = wait_future(node, client.send_goal_async(
            goal, feedback_callback=lambda m: feedback.append(m.feedback)), TIMEOUT_S)
        assert handle.accepted
        response = wait_future(node, handle.get_result_async(), TIMEOUT_S)
        assert response.status == GoalStatus.STATUS_SUCCEEDED, response.result.error_msg
        assert 'EVENT compute_path_through_poses goal' in servers.output()
        assert 'EVENT compute_path_to_pose goal' not in servers.output()
        # tf puts the robot at x=0.5 in map: RemovePassedGoals (radius 0.7) drops (1, 0)
        assert feedback and feedback[-1].number_of_poses_remaining == 2
    finally:
        client.destroy()


def test_a_new_goal_preempts_the_running_one(navigation):
    from nav2_msgs.action import NavigateThroughPoses
    node, client, servers, navigator = navigation('--follow-s', '60')
    first = send(node, client, 2.0, 1.0, [])
    assert spin_until(node, lambda: 'EVENT follow_path goal' in servers.output(), TIMEOUT_S)
    # the same action and tree: the old goal is aborted, the running tree goes on
    second = send(node, client, 3.0, 1.0, [])
    response = wait_future(node, first.get_result_async(), TIMEOUT_S)
    assert response.status == GoalStatus.STATUS_ABORTED
    assert response.result.error_code == nav2_codes.NAVIGATE_TO_POSE.UNKNOWN
    assert response.result.error_msg == 'preempted by a new goal'
    assert navigator.output().count('navigating with') == 1  # not loaded again
    assert 'EVENT follow_path cancel' not in servers.output()
    # the other action: the tree is halted (its controller goal canceled), another starts
    through = ActionClient(node, NavigateThroughPoses, 'navigate_through_poses')
    try:
        assert through.wait_for_server(timeout_sec=TIMEOUT_S)
        goal = NavigateThroughPoses.Goal()
        pose = PoseStamped()
        pose.header.frame_id = 'map'
        pose.pose.position.x, pose.pose.position.y = 3.0, 2.0
        goal.poses.append(pose)
        third = wait_future(node, through.send_goal_async(goal), TIMEOUT_S)
        assert third.accepted
        response = wait_future(node, second.get_result_async(), TIMEOUT_S)
        assert response.status == GoalStatus.STATUS_ABORTED
        assert response.result.error_code == nav2_codes.NAVIGATE_TO_POSE.UNKNOWN
        assert response.result.error_msg == 'preempted by a new goal with another behavior tree'
        assert spin_until(node, lambda: 'EVENT follow_path canceled' in servers.output() and
                          'EVENT compute_path_through_poses goal' in servers.output(), TIMEOUT_S)
        assert navigator.output().count('navigating with') == 2
        wait_future(node, third.cancel_goal_async(), TIMEOUT_S)
        response = wait_future(node, third.get_result_async(), TIMEOUT_S)
        assert response.status == GoalStatus.STATUS_CANCELED
        assert response.result.error_code == 0 and response.result.error_msg == 'canceled'
    finally:
        through.destroy()


def test_pause_and_resume_as_the_orchestrators(navigation):
    from std_srvs.srv import Trigger
    node, client, servers, _ = navigation('--follow-s', '60')
    handle = send(node, client, 2.0, 1.0, [])
    assert spin_until(node, lambda: 'EVENT follow_path goal' in servers.output(), TIMEOUT_S)

    def trigger(name):
        service = node.create_client(Trigger, f'/bt_navigator/{name}')
        assert service.wait_for_service(timeout_sec=TIMEOUT_S)
        return wait_future(node, service.call_async(Trigger.Request()), TIMEOUT_S)
    paused = trigger('pause')
    assert paused.success and 'halted' in paused.message, paused.message
    assert spin_until(node, lambda: 'EVENT follow_path canceled' in servers.output(), TIMEOUT_S)
    assert not trigger('pause').success  # already paused
    goals = servers.output().count('EVENT follow_path goal')
    assert trigger('resume').success
    assert spin_until(node, lambda: servers.output().count('EVENT follow_path goal') > goals,
                      TIMEOUT_S)  # the controller goal is sent again
    wait_future(node, handle.cancel_goal_async(), TIMEOUT_S)
    assert wait_future(node, handle.get_result_async(), TIMEOUT_S).status == \
        GoalStatus.STATUS_CANCELED


@pytest.mark.parametrize('field, value, code, text', [
    ('x', math.nan, nav2_codes.NAVIGATE_TO_POSE.UNKNOWN, 'pose.pose.position.x is nan'),
    ('frame', '', nav2_codes.NAVIGATE_TO_POSE.TF_ERROR, 'pose.header.frame_id is empty'),
    ('w', 0.0, nav2_codes.NAVIGATE_TO_POSE.UNKNOWN, 'has norm 0, not 1'),
    ('w', 2.0, nav2_codes.NAVIGATE_TO_POSE.UNKNOWN, 'has norm 2, not 1'),
])
def test_a_malformed_goal_is_refused_with_a_code_naming_the_value(navigation, field, value,
                                                                  code, text):
    # issue 12: a NaN quaternion ran until canceled at 90 s, turning the robot around
    node, client, servers, _ = navigation('--follow-s', '1.0')
    goal = NavigateToPose.Goal()
    goal.pose.header.frame_id = 'map'
    goal.pose.pose.orientation.w = 1.0
    if field == 'x':
        goal.pose.pose.position.x = value
    elif field == 'frame':
        goal.pose.header.frame_id = value
    else:
        goal.pose.pose.orientation.w = value
    handle = wait_future(node, client.send_goal_async(goal), TIMEOUT_S)
    response = wait_future(node, handle.get_result_async(), TIMEOUT_S)
    assert response.status == GoalStatus.STATUS_ABORTED
    assert response.result.error_code == code
    assert text in response.result.error_msg, response.result.error_msg
    assert 'EVENT compute_path_to_pose goal' not in servers.output()


ORPHAN_CLIENT = '''
import rclpy
from nav2_msgs.action import NavigateToPose
from nav2_msgs.msg import BehaviorTreeLog
from rclpy.action import ActionClient
rclpy.init()
node = rclpy.create_node('doomed_navigate_client')
client = ActionClient(node, NavigateToPose, 'navigate_to_pose')
client.wait_for_server()
goal = NavigateToPose.Goal()
goal.pose.header.frame_id = 'map'
goal.pose.pose.position.x = 2.0
goal.pose.pose.orientation.w = 1.0
future = client.send_goal_async(goal)
rclpy.spin_until_future_complete(node, future)
print('accepted' if future.result().accepted else 'rejected', flush=True)
rclpy.spin(node)
'''


@pytest.mark.parametrize('reported', [False, True], ids=['lease', 'exit_report'])
def test_the_goal_of_a_killed_client_is_ended_with_its_controller_goal(
        navigation, ros_domain, reported):
    """SIGKILL the navigate_to_pose client mid-goal: the navigator halts (issue 12).

    Found by the DDS lease (1 s) alone, or at once when an exit report on
    /diagnostics says so (as ``orchestrator run``'s runner sends).
    """
    from orchestrator_pkg.ros_edge import graph
    node, client, servers, navigator = navigation('--follow-s', '60')
    client.destroy()  # the test's own client would keep the goal's clients alive
    reports = node.create_publisher(type(graph.exit_report('/x', 0)), graph.DIAGNOSTICS_TOPIC,
                                    graph.EXIT_QOS)
    with ManagedProcess.python('-c', ORPHAN_CLIENT, env=ros_domain.env()) as doomed:
        assert doomed.wait_for_output('accepted', TIMEOUT_S), doomed.output()
        assert spin_until(node, lambda: 'EVENT follow_path goal' in servers.output(), TIMEOUT_S)
        os.kill(doomed.pid, signal.SIGKILL)
        killed = time.monotonic()
        if reported:
            reports.publish(graph.exit_report('/doomed_navigate_client', -9))
        assert spin_until(node, lambda: 'EVENT follow_path canceled' in servers.output(),
                          10.0), servers.output()
        took = time.monotonic() - killed
    assert 'left the ROS graph' in navigator.output()
    # the lease (1 s) + the watch (0.1 s) + margin; with the report, no lease
    assert took < (0.6 if reported else 2.5), took
    print(f'orphaned navigate_to_pose goal halted {took:.2f} s after the SIGKILL'
          + (' (exit report)' if reported else ''))

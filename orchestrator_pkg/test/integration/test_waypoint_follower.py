"""Real processes: waypoint_follower and bt_navigator's goal_pose, over the fixture servers.

One rig for the module: the fixture Nav2 servers (a goal beyond x = 50 is
outside their map: GOAL_OUTSIDE_MAP 204; a path ending beyond y = 50 takes
60 s to follow), the navigator (Nav2's own tree) and the waypoint follower,
both as real nodes. The fixture prints every plan's goal
(``EVENT compute_path_to_pose to=x,y``), which tells which waypoint the
navigator was sent to, and in what order.
"""
import math
import os
import re
import signal
import time

from action_msgs.msg import GoalStatus
from geometry_msgs.msg import PoseStamped
from nav2_msgs.action import ComputePathToPose, FollowWaypoints
from nav_helpers import node_cmd
import pytest
from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import SetParameters
import rclpy
from rclpy.action import ActionClient

from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.ros_edge.waiting import spin_until, wait_future
from orchestrator_pkg.testing.processes import ManagedProcess

TIMEOUT_S = 40.0
OUTSIDE = 60.0  # beyond the fixture map's x = 50
SLOW_Y = 60.0  # a path ending here takes 60 s


@pytest.fixture(scope='module')
def rig(ros_domain_module):
    env = ros_domain_module.env()
    servers = ManagedProcess.python(
        '-m', 'orchestrator_pkg.testing.nav_fixture_servers', '--follow-s', '0.3',
        '--outside-map-x', '50', '--slow-y', '50', env=env)
    navigator = ManagedProcess.python('-m', 'orchestrator_pkg.nodes.navigator_node', env=env)
    follower = ManagedProcess(node_cmd('waypoint_follower'), env=env)
    with servers, navigator, follower:
        assert servers.wait_for_output('nav fixture ready', TIMEOUT_S), servers.output()
        assert navigator.wait_for_output('navigator ready', TIMEOUT_S), navigator.output()
        assert follower.wait_for_output('waypoint_follower ready', TIMEOUT_S), follower.output()
        rclpy.init(domain_id=ros_domain_module.domain_id)
        node = rclpy.create_node('waypoint_test_client')
        client = ActionClient(node, FollowWaypoints, 'follow_waypoints')
        goal_pub = node.create_publisher(PoseStamped, 'goal_pose', 10)
        params = node.create_client(SetParameters, 'waypoint_follower/set_parameters')
        try:
            assert client.wait_for_server(timeout_sec=TIMEOUT_S)
            state = {'node': node, 'client': client, 'goal_pub': goal_pub, 'params': params,
                   'servers': servers, 'navigator': navigator, 'follower': follower,
                     'killed': set()}
            yield state
        finally:
            client.destroy()
            destroy_node_and_waitables(node)
            rclpy.shutdown()
    for name, proc in (('servers', servers), ('navigator', navigator),
                       ('follower', follower)):
        if name not in state['killed']:
            assert proc.returncode == 0, proc.output()


def _pose(x, y, frame='map'):
    pose = PoseStamped()
    pose.header.frame_id = frame
    pose.pose.position.x, pose.pose.position.y = float(x), float(y)
    pose.pose.orientation.w = 1.0
    return pose


def _plans(output: str, since: int = 0):
    """Return the plan goals (x, y) the fixture was asked for, in order, after ``since``."""
    return [(float(x), float(y)) for x, y in
            re.findall(r'EVENT compute_path_to_pose to=([-\d.e+]+),([-\d.e+]+) ', output[since:])]


def _first_seen(plans):
    """``plans`` with repeats (replanning) folded: each goal once, in first-seen order."""
    out = []
    for p in plans:
        if not out or out[-1] != p:
            out.append(p)
    return out


def _follow(rig, poses, feedback=None, **fields):
    goal = FollowWaypoints.Goal(poses=[_pose(*p) for p in poses], **fields)
    handle = wait_future(rig['node'], rig['client'].send_goal_async(
        goal, feedback_callback=(lambda m: feedback.append(m.feedback.current_waypoint))
        if feedback is not None else None), TIMEOUT_S)
    assert handle.accepted
    return handle


def _set_stop_on_failure(rig, value: bool):
    request = SetParameters.Request(parameters=[Parameter(
        name='stop_on_failure',
        value=ParameterValue(type=ParameterType.PARAMETER_BOOL, bool_value=value))])
    assert rig['params'].wait_for_service(timeout_sec=TIMEOUT_S)
    response = wait_future(rig['node'], rig['params'].call_async(request), TIMEOUT_S)
    assert response.results[0].successful, response.results[0].reason


def test_two_waypoints_are_reached_in_order(rig):
    since = len(rig['servers'].output())
    feedback = []
    handle = _follow(rig, [(1.0, 0.0), (2.0, 1.0)], feedback)
    response = wait_future(rig['node'], handle.get_result_async(), TIMEOUT_S)
    assert response.status == GoalStatus.STATUS_SUCCEEDED, response.result.error_msg
    assert response.result.error_code == FollowWaypoints.Result.NONE
    assert list(response.result.missed_waypoints) == []
    assert _first_seen(_plans(rig['servers'].output(), since)) == [(1.0, 0.0), (2.0, 1.0)]
    assert 0 in feedback and 1 in feedback and feedback == sorted(feedback)


def test_goal_index_and_number_of_loops_and_a_bad_goal(rig):
    since = len(rig['servers'].output())
    handle = _follow(rig, [(1.0, 0.0), (2.0, 0.0)], goal_index=1, number_of_loops=1)
    response = wait_future(rig['node'], handle.get_result_async(), TIMEOUT_S)
    assert response.status == GoalStatus.STATUS_SUCCEEDED, response.result.error_msg
    assert _first_seen(_plans(rig['servers'].output(), since)) == \
        [(2.0, 0.0), (1.0, 0.0), (2.0, 0.0)]
    handle = _follow(rig, [(1.0, 0.0)], goal_index=1)
    response = wait_future(rig['node'], handle.get_result_async(), TIMEOUT_S)
    assert response.status == GoalStatus.STATUS_ABORTED
    assert response.result.error_code == FollowWaypoints.Result.UNKNOWN
    assert response.result.error_msg == 'goal_index is 1, past the last of the 1 poses'


def test_a_missed_waypoint_is_reported_with_its_code_and_stops_the_goal(rig):
    since = len(rig['servers'].output())
    handle = _follow(rig, [(1.0, 0.0), (OUTSIDE, 0.0), (2.0, 0.0)])
    response = wait_future(rig['node'], handle.get_result_async(), TIMEOUT_S)
    assert response.status == GoalStatus.STATUS_ABORTED  # stop_on_failure (default true)
    missed = response.result.missed_waypoints
    assert [(m.index, m.error_code) for m in missed] == \
        [(1, ComputePathToPose.Result.GOAL_OUTSIDE_MAP)]
    assert missed[0].goal.pose.position.x == OUTSIDE
    assert (2.0, 0.0) not in _plans(rig['servers'].output(), since)


def test_without_stop_on_failure_it_goes_on_and_lists_the_missed_one(rig):
    _set_stop_on_failure(rig, False)
    try:
        since = len(rig['servers'].output())
        handle = _follow(rig, [(OUTSIDE, 1.0), (1.5, 0.0)])
        response = wait_future(rig['node'], handle.get_result_async(), TIMEOUT_S)
    finally:
        _set_stop_on_failure(rig, True)
    assert response.status == GoalStatus.STATUS_SUCCEEDED, response.result.error_msg
    assert [(m.index, m.error_code) for m in response.result.missed_waypoints] == \
        [(0, ComputePathToPose.Result.GOAL_OUTSIDE_MAP)]
    assert _first_seen(_plans(rig['servers'].output(), since))[-1] == (1.5, 0.0)


def test_cancel_cancels_the_navigation(rig):
    servers = rig['servers']
    since = len(servers.output())
    handle = _follow(rig, [(1.0, SLOW_Y), (2.0, 0.0)])
    assert spin_until(rig['node'], lambda: 'EVENT follow_path goal' in servers.output()[since:],
                      TIMEOUT_S), servers.output()[since:]
    wait_future(rig['node'], handle.cancel_goal_async(), TIMEOUT_S)
    response = wait_future(rig['node'], handle.get_result_async(), TIMEOUT_S)
    assert response.status == GoalStatus.STATUS_CANCELED
    # navigate_to_pose was cancelled, so the navigator cancelled its follow_path (60 s)
    assert spin_until(rig['node'], lambda: 'EVENT follow_path canceled' in
                      servers.output()[since:], TIMEOUT_S), servers.output()[since:]
    assert (2.0, 0.0) not in _plans(servers.output(), since)


def test_a_goal_pose_starts_a_navigation_and_a_bad_one_is_dropped(rig):
    node, pub, servers, navigator = rig['node'], rig['goal_pub'], rig['servers'], rig['navigator']
    since = len(servers.output())
    # published until the navigator sees it (a new publisher needs discovery first)
    assert _publish_until(node, pub, _pose(3.0, -1.0),
                          lambda: (3.0, -1.0) in _plans(servers.output(), since)), \
        navigator.output()
    bad_frame = _pose(4.0, 0.0, frame='')
    bad_quaternion = _pose(4.0, 0.0)
    bad_quaternion.pose.orientation.w = 0.0
    not_finite = _pose(math.nan, 0.0)
    for bad, words in ((bad_frame, 'goal_pose dropped: goal_pose.header.frame_id is empty'),
                       (bad_quaternion, 'goal_pose dropped: goal_pose.pose.orientation'),
                       (not_finite, 'dropped a message on goal_pose: pose.position.x is nan')):
        pub.publish(bad)
        assert spin_until(node, lambda words=words: words in navigator.output(), TIMEOUT_S), \
            navigator.output()[-3000:]
    # the navigator lives and a good pose still navigates (it preempts the running one)
    since = len(servers.output())
    assert _publish_until(node, pub, _pose(5.0, 2.0),
                          lambda: (5.0, 2.0) in _plans(servers.output(), since))
    assert (4.0, 0.0) not in _plans(servers.output())
    assert navigator.poll() is None
    # a goal_pose still on its way would preempt the next test's goal (CI: the
    # follower's waypoint aborted by a late (5, 2)): wait until none comes
    assert _quiet(node, navigator, 'goal_pose received', 1.0), navigator.output()[-3000:]


def _publish_until(node, pub, pose, predicate, every_s=0.5):
    """Publish ``pose`` every ``every_s`` until ``predicate()`` (TIMEOUT_S at most)."""
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        pub.publish(pose)
        if spin_until(node, predicate, every_s):
            return True
    return predicate()


def _quiet(node, process, words, quiet_s):
    """Wait until ``words`` has not appeared in ``process``'s output for ``quiet_s``."""
    deadline = time.monotonic() + TIMEOUT_S
    count, since = process.output().count(words), time.monotonic()
    while time.monotonic() < deadline:
        spin_until(node, lambda: False, 0.1)
        now_count = process.output().count(words)
        if now_count != count:
            count, since = now_count, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            return True
    return False


def test_a_dead_navigator_ends_the_goal(rig):
    """Last (it stops the navigator): bt_navigator dies with a waypoint in flight."""
    servers, navigator = rig['servers'], rig['navigator']
    since = len(servers.output())
    handle = _follow(rig, [(1.0, SLOW_Y)])

    def following_the_waypoint():
        # this waypoint's plan, then a follow_path goal after it (not an earlier test's)
        out = servers.output()[since:]
        at = out.find(f'EVENT compute_path_to_pose to={1.0:g},{SLOW_Y:g} ')
        return at >= 0 and 'EVENT follow_path goal' in out[at:]
    assert spin_until(rig['node'], following_the_waypoint, TIMEOUT_S), (
        f'{servers.output()[since:]}\n--- follower:\n{rig["follower"].output()[-3000:]}\n'
        f'--- navigator:\n{navigator.output()[-3000:]}')
    rig['killed'].add('navigator')
    os.kill(navigator.pid, signal.SIGKILL)
    response = wait_future(rig['node'], handle.get_result_async(), TIMEOUT_S)
    logs = (f'--- follower:\n{rig["follower"].output()[-3000:]}\n--- navigator:\n'
            f'{navigator.output()[-3000:]}')
    assert response.status == GoalStatus.STATUS_ABORTED, logs
    assert response.result.error_code == FollowWaypoints.Result.UNKNOWN, \
        f'{response.result.error_msg}\n{logs}'
    assert 'bt_navigator died' in response.result.error_msg, response.result.error_msg
    assert rig['follower'].poll() is None

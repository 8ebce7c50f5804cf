"""The generic ROS leaves against real rclpy servers in another process."""
import time

from geometry_msgs.msg import PoseStamped
from nav2_msgs.action import ComputePathToPose, FollowPath
from nav2_msgs.srv import ClearEntireCostmap, IsPathValid
import py_trees
from py_trees.common import Status
import pytest
import rclpy
from rclpy.action import ActionClient
from std_msgs.msg import String

from orchestrator_pkg.behaviours.ros.action_client import ActionClientBehaviour
from orchestrator_pkg.behaviours.ros.service_client import ServiceClientBehaviour
from orchestrator_pkg.behaviours.ros.topics import Publish, TopicCondition, WaitForMessage
from orchestrator_pkg.ros_edge.leaf import release_shared_clients
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.testing.processes import ManagedProcess
from orchestrator_pkg.trees.failure import FailureCode as fr

TIMEOUT_S = 20.0


@pytest.fixture
def node(ros_domain):
    rclpy.init(domain_id=ros_domain.domain_id)
    node = rclpy.create_node('leaf_test')
    try:
        yield node
    finally:
        destroy_node_and_waitables(node)
        rclpy.shutdown()


@pytest.fixture
def fixture_servers(ros_domain):
    def start(*args):
        proc = ManagedProcess.python('-m', 'orchestrator_pkg.testing.nav_fixture_servers',
                                     *args, env=ros_domain.env())
        proc.start()
        started.append(proc)
        assert proc.wait_for_output('nav fixture ready', TIMEOUT_S), proc.output()
        return proc
    started = []
    try:
        yield start
    finally:
        for proc in started:
            killed = proc.poll() is not None and proc.poll() < 0  # a test killed it
            proc.stop()
            assert killed or proc.returncode == 0, proc.output()


def tick_until(tree, node, done, timeout_s=TIMEOUT_S):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        tree.tick()
        if done(tree.root):
            return tree.root.status
        rclpy.spin_once(node, timeout_sec=0.02)
    raise AssertionError(f'not done within {timeout_s} s: {tree.root.feedback_message}')


def spin_until(node, predicate, timeout_s=TIMEOUT_S):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        rclpy.spin_once(node, timeout_sec=0.02)
    return predicate()


def goal_to(x, y):
    goal = PoseStamped()
    goal.header.frame_id = 'map'
    goal.pose.position.x, goal.pose.position.y = x, y
    return goal


def make_tree(root, node):
    tree = py_trees.trees.BehaviourTree(root)
    tree.setup(node=node, timeout=5.0)
    return tree


def test_action_leaf_cancels_its_goal_when_halted(node, fixture_servers):
    server = fixture_servers('--follow-s', '60')
    leaf = ActionClientBehaviour('FollowPath', FollowPath, 'follow_path',
                                 lambda: FollowPath.Goal(controller_id='FollowPath'),
                                 server_wait_timeout_s=10.0, goal_response_timeout_s=10.0)
    tree = make_tree(leaf, node)
    tick_until(tree, node, lambda root: root._state == 'active')
    assert leaf.status == Status.RUNNING and leaf.goal_in_flight
    assert 'EVENT follow_path goal' in server.output()
    assert 'EVENT follow_path cancel' not in server.output()
    leaf.stop(Status.INVALID)  # the halt a parent gives a running child
    assert spin_until(node, lambda: 'EVENT follow_path canceled' in server.output()), \
        server.output()
    assert 'EVENT follow_path cancel ' in server.output()
    assert not leaf.goal_in_flight


def test_action_leaf_result_goes_to_the_blackboard(node, fixture_servers):
    fixture_servers()
    outputs = {}
    leaf = ActionClientBehaviour(
        'ComputePathToPose', ComputePathToPose, 'compute_path_to_pose',
        lambda: ComputePathToPose.Goal(goal=goal_to(2.0, 1.0)),
        on_result=lambda result, status: outputs.update(path=result.path,
                                                        error_code=result.error_code),
        server_wait_timeout_s=10.0, goal_response_timeout_s=10.0)
    tree = make_tree(leaf, node)
    assert tick_until(tree, node, lambda r: r.status != Status.RUNNING) == Status.SUCCESS
    assert outputs['error_code'] == 0
    assert outputs['path'].poses[-1].pose.position.x == pytest.approx(2.0)
    assert leaf.failure is None


def test_action_leaf_maps_the_server_error_code(node, fixture_servers):
    fixture_servers('--plan-error', '206')
    outputs = {}
    leaf = ActionClientBehaviour(
        'ComputePathToPose', ComputePathToPose, 'compute_path_to_pose',
        lambda: ComputePathToPose.Goal(goal=goal_to(2.0, 1.0)),
        on_result=lambda result, status: outputs.update(error_code=result.error_code),
        server_wait_timeout_s=10.0, goal_response_timeout_s=10.0)
    tree = make_tree(leaf, node)
    assert tick_until(tree, node, lambda r: r.status != Status.RUNNING) == Status.FAILURE
    assert outputs['error_code'] == 206
    assert leaf.failure.code == fr.ACTION_FAILED
    assert leaf.failure.leaf_error_code == 206
    assert leaf.failure.leaf_interface == 'nav2_msgs/action/ComputePathToPose'
    assert 'error_code 206' in leaf.failure.message


def test_action_leaf_times_out_waiting_for_a_missing_server(node):
    leaf = ActionClientBehaviour('Nothing', FollowPath, 'no_such_server',
                                 FollowPath.Goal, server_wait_timeout_s=0.3)
    tree = make_tree(leaf, node)
    assert tick_until(tree, node, lambda r: r.status != Status.RUNNING) == Status.FAILURE
    assert leaf.failure.code == fr.SERVER_UNAVAILABLE
    assert '/no_such_server' in leaf.failure.message


def test_action_leaf_bad_goal_input_fails_with_invalid_input(node):
    def bad_goal():
        raise KeyError('blackboard key "goal" is not set')
    leaf = ActionClientBehaviour('Plan', ComputePathToPose, 'compute_path_to_pose', bad_goal)
    tree = make_tree(leaf, node)
    tree.tick()
    assert leaf.status == Status.FAILURE
    assert leaf.failure.code == fr.INVALID_INPUT
    assert '"goal"' in leaf.failure.message


def test_service_leaves(node, fixture_servers):
    server = fixture_servers('--path-invalid')
    clear = ServiceClientBehaviour('Clear', ClearEntireCostmap,
                                   'local_costmap/clear_entirely_local_costmap',
                                   server_wait_timeout_s=10.0)
    valid = ServiceClientBehaviour(
        'IsPathValid', IsPathValid, 'is_path_valid',
        on_response=lambda r: Status.SUCCESS if r.is_valid else Status.FAILURE,
        server_wait_timeout_s=10.0)
    root = py_trees.composites.Sequence('Both', memory=True, children=[clear, valid])
    tree = make_tree(root, node)
    assert tick_until(tree, node, lambda r: r.status != Status.RUNNING) == Status.FAILURE
    assert clear.status == Status.SUCCESS
    assert valid.failure.code == fr.CONDITION_FAILED
    out = server.output()
    assert 'EVENT local_costmap/clear_entirely_local_costmap call' in out
    assert 'EVENT is_path_valid call' in out


def _path_leaf(name, x, outputs):
    return ActionClientBehaviour(
        name, ComputePathToPose, 'compute_path_to_pose',
        lambda: ComputePathToPose.Goal(goal=goal_to(x, 1.0)),
        on_result=lambda result, status: outputs.update(
            {name: result.path.poses[-1].pose.position.x}),
        server_wait_timeout_s=10.0, goal_response_timeout_s=10.0)


def _action_clients(node, name):
    return [w for w in node.waitables if isinstance(w, ActionClient) and w._action_name == name]


def test_leaves_share_the_nodes_clients_while_a_tree_uses_them(node, fixture_servers):
    fixture_servers()
    outputs = {}
    first, second = _path_leaf('First', 2.0, outputs), _path_leaf('Second', 3.0, outputs)
    clear = [ServiceClientBehaviour(f'Clear{i}', ClearEntireCostmap,
                                    'local_costmap/clear_entirely_local_costmap',
                                    server_wait_timeout_s=10.0) for i in range(2)]
    both = py_trees.composites.Parallel(
        'Both', policy=py_trees.common.ParallelPolicy.SuccessOnAll(),
        children=[first, second, *clear])
    tree = make_tree(both, node)
    # one action client (five DDS endpoints) and one service client for the node
    assert first._client is second._client and clear[0]._client is clear[1]._client
    assert len(_action_clients(node, 'compute_path_to_pose')) == 1
    # two goals in flight on the one client at once, each with its own result
    assert tick_until(tree, node, lambda r: r.status != Status.RUNNING) == Status.SUCCESS
    assert outputs == {'First': pytest.approx(2.0), 'Second': pytest.approx(3.0)}
    # a tree set up while the first is kept takes the same client
    third = _path_leaf('Third', 4.0, outputs)
    again = make_tree(third, node)
    assert third._client is first._client
    assert tick_until(again, node, lambda r: r.status != Status.RUNNING) == Status.SUCCESS
    assert outputs['Third'] == pytest.approx(4.0)
    tree.shutdown()
    assert len(_action_clients(node, 'compute_path_to_pose')) == 1  # the second tree's
    # the last tree that used it destroys it: the action's clients in the graph are
    # what a server's orphan watch counts, so none may outlive its trees
    again.shutdown()
    assert _action_clients(node, 'compute_path_to_pose') == []
    assert clear[0]._client not in node.clients
    fourth = _path_leaf('Fourth', 5.0, outputs)
    make_tree(fourth, node)
    assert fourth._client is not first._client
    assert len(_action_clients(node, 'compute_path_to_pose')) == 1
    # a managed node's cleanup destroys what is still shared
    assert release_shared_clients(node) == 1
    assert _action_clients(node, 'compute_path_to_pose') == []
    # a tree after it gets a new client, which the older leaf's late shutdown leaves alone
    fifth = _path_leaf('Fifth', 6.0, outputs)
    last = make_tree(fifth, node)
    fourth.shutdown()
    assert _action_clients(node, 'compute_path_to_pose') == [fifth._client]
    assert tick_until(last, node, lambda r: r.status != Status.RUNNING) == Status.SUCCESS
    assert outputs['Fifth'] == pytest.approx(6.0)


def test_service_leaf_times_out_without_a_server(node):
    leaf = ServiceClientBehaviour('Clear', ClearEntireCostmap, 'nobody_here',
                                  server_wait_timeout_s=0.3)
    tree = make_tree(leaf, node)
    assert tick_until(tree, node, lambda r: r.status != Status.RUNNING) == Status.FAILURE
    assert leaf.failure.code == fr.SERVER_UNAVAILABLE


def test_publish_wait_for_message_and_topic_condition(node):
    received = []
    counter = iter(range(1000))
    publish = Publish('Say', String, 'chatter', lambda: String(data=f'hello {next(counter)}'))
    wait = WaitForMessage('Hear', String, 'chatter', on_message=received.append,
                          predicate=lambda m: m.data.startswith('hello'), timeout_s=10.0)
    condition = TopicCondition('IsHello', String, 'chatter', lambda m: m.data.startswith('hello'))
    waiter = make_tree(wait, node)
    talker = make_tree(publish, node)
    checker = make_tree(condition, node)
    checker.tick()
    assert condition.status == Status.FAILURE, 'no message yet must be FAILURE'
    assert condition.failure.code == fr.CONDITION_FAILED
    waiter.tick()
    assert wait.status == Status.RUNNING
    deadline = time.monotonic() + TIMEOUT_S
    while wait.status == Status.RUNNING and time.monotonic() < deadline:
        talker.tick()
        assert publish.status == Status.SUCCESS
        rclpy.spin_once(node, timeout_sec=0.05)
        waiter.tick()
    assert wait.status == Status.SUCCESS
    assert received and received[0].data.startswith('hello')
    # the condition's own subscription gets the messages too
    deadline = time.monotonic() + TIMEOUT_S
    checker.tick()
    while condition.status != Status.SUCCESS and time.monotonic() < deadline:
        talker.tick()
        rclpy.spin_once(node, timeout_sec=0.05)
        checker.tick()
    assert condition.status == Status.SUCCESS


def test_wait_for_message_times_out(node):
    wait = WaitForMessage('Hear', String, 'silence', timeout_s=0.2)
    tree = make_tree(wait, node)
    assert tick_until(tree, node, lambda r: r.status != Status.RUNNING) == Status.FAILURE
    assert wait.failure.code == fr.TIMEOUT


def test_action_leaf_resends_a_changed_goal(node, fixture_servers):
    server = fixture_servers('--follow-s', '60')
    controller = ['A']
    leaf = ActionClientBehaviour(
        'FollowPath', FollowPath, 'follow_path',
        lambda: FollowPath.Goal(controller_id=controller[0]),
        server_wait_timeout_s=10.0, goal_response_timeout_s=10.0, resend_on_goal_change=True)
    tree = make_tree(leaf, node)
    tick_until(tree, node, lambda root: root._state == 'active')
    tree.tick()
    assert server.output().count('EVENT follow_path goal') == 1  # unchanged: not re-sent
    controller[0] = 'B'
    tree.tick()
    assert spin_until(node, lambda: server.output().count('EVENT follow_path goal') == 2)
    tick_until(tree, node, lambda root: root._state == 'active')
    for _ in range(3):  # equal goals built anew each tick (kept, not re-sent)
        tree.tick()
    assert server.output().count('EVENT follow_path goal') == 2
    controller[0] = 'A'  # a change after the kept ones is still seen
    tree.tick()
    assert spin_until(node, lambda: server.output().count('EVENT follow_path goal') == 3)
    tick_until(tree, node, lambda root: root._state == 'active')
    leaf.stop(Status.INVALID)
    assert spin_until(node, lambda: 'EVENT follow_path cancel ' in server.output())


def test_action_leaf_fails_with_timeout_when_its_server_dies_mid_goal(node, fixture_servers):
    import signal
    server = fixture_servers('--follow-s', '60')
    timeouts = []
    leaf = ActionClientBehaviour('FollowPath', FollowPath, 'follow_path',
                                 lambda: FollowPath.Goal(controller_id='FollowPath'),
                                 server_wait_timeout_s=10.0, goal_response_timeout_s=10.0,
                                 result_timeout_s=1.0,
                                 on_result_timeout=lambda: timeouts.append(True))
    tree = make_tree(leaf, node)
    tick_until(tree, node, lambda root: root._state == 'active')
    server._proc.send_signal(signal.SIGKILL)  # no result will ever come
    server.wait(10.0)
    status = tick_until(tree, node, lambda root: root.status != Status.RUNNING)
    assert status == Status.FAILURE
    assert leaf.failure.code == fr.TIMEOUT
    assert 'did not answer within 1 s (follow_path goal accepted, no result)' in \
        leaf.failure.message
    assert timeouts == [True]
    assert not leaf.goal_in_flight

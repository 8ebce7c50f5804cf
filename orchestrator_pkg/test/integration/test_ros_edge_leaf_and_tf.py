"""RosLeaf and the shared tf listener on real rclpy: server wait on the ROS clock, logs."""
import math
import time

from geometry_msgs.msg import PoseStamped, TransformStamped
from nav2_msgs.action import FollowPath
from py_trees.common import Status
import pytest
from rcl_interfaces.msg import Log
import rclpy
from rclpy.parameter import Parameter
from rosgraph_msgs.msg import Clock
from std_msgs.msg import String
from tf2_msgs.msg import TFMessage

from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.behaviours.ros.action_client import ActionClientBehaviour
from orchestrator_pkg.behaviours.ros.topics import TopicCondition
from orchestrator_pkg.ros_edge.leaf import DEFAULT_SERVER_WAIT_S
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.ros_edge.tf import tf_listener
from orchestrator_pkg.testing.trees import build, tick_until
from orchestrator_pkg.trees.failure import FailureCode, find_failure

TIMEOUT_S = 20.0


@pytest.fixture(scope='module')
def registry():
    return default_registry()


@pytest.fixture
def sim_node(ros_domain):
    """Yield a node on sim time with server_wait_timeout_s = 2 s and set_time(seconds)."""
    rclpy.init(domain_id=ros_domain.domain_id)
    node = rclpy.create_node('ros_edge_test',
                             parameter_overrides=[Parameter('use_sim_time', value=True)])
    node.declare_parameter('server_wait_timeout_s', 2.0)
    clock = node.create_publisher(Clock, '/clock', 10)

    def set_time(seconds):
        message = Clock()
        message.clock.sec, message.clock.nanosec = int(seconds), int(seconds % 1 * 1e9)
        deadline = time.monotonic() + TIMEOUT_S
        while node.get_clock().now().nanoseconds * 1e-9 < seconds - 1e-6:
            assert time.monotonic() < deadline, f'the node clock never reached {seconds} s'
            clock.publish(message)
            rclpy.spin_once(node, timeout_sec=0.02)
    node.set_time = set_time
    try:
        set_time(100.0)
        yield node
    finally:
        destroy_node_and_waitables(node)
        rclpy.shutdown()


@pytest.fixture
def node(ros_domain):
    rclpy.init(domain_id=ros_domain.domain_id)
    node = rclpy.create_node('ros_edge_tf_test')
    try:
        yield node
    finally:
        destroy_node_and_waitables(node)
        rclpy.shutdown()


def test_setup_without_a_node_names_the_leaf():
    leaf = TopicCondition('battery_ok', String, 'battery', bool)
    with pytest.raises(KeyError, match='battery_ok: setup\\(\\) needs node=<rclpy node>'):
        leaf.setup()


def test_server_wait_is_the_node_parameter_on_the_ros_clock(sim_node):
    leaf = ActionClientBehaviour('follow', FollowPath, 'no_such_follow_path', FollowPath.Goal,
                                 node_type='FollowPath')
    leaf.setup(node=sim_node)
    assert leaf.server_wait_timeout_s == 2.0
    leaf.tick_once()
    assert leaf.status == Status.RUNNING
    assert leaf.feedback_message == 'waiting for action server /no_such_follow_path'
    started = time.monotonic()
    sim_node.set_time(101.9)  # 1.9 s of sim time: still waiting
    leaf.tick_once()
    assert leaf.status == Status.RUNNING
    sim_node.set_time(102.1)
    leaf.tick_once()
    assert leaf.status == Status.FAILURE
    assert time.monotonic() - started < 2.0  # sim time ran out, not wall time
    failure = leaf.failure
    assert failure.code == FailureCode.SERVER_UNAVAILABLE and failure.node_type == 'FollowPath'
    assert failure.message == ('action server /no_such_follow_path not available after 2 s')
    assert leaf.feedback_message == failure.message
    leaf.shutdown()


def test_nav2_leaves_use_the_parameter_and_a_port_overrides_it(registry, sim_node):
    spin = build(registry, sim_node, '<Spin server_name="no_such_spin"/>')
    gripper = build(registry, sim_node,
                    '<Gripper server_name="no_such_gripper" wait_for_server="0.5"/>')
    assert spin.tick() == Status.RUNNING and gripper.tick() == Status.RUNNING
    sim_node.set_time(100.6)
    assert spin.tick() == Status.RUNNING and gripper.tick() == Status.FAILURE
    assert find_failure(gripper).message.endswith('not available after 0.5 s')
    sim_node.set_time(102.1)
    assert spin.tick() == Status.FAILURE
    failure = find_failure(spin)
    assert failure.code == FailureCode.SERVER_UNAVAILABLE
    assert failure.message.endswith('not available after 2 s')


def test_without_the_parameter_the_wait_is_the_default(registry, node):
    leaf = build(registry, node, '<Wait server_name="no_such_wait"/>').root
    assert leaf.server_wait_timeout_s == DEFAULT_SERVER_WAIT_S == 5.0


def transform(parent, child, x=0.0, y=0.0, yaw=0.0):
    t = TransformStamped()
    t.header.frame_id, t.child_frame_id = parent, child
    t.transform.translation.x, t.transform.translation.y = x, y
    t.transform.rotation.z, t.transform.rotation.w = math.sin(yaw / 2), math.cos(yaw / 2)
    return t


def subscriptions(node, topic):
    return [s for s in node.subscriptions if s.topic_name == topic]


def test_approach_pose_leaves_share_the_nodes_tf_listener(registry, node):
    target = PoseStamped()
    target.header.frame_id = 'map'
    target.pose.position.x = 3.0
    tree = build(registry, node, """
        <Sequence>
          <ApproachPose target="{target}" distance="0.5" pose="{near}"/>
          <ApproachPose target="{target}" distance="1.0" pose="{far}"/>
        </Sequence>""", target=target)
    assert len(subscriptions(node, '/tf')) == 1 and len(subscriptions(node, '/tf_static')) == 1
    assert tf_listener(node) is tf_listener(node)
    tf = node.create_publisher(TFMessage, 'tf', 10)
    status = tick_until(node, tree, lambda s: s != Status.RUNNING,
                        every=lambda: tf.publish(TFMessage(
                            transforms=[transform('map', 'base_link', 1.0, 0.0)])))
    assert status == Status.SUCCESS
    near, far = tree.blackboard.get('near'), tree.blackboard.get('far')
    assert (near.pose.position.x, far.pose.position.x) == pytest.approx((2.5, 2.0))
    assert len(subscriptions(node, '/tf')) == 1


def test_a_bad_transform_is_logged_once_per_edge_and_interval(node):
    logs = []
    node.create_subscription(Log, '/rosout', lambda m: logs.append(m.msg), 100)
    listener = tf_listener(node)
    tf = node.create_publisher(TFMessage, 'tf', 10)

    def spin_for(seconds, until=lambda: False):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not until():
            rclpy.spin_once(node, timeout_sec=0.02)

    def about(edge):
        return [text for text in logs if 'ignoring a transform' in text and edge in text]

    spin_for(TIMEOUT_S, until=lambda: tf.get_subscription_count() > 0)
    looped = TFMessage(transforms=[transform('odom', 'odom')])
    tf.publish(looped)
    spin_for(TIMEOUT_S, until=lambda: about("'odom' -> 'odom'"))
    assert about("'odom' -> 'odom'"), logs
    for _ in range(3):  # the same bad edge again: counted, not logged again yet
        tf.publish(looped)
    bad = transform('map', 'odom', x=math.nan)
    tf.publish(TFMessage(transforms=[bad, transform('odom', 'base_link', 2.0, 0.0)]))
    spin_for(TIMEOUT_S, until=lambda: about("non-finite transform 'map' -> 'odom'"))
    assert about("non-finite transform 'map' -> 'odom'"), logs
    spin_for(0.5)
    assert len(about("'odom' -> 'odom'")) == 1
    assert listener.lookup('odom', 'base_link')[:2] == pytest.approx((2.0, 0.0))


def test_composed_nodes_share_one_tf_listener_per_pair_of_topics(ros_domain):
    from orchestrator_pkg.ros_edge import tf as tf_module
    from orchestrator_pkg.ros_edge.main import NodeExecutor
    rclpy.init(domain_id=ros_domain.domain_id)
    executor = NodeExecutor()
    try:
        share = tf_module.share_in_process(rclpy.get_default_context())
        first, second = rclpy.create_node('tf_share_first'), rclpy.create_node('tf_share_second')
        remapped = rclpy.create_node('tf_share_remapped',
                                     cli_args=['--ros-args', '-r', 'tf:=/other/tf'])
        source = rclpy.create_node('tf_share_source')
        for n in (first, second, remapped, source):
            executor.add_node(n)
        share.spin_on(executor)
        assert share.node is None  # made on first use
        listener = tf_listener(first)
        assert tf_listener(second) is listener and tf_listener(first) is listener
        other = tf_listener(remapped)
        assert other is not listener
        hub = share.node
        assert hub is not None and list(hub.services) == []  # no parameter or type services
        assert not subscriptions(first, '/tf') and not subscriptions(second, '/tf')
        assert len(subscriptions(hub, '/tf')) == 1 and len(subscriptions(hub, '/other/tf')) == 1
        tf = source.create_publisher(TFMessage, '/tf', 10)
        other_tf = source.create_publisher(TFMessage, '/other/tf', 10)

        def spin_until(predicate):
            deadline = time.monotonic() + TIMEOUT_S
            while not predicate() and time.monotonic() < deadline:
                executor.spin_once(timeout_sec=0.02)
            return predicate()

        def sees(which, x):
            try:
                return which.lookup('odom', 'base_link')[0] == pytest.approx(x)
            except Exception:  # noqa: BLE001 -- not there yet
                return False

        def publish_until(pub, which, x):
            return spin_until(lambda: pub.publish(TFMessage(
                transforms=[transform('odom', 'base_link', x, 0.0)])) or sees(which, x))
        assert publish_until(tf, listener, 1.0)
        assert publish_until(other_tf, other, 5.0)
        assert sees(listener, 1.0)  # each listener has its own topic's transforms
        # a dropped transform is said on /rosout, by the share's node
        logs = []
        source.create_subscription(Log, '/rosout', logs.append, 100)
        assert spin_until(lambda: tf.publish(TFMessage(transforms=[transform('odom', 'odom')]))
                          or any('ignoring a transform' in m.msg for m in logs))
        assert {m.name for m in logs if 'ignoring a transform' in m.msg} == {hub.get_name()}
        # a node that goes (a lifecycle cleanup, a destroyed node) takes nothing shared
        executor.remove_node(first)
        first.destroy_node()
        assert publish_until(tf, tf_listener(second), 2.0)
    finally:
        executor.shutdown()
        hub = tf_module.stop_sharing()
        if hub is not None:
            hub.destroy_node()
        rclpy.shutdown()
    assert tf_module._share is None

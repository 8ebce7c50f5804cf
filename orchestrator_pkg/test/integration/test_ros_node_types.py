"""Tree-file node types that talk to ROS, in-process with real rclpy topics and services."""
import time

from builtin_interfaces.msg import Time
from geometry_msgs.msg import PoseStamped, TransformStamped
from nav_msgs.msg import Odometry
from py_trees.common import Status
import pytest
import rclpy
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import String
from std_srvs.srv import Trigger
from tf2_msgs.msg import TFMessage

from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.testing.trees import TIMEOUT_S, build, rclpy_node, tick_until
from orchestrator_pkg.trees.failure import FailureCode


@pytest.fixture(scope='module')
def registry():
    return default_registry()


@pytest.fixture
def node(ros_domain):
    with rclpy_node(ros_domain, 'node_types_test') as node:
        yield node


def spin(node, seconds=0.3):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        rclpy.spin_once(node, timeout_sec=0.02)


def pose(x, y=0.0, sec=0):
    message = PoseStamped()
    message.header.frame_id = 'map'
    message.header.stamp = Time(sec=sec)
    message.pose.position.x, message.pose.position.y = float(x), float(y)
    return message


def odometry(x):
    message = Odometry()
    message.pose.pose.position.x = float(x)
    return message


def spin_until_odom(node, odom, x=1.1):
    """Publish odometry at ``x`` until the node's odom state has it."""
    from orchestrator_pkg.ros_edge.state import odom_state
    state = odom_state(node)
    deadline = time.monotonic() + TIMEOUT_S
    while state.xy() is None and time.monotonic() < deadline:
        odom.publish(odometry(x))
        spin(node, 0.05)
    return state.xy() is not None


def robot_on_tf(x, map_to_odom_x=0.0):
    """Tf with map -> odom and odom -> base_link: the robot at map x = map_to_odom_x + x."""
    out = TFMessage()
    for parent, child, value in (('map', 'odom', map_to_odom_x), ('odom', 'base_link', x)):
        t = TransformStamped()
        t.header.frame_id, t.child_frame_id = parent, child
        t.transform.translation.x = float(value)
        t.transform.rotation.w = 1.0
        out.transforms.append(t)
    return out


def test_controller_selector_default_then_topic(registry, node):
    built = build(registry, node, '<ControllerSelector selected_controller="{c}" '
                  'default_controller="FollowPath" topic_name="controller_selector"/>')
    assert built.tick() == Status.SUCCESS
    assert built.blackboard.get('c') == 'FollowPath'
    qos = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL)
    node.create_publisher(String, 'controller_selector', qos).publish(String(data='MPPI'))
    tick_until(node, built, lambda s: built.blackboard.get('c') == 'MPPI')


def test_remove_passed_goals_uses_tf_and_distance_controller_odom(registry, node):
    odom = node.create_publisher(Odometry, 'odom', 10)
    goals = [pose(1.0), pose(3.0)]
    remove = build(registry, node, '<RemovePassedGoals input_goals="{goals}" '
                   'output_goals="{goals}" radius="0.5"/>', goals=goals)
    assert remove.tick() == Status.FAILURE  # nothing on tf yet: pose unknown
    tf = node.create_publisher(TFMessage, 'tf', 10)
    deadline = time.monotonic() + TIMEOUT_S
    while remove.tick() != Status.SUCCESS and time.monotonic() < deadline:
        # the robot in map is map -> odom -> base_link: 0.6 + 0.5 = 1.1 (goals are in map)
        tf.publish(robot_on_tf(0.5, map_to_odom_x=0.6))
        spin(node, 0.05)
    assert [g.pose.position.x for g in remove.blackboard.get('goals')] == [3.0]

    # DistanceController measures the distance travelled on odom
    assert spin_until_odom(node, odom)
    distance = build(registry, node, '<DistanceController distance="1.0">'
                     '<AlwaysSuccess/></DistanceController>')
    assert distance.tick() == Status.SUCCESS  # first tick ticks the child
    assert distance.tick() == Status.RUNNING  # has not moved
    deadline = time.monotonic() + TIMEOUT_S
    status = Status.RUNNING
    while status == Status.RUNNING and time.monotonic() < deadline:
        odom.publish(odometry(2.5))
        spin(node, 0.05)
        status = distance.tick()
    assert status == Status.SUCCESS


def test_goal_updater_prefers_a_newer_goal_from_the_topic(registry, node):
    built = build(registry, node, '<GoalUpdater input_goal="{goal}" output_goal="{out}">'
                  '<AlwaysSuccess/></GoalUpdater>', goal=pose(1.0, sec=10))
    assert built.tick() == Status.SUCCESS
    assert built.blackboard.get('out').pose.position.x == 1.0
    publisher = node.create_publisher(PoseStamped, 'goal_update', 10)
    deadline = time.monotonic() + TIMEOUT_S
    while built.blackboard.get('out').pose.position.x != 7.0 and time.monotonic() < deadline:
        publisher.publish(pose(7.0, sec=20))
        spin(node, 0.05)
        built.tick()
    assert built.blackboard.get('out').pose.position.x == 7.0
    publisher.publish(pose(9.0, sec=5))  # older than the goal: ignored
    spin(node, 0.2)
    built.blackboard.set('goal', pose(2.0, sec=30))
    built.tick()
    assert built.blackboard.get('out').pose.position.x == 2.0


def test_publish_wait_for_message_and_check_topic_field(registry, node):
    wait = build(registry, node, '<WaitForMessage topic_name="chat" msg_type="std_msgs/msg/String"'
                 ' timeout="10" message="{heard}"/>')
    say = build(registry, node, '<Publish topic_name="chat" msg_type="std_msgs/msg/String" '
                'fields="data=hi there"/>')
    check = build(registry, node, '<CheckTopicField topic_name="chat" '
                  'msg_type="std_msgs/msg/String" field="data" op="==" value="hi there"/>')
    assert wait.tick() == Status.RUNNING
    deadline = time.monotonic() + TIMEOUT_S
    while wait.root.status == Status.RUNNING and time.monotonic() < deadline:
        assert say.tick() == Status.SUCCESS
        spin(node, 0.05)
        wait.tick()
        check.tick()
    assert wait.root.status == Status.SUCCESS
    assert wait.blackboard.get('heard').data == 'hi there'
    tick_until(node, check, lambda s: s == Status.SUCCESS)


def test_bad_message_type_is_a_clear_build_error(registry, node):
    from orchestrator_pkg.trees.loader import TreeLoadError
    with pytest.raises(TreeLoadError) as error:
        build(registry, node, '<Publish topic_name="x" msg_type="std_msgs/msg/Nope"/>')
    assert 'std_msgs has no msg "Nope"' in str(error.value.problems[0])


def test_trigger_service_and_generic_action_type(registry, node):
    answers = []

    def serve(request, response):
        answers.append(1)
        response.success, response.message = True, 'armed'
        return response
    node.create_service(Trigger, 'arm', serve)
    built = build(registry, node, '<TriggerService service_name="arm" message="{said}"/>')
    assert tick_until(node, built, lambda s: s != Status.RUNNING) == Status.SUCCESS
    assert built.blackboard.get('said') == 'armed' and answers == [1]

    spec = registry.get('Gripper')
    names = {port.name: port for port in spec.ports}
    assert names['command'].type == 'int' and names['object_id'].direction == 'input'
    assert names['result_object_id'].direction == 'output'  # clashes with the goal field
    assert names['feedback_opening'].direction == 'output'
    gripper = build(registry, node, '<Gripper command="1" wait_for_server="0.2"/>')
    assert tick_until(node, gripper, lambda s: s != Status.RUNNING) == Status.FAILURE
    assert gripper.root.failure.code == FailureCode.SERVER_UNAVAILABLE
    assert '/gripper' in gripper.root.failure.message

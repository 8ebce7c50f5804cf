"""Full ros2msg definitions for MCAP schemas: dependencies once, action parts, real types decode."""
import pytest

from orchestrator_pkg.bringup.msg_definitions import (
    SEPARATOR,
    DefinitionError,
    field_types,
    full_definition,
    schema_name,
)

FILES = {
    ('demo', 'msg', 'Pair'): '# two points\nuint8 RED=1\ndemo/Point a\nPoint b\nHeader header\n',
    ('demo', 'msg', 'Point'): 'float64 x\nfloat64 y  # metres\nbuiltin_interfaces/Time[] stamps\n',
    ('std_msgs', 'msg', 'Header'): 'builtin_interfaces/Time stamp\nstring frame_id\n',
    ('builtin_interfaces', 'msg', 'Time'): 'int32 sec\nuint32 nanosec\n',
    ('unique_identifier_msgs', 'msg', 'UUID'): 'uint8[16] uuid\n',
    ('demo', 'action', 'Go'): 'Point target\n---\nuint16 error_code\n---\nfloat32 left\n',
}


def read(package, kind, name):
    try:
        return FILES[(package, kind, name)]
    except KeyError:
        raise DefinitionError(f'{package}/{kind}/{name}: no such file') from None


def blocks(text):
    return [line[5:] for line in text.splitlines() if line.startswith('MSG: ')]


def test_dependencies_come_once_each_depth_first_after_the_type_itself():
    text = full_definition('demo/msg/Pair', read)
    assert text.startswith('# two points\nuint8 RED=1\n')
    assert blocks(text) == ['demo/Point', 'builtin_interfaces/Time', 'std_msgs/Header']
    assert text.count(SEPARATOR) == 3


def test_field_types_skip_constants_primitives_and_comments():
    assert field_types('uint8 A=1\nstring<=5 s\nint32[<=3] v\n# Foo f\nBar b\n', 'p') == ['p/Bar']
    assert field_types('Header h\npkg/msg/Thing t\n', 'p') == ['std_msgs/Header', 'pkg/Thing']


def test_action_parts_and_the_feedback_message():
    fb = full_definition('demo/action/Go_FeedbackMessage', read)
    assert fb.splitlines()[:2] == ['unique_identifier_msgs/UUID goal_id',
                                   'demo/GoFeedback feedback']
    assert blocks(fb) == ['unique_identifier_msgs/UUID', 'demo/GoFeedback']
    assert 'float32 left' in fb and 'error_code' not in fb
    assert full_definition('demo/action/Go_Result', read).strip() == 'uint16 error_code'
    goal = full_definition('demo/action/Go_Goal', read)
    assert blocks(goal) == ['demo/Point', 'builtin_interfaces/Time']
    assert schema_name('demo/action/Go_FeedbackMessage') == 'demo/action/GoFeedbackMessage'
    assert schema_name('demo/msg/Pair') == 'demo/msg/Pair'


def test_a_missing_type_names_itself():
    with pytest.raises(DefinitionError, match='demo/msg/Nope'):
        full_definition('demo/msg/Nope', read)
    with pytest.raises(DefinitionError, match='not a ROS type name'):
        full_definition('Nope', read)


@pytest.mark.parametrize('type_name', [
    'nav_msgs/msg/Odometry', 'sensor_msgs/msg/LaserScan', 'tf2_msgs/msg/TFMessage',
    'orchestrator_interfaces/msg/BehaviourStatusChanges',
    'orchestrator_interfaces/action/ExecuteMission_FeedbackMessage'])
def test_installed_definitions_decode_what_rclpy_serializes(type_name):
    """The schema text of installed types decodes real CDR bytes with mcap_ros2."""
    from mcap_ros2._dynamic import generate_dynamic
    from rclpy.serialization import serialize_message

    from orchestrator_pkg.bringup.recorder import message_class
    sample = message_class(type_name)()
    if type_name.endswith('Odometry'):
        sample.pose.pose.position.x, sample.header.frame_id = 1.5, 'odom'
    if type_name.endswith('FeedbackMessage'):
        sample.feedback.active_node_path, sample.feedback.progress = 'M/S/Go', 0.5
    decode = generate_dynamic(schema_name(type_name), full_definition(type_name))
    decoded = decode[schema_name(type_name)](serialize_message(sample))
    if type_name.endswith('Odometry'):
        assert decoded.pose.pose.position.x == 1.5 and decoded.header.frame_id == 'odom'
    if type_name.endswith('FeedbackMessage'):
        assert decoded.feedback.active_node_path == 'M/S/Go'
        assert decoded.feedback.progress == pytest.approx(0.5)

"""The generated interfaces have the field layouts that the wire needs.

nav2_msgs and tf2_msgs must match ROS 2 Jazzy field for field (name, type,
order), or real Nav2 peers will not talk to ours. When a distro provides the
real packages, these tests check the distro's, which must pass too.
"""
import pytest

JAZZY_NAV2 = {
    'NavigateToPose': (
        {'pose': 'geometry_msgs/PoseStamped', 'behavior_tree': 'string'},
        {'error_code': 'uint16', 'error_msg': 'string'},
        {'current_pose': 'geometry_msgs/PoseStamped',
         'navigation_time': 'builtin_interfaces/Duration',
         'estimated_time_remaining': 'builtin_interfaces/Duration',
         'number_of_recoveries': 'int16', 'distance_remaining': 'float'}),
    'NavigateThroughPoses': (
        {'poses': 'sequence<geometry_msgs/PoseStamped>', 'behavior_tree': 'string'},
        {'error_code': 'uint16', 'error_msg': 'string'},
        {'current_pose': 'geometry_msgs/PoseStamped',
         'navigation_time': 'builtin_interfaces/Duration',
         'estimated_time_remaining': 'builtin_interfaces/Duration',
         'number_of_recoveries': 'int16', 'distance_remaining': 'float',
         'number_of_poses_remaining': 'int16'}),
    'ComputePathToPose': (
        {'goal': 'geometry_msgs/PoseStamped', 'start': 'geometry_msgs/PoseStamped',
         'planner_id': 'string', 'use_start': 'boolean'},
        {'path': 'nav_msgs/Path', 'planning_time': 'builtin_interfaces/Duration',
         'error_code': 'uint16', 'error_msg': 'string'},
        {}),
    'FollowPath': (
        {'path': 'nav_msgs/Path', 'controller_id': 'string', 'goal_checker_id': 'string',
         'progress_checker_id': 'string'},
        {'result': 'std_msgs/Empty', 'error_code': 'uint16', 'error_msg': 'string'},
        {'distance_to_goal': 'float', 'speed': 'float'}),
    'Spin': (
        {'target_yaw': 'float', 'time_allowance': 'builtin_interfaces/Duration'},
        {'total_elapsed_time': 'builtin_interfaces/Duration', 'error_code': 'uint16',
         'error_msg': 'string'},
        {'angular_distance_traveled': 'float'}),
    'BackUp': (
        {'target': 'geometry_msgs/Point', 'speed': 'float',
         'time_allowance': 'builtin_interfaces/Duration'},
        {'total_elapsed_time': 'builtin_interfaces/Duration', 'error_code': 'uint16',
         'error_msg': 'string'},
        {'distance_traveled': 'float'}),
    'Wait': (
        {'time': 'builtin_interfaces/Duration'},
        {'total_elapsed_time': 'builtin_interfaces/Duration', 'error_code': 'uint16',
         'error_msg': 'string'},
        {'time_left': 'builtin_interfaces/Duration'}),
}


def _layout(msg_class):
    return list(msg_class.get_fields_and_field_types().items())


@pytest.mark.parametrize('name', sorted(JAZZY_NAV2))
def test_nav2_action_matches_jazzy(name):
    import nav2_msgs.action as actions
    action = getattr(actions, name)
    goal, result, feedback = JAZZY_NAV2[name]
    assert _layout(action.Goal) == list(goal.items())
    assert _layout(action.Result) == list(result.items())
    assert _layout(action.Feedback) == list(feedback.items())


def test_nav2_error_codes_used_by_the_stack():
    from nav2_msgs.action import ComputePathToPose, FollowPath
    assert ComputePathToPose.Result.GOAL_OCCUPIED == 206
    assert ComputePathToPose.Result.NO_VALID_PATH == 208
    assert FollowPath.Result.FAILED_TO_MAKE_PROGRESS == 105


def test_clear_entire_costmap_service():
    from nav2_msgs.srv import ClearEntireCostmap
    assert _layout(ClearEntireCostmap.Request) == [('request', 'std_msgs/Empty')]
    assert _layout(ClearEntireCostmap.Response) == [('response', 'std_msgs/Empty')]


def test_tf_message():
    from tf2_msgs.msg import TFMessage
    assert _layout(TFMessage) == [('transforms', 'sequence<geometry_msgs/TransformStamped>')]


def test_execute_mission_carries_a_structured_failure():
    from orchestrator_interfaces.action import ExecuteMission
    from orchestrator_interfaces.msg import FailureReason
    goal = dict(_layout(ExecuteMission.Goal))
    assert goal == {'mission_name': 'string', 'tree_xml': 'string', 'main_tree': 'string',
                    'inputs': 'sequence<diagnostic_msgs/KeyValue>'}
    result = dict(_layout(ExecuteMission.Result))
    assert result['failure'] == 'orchestrator_interfaces/FailureReason'
    feedback = dict(_layout(ExecuteMission.Feedback))
    assert {'active_node_path', 'progress', 'status_text'} <= set(feedback)
    assert {'node_path', 'code', 'leaf_error_code', 'message'} <= set(
        FailureReason.get_fields_and_field_types())
    assert ExecuteMission.Result.CANCELED != ExecuteMission.Result.SUCCEEDED


def test_detection_fields():
    from orchestrator_interfaces.msg import Detection, DetectionArray
    fields = Detection.get_fields_and_field_types()
    assert fields['id'] == 'string'
    assert fields['class_id'] == 'string'
    assert fields['pose'] == 'geometry_msgs/Pose'
    assert fields['confidence'] == 'float'
    assert DetectionArray.get_fields_and_field_types()['header'] == 'std_msgs/Header'

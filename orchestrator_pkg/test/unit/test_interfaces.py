"""The generated interfaces have the layouts and constants that the wire needs.

nav2_msgs, tf2_msgs and geographic_msgs must match ROS 2 Jazzy field for field
(name, type, order), constant for constant and default for default, or real
Nav2 peers will not talk to ours, or scripts written for Jazzy will not run.
The facts come from a build of the real Jazzy packages
(test/data/jazzy_interfaces.json, see compat/README.md). When a distro
provides the real packages, these tests check the distro's, which must pass too.
"""
import glob
import json
import os

import pytest

from orchestrator_pkg.testing.interfaces import layout, message_classes

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
with open(os.path.join(HERE, '..', 'data', 'jazzy_interfaces.json'), encoding='utf-8') as _f:
    JAZZY = json.load(_f)
PARTS = [(name, part) for name, facts in sorted(JAZZY['interfaces'].items())
         for part in facts['layouts']]


def _layout(msg_class):
    return list(msg_class.get_fields_and_field_types().items())


def test_every_compat_type_has_jazzy_facts():
    # a type added to compat/ without recording Jazzy's facts for it fails here
    compat = set()
    for path in glob.glob(os.path.join(REPO, 'compat', '*', '*', '*.*')):
        package, kind, filename = path.split(os.sep)[-3:]
        name, ext = os.path.splitext(filename)
        if ext == f'.{kind}':
            compat.add(f'{package}/{kind}/{name}')
    assert compat, 'no interface files found under compat/'
    assert compat == set(JAZZY['interfaces'])


@pytest.mark.parametrize('type_name,part', PARTS, ids=[f'{n}.{p}' if p else n for n, p in PARTS])
def test_layout_matches_jazzy(type_name, part):
    facts = JAZZY['interfaces'][type_name]['layouts'][part]
    ours = layout(message_classes(type_name)[part])
    assert ours['fields'] == facts['fields']
    assert ours['constants'] == facts['constants']
    assert ours['defaults'] == facts['defaults']


def test_basic_navigator_imports_resolve():
    # the nav2_msgs names that Jazzy's nav2_simple_commander/robot_navigator.py imports
    import nav2_msgs.action as actions
    import nav2_msgs.srv as services
    for name in ('AssistedTeleop', 'BackUp', 'ComputePathThroughPoses', 'ComputePathToPose',
                 'DockRobot', 'DriveOnHeading', 'FollowGPSWaypoints', 'FollowPath',
                 'FollowWaypoints', 'NavigateThroughPoses', 'NavigateToPose', 'SmoothPath',
                 'Spin', 'UndockRobot'):
        assert hasattr(actions, name), name
    for name in ('ClearCostmapAroundPose', 'ClearCostmapAroundRobot',
                 'ClearCostmapExceptRegion', 'ClearEntireCostmap', 'GetCostmap', 'LoadMap',
                 'ManageLifecycleNodes'):
        assert hasattr(services, name), name


def test_navigators_define_only_jazzy_constants():
    # Kilted added UNKNOWN, FAILED_TO_LOAD_BEHAVIOR_TREE, TF_ERROR, TIMEOUT; Jazzy has NONE
    from nav2_msgs.action import NavigateThroughPoses, NavigateToPose
    for action in (NavigateToPose, NavigateThroughPoses):
        assert layout(action.Result)['constants'] == {'NONE': 0}
        assert not hasattr(action.Result, 'UNKNOWN')


def test_nav2_error_codes_used_by_the_stack():
    from nav2_msgs.action import ComputePathToPose, FollowPath
    assert ComputePathToPose.Result.GOAL_OCCUPIED == 206
    assert ComputePathToPose.Result.NO_VALID_PATH == 208
    assert FollowPath.Result.FAILED_TO_MAKE_PROGRESS == 105


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

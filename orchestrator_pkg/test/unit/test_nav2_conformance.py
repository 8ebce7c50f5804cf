"""Every Nav2 Jazzy conformance tree validates and builds with the registered node types."""
import glob
import os

import pytest

from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.nodes.navigator_node import TREE_INPUTS
from orchestrator_pkg.trees.loader import load_file, validate_file

CONFORMANCE = os.environ.get('NAV2_CONFORMANCE_DIR', os.path.join(
    os.path.dirname(__file__), '..', 'data', 'nav2_jazzy_trees'))
PACKAGED = os.path.join(os.path.dirname(__file__), '..', '..', 'behavior_trees')
TREES = sorted(glob.glob(os.path.join(CONFORMANCE, '*.xml')))

NAV2_TYPES = (
    'ComputePathToPose ComputePathThroughPoses FollowPath Spin BackUp DriveOnHeading Wait '
    'ClearEntireCostmap GoalUpdated GlobalUpdatedGoal WouldAPlannerRecoveryHelp '
    'WouldAControllerRecoveryHelp IsPathValid ControllerSelector PlannerSelector TruncatePath '
    'SpeedController DistanceController RemovePassedGoals PathLongerOnApproach '
    'PathExpiringTimer GoalUpdater GoalUpdatedController CancelControl').split()


@pytest.fixture(scope='module')
def registry():
    return default_registry()


def test_every_nav2_type_is_registered_through_the_entry_point(registry):
    missing = [t for t in NAV2_TYPES if t not in registry]
    assert not missing
    assert {registry.origin(t) for t in NAV2_TYPES} == {'entry point "nav2"'}
    assert registry.origin('WaitForMessage') == 'entry point "ros"'


@pytest.mark.skipif(not TREES, reason=f'conformance trees not found in {CONFORMANCE}')
@pytest.mark.parametrize('path', TREES, ids=os.path.basename)
def test_conformance_tree_validates_and_builds(registry, path):
    problems = validate_file(path, registry, inputs=TREE_INPUTS)  # as bt_navigator loads it
    errors = [str(p) for p in problems if p.severity == 'error']
    assert not errors
    # the only warnings are Nav2's deliberate "path read before the planner wrote it"
    for problem in problems:
        assert 'before any node can write it' in problem.message
    built = load_file(path, registry).build()
    types = {built.type_of(b) for b in built.behaviours()}
    assert types & set(NAV2_TYPES)
    # on its own, only the keys the navigator gives (goal, goals) are read and not written
    alone = [p.message for p in validate_file(path, registry) if p.severity == 'warning'
             and 'which no node writes' in p.message]
    assert all('key "goal' in message for message in alone), alone


def test_shipped_navigate_to_pose_tree_is_nav2s_unmodified(registry):
    shipped = os.path.join(PACKAGED, 'navigate_to_pose_w_replanning_and_recovery.xml')
    original = os.path.join(CONFORMANCE, 'navigate_to_pose_w_replanning_and_recovery.xml')
    if not os.path.exists(original):
        pytest.skip('conformance trees not available')
    with open(shipped, 'rb') as a, open(original, 'rb') as b:
        assert a.read() == b.read()


def test_pose_literals_use_nav2s_string_form(registry, tmp_path):
    tree = tmp_path / 'bad.xml'
    tree.write_text('<root BTCPP_format="4"><BehaviorTree ID="T">'
                    '<ComputePathToPose goal="1,2" path="{path}"/></BehaviorTree></root>')
    problems = [p for p in validate_file(str(tree), registry) if p.severity == 'error']
    assert problems and problems[0].line == 1
    assert 'stamp_ns;frame_id;x;y;z;qx;qy;qz;qw' in problems[0].message
    tree.write_text('<root BTCPP_format="4"><BehaviorTree ID="T">'
                    '<ComputePathToPose goal="5;map;1.5;2;0;0;0;0;1" path="{p}"/>'
                    '</BehaviorTree></root>')
    assert not [p for p in validate_file(str(tree), registry) if p.severity == 'error']
    tree.write_text('<root BTCPP_format="4"><BehaviorTree ID="T">'
                    '<FollowPath path="a path"/></BehaviorTree></root>')
    problems = [p for p in validate_file(str(tree), registry) if p.severity == 'error']
    assert problems and 'blackboard reference' in problems[0].message


def test_pose_from_string():
    from orchestrator_pkg.behaviours.ros.port_types import pose_from_string
    pose = pose_from_string('1500000000;map;1.5;-2;0;0;0;0.7071;0.7071')
    assert pose.header.frame_id == 'map'
    assert (pose.header.stamp.sec, pose.header.stamp.nanosec) == (1, 500000000)
    assert (pose.pose.position.x, pose.pose.position.y) == (1.5, -2.0)
    assert pose.pose.orientation.w == pytest.approx(0.7071)
    for bad in ('1;2;3', 'x;map;1;2;3;0;0;0;1', '0;map;nan;0;0;0;0;0;1'):
        with pytest.raises(ValueError):
            pose_from_string(bad)

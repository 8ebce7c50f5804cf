"""Nav2 Jazzy's 12 default trees (Apache-2.0, copied in test/data) against the engine.

With the builtin registry only, the sole problems must be the Nav2 leaf and
decorator types that the ROS side registers. With stand-ins for those types,
the trees load, and the navigate_to_pose tree runs Nav2's recovery logic.
"""
import glob
import os
import re

from bt_leaves import run_tree
import py_trees
from py_trees.common import Status
import pytest

from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.trees import ManualClock, NodeSpec, find_failure, load_file, validate_file
from orchestrator_pkg.trees.behaviour import SubTreeNode
from orchestrator_pkg.trees.ports import PortSpec

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), 'data', 'nav2_jazzy_trees')
FILES = sorted(glob.glob(os.path.join(DATA, '*.xml')))

# Node types of the Nav2 trees that are not BehaviorTree.CPP builtins or Nav2 control
# nodes: ROS action/service/topic leaves and Nav2's ROS-aware decorators.
NAV2_ROS_TYPES = {
    'BackUp', 'CancelControl', 'ClearEntireCostmap', 'ComputePathThroughPoses',
    'ComputePathToPose', 'ControllerSelector', 'DistanceController', 'DriveOnHeading',
    'FollowPath', 'GlobalUpdatedGoal', 'GoalUpdated', 'GoalUpdatedController', 'GoalUpdater',
    'IsPathValid', 'PathExpiringTimer', 'PathLongerOnApproach', 'PlannerSelector',
    'RemovePassedGoals', 'SpeedController', 'Spin', 'TruncatePath', 'Wait',
    'WouldAControllerRecoveryHelp', 'WouldAPlannerRecoveryHelp',
}
NAV2_DECORATORS = {'DistanceController', 'GoalUpdatedController', 'GoalUpdater',
                   'PathLongerOnApproach', 'SpeedController'}


def test_the_twelve_files_and_license_are_there():
    assert len(FILES) == 12
    assert os.path.exists(os.path.join(DATA, 'LICENSE'))


@pytest.mark.parametrize('path', FILES, ids=os.path.basename)
def test_builtin_registry_misses_only_nav2_ros_types(path):
    problems = validate_file(path, default_registry(plugins=False))
    missing = set()
    for problem in problems:
        assert problem.severity == 'error' and problem.file == path and problem.line > 0
        match = re.fullmatch(r'unknown node type "(\w+)"( \(did you mean \w+\?\))?',
                             problem.message)
        assert match, str(problem)
        missing.add(match.group(1))
    assert missing and missing <= NAV2_ROS_TYPES


class StandIn(py_trees.behaviour.Behaviour):
    """A Nav2 leaf stand-in whose results the test scripts by instance name."""

    def __init__(self, name, type_name, script):
        super().__init__(name)
        self.type_name = type_name
        self.script = script

    def update(self):
        self.script.setdefault('log', []).append(self.name)
        value = self.script.get(self.name)
        if value is None:
            value = self.script.get(self.type_name, Status.SUCCESS)
        return value() if callable(value) else value


def stand_in_registry(script):
    registry = default_registry(plugins=False)
    attrs: dict[str, set] = {}
    for path in FILES:
        for type_name, body in re.findall(r'<(\w+)([^>]*)>', open(path).read()):
            if type_name in NAV2_ROS_TYPES:
                attrs.setdefault(type_name, set()).update(
                    re.findall(r'(\w+)=', body))
    for type_name, names in attrs.items():
        ports = tuple(PortSpec(n, 'inout', 'any', False) for n in sorted(names - {'name'}))
        if type_name in NAV2_DECORATORS:
            registry.register(NodeSpec(type_name, 'decorator', ports,
                                       lambda ctx: SubTreeNode(ctx.name, ctx.children[0]),
                                       min_children=1, max_children=1))
        else:
            registry.register(NodeSpec(
                type_name, 'action', ports,
                lambda ctx: StandIn(ctx.name, ctx.type_name, script)))
    return registry


@pytest.mark.parametrize('path', FILES, ids=os.path.basename)
def test_every_tree_loads_with_the_nav2_types_registered(path):
    document = load_file(path, stand_in_registry({}))
    assert document.problems == []
    document.build(clock=ManualClock())


def test_navigate_to_pose_recoveries_go_round_robin_then_fail_with_the_follow_path_reason():
    script = {'FollowPath': Status.FAILURE, 'GoalUpdated': Status.FAILURE}
    path = os.path.join(DATA, 'navigate_to_pose_w_replanning_and_recovery.xml')
    built = load_file(path, stand_in_registry(script)).build(clock=ManualClock())
    # the stand-ins finish within the tick, so a RecoveryNode whose recovery
    # succeeded tries its action again at the next tick (it yields, as BT.CPP
    # v4's loops do): 7 attempts of NavigateRecovery, each with a retry of the
    # FollowPath RecoveryNode after its contextual recovery, take 14 ticks
    assert run_tree(built) == (Status.FAILURE, 14)
    recoveries = [name for name in script['log']
                  if name in ('ClearLocalCostmap-Subtree', 'Spin', 'Wait', 'BackUp')]
    # 6 retries of the whole navigation, each with the next recovery in turn
    assert recoveries == ['ClearLocalCostmap-Subtree', 'Spin', 'Wait', 'BackUp',
                          'ClearLocalCostmap-Subtree', 'Spin']
    assert script['log'].count('ComputePathToPose') == 7
    failure = find_failure(built)
    assert failure.node_path == ('MainTree/NavigateRecovery/NavigateWithReplanning/'
                                 'FollowPath/FollowPath')
    assert failure.node_type == 'FollowPath'


def test_navigate_to_pose_succeeds_after_a_contextual_recovery():
    results = iter([Status.FAILURE, Status.SUCCESS])
    script = {'FollowPath': lambda: next(results)}
    path = os.path.join(DATA, 'navigate_to_pose_w_replanning_and_recovery.xml')
    built = load_file(path, stand_in_registry(script)).build(clock=ManualClock())
    assert run_tree(built) == (Status.SUCCESS, 2)
    assert script['log'].count('ClearLocalCostmap-Context') == 1
    assert 'Spin' not in script['log']

"""Nav2 node semantics without ROS traffic: geometry, conditions, decorators (manual clock)."""
from action_msgs.msg import GoalStatus
from geometry_msgs.msg import PoseStamped
import nav2_msgs.action
from nav_msgs.msg import Path
import numpy as np
from py_trees.common import Status
import pytest

from orchestrator_pkg.behaviours.nav2 import geometry
from orchestrator_pkg.behaviours.nav2.actions import PLANNER_RESULT_TIMEOUT_S
from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.trees.clock import ManualClock
from orchestrator_pkg.trees.loader import load_string


@pytest.fixture(scope='module')
def registry():
    return default_registry()


def build(registry, body, clock=None, **blackboard):
    xml = f'<root BTCPP_format="4"><BehaviorTree ID="T">{body}</BehaviorTree></root>'
    built = load_string(xml, registry, inputs=list(blackboard)).build(clock=clock or ManualClock())
    for key, value in blackboard.items():
        built.blackboard.set(key, value)
    return built


def pose(x, y=0.0):
    message = PoseStamped()
    message.header.frame_id = 'map'
    message.pose.position.x, message.pose.position.y = float(x), float(y)
    return message


def path(*xs, y=0.0):
    return Path(poses=[pose(x, y) for x in xs])


def test_geometry():
    assert geometry.path_length([[0, 0], [3, 4], [3, 5]]) == pytest.approx(6.0)
    assert geometry.path_length([[1, 1]]) == 0.0
    line = [[x, 0] for x in range(6)]  # 0..5 m
    assert geometry.truncate_end(line, 1.0) == 5  # keeps 0..4
    assert geometry.truncate_end(line, 2.5) == 3  # keeps 0..2
    assert geometry.truncate_end(line, 0.0) == 6
    assert geometry.truncate_end(line, 99) == 1
    goals = [[1, 0], [2, 0], [5, 0]]
    assert geometry.passed_goals(goals, [1.1, 0], 0.5) == 1
    assert geometry.passed_goals(goals, [0, 0], 0.5) == 0
    assert geometry.passed_goals([[0, 0]], [0, 0], 0.5) == 0  # never the last goal
    assert geometry.rate_for_speed(0.25, 0.1, 1.0, 0.0, 0.5) == pytest.approx(0.55)
    assert geometry.rate_for_speed(9.0, 0.1, 1.0, 0.0, 0.5) == pytest.approx(1.0)
    assert geometry.new_path_is_much_longer([[0, 0], [5, 0]], [[0, 0], [2, 0]], 2.0)
    assert not geometry.new_path_is_much_longer([[0, 0], [3, 0]], [[0, 0], [2, 0]], 2.0)


def test_remaining_length_counts_from_the_nearest_point():
    bend = [[0, 0], [3, 0], [3, 4]]  # 3 m then 4 m
    assert geometry.remaining_length(bend, (0.2, 0.1)) == pytest.approx(7.0)
    assert geometry.remaining_length(bend, (2.9, 0.5)) == pytest.approx(4.0)  # nearest: the bend
    assert geometry.remaining_length(bend, (3.0, 9.0)) == 0.0  # past the end
    assert geometry.remaining_length([[1, 1], [1, 1], [2, 1]], (1, 1)) == pytest.approx(1.0)
    assert geometry.remaining_length(np.empty((0, 2)), (0, 0)) == 0.0
    # the same as the first of the nearest points by a plain search, on a random path
    rng = np.random.default_rng(7)
    xy = np.cumsum(rng.normal(size=(300, 2)), axis=0)
    for robot in rng.normal(scale=10.0, size=(20, 2)):
        nearest = min(range(len(xy)), key=lambda i: float(np.sum((xy[i] - robot) ** 2)))
        assert geometry.remaining_length(xy, robot) == pytest.approx(
            geometry.path_length(xy[nearest:]))


def test_goal_updated_first_check_fails_then_detects_changes(registry):
    built = build(registry, '<GoalUpdated/>', goal=pose(1))
    assert built.tick() == Status.FAILURE  # first check remembers
    assert built.tick() == Status.FAILURE
    built.blackboard.set('goal', pose(2))
    assert built.tick() == Status.SUCCESS
    assert built.tick() == Status.FAILURE
    built.blackboard.set('goal', pose(3))
    built.root.status = Status.INVALID  # a parent's reset (BT.CPP IDLE): fresh again
    assert built.tick() == Status.FAILURE


def test_global_updated_goal_remembers_across_resets(registry):
    built = build(registry, '<GlobalUpdatedGoal/>', goal=pose(1))
    assert built.tick() == Status.FAILURE
    built.blackboard.set('goal', pose(2))
    built.root.status = Status.INVALID
    assert built.tick() == Status.SUCCESS


@pytest.mark.parametrize('node,code,expected', [
    ('WouldAPlannerRecoveryHelp', 208, Status.SUCCESS),   # NO_VALID_PATH
    ('WouldAPlannerRecoveryHelp', 206, Status.FAILURE),   # GOAL_OCCUPIED
    ('WouldAPlannerRecoveryHelp', 308, Status.SUCCESS),   # through poses NO_VALID_PATH
    ('WouldAControllerRecoveryHelp', 104, Status.SUCCESS),  # PATIENCE_EXCEEDED
    ('WouldAControllerRecoveryHelp', 103, Status.FAILURE),  # INVALID_PATH
    ('WouldAControllerRecoveryHelp', 0, Status.FAILURE),
])
def test_would_a_recovery_help(registry, node, code, expected):
    built = build(registry, f'<{node} error_code="{{code}}"/>', code=code)
    assert built.tick() == expected


def test_would_a_recovery_help_with_no_code_yet_fails(registry):
    built = build(registry, '<WouldAPlannerRecoveryHelp error_code="{never_set}"/>')
    assert built.tick() == Status.FAILURE


def test_truncate_path(registry):
    built = build(registry, '<TruncatePath distance="1.0" input_path="{p}" output_path="{q}"/>',
                  p=path(0, 1, 2, 3, 4, 5))
    assert built.tick() == Status.SUCCESS
    assert [q.pose.position.x for q in built.blackboard.get('q').poses] == [0, 1, 2, 3, 4]
    assert len(built.blackboard.get('p').poses) == 6  # input untouched


def test_path_expiring_timer_on_the_tree_clock(registry):
    clock = ManualClock()
    built = build(registry, '<PathExpiringTimer seconds="1.0" path="{p}"/>', clock, p=path(0, 1))
    assert built.tick() == Status.FAILURE  # starts the timer
    clock.advance(0.6)
    assert built.tick() == Status.FAILURE
    clock.advance(0.5)
    assert built.tick() == Status.SUCCESS  # expired, restarts
    clock.advance(0.5)
    assert built.tick() == Status.FAILURE
    built.blackboard.set('p', path(0, 2))
    clock.advance(0.6)
    assert built.tick() == Status.FAILURE  # new path restarts the timer
    clock.advance(0.6)
    assert built.tick() == Status.FAILURE
    clock.advance(0.5)
    assert built.tick() == Status.SUCCESS


def test_goal_updated_controller_ticks_its_child_only_on_new_goals(registry):
    built = build(registry, '<GoalUpdatedController><AlwaysFailure/></GoalUpdatedController>',
                  goal=pose(1))
    assert built.tick() == Status.FAILURE  # first tick ticks the child
    assert built.tick() == Status.RUNNING  # same goal: child not ticked
    built.blackboard.set('goal', pose(4))
    assert built.tick() == Status.FAILURE
    assert built.tick() == Status.RUNNING


def test_gated_decorators_start_fresh_after_their_parent_finishes(registry):
    # The Sequence finishes each tick and resets (marks idle) its children. A
    # gate that comes back from idle is fresh (BT.CPP status() == IDLE) and ticks
    # its child, even though the goal did not change.
    built = build(registry, '<Sequence><GoalUpdatedController><AlwaysSuccess/>'
                            '</GoalUpdatedController></Sequence>', goal=pose(1))
    assert built.tick() == Status.SUCCESS
    assert built.tick() == Status.SUCCESS  # not RUNNING: fresh again, the child ran
    assert built.tick() == Status.SUCCESS


def test_path_longer_on_approach(registry):
    body = ('<PathLongerOnApproach path="{p}" prox_len="3.0" length_factor="2.0">'
            '<AlwaysFailure/></PathLongerOnApproach>')
    built = build(registry, body, p=path(0, 1, 2))  # 2 m to the goal at x=2
    assert built.tick() == Status.SUCCESS  # first path: nothing to compare
    detour = Path(poses=[pose(0), pose(0, 3), pose(2, 3), pose(2)])  # 8 m, same goal
    built.blackboard.set('p', detour)
    assert built.tick() == Status.FAILURE  # child ticked (AlwaysFailure)
    built.blackboard.set('p', path(0, 1, 2, 3, 4, 5, 6, 7, 8, 9))  # new goal: not a detour
    assert built.tick() == Status.SUCCESS


@pytest.mark.parametrize('xml, action, server, field, value', [
    ('<ComputePathToPose goal="{dest}" path="{p}" error_code_id="{e}"/>', 'ComputePathToPose',
     'compute_path_to_pose', 'goal', pose(3.0)),
    ('<ComputePathThroughPoses goals="{dest}" path="{p}" error_code_id="{e}"/>',
     'ComputePathThroughPoses', 'compute_path_through_poses', 'goals', [pose(1.0), pose(2.0)]),
], ids=['to_pose', 'through_poses'])
def test_planner_nodes_build_goals_and_store_paths(registry, xml, action, server, field, value):
    action_type = getattr(nav2_msgs.action, action)
    built = build(registry, xml, dest=value)
    leaf = built.root
    assert leaf.action_type is action_type and leaf.action_name == server
    assert leaf.result_timeout_s == PLANNER_RESULT_TIMEOUT_S
    goal = leaf.goal_factory()
    assert isinstance(goal, action_type.Goal)
    assert getattr(goal, field) == value and not goal.use_start and goal.planner_id == ''
    started = build(registry, xml.replace('/>', ' start="{s}" planner_id="GridBased"/>'),
                    dest=value, s=pose(-1.0)).root.goal_factory()
    assert started.use_start and started.start == pose(-1.0)
    assert started.planner_id == 'GridBased'
    # the path is written only for a successful result
    leaf.on_result(action_type.Result(path=path(0, 1), error_code=0),
                   GoalStatus.STATUS_SUCCEEDED)
    assert built.blackboard.get('p') == path(0, 1)
    leaf.on_result(action_type.Result(path=path(5), error_code=204), GoalStatus.STATUS_ABORTED)
    assert built.blackboard.get('p') == path(0, 1)


@pytest.mark.parametrize('xml, action, server', [
    ('<BackUp backup_dist="0.3" backup_speed="0.1" time_allowance="5.5"/>', 'BackUp', 'backup'),
    ('<DriveOnHeading dist_to_travel="0.3" speed="0.1" time_allowance="5.5"/>',
     'DriveOnHeading', 'drive_on_heading'),
])
def test_straight_line_nodes_build_their_goals(registry, xml, action, server):
    leaf = build(registry, xml).root
    action_type = getattr(nav2_msgs.action, action)
    assert leaf.action_type is action_type and leaf.action_name == server
    goal = leaf.goal_factory()
    assert isinstance(goal, action_type.Goal)
    assert (goal.target.x, goal.target.y, goal.speed) == pytest.approx((0.3, 0.0, 0.1))
    assert (goal.time_allowance.sec, goal.time_allowance.nanosec) == (5, 500_000_000)

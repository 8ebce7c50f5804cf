"""The patrol and navigate missions, as shipped, against fixture Nav2 servers (other processes).

The tree runs in this process on a real rclpy node whose ``places_file`` is the
warehouse world; GetPlacePose is real. navigate runs Nav2's own tree here,
against the fixture planner/controller/behavior servers; patrol's
NavigateToPose goes to a real navigator_node, which runs the same tree against
the same fixtures.
"""
import os

from geometry_msgs.msg import PoseStamped
from py_trees.common import Status
import pytest

from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.ros_edge.clock import RosClock
from orchestrator_pkg.testing.processes import ManagedProcess
from orchestrator_pkg.testing.trees import rclpy_node, tick_until
from orchestrator_pkg.trees import find_failure
from orchestrator_pkg.trees.failure import FailureCode
from orchestrator_pkg.trees.loader import load_file

TIMEOUT_S = 30.0
MISSIONS = os.path.join(os.path.dirname(__file__), '..', '..', 'missions')


@pytest.fixture
def servers(ros_domain):
    """Start the fixture Nav2 servers (and optionally navigator_node); yield ``start``."""
    started = []

    def start(navigator=False):
        procs = [ManagedProcess.python('-m', 'orchestrator_pkg.testing.nav_fixture_servers',
                                       env=ros_domain.env()).start()]
        if navigator:
            procs.append(ManagedProcess.python('-m', 'orchestrator_pkg.nodes.navigator_node',
                                               env=ros_domain.env()).start())
        started.extend(procs)
        assert procs[0].wait_for_output('nav fixture ready', TIMEOUT_S), procs[0].output()
        if navigator:
            assert procs[1].wait_for_output('navigator ready', TIMEOUT_S), procs[1].output()
        return procs[0]
    try:
        yield start
    finally:
        for proc in reversed(started):
            proc.stop()
        for proc in started:
            assert proc.returncode == 0, proc.output()


@pytest.fixture
def node(ros_domain):
    with rclpy_node(ros_domain, 'place_missions_test') as node:
        node.declare_parameter('places_file', 'warehouse')
        # no localizer among the fixtures: the missions' StayLocalized guard passes, as under
        # the bringup's --localization truth (the orchestrator's localization parameter)
        node.declare_parameter('localization', 'truth')
        yield node


def build_mission(node, name, **inputs):
    built = load_file(os.path.join(MISSIONS, f'{name}.xml'), default_registry(),
                      inputs=list(inputs)).build(clock=RosClock(node))
    for key, value in inputs.items():
        built.blackboard.set(key, value)
    built.tree.setup(node=node, timeout=5.0)
    return built


def done(status):
    return status in (Status.SUCCESS, Status.FAILURE)


def succeeds(node, built, predicate=done, timeout_s=TIMEOUT_S):
    """Tick until ``predicate``; assert SUCCESS, naming the failing leaf and its reason."""
    status = tick_until(node, built, predicate, timeout_s)
    if status != Status.SUCCESS:
        failure = find_failure(built)
        raise AssertionError(f'{status}: {failure.node_path}: {failure.message}'
                             if failure else f'{status}, no failure recorded')


def events(proc, interface):
    return [line for line in proc.output().splitlines()
            if line.startswith(f'EVENT {interface} goal')]


def test_navigate_to_a_place_runs_nav2s_tree(servers, node):
    fixture = servers()
    built = build_mission(node, 'navigate', place='dropoff')
    succeeds(node, built)
    goal = built.blackboard.get('goal')
    assert isinstance(goal, PoseStamped)
    assert (goal.pose.position.x, goal.pose.position.y) == pytest.approx((6.5, 0.8))
    assert events(fixture, 'compute_path_to_pose') and events(fixture, 'follow_path')


def test_navigate_to_a_goal_string(servers, node):
    fixture = servers()
    built = build_mission(node, 'navigate', goal='0;map;2.0;1.0;0;0;0;0;1')
    succeeds(node, built)
    assert events(fixture, 'follow_path')


def test_navigate_without_goal_or_place_fails_before_moving(node):
    built = build_mission(node, 'navigate')
    assert tick_until(node, built, done, TIMEOUT_S) == Status.FAILURE
    assert find_failure(built).node_path.endswith('GoalFromPlace/GoalOrPlaceGiven')


def test_patrol_visits_the_places_in_order_each_lap_then_docks(servers, node):
    fixture = servers(navigator=True)
    built = build_mission(node, 'patrol', places='pickup_a;dropoff', laps='2')
    legs = []

    def record_leg(status):
        for behaviour in built.behaviours():
            if built.type_of(behaviour) == 'NavigateToPose' and behaviour.status == Status.RUNNING:
                path = built.path_of(behaviour)  # Patrol/LocalizedMission/PatrolMission/<step>
                leg = (path.split('/')[3], built.blackboard.get('place'))
                if not legs or legs[-1] != leg:
                    legs.append(leg)
        return done(status)
    succeeds(node, built, record_leg, 3 * TIMEOUT_S)
    places = [place for step, place in legs if step == 'Laps']
    assert places == ['pickup_a', 'dropoff', 'pickup_a', 'dropoff']
    assert legs[-1][0] == 'ReturnToDock'
    assert len(events(fixture, 'follow_path')) >= 5


def test_patrol_with_an_unknown_place_fails_naming_it_before_moving(servers, node):
    fixture = servers(navigator=True)
    built = build_mission(node, 'patrol', places='pickup_a;kitchen')
    assert tick_until(node, built, done, TIMEOUT_S) == Status.FAILURE
    failure = find_failure(built)
    assert failure.code == FailureCode.INVALID_INPUT
    assert 'CheckPlaces' in failure.node_path and "'kitchen'" in failure.message
    assert not events(fixture, 'compute_path_to_pose')

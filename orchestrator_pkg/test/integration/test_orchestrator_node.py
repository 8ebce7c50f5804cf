"""execute_mission end to end: a real orchestrator process, real fixture servers, this client.

Covers success (with feedback and snapshots), failure with a structured
reason, cancel (the child goal canceled at the cancel request, the goal ended
within 2 ticks), pause/resume and rejected missions.
"""
import os
import re
import statistics
import time

from action_msgs.msg import GoalStatus
from diagnostic_msgs.msg import KeyValue
import pytest
from rcl_interfaces.srv import SetParameters
import rclpy
from rclpy.action import ActionClient
from rclpy.parameter import Parameter
from std_srvs.srv import Trigger

from orchestrator_interfaces.action import ExecuteMission
from orchestrator_interfaces.msg import BehaviourStatus, BehaviourTreeSnapshot, FailureReason
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.ros_edge.waiting import spin_until, wait_future
from orchestrator_pkg.testing.processes import ManagedProcess
from orchestrator_pkg.testing.ros_domain import claim_domain

TIMEOUT_S = 30.0
MISSIONS = os.path.join(os.path.dirname(__file__), '..', '..', 'missions')
WAIT_TWICE = '''<root BTCPP_format="4" main_tree_to_execute="Twice">
  <BehaviorTree ID="Twice">
    <Sequence name="Steps">
      <Wait name="Long" wait_duration="{wait_s}"/>
      <Wait name="Short" wait_duration="0.1"/>
    </Sequence>
  </BehaviorTree>
</root>'''


class Harness:
    def __init__(self, node, client, orchestrator, servers):
        self.node, self.client = node, client
        self.orchestrator, self.servers = orchestrator, servers
        self.feedback = []
        self.snapshots = []
        node.create_subscription(BehaviourTreeSnapshot, '/orchestrator/snapshot',
                                 self.snapshots.append, 10)
        self.pause_client = node.create_client(Trigger, '/orchestrator/pause')
        self.resume_client = node.create_client(Trigger, '/orchestrator/resume')

    def send(self, **goal_fields):
        inputs = goal_fields.pop('inputs', {})
        goal = ExecuteMission.Goal(inputs=[KeyValue(key=k, value=str(v))
                                           for k, v in inputs.items()], **goal_fields)
        self.feedback = []
        handle = wait_future(self.node, self.client.send_goal_async(
            goal, feedback_callback=lambda m: self.feedback.append(m.feedback)), TIMEOUT_S)
        assert handle.accepted
        return handle

    def result(self, handle):
        return wait_future(self.node, handle.get_result_async(), TIMEOUT_S)

    def events(self, what):
        return self.servers.output().count(f'EVENT {what}')

    def trigger(self, client):
        assert client.wait_for_service(timeout_sec=TIMEOUT_S)
        return wait_future(self.node, client.call_async(Trigger.Request()), TIMEOUT_S)


@pytest.fixture(scope='module')
def harness():
    with claim_domain() as claim:
        env = claim.env()
        servers = ManagedProcess.python('-m', 'orchestrator_pkg.testing.nav_fixture_servers',
                                        '--spin-error', '703', env=env)
        orchestrator = ManagedProcess.python(
            '-m', 'orchestrator_pkg.nodes.orchestrator_node', '--ros-args',
            '-p', f'missions_dir:={os.path.abspath(MISSIONS)}', env=env)
        with servers, orchestrator:
            assert servers.wait_for_output('nav fixture ready', TIMEOUT_S), servers.output()
            assert orchestrator.wait_for_output('orchestrator ready', TIMEOUT_S), \
                orchestrator.output()
            rclpy.init(domain_id=claim.domain_id)
            node = rclpy.create_node('execute_mission_client')
            client = ActionClient(node, ExecuteMission, 'execute_mission')
            try:
                assert client.wait_for_server(timeout_sec=TIMEOUT_S)
                yield Harness(node, client, orchestrator, servers)
            finally:
                client.destroy()
                destroy_node_and_waitables(node)
                rclpy.shutdown()
        assert orchestrator.returncode == 0, orchestrator.output()
        assert servers.returncode == 0, servers.output()


def test_mission_by_name_succeeds_with_feedback_and_snapshots(harness):
    response = harness.result(harness.send(mission_name='hello'))
    assert response.status == GoalStatus.STATUS_SUCCEEDED
    result = response.result
    assert result.outcome == ExecuteMission.Result.SUCCEEDED
    assert result.failure.code == FailureReason.NONE
    assert result.ticks >= 3  # Sleep 300 ms at 20 Hz
    assert result.elapsed.sec > 0 or result.elapsed.nanosec >= 250_000_000
    paths = {f.active_node_path for f in harness.feedback}
    assert 'Hello/SayHello/Pause' in paths
    progress = [f.progress for f in harness.feedback]
    assert progress == sorted(progress) and 0.0 < progress[-1] < 1.0
    assert spin_until(harness.node, lambda: any(s.mission == 'hello'
                                                 for s in harness.snapshots), 5.0)
    snapshot = [s for s in harness.snapshots if s.mission == 'hello'][-1]
    assert snapshot.tree_id == 'Hello'
    # the battery guard wraps every mission: the mission, then the recharge tree
    assert [b.path for b in snapshot.behaviours] == [
        'BatteryGuard', 'Hello/SayHello', 'Hello/SayHello/SetBlackboard', 'Hello/SayHello/Pause',
        'Hello/SayHello/Done', 'Recharge/RechargeAtDock', 'Recharge/RechargeAtDock/LookUpDock',
        'Recharge/RechargeAtDock/GoToDock', 'Recharge/RechargeAtDock/Charge']
    assert snapshot.behaviours[0].parent_id == -1 and snapshot.visited
    assert snapshot.behaviours[1].parent_id == 0 and snapshot.behaviours[5].parent_id == 0


def test_failure_carries_the_leaf_reason(harness):
    response = harness.result(harness.send(mission_name='wait_then_spin',
                                           inputs={'wait_s': '0.1'}))
    assert response.status == GoalStatus.STATUS_ABORTED
    result = response.result
    assert result.outcome == ExecuteMission.Result.FAILED
    failure = result.failure
    assert failure.code == FailureReason.ACTION_FAILED
    assert failure.node_path == 'WaitThenSpin/Steps/QuarterTurn'
    assert failure.node_type == 'Spin'
    assert failure.leaf_error_code == 703
    assert failure.leaf_interface == 'nav2_msgs/action/Spin'
    assert '703' in failure.message


def test_cancel_halts_the_tree_and_cancels_the_child_goal(harness):
    goals_before = harness.events('wait goal')
    handle = harness.send(tree_xml=WAIT_TWICE, inputs={'wait_s': '30'})
    assert spin_until(harness.node, lambda: harness.events('wait goal') > goals_before and
                      any(f.active_node_path == 'Twice/Steps/Long' for f in harness.feedback),
                      TIMEOUT_S)
    cancel = wait_future(harness.node, handle.cancel_goal_async(), TIMEOUT_S)
    assert len(cancel.goals_canceling) == 1
    response = harness.result(handle)
    assert response.status == GoalStatus.STATUS_CANCELED
    assert response.result.outcome == ExecuteMission.Result.CANCELED
    assert response.result.failure.code == FailureReason.CANCELED
    ticks = int(re.search(r'(\d+) tick\(s\)', response.result.failure.message).group(1))
    assert 1 <= ticks <= 2
    assert spin_until(harness.node, lambda: 'EVENT wait canceled' in harness.servers.output(),
                      TIMEOUT_S), harness.servers.output()


def _set_tick_rate(harness, rate_hz):
    _set_parameter(harness, 'tick_rate_hz', rate_hz)


def _set_parameter(harness, name, value):
    client = harness.node.create_client(SetParameters, '/orchestrator/set_parameters')
    try:
        assert client.wait_for_service(timeout_sec=TIMEOUT_S)
        request = SetParameters.Request(
            parameters=[Parameter(name, value=value).to_parameter_msg()])
        (result,) = wait_future(harness.node, client.call_async(request), TIMEOUT_S).results
        assert result.successful, result.reason
    finally:
        harness.node.destroy_client(client)


def test_a_cancel_reaches_the_running_leaf_at_once_not_at_the_next_tick(harness):
    # a 4 s tick period: the halt used to wait for the next tick, about 4 s after the
    # feedback of the tick that started the leaf; the cancel callback halts the tree now
    _set_tick_rate(harness, 0.25)
    try:
        goals_before = harness.events('wait goal')
        cancels_before = harness.events('wait cancel ')
        handle = harness.send(tree_xml=WAIT_TWICE, inputs={'wait_s': '60'})
        assert spin_until(harness.node, lambda: harness.events('wait goal') > goals_before and
                          any(f.active_node_path == 'Twice/Steps/Long'
                              for f in harness.feedback), TIMEOUT_S)
        sent = time.monotonic()
        handle.cancel_goal_async()
        assert spin_until(harness.node, lambda: harness.events('wait cancel ') > cancels_before,
                          TIMEOUT_S), harness.servers.output()
        line = harness.servers.output().split('EVENT wait cancel ')[-1].split()[0]
        arrived = float(line)  # the fixture's time.monotonic(): the same clock as ours
        print(f'child cancel {arrived - sent:.3f} s after the mission cancel (tick period 4 s)')
        assert arrived - sent < 2.0, f'{arrived - sent:.3f} s: the halt waited for a tick'
        response = harness.result(handle)
        assert response.status == GoalStatus.STATUS_CANCELED
        assert 'halted (child goals canceled) at the cancel request' in \
            response.result.failure.message
    finally:
        _set_tick_rate(harness, 20.0)


def _run_collecting_snapshots(harness, wait_s):
    """Run WAIT_TWICE; return its result and the snapshots of its run, the last included."""
    harness.snapshots.clear()
    response = harness.result(harness.send(tree_xml=WAIT_TWICE, inputs={'wait_s': wait_s}))
    assert response.status == GoalStatus.STATUS_SUCCEEDED
    ticks = response.result.ticks
    assert spin_until(harness.node, lambda: any(s.tick == ticks for s in harness.snapshots),
                      5.0), [s.tick for s in harness.snapshots]
    return ticks, [s for s in harness.snapshots if s.tree_id == 'Twice']


def test_snapshots_follow_the_changes_not_the_ticks(harness):
    # 100 Hz; the Wait leaf waits for its result for 2.5 s, changing nothing: those ticks
    # publish no snapshot but one a second (snapshot_period_s); the changes and the last do
    _set_tick_rate(harness, 100.0)
    try:
        ticks, snapshots = _run_collecting_snapshots(harness, '2.5')
        seen = [s.tick for s in snapshots]
        print(f'{ticks} ticks, snapshots after ticks {seen}')
        assert ticks >= 60, ticks  # 250 on an idle machine
        assert seen == sorted(seen) and seen[0] == 1 and seen[-1] == ticks
        assert len(seen) <= 12 and len(seen) < ticks / 4, seen
        long_ran = [s.tick for s in snapshots if s.behaviours[2].path == 'Twice/Steps/Long'
                    and s.behaviours[2].status == BehaviourStatus.RUNNING]
        gaps = [b - a for a, b in zip(long_ran, long_ran[1:], strict=False)]
        assert gaps and max(gaps) >= 30, long_ran  # a quiet second: one snapshot, not 100
        last = snapshots[-1]
        assert last.behaviours[0].status == BehaviourStatus.SUCCESS  # the root, at the end
        # snapshot_period_s 0: a snapshot after every tick, as before (20 Hz: none lost)
        _set_tick_rate(harness, 20.0)
        _set_parameter(harness, 'snapshot_period_s', 0.0)
        ticks, snapshots = _run_collecting_snapshots(harness, '1.0')
        seen = [s.tick for s in snapshots]
        assert seen[-1] == ticks and len(seen) >= 0.8 * ticks, (ticks, seen)
    finally:
        _set_parameter(harness, 'snapshot_period_s', 1.0)
        _set_tick_rate(harness, 20.0)


def _quiet_feedback_gaps(harness, wait_s):
    """Run WAIT_TWICE; return the ROS-clock gaps between the feedback of its quiet stretch.

    The stretch is the ticks while the Long leaf waits for its result, after its
    first feedback (the tick that started it changed the tree).
    """
    response = harness.result(harness.send(tree_xml=WAIT_TWICE, inputs={'wait_s': wait_s}))
    assert response.status == GoalStatus.STATUS_SUCCEEDED
    elapsed = [f.elapsed.sec + f.elapsed.nanosec * 1e-9 for f in harness.feedback
               if f.active_node_path == 'Twice/Steps/Long']
    assert len(elapsed) >= 3, [f.active_node_path for f in harness.feedback]
    return [b - a for a, b in zip(elapsed[1:], elapsed[2:], strict=False)]


def test_feedback_follows_the_changes_and_its_period_not_the_ticks(harness):
    # 100 Hz; while the Long leaf waits, a tick changes nothing: its feedback goes out
    # once per feedback_period_s (0.05 s), not after each tick (0.01 s apart)
    _set_tick_rate(harness, 100.0)
    try:
        gaps = _quiet_feedback_gaps(harness, '1.5')
        assert min(gaps) >= 0.045, gaps
        assert len(gaps) <= 1.5 / 0.05 + 2, gaps
        # feedback_period_s 0: feedback after every tick; this also shows that the
        # ticks did come faster than the period above
        _set_parameter(harness, 'feedback_period_s', 0.0)
        gaps = _quiet_feedback_gaps(harness, '1.0')
        assert statistics.median(gaps) < 0.03, gaps
    finally:
        _set_parameter(harness, 'feedback_period_s', 0.05)
        _set_tick_rate(harness, 20.0)


def test_pause_halts_leaves_and_resume_continues(harness):
    goals_before = harness.events('wait goal')
    cancels_before = harness.events('wait cancel ')
    handle = harness.send(tree_xml=WAIT_TWICE, inputs={'wait_s': '2.0'})
    assert spin_until(harness.node, lambda: harness.events('wait goal') == goals_before + 1,
                      TIMEOUT_S)
    paused = harness.trigger(harness.pause_client)
    assert paused.success, paused.message
    assert 'halted 1 leaves' in paused.message
    assert spin_until(harness.node, lambda: harness.events('wait cancel ') == cancels_before + 1,
                      TIMEOUT_S)
    again = harness.trigger(harness.pause_client)
    assert not again.success
    ticks_at_pause = int(re.search(r'tick (\d+)', paused.message).group(1))
    resumed = harness.trigger(harness.resume_client)
    assert resumed.success, resumed.message
    assert int(re.search(r'tick (\d+)', resumed.message).group(1)) == ticks_at_pause
    response = harness.result(handle)
    assert response.result.outcome == ExecuteMission.Result.SUCCEEDED
    # the Long wait was sent again after resume, then Short ran: 3 goals in all
    assert harness.events('wait goal') == goals_before + 3


def test_invalid_missions_are_rejected_with_a_reason(harness):
    bad_xml = ('<root BTCPP_format="4"><BehaviorTree ID="T">\n'
               '<NoSuchNode/></BehaviorTree></root>')
    result = harness.result(harness.send(tree_xml=bad_xml)).result
    assert result.outcome == ExecuteMission.Result.REJECTED
    assert result.failure.code == FailureReason.INVALID_TREE
    assert '<inline>:2' in result.failure.message and 'NoSuchNode' in result.failure.message
    assert result.ticks == 0
    result = harness.result(harness.send(mission_name='no_such_mission')).result
    assert result.outcome == ExecuteMission.Result.REJECTED
    assert result.failure.code == FailureReason.UNKNOWN_MISSION
    assert 'hello' in result.failure.message  # lists the known missions
    result = harness.result(harness.send(mission_name='../etc/passwd')).result
    assert result.failure.code == FailureReason.UNKNOWN_MISSION


def test_a_second_mission_is_refused_while_one_runs(harness):
    handle = harness.send(tree_xml=WAIT_TWICE, inputs={'wait_s': '30'})
    second = wait_future(harness.node, harness.client.send_goal_async(
        ExecuteMission.Goal(mission_name='hello')), TIMEOUT_S)
    assert not second.accepted
    wait_future(harness.node, handle.cancel_goal_async(), TIMEOUT_S)
    assert harness.result(handle).result.outcome == ExecuteMission.Result.CANCELED


def test_pose_input_as_nav2_string(harness):
    result = harness.result(harness.send(
        mission_name='go_to', inputs={'goal': '0;map;2.0;1.0;0;0;0;0;1'})).result
    assert result.outcome == ExecuteMission.Result.SUCCEEDED, result.failure.message
    result = harness.result(harness.send(mission_name='go_to', inputs={'goal': '2,1'})).result
    assert result.outcome == ExecuteMission.Result.FAILED
    assert result.failure.code == FailureReason.INVALID_INPUT
    assert result.failure.node_path == 'GoTo/PlanAndFollow/Replan/Plan'
    assert 'stamp_ns;frame_id' in result.failure.message

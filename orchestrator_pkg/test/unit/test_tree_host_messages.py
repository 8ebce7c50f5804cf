"""The tree host's pure parts: snapshots, status changes and failures as ROS messages; due()."""
from builtin_interfaces.msg import Time

from orchestrator_interfaces.msg import BehaviourStatus, FailureReason
from orchestrator_pkg.behaviours.builtin import register as register_builtin
from orchestrator_pkg.nodes.tree_host import (
    changes_msg,
    due,
    failure_msg,
    snapshot_msg,
    tree_log_msg,
)
from orchestrator_pkg.trees.clock import ManualClock
from orchestrator_pkg.trees.loader import load_string
from orchestrator_pkg.trees.registry import Registry
from orchestrator_pkg.trees.runner import MissionRunner


def runner_for(body):
    registry = Registry()
    register_builtin(registry)
    xml = f'<root BTCPP_format="4"><BehaviorTree ID="M">{body}</BehaviorTree></root>'
    clock = ManualClock()
    return MissionRunner(load_string(xml, registry).build(clock=clock), 'test', clock)


def test_a_snapshot_message_lists_every_behaviour_with_its_status_and_the_visited_ones():
    runner = runner_for('<Sequence name="S"><AlwaysSuccess name="A"/><Sleep name="Z" msec="1000"/>'
                        '<AlwaysSuccess name="B"/></Sequence>')
    runner.tick()
    message = snapshot_msg(runner, Time(sec=1))
    assert message.header.stamp.sec == 1 and message.tick == 1
    assert message.mission == 'test' and message.tree_id == 'M'
    assert [b.name for b in message.behaviours] == ['S', 'A', 'Z', 'B']
    assert [b.parent_id for b in message.behaviours] == [-1, 0, 0, 0]
    assert [b.status for b in message.behaviours] == [
        BehaviourStatus.RUNNING, BehaviourStatus.SUCCESS, BehaviourStatus.RUNNING,
        BehaviourStatus.INVALID]
    assert message.behaviours[2].path == 'M/S/Z' and message.behaviours[2].type == 'Sleep'
    assert sorted(message.visited) == [0, 1, 2]


def test_a_changes_message_is_stamped_and_carries_type_status_and_failure():
    runner = runner_for('<Sequence name="S"><AlwaysFailure name="F"/></Sequence>')
    runner.tick()
    message = changes_msg(runner, runner.take_changes(), Time(sec=3))
    assert message.header.stamp.sec == 3 and message.tick == 1 and message.mission == 'test'
    by_path = {c.path: c for c in message.changes}
    assert by_path['M/S/F'].status == BehaviourStatus.FAILURE
    assert by_path['M/S/F'].previous_status == BehaviourStatus.INVALID
    assert by_path['M/S/F'].type == 'AlwaysFailure'
    reason = failure_msg(runner.failure())
    assert reason.node_path == 'M/S/F' and reason.code != FailureReason.NONE


def test_nav2s_tree_log_names_the_nodes_and_uses_behaviortree_cpps_status_names():
    runner = runner_for('<Sequence name="S"><AlwaysSuccess name="A"/><Sleep name="Z" msec="1000"/>'
                        '</Sequence>')
    runner.tick()
    message = tree_log_msg(runner.take_changes(), Time(sec=5))
    assert message.timestamp.sec == 5
    events = [(e.node_name, e.uid, e.previous_status, e.current_status)
              for e in message.event_log]
    # depth first: S is the root (uid 1), A and Z its children
    assert ('A', 2, 'IDLE', 'SUCCESS') in events and ('Z', 3, 'IDLE', 'RUNNING') in events
    assert ('S', 1, 'IDLE', 'RUNNING') in events
    assert all(e.timestamp.sec == 5 for e in message.event_log)
    runner.halt()
    halted = tree_log_msg(runner.take_changes(), Time(sec=6))
    assert ('Z', 3, 'RUNNING', 'IDLE') in [(e.node_name, e.uid, e.previous_status,
                                            e.current_status) for e in halted.event_log]


def test_due_after_its_period_at_first_and_when_the_clock_went_back():
    assert due(5.0, None, 1.0)  # never done
    assert not due(5.5, 5.0, 1.0) and due(6.0, 5.0, 1.0) and due(9.0, 5.0, 1.0)
    assert due(2.0, 5.0, 1.0)  # the clock went back (a sim restarted): not in 4 s
    assert due(5.0, 5.0, 0.0)  # period 0: every time

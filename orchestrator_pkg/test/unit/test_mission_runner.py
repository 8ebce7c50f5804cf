"""MissionRunner without ROS traffic: progress, snapshot, pause/resume, exceptions."""
from builtin_interfaces.msg import Time
import py_trees
from py_trees.common import Status

from orchestrator_interfaces.msg import BehaviourStatus
from orchestrator_pkg.behaviours.builtin import register as register_builtin
from orchestrator_pkg.nodes.mission_runner import MissionRunner
from orchestrator_pkg.trees.clock import ManualClock
from orchestrator_pkg.trees.failure import FailureCode
from orchestrator_pkg.trees.loader import load_string
from orchestrator_pkg.trees.registry import NodeSpec, Registry


class Boom(py_trees.behaviour.Behaviour):
    def update(self):
        raise ZeroDivisionError('bad arithmetic in a plugin')


def registry():
    reg = Registry()
    register_builtin(reg)
    reg.register(NodeSpec('Boom', 'action', (), lambda ctx: Boom(ctx.name), 'raises'))
    return reg


def runner_for(body, clock):
    xml = f'<root BTCPP_format="4"><BehaviorTree ID="M">{body}</BehaviorTree></root>'
    built = load_string(xml, registry()).build(clock=clock)
    return MissionRunner(built, 'test', clock)


def test_progress_snapshot_and_pause_resume():
    clock = ManualClock()
    runner = runner_for('<Sequence name="S"><AlwaysSuccess name="A"/><Sleep name="Z" msec="1000"/>'
                        '<AlwaysSuccess name="B"/></Sequence>', clock)
    assert runner.tick() == Status.RUNNING
    assert runner.active_path() == 'M/S/Z'
    assert runner.progress() == 1 / 3
    snapshot = runner.snapshot(Time(sec=1))
    assert [b.name for b in snapshot.behaviours] == ['S', 'A', 'Z', 'B']
    assert [b.parent_id for b in snapshot.behaviours] == [-1, 0, 0, 0]
    assert snapshot.behaviours[2].status == BehaviourStatus.RUNNING
    assert sorted(snapshot.visited) == [0, 1, 2] and snapshot.tick == 1
    assert runner.pause() == 1  # the Sleep was halted
    assert runner.tick() == Status.RUNNING and runner.ticks == 1  # paused: no tick
    clock.advance(5.0)
    runner.resume()
    assert runner.tick() == Status.RUNNING  # Sleep starts again, A is not re-run
    clock.advance(1.1)
    assert runner.tick() == Status.SUCCESS
    assert runner.progress() == 1.0 and runner.elapsed() > 6.0


def test_a_raising_behaviour_fails_the_mission_with_exception():
    runner = runner_for('<Sequence name="S"><Boom name="X"/></Sequence>', ManualClock())
    assert runner.tick() == Status.FAILURE
    failure = runner.failure()
    assert failure.code == FailureCode.EXCEPTION
    assert 'ZeroDivisionError' in failure.message and 'plugin' in failure.message


def test_failure_names_the_failing_leaf():
    runner = runner_for('<Sequence name="S"><AlwaysSuccess/><AlwaysFailure name="No"/>'
                        '</Sequence>', ManualClock())
    assert runner.tick() == Status.FAILURE
    assert runner.failure().node_path == 'M/S/No'


STATUS = {0: 'INVALID', 1: 'RUNNING', 2: 'SUCCESS', 3: 'FAILURE'}


def _changes(runner, stamp=1):
    message = runner.take_changes(Time(sec=stamp))
    if message is None:
        return []
    return [(c.path, STATUS[c.previous_status], STATUS[c.status]) for c in message.changes]


def test_every_status_change_is_taken_once_even_one_that_lasts_one_tick():
    clock = ManualClock()
    runner = runner_for('<Sequence name="S"><AlwaysSuccess name="A"/><Sleep name="Z" msec="1000"/>'
                        '</Sequence>', clock)
    runner.tick()
    first = _changes(runner)
    assert ('M/S/A', 'INVALID', 'SUCCESS') in first  # done within the tick
    assert ('M/S/Z', 'INVALID', 'RUNNING') in first and ('M/S', 'INVALID', 'RUNNING') in first
    assert runner.take_changes(Time(sec=1)) is None  # taken once
    runner.tick()
    assert _changes(runner) == []  # nothing changed
    clock.advance(1.5)
    assert runner.tick() == Status.SUCCESS
    assert _changes(runner) == [('M/S/Z', 'RUNNING', 'SUCCESS'), ('M/S', 'RUNNING', 'SUCCESS')]


def test_a_halt_is_a_change_to_invalid_and_changes_are_stamped():
    runner = runner_for('<Sequence name="S"><Sleep name="Z" msec="1000"/></Sequence>',
                        ManualClock())
    runner.tick()
    _changes(runner)
    runner.halt()
    assert sorted(_changes(runner)) == [('M/S', 'RUNNING', 'INVALID'),
                                        ('M/S/Z', 'RUNNING', 'INVALID')]
    bad = runner_for('<Sequence name="S"><AlwaysFailure name="F"/></Sequence>', ManualClock())
    bad.tick()
    message = bad.take_changes(Time(sec=3))
    assert message.header.stamp.sec == 3 and message.tick == 1 and message.mission == 'test'
    by_path = {c.path: c for c in message.changes}
    assert STATUS[by_path['M/S/F'].status] == 'FAILURE'
    assert by_path['M/S/F'].type == 'AlwaysFailure'

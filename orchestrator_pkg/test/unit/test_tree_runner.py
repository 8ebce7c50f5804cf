"""MissionRunner (pure, no ROS): progress, snapshot, pause/resume, status changes, exceptions."""
import py_trees
from py_trees.common import Status

from orchestrator_pkg.behaviours.builtin import register as register_builtin
from orchestrator_pkg.trees.clock import ManualClock
from orchestrator_pkg.trees.failure import FailureCode
from orchestrator_pkg.trees.loader import load_string
from orchestrator_pkg.trees.registry import NodeSpec, Registry
from orchestrator_pkg.trees.runner import MissionRunner, tick_tree


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
    snapshot = runner.snapshot()
    assert [b.name for b in snapshot] == ['S', 'A', 'Z', 'B']
    assert [b.parent_id for b in snapshot] == [-1, 0, 0, 0]
    assert snapshot[2].status == Status.RUNNING and snapshot[2].path == 'M/S/Z'
    assert [b.id for b in snapshot if b.visited] == [0, 1, 2] and runner.ticks == 1
    assert runner.pause() == 1  # the Sleep was halted
    assert runner.paused and runner.built.paused  # one pause state: the built tree's
    assert runner.tick() == Status.RUNNING and runner.ticks == 1  # paused: no tick
    clock.advance(5.0)
    runner.resume()
    assert not runner.paused
    assert runner.tick() == Status.RUNNING  # Sleep starts again, A is not re-run
    clock.advance(1.1)
    assert runner.tick() == Status.SUCCESS
    assert runner.progress() == 1.0 and runner.elapsed() > 6.0


def test_view_changed_only_when_a_status_a_feedback_or_the_visited_set_changes():
    clock = ManualClock()
    runner = runner_for('<Sequence name="S"><AlwaysSuccess name="A"/><Sleep name="Z" msec="1000"/>'
                        '</Sequence>', clock)
    runner.tick()
    assert runner.view_changed()  # the first look
    runner.tick()  # A is not ticked again: the visited set changed
    assert [b.name for b in runner.snapshot() if b.visited] == ['S', 'Z']
    assert runner.view_changed()
    runner.tick()  # the same statuses, the same feedback (the clock stood still), the same set
    assert not runner.view_changed()
    clock.advance(0.5)
    runner.tick()
    assert runner.view_changed()  # the Sleep counts down in its feedback
    assert not runner.view_changed()  # nothing since the last look
    runner.halt()
    assert runner.view_changed()  # statuses to INVALID
    clock.advance(2.0)
    assert runner.tick() == Status.RUNNING  # Z starts again
    assert runner.view_changed()


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


def _changes(runner):
    return [(c.path, c.previous.name, c.status.name) for c in runner.take_changes()]


def test_every_status_change_is_taken_once_even_one_that_lasts_one_tick():
    clock = ManualClock()
    runner = runner_for('<Sequence name="S"><AlwaysSuccess name="A"/><Sleep name="Z" msec="1000"/>'
                        '</Sequence>', clock)
    runner.tick()
    first = _changes(runner)
    assert ('M/S/A', 'INVALID', 'SUCCESS') in first  # done within the tick
    assert ('M/S/Z', 'INVALID', 'RUNNING') in first and ('M/S', 'INVALID', 'RUNNING') in first
    assert runner.take_changes() == []  # taken once
    runner.tick()
    assert _changes(runner) == []  # nothing changed
    clock.advance(1.5)
    assert runner.tick() == Status.SUCCESS
    assert _changes(runner) == [('M/S/Z', 'RUNNING', 'SUCCESS'), ('M/S', 'RUNNING', 'SUCCESS')]


def test_a_halt_is_a_change_to_invalid_and_a_failure_is_recorded():
    runner = runner_for('<Sequence name="S"><Sleep name="Z" msec="1000"/></Sequence>',
                        ManualClock())
    runner.tick()
    _changes(runner)
    runner.halt()
    assert sorted(_changes(runner)) == [('M/S', 'RUNNING', 'INVALID'),
                                        ('M/S/Z', 'RUNNING', 'INVALID')]
    bad = runner_for('<Sequence name="S"><AlwaysFailure name="F"/></Sequence>', ManualClock())
    bad.tick()
    by_path = {c.path: c for c in bad.take_changes()}
    assert by_path['M/S/F'].status == Status.FAILURE and by_path['M/S/F'].type == 'AlwaysFailure'
    assert by_path['M/S/F'].previous == Status.INVALID and by_path['M/S/F'].id == 1


def test_setup_runs_in_a_worker_thread():
    # an executor with more than one thread (composed mode) calls it off the main thread;
    # py_trees' setup timeout (a signal) raised "signal only works in main thread" there
    import threading
    runner = runner_for('<AlwaysSuccess name="A"/>', ManualClock())
    errors = []

    def set_up():
        try:
            runner.setup()
        except Exception as exc:  # noqa: BLE001 -- reported below
            errors.append(exc)
    worker = threading.Thread(target=set_up)
    worker.start()
    worker.join(10.0)
    assert errors == []
    assert runner.tick() == Status.SUCCESS


SETUP_THEN_SIGUSR1 = '''
import os, signal, sys, time
from orchestrator_pkg.ros_edge.main import enable_stack_dumps
sys.path.insert(0, sys.argv[1])
from test_tree_runner import runner_for
from orchestrator_pkg.trees.clock import ManualClock
assert enable_stack_dumps()
runner_for('<AlwaysSuccess name="A"/>', ManualClock()).setup()
os.kill(os.getpid(), signal.SIGUSR1)
time.sleep(0.2)
print('alive after SIGUSR1', flush=True)
'''


def test_setup_leaves_sigusr1_to_the_stack_dumps():
    # the runner sends SIGUSR1 for a node's stacks; after py_trees' timed setup, SIGUSR1
    # had its default action again, and the node (orchestrator, bt_navigator) was killed
    import os
    import subprocess
    import sys
    here = os.path.dirname(os.path.abspath(__file__))
    done = subprocess.run([sys.executable, '-c', SETUP_THEN_SIGUSR1, here], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert 'alive after SIGUSR1' in done.stdout
    assert 'Current thread' in done.stderr or 'Thread 0x' in done.stderr, done.stderr[-2000:]


class _Seen(py_trees.visitors.VisitorBase):
    """Record each behaviour shown to the visitor, and its status then."""

    def __init__(self, full):
        super().__init__(full=full)
        self.seen = []
        self.ticks = 0

    def initialise(self):
        self.ticks += 1

    def run(self, behaviour):
        self.seen.append((behaviour.name, behaviour.status))


def _tree_with(*visitors):
    def steps():
        return py_trees.composites.Sequence('S', memory=True, children=[
            py_trees.behaviours.Success('A'),
            py_trees.behaviours.StatusQueue('Q', [Status.RUNNING, Status.SUCCESS], Status.FAILURE),
            py_trees.behaviours.Running('R')])
    tree = py_trees.trees.BehaviourTree(steps())
    tree.visitors.extend(visitors)
    return tree


def test_tick_tree_ticks_as_py_trees_does_without_the_full_pass():
    # py_trees' tick against tick_tree on twin trees: the same statuses, the same
    # behaviours shown to a partial visitor in the same order, the same count
    theirs, ours = _Seen(full=False), _Seen(full=False)
    a, b = _tree_with(theirs), _tree_with(ours)
    for _ in range(4):
        a.tick()
        tick_tree(b)
        assert [n.status for n in a.root.iterate()] == [n.status for n in b.root.iterate()]
    assert ours.seen == theirs.seen and ours.ticks == theirs.ticks == 4
    assert b.count == a.count == 4
    assert ('R', Status.RUNNING) in ours.seen and b.root.status == Status.RUNNING


def test_tick_tree_gives_a_full_visitor_every_behaviour():
    # a full visitor sees every behaviour after the tick, also those not ticked
    # (py_trees' own tick does it); a tick handler also gets py_trees' tick
    full = _Seen(full=True)
    tree = _tree_with(full)
    tick_tree(tree)
    assert [name for name, _ in full.seen] == ['A', 'Q', 'R', 'S']  # R not ticked yet
    handled = []
    tree = _tree_with()
    tree.add_post_tick_handler(lambda t: handled.append(t.count))
    tick_tree(tree)
    assert handled == [0] and tree.count == 1

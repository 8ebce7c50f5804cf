"""A tick has a budget: loops yield, the runner caps visits, port values are range-checked.

Issue 12's weaknesses in the engine (pure, no ROS): ``Repeat num_cycles=1e9``
over a synchronous child held one tick for ever, ``num_cycles="-3"`` loaded
and never ended, and nothing bounded the work of one tick.
"""
import py_trees
from py_trees.common import Status
import pytest

from orchestrator_pkg.behaviours.builtin import register as register_builtin
from orchestrator_pkg.trees.behaviour import RUNNING, BtNode
from orchestrator_pkg.trees.clock import ManualClock
from orchestrator_pkg.trees.failure import FailureCode, find_failure
from orchestrator_pkg.trees.loader import TreeLoadError, load_string, validate_string
from orchestrator_pkg.trees.ports import PortSpec, Range
from orchestrator_pkg.trees.registry import NodeSpec, Registry
from orchestrator_pkg.trees.runner import DEFAULT_MAX_VISITS_PER_TICK, MissionRunner

S, F, R = Status.SUCCESS, Status.FAILURE, Status.RUNNING


class Counter(py_trees.behaviour.Behaviour):
    """Counts its ticks; returns ``result`` (SUCCESS by default)."""

    def __init__(self, name, result=S):
        super().__init__(name)
        self.result, self.ticks, self.halts = result, 0, 0

    def update(self):
        self.ticks += 1
        return self.result

    def terminate(self, new_status):
        if new_status == Status.INVALID and self.status == R:
            self.halts += 1


class NeverYields(BtNode):
    """A misbehaving plugin decorator: re-ticks its child for ever within one tick."""

    def bt_tick(self):
        while True:
            yield from self.tick_child(0)
            self.halt_child(0)
        return RUNNING  # pragma: no cover


def registry(counters=None):
    counters = counters if counters is not None else {}
    reg = Registry()
    register_builtin(reg)

    def counter(ctx, result=S):
        counters[ctx.name] = Counter(ctx.name, result)
        return counters[ctx.name]
    reg.register(NodeSpec('Count', 'action', (), counter, 'counts'))
    reg.register(NodeSpec('Busy', 'action', (), lambda ctx: counter(ctx, R), 'RUNNING'))
    reg.register(NodeSpec('NeverYields', 'decorator', (),
                          lambda ctx: NeverYields(ctx.name, ctx.children[0]), 'loops', 1, 1))
    return reg


def tree(body, main='M'):
    return f'<root BTCPP_format="4"><BehaviorTree ID="{main}">{body}</BehaviorTree></root>'


def errors(xml, inputs=()):
    return [p for p in validate_string(xml, registry(), inputs=inputs) if p.severity == 'error']


# -- loops yield ---------------------------------------------------------------------
@pytest.mark.timeout(20)
def test_repeat_a_billion_times_costs_one_child_tick_per_tick():
    counters = {}
    built = load_string(tree('<Repeat num_cycles="1000000000"><Count name="c"/></Repeat>'),
                        registry(counters)).build()
    runner = MissionRunner(built, 'loop', ManualClock())
    assert [runner.tick() for _ in range(3)] == [R, R, R]
    assert counters['c'].ticks == 3


def test_a_finite_synchronous_loop_takes_one_tick_per_iteration():
    # before the fix, Repeat num_cycles="1000" over a synchronous child ran all
    # 1000 cycles inside one tick (2e5 held a tick for 3.7 s in the issue)
    counters = {}
    built = load_string(tree('<Repeat num_cycles="1000"><Count name="c"/></Repeat>'),
                        registry(counters)).build()
    assert built.tick() == R and counters['c'].ticks == 1
    ticks = 2
    while built.tick() == R:
        ticks += 1
    assert (built.root.status, ticks, counters['c'].ticks) == (S, 1000, 1000)


def test_a_retry_and_a_recovery_yield_between_synchronous_iterations():
    counters = {}
    xml = tree('<Sequence><RetryUntilSuccessful num_attempts="1000000">'
               '<Inverter><Count name="r"/></Inverter></RetryUntilSuccessful></Sequence>')
    built = load_string(xml, registry(counters)).build()
    assert [built.tick() for _ in range(4)] == [R] * 4 and counters['r'].ticks == 4
    xml = tree('<RecoveryNode number_of_retries="1000000"><Inverter><Count name="a"/>'
               '</Inverter><Count name="b"/></RecoveryNode>')
    built = load_string(xml, registry(counters)).build()
    assert [built.tick() for _ in range(4)] == [R] * 4
    assert (counters['a'].ticks, counters['b'].ticks) == (4, 4)


# -- the tick budget -------------------------------------------------------------------
def test_a_loop_that_never_yields_is_cut_short_with_a_clear_failure():
    counters = {}
    xml = tree('<Parallel name="Both" success_count="2"><Busy name="Drive"/>'
               '<NeverYields name="Spinner"><Sequence name="Steps"><Count name="a"/>'
               '<Count name="b"/></Sequence></NeverYields></Parallel>', 'Mission')
    built = load_string(xml, registry(counters)).build()
    runner = MissionRunner(built, 'spin', ManualClock(), max_visits_per_tick=300)
    assert runner.tick() == F
    failure = runner.failure()
    assert failure.code == FailureCode.TICK_BUDGET_EXCEEDED
    assert failure.node_path == 'Mission/Both/Spinner' and failure.node_type == 'NeverYields'
    assert 'more than 300 behaviours' in failure.message
    assert 'ticked its children 100 times' in failure.message
    # the running leaf under the cut-short Parallel was halted (its goal would be canceled)
    assert counters['Drive'].halts == 1
    assert all(b.status != R for b in built.root.iterate())
    assert counters['a'].ticks == 100  # 100 x (a, b, Steps) = 300 visits, the next one trips


def test_the_default_budget_leaves_room_for_a_large_tree():
    body = '<Sequence>' + '<Count/>' * 4000 + '</Sequence>'
    built = load_string(tree(body), registry()).build()
    runner = MissionRunner(built, 'big', ManualClock())
    assert runner.max_visits_per_tick == DEFAULT_MAX_VISITS_PER_TICK == 10_000
    assert runner.tick() == S
    runner = MissionRunner(load_string(tree(body), registry()).build(), 'big', ManualClock(),
                           max_visits_per_tick=1000)
    assert runner.tick() == F and runner.failure().node_path == 'M/Sequence'
    with pytest.raises(ValueError, match='at least 1'):
        runner.max_visits_per_tick = 0


# -- port ranges ------------------------------------------------------------------------
def test_negative_counts_and_durations_are_load_errors_with_file_and_line():
    xml = tree('<Sequence>\n<Repeat name="Bad" num_cycles="-3"><Count/></Repeat>\n'
               '<RetryUntilSuccessful num_attempts="-2"><Count/></RetryUntilSuccessful>\n'
               '<Sleep msec="-1"/>\n<Timeout msec="-5"><Count/></Timeout>\n'
               '<Delay delay_msec="-1"><Count/></Delay>\n<RateController hz="0"><Count/>'
               '</RateController>\n<RecoveryNode number_of_retries="-1"><Count/><Count/>'
               '</RecoveryNode></Sequence>')
    with pytest.raises(TreeLoadError) as raised:
        load_string(xml, registry(), source='bad.xml')
    lines = [str(p) for p in raised.value.problems]
    assert lines == [
        'bad.xml:2: error: Repeat "Bad": port "num_cycles": -3 is out of range: must be at '
        'least 0, or -1 (forever) written in the tree file',
        'bad.xml:3: error: RetryUntilSuccessful: port "num_attempts": -2 is out of range: '
        'must be at least 0, or -1 (forever) written in the tree file',
        'bad.xml:4: error: Sleep: port "msec": -1 is out of range: must be at least 0',
        'bad.xml:5: error: Timeout: port "msec": -5 is out of range: must be at least 0',
        'bad.xml:6: error: Delay: port "delay_msec": -1 is out of range: must be at least 0',
        'bad.xml:7: error: RateController: port "hz": 0 is out of range: must be > 0',
        'bad.xml:8: error: RecoveryNode: port "number_of_retries": -1 is out of range: must '
        'be at least 0',
    ]


def test_forever_is_allowed_where_the_tree_file_says_it():
    assert errors(tree('<Repeat num_cycles="-1"><Count/></Repeat>')) == []
    assert errors(tree('<RetryUntilSuccessful num_attempts="-1"><Count/>'
                       '</RetryUntilSuccessful>')) == []


def test_a_mission_input_is_checked_against_the_ports_that_read_it():
    xml = tree('<Sequence>\n<Repeat name="Laps" num_cycles="{laps}"><Count/></Repeat>'
               '</Sequence>')
    [problem] = errors(xml, inputs={'laps': '-1'})
    assert problem.line == 2
    assert problem.message == ('Repeat "Laps": port "num_cycles" reads input "laps" = \'-1\': '
                               '-1 (forever) may only be written in the tree file; a value '
                               'from the blackboard must be at least 0')
    [problem] = errors(xml, inputs={'laps': 'many'})
    assert 'reads input "laps" = \'many\'' in problem.message and 'not an integer' in \
        problem.message
    assert errors(xml, inputs={'laps': '2'}) == []
    assert errors(xml, inputs=['laps']) == []  # names only: values are not known yet


def test_a_blackboard_value_out_of_range_fails_the_node_when_it_reads_it():
    xml = tree('<Repeat name="Laps" num_cycles="{n}"><Count/></Repeat>')
    for value, reason in ((-1, '-1 (forever) may only be written in the tree file'),
                          (-7, '-7 is out of range: must be at least 0')):
        built = load_string(xml, registry()).build()
        built.blackboard.set('n', value)
        assert built.tick() == F
        failure = find_failure(built)
        assert failure.code == FailureCode.INVALID_INPUT and failure.node_path == 'M/Laps'
        assert reason in failure.message and 'blackboard key "n"' in failure.message


def test_range_words_and_checks():
    assert Range(0, 1).describe() == 'in [0, 1]'
    assert Range(0, None, lo_open=True).describe() == '> 0'
    assert Range(None, 5).describe() == 'at most 5'
    assert Range(0, 1).check(1.5, literal=True) == '1.5 is out of range: must be in [0, 1]'
    assert Range(0, 1).check(float('nan'), literal=False) == 'nan is not a finite number'
    assert Range(0, 1).check('text', literal=False) is None  # the port type's business
    assert PortSpec('n', range=(0, 10)).range == Range(0, 10)
    with pytest.raises(ValueError, match='range must be'):
        PortSpec('n', range=(0, 1, 2))

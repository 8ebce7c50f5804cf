"""Decorator and builtin-leaf semantics (BehaviorTree.CPP v4, Nav2), timing on a manual clock."""
from bt_leaves import INV, F, Leaf, R, S, run, run_tree, tick

from orchestrator_pkg.behaviours.actions.basic import Sleep
from orchestrator_pkg.behaviours.controls.fallback import Fallback
from orchestrator_pkg.behaviours.controls.sequence import Sequence
from orchestrator_pkg.behaviours.decorators.basic import (
    ForceFailure,
    ForceSuccess,
    Inverter,
    KeepRunningUntilFailure,
)
from orchestrator_pkg.behaviours.decorators.loops import Repeat, RetryUntilSuccessful
from orchestrator_pkg.behaviours.decorators.run_once import RunOnce
from orchestrator_pkg.behaviours.decorators.timing import Delay, RateController, Timeout
from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.trees import ManualClock, find_failure, load_string
from orchestrator_pkg.trees.failure import FailureCode


class FlakyLeaf(Leaf):
    """Fails ``failures`` times, then succeeds."""

    def __init__(self, name, failures):
        super().__init__(name)
        self.failures = failures

    def update(self):
        self.ticks += 1
        return F if self.ticks <= self.failures else S


def test_inverter_force_success_force_failure():
    leaf = Leaf('a', S)
    assert tick(Inverter('inv', leaf)) == F
    leaf = Leaf('a', F)
    assert tick(Inverter('inv', leaf)) == S
    leaf = Leaf('a', R)
    inv = Inverter('inv', leaf)
    assert tick(inv) == R
    inv.stop(INV)
    assert leaf.halts == 1
    assert tick(ForceSuccess('fs', Leaf('a', F))) == S
    assert tick(ForceSuccess('fs', Leaf('a', R))) == R
    assert tick(ForceFailure('ff', Leaf('a', S))) == F
    assert tick(ForceFailure('ff', Leaf('a', R))) == R


def test_retry_yields_between_synchronous_attempts_as_bt_cpp_v4():
    # BT.CPP v4's RetryNode: a child that was idle and failed within the tick is
    # retried at the next tick (RUNNING in between), so one attempt per tick
    leaf = FlakyLeaf('a', failures=2)
    retry = RetryUntilSuccessful('retry', leaf, num_attempts=3)
    assert tick(retry) == R and leaf.ticks == 1
    assert run(retry) == (S, 2) and leaf.ticks == 3
    leaf = FlakyLeaf('a', failures=5)
    retry = RetryUntilSuccessful('retry', leaf, num_attempts=3)
    assert run(retry) == (F, 3) and leaf.ticks == 3
    assert run(retry) == (S, 3) and leaf.ticks == 6  # attempts counted afresh: 4, 5 fail, 6 ok


def test_retry_after_an_asynchronous_failure_tries_again_in_the_same_tick():
    leaf = Leaf('a', R)
    retry = RetryUntilSuccessful('retry', leaf, num_attempts=3)
    assert tick(retry) == R
    leaf.result = F  # the running child fails: the next attempt starts at once
    assert tick(retry) == R and leaf.ticks == 3 and leaf.starts == 2
    leaf.result = S
    assert tick(retry) == S and leaf.ticks == 4


def test_retry_forever_yields_between_attempts_and_halts_its_running_child():
    leaf = FlakyLeaf('a', failures=100)
    retry = RetryUntilSuccessful('retry', leaf, num_attempts=-1)
    assert tick(retry) == R and leaf.ticks == 1
    assert run(retry) == (S, 100) and leaf.ticks == 101
    leaf = Leaf('a', R)
    retry = RetryUntilSuccessful('retry', leaf, num_attempts=2)
    assert tick(retry) == R
    retry.stop(INV)
    assert leaf.halts == 1


def test_repeat_runs_num_cycles_one_per_tick_and_stops_on_failure():
    leaf = Leaf('a', S)
    rep = Repeat('rep', leaf, num_cycles=3)
    assert [tick(rep) for _ in range(3)] == [R, R, S] and leaf.ticks == 3
    assert run(rep) == (S, 3) and leaf.ticks == 6  # and again from the start
    leaf = FlakyLeaf('a', failures=0)
    leaf.update = lambda: F
    assert tick(Repeat('rep', leaf, num_cycles=3)) == F
    leaf = Leaf('a', R)
    rep = Repeat('rep', leaf, num_cycles=2)
    assert tick(rep) == R
    leaf.result = S
    # the running child ends: cycle 2 starts in the same tick (as in BT.CPP) and,
    # being synchronous, ends it; nothing is left to do
    assert tick(rep) == S and leaf.ticks == 3
    leaf.result = R
    assert tick(rep) == R
    rep.stop(INV)
    assert leaf.halts == 1 and rep.cycles == 0
    assert tick(Repeat('forever', Leaf('b', S), num_cycles=-1)) == R


def test_a_huge_synchronous_loop_costs_one_visit_per_tick():
    # the probe: Repeat 1e9 over AlwaysSuccess held one tick for ever
    leaf = Leaf('a', S)
    rep = Repeat('rep', leaf, num_cycles=1_000_000_000)
    assert [tick(rep) for _ in range(5)] == [R] * 5 and leaf.ticks == 5
    leaf = Leaf('a', F)
    retry = RetryUntilSuccessful('retry', leaf, num_attempts=1_000_000_000)
    assert [tick(retry) for _ in range(5)] == [R] * 5 and leaf.ticks == 5


def test_keep_running_until_failure():
    leaf = Leaf('a', S)
    node = KeepRunningUntilFailure('k', leaf)
    assert tick(node) == R and tick(node) == R and leaf.ticks == 2
    leaf.result = F
    assert tick(node) == F


def test_timeout_halts_the_child_on_the_tree_clock():
    clock = ManualClock()
    leaf = Leaf('slow', R)
    node = Timeout('to', leaf, clock, msec=500)
    assert tick(node) == R
    clock.advance(0.4)
    assert tick(node) == R and leaf.ticks == 2
    clock.advance(0.1)
    assert tick(node) == F
    assert leaf.halts == 1 and leaf.ticks == 2
    assert node.failure.code == FailureCode.TIMEOUT
    assert tick(node) == R  # a fresh start restarts the timer
    leaf.result = S
    clock.advance(10)
    assert tick(node) == F  # the deadline is checked before the child is ticked


def test_timeout_zero_never_fires_and_halt_resets_the_timer():
    clock = ManualClock()
    leaf = Leaf('slow', R)
    node = Timeout('to', leaf, clock, msec=0)
    tick(node)
    clock.advance(100)
    assert tick(node) == R
    node = Timeout('to', leaf, clock, msec=100)
    tick(node)
    node.stop(INV)
    clock.advance(1)
    assert tick(node) == R


def test_delay_waits_before_ticking_the_child():
    clock = ManualClock()
    leaf = Leaf('a', S)
    node = Delay('d', leaf, clock, delay_msec=200)
    assert tick(node) == R and leaf.ticks == 0
    clock.advance(0.1)
    assert tick(node) == R and leaf.ticks == 0
    clock.advance(0.1)
    assert tick(node) == S and leaf.ticks == 1
    assert tick(node) == R  # next activation waits again
    node.stop(INV)
    clock.advance(0.15)
    assert tick(node) == R and leaf.ticks == 1


def test_sleep_runs_for_msec_on_the_tree_clock_and_restarts():
    class FixedPorts:
        def get(self, name):
            return 250
    clock = ManualClock()
    node = Sleep('nap', clock, FixedPorts())
    assert tick(node) == R
    clock.advance(0.2)
    assert tick(node) == R
    clock.advance(0.05)
    assert tick(node) == S
    assert tick(node) == R  # a new activation sleeps again


def test_run_once_skips_or_repeats():
    leaf = Leaf('a', R)
    node = RunOnce('once', leaf)
    assert tick(node) == R
    leaf.result = S
    assert tick(node) == S
    assert tick(node) == S and leaf.ticks == 2  # skipped: child not ticked again
    leaf = Leaf('a', F)
    node = RunOnce('once', leaf, then_skip=False)
    assert tick(node) == F and tick(node) == F and leaf.ticks == 1
    node.stop(INV)
    assert tick(node) == F and leaf.ticks == 1  # once is once, even after a halt


def test_rate_controller_ticks_the_child_at_the_rate_and_while_running():
    clock = ManualClock()
    leaf = Leaf('plan', S)
    node = RateController('rate', leaf, clock, hz=1.0)
    assert tick(node) == S and leaf.ticks == 1
    clock.advance(0.5)
    assert tick(node) == R and leaf.ticks == 1
    clock.advance(0.5)
    assert tick(node) == S and leaf.ticks == 2
    leaf.result = R
    clock.advance(1.0)
    assert tick(node) == R and leaf.ticks == 3
    assert tick(node) == R and leaf.ticks == 4  # running: ticked every tick
    node.stop(INV)
    assert leaf.halts == 1
    leaf.result = S
    assert tick(node) == S and leaf.ticks == 5  # idle again: ticks at once


def test_find_failure_follows_the_causing_child_through_recoveries():
    xml = '''<root BTCPP_format="4">
      <BehaviorTree ID="Main">
        <Sequence name="mission">
          <Fallback name="try">
            <AlwaysFailure name="first"/>
            <ForceSuccess><AlwaysFailure name="recovered"/></ForceSuccess>
          </Fallback>
          <Timeout name="limit" msec="1000"><Sleep msec="5000"/></Timeout>
        </Sequence>
      </BehaviorTree></root>'''
    clock = ManualClock()
    built = load_string(xml, default_registry(plugins=False)).build(clock=clock)
    assert built.tick() == R
    clock.advance(2.0)
    assert built.tick() == F
    failure = find_failure(built)
    assert failure.node_path == 'Main/mission/limit'
    assert failure.node_type == 'Timeout' and failure.code == FailureCode.TIMEOUT
    xml2 = xml.replace('<ForceSuccess><AlwaysFailure name="recovered"/></ForceSuccess>',
                       '<Inverter name="inv"><AlwaysSuccess name="ok"/></Inverter>'
                       '<AlwaysFailure name="last"/>')
    built = load_string(xml2, default_registry(plugins=False)).build(clock=clock)
    assert built.tick() == F
    failure = find_failure(built)
    assert failure.node_path == 'Main/mission/try/last' and failure.node_type == 'AlwaysFailure'


def test_composites_record_the_failing_child_only_for_this_tick():
    a, b = Leaf('a', F), Leaf('b', S)
    fb = Fallback('fb', [a, b])
    seq = Sequence('seq', [fb])
    assert tick(seq) == S and seq.failure_cause is None
    b.result = F
    assert tick(seq) == F and seq.failure_cause is fb and fb.failure_cause is b


def test_rate_controller_ticks_at_once_after_its_parent_reset_it():
    from orchestrator_pkg.behaviours.controls.nav2 import PipelineSequence
    clock = ManualClock()
    plan, follow = Leaf('plan', S), Leaf('follow', R)
    pipe = PipelineSequence('pipe', [RateController('rate', plan, clock, hz=1.0), follow])
    assert tick(pipe) == R and plan.ticks == 1
    clock.advance(0.1)
    assert tick(pipe) == R and plan.ticks == 1  # period not over
    follow.result = F
    assert tick(pipe) == F and follow.halts == 0  # failed, not halted
    follow.result = R
    clock.advance(0.1)
    assert tick(pipe) == R and plan.ticks == 2  # idle again after the reset: plans at once
    assert plan.status == S  # the last result stays visible


def test_pause_halts_running_leaves_and_resume_continues_where_the_tree_was():
    xml = '''<root BTCPP_format="4"><BehaviorTree ID="M">
      <Sequence>
        <SetBlackboard value="1" output_key="first"/>
        <Timeout msec="1000"><RateController hz="0.1"><Sleep msec="600"/></RateController></Timeout>
        <SetBlackboard value="2" output_key="last"/>
      </Sequence></BehaviorTree></root>'''
    clock = ManualClock()
    built = load_string(xml, default_registry(plugins=False)).build(clock=clock)
    assert built.tick() == R
    clock.advance(0.5)
    assert built.tick() == R
    halted = built.pause()
    assert [b.name for b in halted] == ['Sleep'] and halted[0].status == INV
    assert built.paused
    built.blackboard.unset('first')
    clock.advance(30.0)  # far beyond the timeout and the rate period
    built.resume()
    assert built.tick() == R  # resumed inside the Timeout: not timed out, Sleep restarted
    assert not built.blackboard.has('first')  # the finished first child was not ticked again
    clock.advance(0.45)
    assert built.tick() == R  # 0.95 s of the 1 s timeout used, pause not counted
    clock.advance(0.1)
    assert built.tick() == F
    assert find_failure(built).code == FailureCode.TIMEOUT


def test_rate_controller_resumes_its_paused_child_at_once():
    clock = ManualClock()
    leaf = Leaf('work', R)
    node = RateController('rate', leaf, clock, hz=0.01)
    assert tick(node) == R and leaf.ticks == 1
    leaf.stop(INV)  # what a pause does to a running leaf
    assert tick(node) == R and leaf.ticks == 2 and leaf.starts == 2


def test_repeat_reads_num_cycles_when_it_starts():
    xml = '''<root BTCPP_format="4"><BehaviorTree ID="M">
      <Sequence>
        <SetBlackboard value="3" output_key="n"/>
        <Repeat name="rep" num_cycles="{n}"><Script code="count := count + 1"/></Repeat>
      </Sequence></BehaviorTree></root>'''
    built = load_string(xml, default_registry(plugins=False)).build()  # {n} unset yet: builds
    built.blackboard.set('count', 0)
    assert run_tree(built) == (S, 3) and built.blackboard.get('count') == 3
    xml = xml.replace('value="3"', 'value="three"')
    built = load_string(xml, default_registry(plugins=False)).build()
    assert built.tick() == F
    failure = find_failure(built)
    assert failure.code == FailureCode.INVALID_INPUT and 'num_cycles' in failure.message

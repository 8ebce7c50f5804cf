"""Composite semantics, checked against BehaviorTree.CPP v4 and Nav2 (incl. halting and memory)."""
from bt_leaves import INV, F, R, S, leaves, run, tick
import pytest

from orchestrator_pkg.behaviours.controls.conditional import IfThenElse, WhileDoElse
from orchestrator_pkg.behaviours.controls.fallback import Fallback, ReactiveFallback
from orchestrator_pkg.behaviours.controls.nav2 import PipelineSequence, RecoveryNode, RoundRobin
from orchestrator_pkg.behaviours.controls.parallel import Parallel
from orchestrator_pkg.behaviours.controls.sequence import (
    ReactiveSequence,
    Sequence,
    SequenceWithMemory,
)


def test_sequence_resumes_the_running_child_and_restarts_after_failure():
    a, b, c = leaves(S, R, S)
    seq = Sequence('seq', [a, b, c])
    assert tick(seq) == R and (a.ticks, b.ticks, c.ticks) == (1, 1, 0)
    assert tick(seq) == R and (a.ticks, b.ticks) == (1, 2)  # A is not re-ticked
    b.result = F
    assert tick(seq) == F and c.ticks == 0
    b.result = S
    assert tick(seq) == S and (a.ticks, b.ticks, c.ticks) == (2, 4, 1)  # restarted at A


def test_sequence_halt_halts_the_running_child_and_forgets_the_position():
    a, b = leaves(S, R)
    seq = Sequence('seq', [a, b])
    tick(seq)
    seq.stop(INV)
    assert b.halts == 1 and b.status == INV and seq.status == INV
    tick(seq)
    assert a.ticks == 2


def test_sequence_with_memory_keeps_its_place_after_failure_and_halt():
    a, b, c = leaves(S, F, S)
    seq = SequenceWithMemory('mem', [a, b, c])
    assert tick(seq) == F and (a.ticks, b.ticks) == (1, 1)
    assert tick(seq) == F and (a.ticks, b.ticks) == (1, 2)  # A not ticked again
    b.result = R
    assert tick(seq) == R
    seq.stop(INV)
    assert b.halts == 1
    b.result = S
    assert tick(seq) == S and (a.ticks, b.ticks, c.ticks) == (1, 4, 1)  # memory survived halt
    assert tick(seq) == S and a.ticks == 2  # after SUCCESS it starts over


def test_reactive_sequence_rechecks_conditions_and_halts_the_running_child():
    cond, act = leaves(S, R)
    seq = ReactiveSequence('rs', [cond, act])
    assert tick(seq) == R
    assert tick(seq) == R and (cond.ticks, act.ticks) == (2, 2)
    cond.result = F
    assert tick(seq) == F
    assert act.halts == 1 and act.ticks == 2


def test_reactive_sequence_running_child_halts_a_later_running_child():
    a, b, c = leaves(S, S, R)
    seq = ReactiveSequence('rs', [a, b, c])
    assert tick(seq) == R and c.status == R
    b.result = R
    assert tick(seq) == R
    assert c.halts == 1 and c.status == INV


def test_fallback_resumes_the_running_child_and_restarts_after_success():
    a, b, c = leaves(F, R, S)
    fb = Fallback('fb', [a, b, c])
    assert tick(fb) == R
    assert tick(fb) == R and a.ticks == 1
    b.result = S
    assert tick(fb) == S and c.ticks == 0
    b.result = F
    assert tick(fb) == S and (a.ticks, c.ticks) == (2, 1)
    a.result = R
    assert tick(fb) == R
    fb.stop(INV)
    assert a.halts == 1


def test_fallback_fails_when_every_child_fails():
    a, b = leaves(F, F)
    fb = Fallback('fb', [a, b])
    assert tick(fb) == F and (a.ticks, b.ticks) == (1, 1)


def test_reactive_fallback_halts_the_running_child_when_an_earlier_one_succeeds():
    cond, act = leaves(F, R)
    fb = ReactiveFallback('rf', [cond, act])
    assert tick(fb) == R
    assert tick(fb) == R and cond.ticks == 2
    cond.result = S
    assert tick(fb) == S and act.halts == 1


# Sequence and Fallback are one loop with SUCCESS and FAILURE swapped (controls/ordered.py):
# the same script, with ``stop`` the status that ends the loop and ``go`` the other one.
ORDERED = [(Sequence, F, S), (Fallback, S, F)]
REACTIVE = [(ReactiveSequence, F, S), (ReactiveFallback, S, F)]


@pytest.mark.parametrize('cls, stop, go', ORDERED, ids=lambda v: getattr(v, '__name__', None))
def test_ordered_composites_are_duals(cls, stop, go):
    a, b, c = leaves(go, R, go)
    node = cls('n', [a, b, c])
    assert tick(node) == R and (a.ticks, b.ticks, c.ticks) == (1, 1, 0)
    assert tick(node) == R and (a.ticks, b.ticks) == (1, 2)  # resumed at B
    b.result = stop
    assert tick(node) == stop and c.ticks == 0
    b.result = go
    assert tick(node) == go and (a.ticks, b.ticks, c.ticks) == (2, 4, 1)  # restarted at A
    b.result = R
    assert tick(node) == R and a.ticks == 3
    node.stop(INV)
    assert b.halts == 1 and node.status == INV
    assert tick(node) == R and a.ticks == 4, 'a halt forgets the position'
    assert tick(cls('empty', [])) == go


@pytest.mark.parametrize('cls, stop, go', REACTIVE, ids=lambda v: getattr(v, '__name__', None))
def test_reactive_composites_are_duals(cls, stop, go):
    a, b, c = leaves(go, go, R)
    node = cls('n', [a, b, c])
    assert tick(node) == R and c.status == R
    assert tick(node) == R and (a.ticks, b.ticks, c.ticks) == (2, 2, 2)  # all re-ticked
    b.result = R
    assert tick(node) == R and c.halts == 1 and c.status == INV  # later runner preempted
    a.result = stop
    assert tick(node) == stop and b.halts == 1
    a.result, b.result, c.result = go, go, go
    assert tick(node) == go


def test_parallel_default_needs_all_successes_and_does_not_retick_finished_children():
    a, b = leaves(R, S)
    par = Parallel('par', [a, b])
    assert tick(par) == R
    assert tick(par) == R and b.ticks == 1  # finished child not re-ticked
    a.result = S
    assert tick(par) == S and (a.ticks, b.ticks) == (3, 1)


def test_parallel_one_failure_fails_and_halts_the_running_children():
    a, b = leaves(R, F)
    par = Parallel('par', [a, b])
    assert tick(par) == F and a.halts == 1


def test_parallel_success_count_and_failure_count():
    a, b, c = leaves(R, S, R)
    par = Parallel('par', [a, b, c], success_count=1, failure_count=-1)
    assert tick(par) == S
    assert a.halts == 1 and c.ticks == 0  # decided after b, c never ticked
    a, b, c = leaves(F, R, F)
    par = Parallel('par', [a, b, c], success_count=2, failure_count=3)
    # two failures of three: two successes are no longer possible
    assert tick(par) == F and b.halts == 1
    a, b, c = leaves(F, F, R)
    par = Parallel('par', [a, b, c], success_count=1, failure_count=-1)
    assert tick(par) == R
    c.result = F
    assert tick(par) == F


def test_if_then_else_does_not_reevaluate_the_condition_while_a_branch_runs():
    cond, then, other = leaves(S, R, S)
    node = IfThenElse('ite', [cond, then, other])
    assert tick(node) == R
    cond.result = F
    assert tick(node) == R and cond.ticks == 1
    then.result = S
    assert tick(node) == S
    assert tick(node) == S and other.ticks == 1 and cond.ticks == 2
    cond2, then2 = leaves(F, S)
    assert tick(IfThenElse('ite2', [cond2, then2])) == F and then2.ticks == 0


def test_if_then_else_halt_halts_the_branch():
    cond, then = leaves(S, R)
    node = IfThenElse('ite', [cond, then])
    tick(node)
    node.stop(INV)
    assert then.halts == 1
    tick(node)
    assert cond.ticks == 2


def test_while_do_else_is_reactive_and_halts_the_other_branch():
    cond, do, other = leaves(S, R, R)
    node = WhileDoElse('wde', [cond, do, other])
    assert tick(node) == R and do.status == R
    cond.result = F
    assert tick(node) == R
    assert do.halts == 1 and other.status == R
    cond.result = S
    assert tick(node) == R and other.halts == 1
    cond2, do2 = leaves(F, S)
    assert tick(WhileDoElse('w2', [cond2, do2])) == F


def test_pipeline_sequence_reticks_earlier_children():
    a, b, c = leaves(S, R, S)
    pipe = PipelineSequence('pipe', [a, b, c])
    assert tick(pipe) == R
    a.result = R  # an earlier child running does not stop the pipeline at it
    assert tick(pipe) == R and (a.ticks, b.ticks) == (2, 2)
    a.result = F
    assert tick(pipe) == F and b.halts == 1
    a.result, b.result = S, S
    assert tick(pipe) == S and c.ticks == 1


def test_recovery_node_retries_after_a_successful_recovery():
    action, recovery = leaves(F, S)
    node = RecoveryNode('rec', [action, recovery], number_of_retries=2)
    # a recovery that succeeds within the tick is followed by RUNNING: the action
    # is tried again at the next tick (the loop yields, as BT.CPP v4's loops do)
    assert tick(node) == R and (action.ticks, recovery.ticks) == (1, 1)
    assert run(node) == (F, 2)
    assert (action.ticks, recovery.ticks) == (3, 2)
    action, recovery = leaves(F, R)
    node = RecoveryNode('rec', [action, recovery], number_of_retries=1)
    assert tick(node) == R
    action.result = S
    recovery.result = S
    assert tick(node) == S and (action.ticks, recovery.ticks) == (2, 2)


def test_recovery_node_fails_when_the_recovery_fails_and_halt_resets_retries():
    action, recovery = leaves(F, F)
    node = RecoveryNode('rec', [action, recovery], number_of_retries=5)
    assert tick(node) == F and (action.ticks, recovery.ticks) == (1, 1)
    action, recovery = leaves(R, S)
    node = RecoveryNode('rec', [action, recovery], number_of_retries=1)
    tick(node)
    node.stop(INV)
    assert action.halts == 1 and node.retries == 0 and node.index == 0


def test_round_robin_moves_on_after_each_activation():
    a, b, c = leaves(F, S, S)
    rr = RoundRobin('rr', [a, b, c])
    assert tick(rr) == S and (a.ticks, b.ticks, c.ticks) == (1, 1, 0)
    assert tick(rr) == S and c.ticks == 1 and b.ticks == 1  # starts with the next child
    a.result = b.result = c.result = F
    assert tick(rr) == F and (a.ticks, b.ticks, c.ticks) == (2, 2, 2)


def test_round_robin_halt_while_running_restarts_from_the_first_child():
    a, b = leaves(F, R)
    rr = RoundRobin('rr', [a, b])
    assert tick(rr) == R
    rr.stop(INV)
    assert b.halts == 1
    tick(rr)
    assert a.ticks == 2

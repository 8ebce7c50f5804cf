"""The battery guard with real trees from XML and a fake battery (pure py_trees, no ROS)."""
import py_trees
from py_trees.common import Status
import pytest

from orchestrator_pkg.behaviours import builtin
from orchestrator_pkg.behaviours.controls.battery_guard import BatteryGuard, guard_tree
from orchestrator_pkg.trees import ManualClock, NodeSpec, Registry, find_failure, load_string
from orchestrator_pkg.trees.failure import Failure, FailureCode
from orchestrator_pkg.trees.ports import input_port


class FakeBattery:
    """A charge that drains while the robot works and rises while it charges."""

    def __init__(self, level):
        self.level = level

    def __call__(self):
        return self.level


class Step(py_trees.behaviour.Behaviour):
    """RUNNING for ``ticks`` ticks, draining the battery, then SUCCESS; logs starts and halts."""

    def __init__(self, name, ticks, battery, log, drain=0.05):
        super().__init__(name)
        self.ticks, self.battery, self.log, self.drain = ticks, battery, log, drain
        self.done = 0
        self.failure = None

    def initialise(self):
        self.done = 0
        self.log.append(f'start {self.name}')

    def update(self):
        if self.battery.level is not None:
            self.battery.level -= self.drain
        self.done += 1
        return Status.SUCCESS if self.done >= self.ticks else Status.RUNNING

    def terminate(self, new_status):
        if new_status == Status.INVALID and self.status == Status.RUNNING:
            self.log.append(f'halt {self.name}')
        elif new_status == Status.SUCCESS:
            self.log.append(f'done {self.name}')


class Charge(py_trees.behaviour.Behaviour):
    """Charge 0.25 per tick up to ``threshold``; or fail (no dock) when ``fail`` is set."""

    def __init__(self, name, threshold, battery, log, fail):
        super().__init__(name)
        self.threshold, self.battery, self.log, self.fail = threshold, battery, log, fail
        self.failure = None

    def update(self):
        if self.fail:
            self.failure = Failure(code=int(FailureCode.TIMEOUT), message='not charging')
            return Status.FAILURE
        self.battery.level = min(1.0, self.battery.level + 0.25)
        if self.battery.level >= self.threshold:
            self.log.append(f'charged {self.battery.level:.2f}')
            return Status.SUCCESS
        return Status.RUNNING


MISSION = """
<root BTCPP_format="4" main_tree_to_execute="Mission">
  <BehaviorTree ID="Mission">
    <{seq} name="Steps">
      <Step name="A" ticks="2"/>
      <Step name="B" ticks="4"/>
      <Step name="C" ticks="2"/>
    </{seq}>
  </BehaviorTree>
</root>
"""

RECHARGE = """
<root BTCPP_format="4" main_tree_to_execute="Recharge">
  <BehaviorTree ID="Recharge">
    <Sequence name="RechargeAtDock">
      <Step name="GoToDock" ticks="2"/>
      <Charge name="Charge" threshold="0.8"/>
    </Sequence>
  </BehaviorTree>
</root>
"""


@pytest.fixture
def world():
    battery, log = FakeBattery(0.5), []
    state = {'fail': False}
    registry = Registry()
    builtin.register(registry)
    registry.register(NodeSpec('Step', 'action', (input_port('ticks', 'int'),),
                               lambda ctx: Step(ctx.name, ctx.ports.get('ticks'), battery, log)))
    registry.register(NodeSpec('Charge', 'action', (input_port('threshold', 'float'),),
                               lambda ctx: Charge(ctx.name, ctx.ports.get('threshold'), battery,
                                                  log, state['fail'])))
    return registry, battery, log, state


def _guarded(registry, battery, log, seq='SequenceWithMemory', low=0.25):
    clock = ManualClock()
    mission = load_string(MISSION.format(seq=seq), registry).build(clock=clock)
    recharge = load_string(RECHARGE, registry).build(clock=clock)
    events = []
    built = guard_tree(mission, recharge, battery, low, on_event=events.append)
    return built, events


def _run(built, limit=50):
    for _ in range(limit):
        status = built.tick()
        if status != Status.RUNNING:
            return status
    raise AssertionError('the tree did not finish')


def test_low_battery_preempts_recharges_and_resumes_at_the_step_it_was_in(world):
    registry, battery, log, _ = world
    battery.level = 0.45  # 0.05 per tick: 0.20 after B's third tick
    built, events = _guarded(registry, battery, log)
    assert _run(built) == Status.SUCCESS
    assert log == ['start A', 'done A', 'start B', 'halt B',            # preempted mid-B
                   'start GoToDock', 'done GoToDock', 'charged 0.85',   # recharged
                   'start B', 'done B', 'start C', 'done C']            # resumed at B, not A
    assert built.root.preemptions == 1
    assert 'mission preempted, recharging' in events[0] and '20.0% < 25%' in events[0]
    assert events[1] == 'recharged to 85%: resuming the mission'
    assert built.path_of(built.root.children[1].children[1]) == 'Recharge/RechargeAtDock/Charge'
    assert built.path_of(built.root.children[0]) == 'Mission/Steps'


def test_a_plain_sequence_restarts_from_its_first_step_after_the_preemption(world):
    registry, battery, log, _ = world
    battery.level = 0.45
    built, _ = _guarded(registry, battery, log, seq='Sequence')
    assert _run(built) == Status.SUCCESS
    assert log[log.index('charged 0.85') + 1] == 'start A'  # BT.CPP's Sequence forgets on halt


def test_the_guard_is_invisible_with_a_full_or_unknown_battery(world):
    registry, battery, log, _ = world
    for level in (1.0, None):
        battery.level = level
        log.clear()
        built, events = _guarded(registry, battery, log)
        assert _run(built) == Status.SUCCESS
        assert 'start GoToDock' not in log and events == []
        assert built.root.preemptions == 0


def test_a_failed_recharge_fails_the_mission_with_the_recharge_leaf_as_the_reason(world):
    registry, battery, log, state = world
    state['fail'] = True
    battery.level = 0.2  # low from the first tick
    built, events = _guarded(registry, battery, log)
    assert _run(built) == Status.FAILURE
    failure = find_failure(built)
    assert failure.node_path == 'Recharge/RechargeAtDock/Charge'
    assert failure.code == FailureCode.TIMEOUT and failure.message == 'not charging'
    assert 'recharging failed' in events[-1]
    assert 'start A' not in log  # never started the mission on a low battery


def test_halting_the_guard_while_recharging_halts_the_recharge_tree(world):
    registry, battery, log, _ = world
    battery.level = 0.2
    built, _ = _guarded(registry, battery, log)
    assert built.tick() == Status.RUNNING and built.root.recharging
    built.halt()  # the mission is canceled
    assert log[-1] == 'halt GoToDock'
    assert not built.root.recharging


def test_threshold_out_of_range_is_refused():
    leaf = py_trees.behaviours.Success('s')
    with pytest.raises(ValueError, match='low_threshold must be in'):
        BatteryGuard('g', leaf, py_trees.behaviours.Success('r'), lambda: 1.0, 1.5)



def test_the_shipped_recharge_tree_loads_and_a_missing_one_is_a_clear_error(tmp_path):
    import os

    from orchestrator_pkg.behaviours.controls.battery_guard import (
        RechargeTreeError,
        load_recharge_tree,
    )
    from orchestrator_pkg.behaviours.plugins import default_registry
    missions = os.path.join(os.path.dirname(__file__), '..', '..', 'missions')
    registry = default_registry()
    built = load_recharge_tree('recharge', [str(tmp_path), missions], registry, ManualClock(),
                               {'dock_place': 'dock', 'resume_threshold': 0.8})
    assert [built.path_of(b) for b in built.root.children] == [
        'Recharge/RechargeAtDock/LookUpDock', 'Recharge/RechargeAtDock/GoToDock',
        'Recharge/RechargeAtDock/Charge']
    with pytest.raises(RechargeTreeError, match=f'no recharge mission "nope" in {tmp_path}'):
        load_recharge_tree('nope', [str(tmp_path)], registry, ManualClock(), {})
    with pytest.raises(RechargeTreeError, match='is not a mission name'):
        load_recharge_tree('../recharge', [missions], registry, ManualClock(), {})

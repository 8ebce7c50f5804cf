"""LoopString / LoopInt / LoopDouble / LoopBool (BT.CPP v4 LoopNode) in trees built from XML."""
from collections import deque

import py_trees
import pytest

from orchestrator_pkg.behaviours.decorators.loop_queue import split_queue
from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.trees import find_failure, load_string
from orchestrator_pkg.trees.failure import FailureCode
from orchestrator_pkg.trees.loader import TreeLoadError
from orchestrator_pkg.trees.ports import input_port
from orchestrator_pkg.trees.registry import NodeSpec

S, F, R = (py_trees.common.Status.SUCCESS, py_trees.common.Status.FAILURE,
           py_trees.common.Status.RUNNING)


class Record(py_trees.behaviour.Behaviour):
    """Log ``item`` at start; RUNNING until tick ``ticks_per_item``, then FAILURE or SUCCESS.

    FAILURE for the items in ``fail_on``.
    """

    def __init__(self, name, ports, log, fail_on, ticks_per_item):
        super().__init__(name)
        self.ports, self.log, self.fail_on, self.ticks_per_item = (
            ports, log, fail_on, ticks_per_item)
        self.ticks = 0
        self.halts = 0

    def initialise(self):
        self.ticks = 0
        self.log.append(self.ports.get('item'))

    def update(self):
        self.ticks += 1
        if self.ticks < self.ticks_per_item:
            return R
        return F if self.log[-1] in self.fail_on else S

    def terminate(self, new_status):
        if new_status == py_trees.common.Status.INVALID and self.status == R:
            self.halts += 1


def build(xml, fail_on=(), ticks_per_item=1, inputs=()):
    log = []
    registry = default_registry(plugins=False)
    registry.register(NodeSpec('Record', 'action', (input_port('item', 'any'),),
                               lambda ctx: Record(ctx.name, ctx.ports, log, fail_on,
                                                  ticks_per_item)))
    return load_string(xml, registry, inputs=inputs).build(), log


def tree(loop='LoopString', queue='a;b;c', extra=''):
    return f'''<root BTCPP_format="4"><BehaviorTree ID="M">
      <{loop} name="loop" queue="{queue}" value="{{v}}" {extra}>
        <Record name="rec" item="{{v}}"/>
      </{loop}></BehaviorTree></root>'''


def run(built, max_ticks=50):
    for count in range(1, max_ticks + 1):
        status = built.tick()
        if status != R:
            return status, count
    raise AssertionError('still RUNNING')


def test_split_like_bt_cpp():
    assert split_queue('') == [] and split_queue('a') == ['a']
    assert split_queue('a;b;') == ['a', 'b'] and split_queue('a;;b') == ['a', '', 'b']


def test_values_in_order_one_per_tick_then_if_empty():
    built, log = build(tree())
    assert built.tick() == R and log == ['a'] and built.blackboard.get('v') == 'a'
    assert built.tick() == R and log == ['a', 'b']
    assert built.tick() == R and log == ['a', 'b', 'c']
    assert built.tick() == S  # queue empty: the if_empty status (default SUCCESS)
    assert log == ['a', 'b', 'c']


def test_no_pop_while_the_child_runs():
    built, log = build(tree(), ticks_per_item=3)
    status, ticks = run(built)
    assert status == S and log == ['a', 'b', 'c'] and ticks == 3 * 3 + 1


def test_child_failure_stops_the_loop_and_a_restart_copies_the_literal_again():
    built, log = build(tree(), fail_on=('b',))
    status, _ = run(built)
    assert status == F and log == ['a', 'b']
    assert find_failure(built).node_path == 'M/loop/rec'
    status, _ = run(built)
    assert status == F and log == ['a', 'b', 'a', 'b']


def test_empty_queue_returns_if_empty_without_ticking_the_child():
    built, log = build(tree(queue=''))
    assert built.tick() == S and log == []
    built, log = build(tree(queue='', extra='if_empty="FAILURE"'))
    assert built.tick() == F and log == []
    failure = find_failure(built)
    assert failure.node_path == 'M/loop' and 'queue empty' in failure.message
    built, log = build(tree(queue='', extra='if_empty="SKIPPED"'))
    assert built.tick() == S  # no SKIPPED in py_trees: treated as SUCCESS


def test_halt_and_restart_read_the_blackboard_queue_again():
    built, log = build(tree(queue='{places}'), ticks_per_item=2, inputs=['places'])
    built.blackboard.set('places', 'a;b;c')
    assert built.tick() == R and log == ['a']
    assert built.tick() == R and built.tick() == R and log == ['a', 'b']
    built.halt()
    record = built.root.children[0]
    assert record.halts == 1
    built.blackboard.set('places', 'x;y')
    status, _ = run(built)
    assert status == S and log == ['a', 'b', 'x', 'y']
    assert built.blackboard.get('places') == 'x;y'  # a string is copied, not consumed


def test_blackboard_deque_is_popped_in_place_and_a_list_is_copied():
    built, log = build(tree(queue='{q}'), fail_on=('b',), inputs=['q'])
    shared = deque(['a', 'b', 'c'])
    built.blackboard.set('q', shared)
    assert run(built)[0] == F and log == ['a', 'b'] and list(shared) == ['c']
    assert run(built)[0] == S and log == ['a', 'b', 'c'] and not shared
    built, log = build(tree(loop='LoopInt', queue='{q}'), inputs=['q'])
    built.blackboard.set('q', [3, 1, 2])
    assert run(built)[0] == S and log == [3, 1, 2]
    assert built.blackboard.get('q') == [3, 1, 2]


def test_typed_loops_convert_elements():
    built, log = build(tree(loop='LoopDouble', queue='1.5;-2;0'))
    assert run(built)[0] == S and log == [1.5, -2.0, 0.0]
    assert all(isinstance(x, float) for x in log)
    built, log = build(tree(loop='LoopBool', queue='true;0'))
    assert run(built)[0] == S and log == [True, False]


def test_bad_literals_are_load_errors_naming_the_value():
    with pytest.raises(TreeLoadError, match=r'LoopInt "loop": port "queue".*element 1 of '
                                            r'"1;x;3".*"x" is not an integer'):
        build(tree(loop='LoopInt', queue='1;x;3'))
    with pytest.raises(TreeLoadError, match=r'if_empty.*"DONE" is not a status'):
        build(tree(extra='if_empty="DONE"'))


def test_bad_blackboard_queue_fails_with_a_reason():
    built, log = build(tree(loop='LoopInt', queue='{q}'), inputs=['q'])
    built.blackboard.set('q', '4;five')
    assert built.tick() == F and log == []  # the string is converted when the loop starts
    failure = find_failure(built)
    assert failure.node_path == 'M/loop' and failure.code == FailureCode.INVALID_INPUT
    assert '"five" is not an integer' in failure.message
    built.blackboard.set('q', [4, 'five', 6])
    assert built.tick() == R and log == [4]
    assert built.tick() == F and "queue element 'five'" in find_failure(built).message
    built, _ = build(tree(queue='{q}'), inputs=['q'])
    built.blackboard.set('q', 42)
    assert built.tick() == F and 'holds a int' in find_failure(built).message

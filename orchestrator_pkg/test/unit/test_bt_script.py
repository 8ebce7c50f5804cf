"""The safe script language, Script / ScriptCondition, and pre/post-conditions."""
from bt_leaves import INV, F, Leaf, R, S, run_tree
import pytest

from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.trees import Blackboard, find_failure, load_string, validate_string
from orchestrator_pkg.trees.failure import FailureCode
from orchestrator_pkg.trees.guard import Guarded
from orchestrator_pkg.trees.script import ScriptError, parse_script

REG = default_registry(plugins=False)


@pytest.mark.parametrize('source, value', [
    ('1 + 2 * 3', 7), ('(1 + 2) * 3', 9), ('-2 * -3', 6), ('7 / 2', 3.5), ('8 / 2', 4),
    ("'a' .. 1 .. true", 'a1true'), ('1 < 2 && 2 <= 2', True), ('!(1 == 1) || 3 > 4', False),
    ("'5' == 5", True), ("'abc' != 5", True), ('0x0F & 6 | 1', 7), ('5 ^ 1', 4), ('~0', -1),
    ('true ? 1 : 2', 1), ('false ? 1 : true ? 2 : 3', 2), ("'b' > 'a'", True),
    ('1.5e1', 15.0),
])
def test_expressions(source, value):
    assert parse_script(source).run(Blackboard()) == value


def test_assignments_and_blackboard_keys():
    board = Blackboard()
    script = parse_script("count := 1; count += 2; count *= 10; name := 'n' .. count; count")
    assert script.run(board) == 30 and board.get('name') == 'n30'
    assert sorted(script.assigned_keys()) == ['count', 'count', 'count', 'name']
    assert parse_script('x = 1').read_keys() == ['x']
    board.set('speed', '0.5')  # strings from XML literals compare as numbers
    assert parse_script('speed > 0.25').test(board) is True
    scoped = board.scope(remap={'inner': 'count'})
    parse_script('inner := inner - 5; @root_key := 1').run(scoped)
    assert board.get('count') == 25 and board.get('root_key') == 1


@pytest.mark.parametrize('source, reason', [
    ('', 'empty script'), ('1 +', 'unexpected "end of script"'),
    ('a.b', "unexpected character '.'"),
    ('f(1)', 'expected ";", found "("'), ('(1', 'expected ")"'), ('a ? 1', 'expected ":"'),
    ('import os', 'expected ";", found "os"'), ('__import__("os")', 'expected ";"'),
    ('x' * 2001, 'longer than 2000'),
])
def test_syntax_errors(source, reason):
    with pytest.raises(ScriptError) as info:
        parse_script(source)
    assert reason in str(info.value)


@pytest.mark.parametrize('source, reason', [
    ('missing + 1', 'blackboard key "missing" is not set'), ('1 / 0', 'division by zero'),
    ('y = 3', 'use := to create it'), ("'abc' * 2", '"abc" is not a number'),
    ('2 * 9223372036854775807', 'integer overflow'), ("'x' && true", "'x' is not a boolean"),
])
def test_runtime_errors(source, reason):
    with pytest.raises(ScriptError, match=reason):
        parse_script(source).run(Blackboard())


def test_strings_cannot_grow_without_bound():
    board = Blackboard()
    board.set('s', 'x' * 40000)
    with pytest.raises(ScriptError, match='string longer than'):
        parse_script('s := s .. s').run(board)


def test_script_and_script_condition_nodes():
    xml = '''<root BTCPP_format="4"><BehaviorTree ID="M">
      <Sequence>
        <Script code="tries := 0; limit := 3"/>
        <RetryUntilSuccessful num_attempts="5">
          <Sequence>
            <Script code="tries += 1"/>
            <ScriptCondition name="enough" code="tries >= limit"/>
          </Sequence>
        </RetryUntilSuccessful>
        <ScriptCondition name="never" code="tries > 10"/>
      </Sequence></BehaviorTree></root>'''
    built = load_string(xml, REG).build()
    assert run_tree(built) == (F, 3)  # the retry yields between synchronous attempts
    assert built.blackboard.get('tries') == 3
    failure = find_failure(built)
    assert failure.node_path == 'M/Sequence/never'
    assert failure.code == FailureCode.CONDITION_FAILED
    assert failure.message == 'condition "tries > 10" is false'


def test_pre_and_post_conditions():
    xml = '''<root BTCPP_format="4"><BehaviorTree ID="M">
      <Sequence>
        <Script code="mode := 'fast'; log := ''"/>
        <AlwaysFailure name="skipped_ok" _successIf="mode == 'fast'" _post="log := log .. 'a'"/>
        <AlwaysSuccess name="runs" _onSuccess="log := log .. 'b'" _onFailure="log := 'bad'"/>
        <AlwaysSuccess name="gate" _failureIf="mode != 'slow'" _onFailure="log := log .. 'c'"/>
      </Sequence></BehaviorTree></root>'''
    built = load_string(xml, REG).build()
    assert built.tick() == F
    assert built.blackboard.get('log') == 'abc'
    failure = find_failure(built)
    assert failure.node_path == 'M/Sequence/gate' and failure.node_type == 'AlwaysSuccess'
    assert failure.message == '_failureIf "mode != \'slow\'" is true'


def test_preconditions_are_checked_only_when_the_node_starts_and_on_halted_runs():
    board = Blackboard()
    board.set('stop', False)
    leaf = Leaf('work', R)
    node = Guarded('work', leaf, board, {
        '_failureIf': parse_script('stop'), '_onHalted': parse_script("halted := true")})
    node.tick_once()
    assert node.status == R
    board.set('stop', True)
    node.tick_once()
    assert node.status == R and leaf.ticks == 2  # running: not re-checked
    node.stop(INV)
    assert leaf.halts == 1 and board.get('halted') is True
    node.tick_once()
    assert node.status == F and leaf.ticks == 2


def test_script_keys_take_part_in_the_blackboard_analysis():
    xml = '''<root BTCPP_format="4"><BehaviorTree ID="M">
      <Sequence>
        <ScriptCondition code="ready"/>
        <Script code="ready := true"/>
        <SetBlackboard value="{later}" output_key="x"/>
        <Script code="later := 1"/>
      </Sequence></BehaviorTree></root>'''
    problems = validate_string(xml, REG, source='k.xml')
    assert [(p.severity, p.line) for p in problems] == [('warning', 3), ('warning', 5)]
    assert S and INV  # the helpers are shared with the other semantics tests


def test_conditions_on_a_subtree_and_equals_remapping():
    xml = '''<root BTCPP_format="4" main_tree_to_execute="M">
      <BehaviorTree ID="M">
        <Sequence>
          <Script code="goal := 5; @top := 1"/>
          <SubTree ID="Go" goal="{=}" _successIf="goal > 10" _post="done := true"/>
        </Sequence>
      </BehaviorTree>
      <BehaviorTree ID="Go"><Script code="goal := goal * 2; seen := @top"/></BehaviorTree>
    </root>'''
    built = load_string(xml, REG).build()
    assert built.tick() == S
    assert built.blackboard.as_dict() == {'goal': 10, 'top': 1, 'done': True}
    built = load_string(xml.replace('goal := 5', 'goal := 50'), REG).build()
    assert built.tick() == S and built.blackboard.get('goal') == 50  # subtree skipped

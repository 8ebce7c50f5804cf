"""Validation catches keys nobody writes, unbalanced braces and unknown place names.

Each check reports ``file:line: severity: reason`` at the line of the mistake.
"""
import pytest

from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.places import PORT_TYPE
from orchestrator_pkg.trees import validate_string


@pytest.fixture(scope='module')
def registry():
    return default_registry()


def _problems(registry, xml, **kwargs):
    return [str(p) for p in validate_string(xml, registry, source='m.xml', **kwargs)]


TYPO = """<root BTCPP_format="4" main_tree_to_execute="M">
  <BehaviorTree ID="M">
    <Sequence>
      <SetBlackboard value="box" output_key="{target}"/>
      <Fallback>
        <ScriptCondition code="targt == 'box'"/>
        <SetBlackboard value="{targt}" output_key="{seen}"/>
      </Fallback>
      <SetBlackboard value="{from_outside}" output_key="{other}"/>
    </Sequence>
  </BehaviorTree>
</root>"""


def test_a_key_read_but_never_written_is_an_error_with_did_you_mean(registry):
    problems = _problems(registry, TYPO)
    typo = [p for p in problems if '"targt"' in p]
    assert typo == ['m.xml:6: error: ScriptCondition: port "_code" reads blackboard key "targt", '
                    'which no node writes (did you mean "target"?)'] or \
        typo[0].startswith('m.xml:6: error: ') and 'did you mean "target"?' in typo[0], problems
    assert len(typo) == 1, 'one report per key, at its first read'


def test_a_key_nothing_resembles_is_a_warning_unless_given_or_declared(registry):
    problems = _problems(registry, TYPO)
    outside = [p for p in problems if '"from_outside"' in p]
    assert len(outside) == 1 and outside[0].startswith('m.xml:9: warning: '), problems
    assert 'not a declared input of tree "M"' in outside[0]
    # given as an input: nothing to say about it
    given = _problems(registry, TYPO, inputs=['from_outside'])
    assert not [p for p in given if 'from_outside' in p]
    # declared in the TreeNodesModel: an input of the mission, nothing to say either
    declared = TYPO.replace('</root>', '<TreeNodesModel><SubTree ID="M">'
                            '<input_port name="from_outside">from the caller</input_port>'
                            '</SubTree></TreeNodesModel></root>')
    assert not [p for p in _problems(registry, declared) if 'from_outside' in p]


def test_a_typo_of_a_declared_input_is_caught_too(registry):
    xml = """<root BTCPP_format="4" main_tree_to_execute="M">
  <BehaviorTree ID="M">
    <ComputePathToPose goal="{gaol}" path="{path}"/>
  </BehaviorTree>
  <TreeNodesModel><SubTree ID="M"><input_port name="goal"/></SubTree></TreeNodesModel>
</root>"""
    problems = _problems(registry, xml)
    assert any(p.startswith('m.xml:3: error: ') and '"gaol"' in p and 'did you mean "goal"?' in p
               for p in problems), problems


@pytest.mark.parametrize('value', ['{place', 'place}', '}place{', 'x{y'])
def test_unbalanced_braces_are_an_error_at_their_line(registry, value):
    xml = f"""<root BTCPP_format="4">
  <BehaviorTree ID="M">
    <Sequence>
      <SetBlackboard value="dock" output_key="{{place}}"/>
      <GetPlacePose name="Look" place="{value}" pose="{{p}}"/>
    </Sequence>
  </BehaviorTree>
</root>"""
    problems = _problems(registry, xml)
    assert any(p.startswith('m.xml:5: error: GetPlacePose "Look": port "place" value '
                            f'"{value}" has unbalanced braces') for p in problems), problems


def test_unbalanced_braces_in_a_subtree_port(registry):
    xml = """<root BTCPP_format="4" main_tree_to_execute="M">
  <BehaviorTree ID="M">
    <SubTree ID="Go" place="{place"/>
  </BehaviorTree>
  <BehaviorTree ID="Go"><GetPlacePose place="{place}" pose="{p}"/></BehaviorTree>
</root>"""
    problems = _problems(registry, xml)
    assert any(p.startswith('m.xml:3: error: SubTree "Go": port "place" value "{place" has '
                            'unbalanced braces') for p in problems), problems


def test_balanced_values_and_scripts_are_not_reported(registry):
    xml = """<root BTCPP_format="4">
  <BehaviorTree ID="M">
    <Sequence>
      <Script code="msg := '{not a key'"/>
      <SetBlackboard value="{msg}" output_key="{copy}"/>
    </Sequence>
  </BehaviorTree>
</root>"""
    assert not [p for p in _problems(registry, xml) if 'braces' in p]


PATROL = """<root BTCPP_format="4" main_tree_to_execute="P">
  <BehaviorTree ID="P">
    <Sequence>
      <SetDefault output_key="{places}" value="pickup_a;kitchn"/>
      <LoopString queue="{places}" value="{place}">
        <SubTree ID="Go" place="{place}"/>
      </LoopString>
      <SubTree ID="Go" place="dok"/>
      <GetPlacePose name="Direct" place="office" pose="{p}"/>
    </Sequence>
  </BehaviorTree>
  <BehaviorTree ID="Go"><GetPlacePose name="Look" place="{place}" pose="{p}"/></BehaviorTree>
</root>"""
PLACES = {PORT_TYPE: ({'pickup_a', 'kitchen', 'dock', 'office'}, 'world test')}


def test_place_names_are_checked_against_the_world_where_they_are_written(registry):
    problems = [p for p in _problems(registry, PATROL, known_values=PLACES)
                if 'is not a place' in p]
    # the default's bad element, at the SetDefault's line, followed through the loop
    assert any(p.startswith('m.xml:4: error: SetDefault: "kitchn" is not a place of world test')
               and 'reaches GetPlacePose "Look"' in p and 'did you mean "kitchen"?' in p
               for p in problems), problems
    # a SubTree literal, at the SubTree's line
    assert any(p.startswith('m.xml:8: error: SubTree "Go": "dok" is not a place of world test')
               and 'did you mean "dock"?' in p for p in problems), problems
    assert len(problems) == 2, problems  # pickup_a and office are places; each mistake once
    # without the world's names there is nothing to check them against
    assert not [p for p in _problems(registry, PATROL) if 'is not a place' in p]


def test_place_names_given_as_inputs_are_checked_too(registry):
    good = PATROL.replace('pickup_a;kitchn', 'pickup_a').replace('"dok"', '"dock"')
    assert not [p for p in _problems(registry, good, known_values=PLACES) if 'not a place' in p]
    problems = [p for p in _problems(registry, good, inputs={'places': 'office;garage'},
                                     known_values=PLACES) if 'not a place' in p]
    assert len(problems) == 1 and 'the input places="office;garage": "garage"' in problems[0]
    assert problems[0].startswith('m.xml:12: error: '), problems  # where it is looked up


def test_the_shipped_patrol_defaults_are_warehouse_places(registry):
    from orchestrator_pkg.commands import _missions
    path = _missions.resolve('patrol')
    known = _missions.place_names('warehouse')
    assert [p for p in _missions.check(path, registry, {}, known_values=known)] == []
    bad = _missions.check(path, registry, {'places': 'pickup_a;kitchen'}, known_values=known)
    assert len(bad) == 1 and '"kitchen" is not a place of world warehouse' in str(bad[0])

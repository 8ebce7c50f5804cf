"""``orchestrator missions``, and run/submit's checks of a mission before anything starts."""
import pytest

from orchestrator_pkg.cli import main
from orchestrator_pkg.commands import _missions
from orchestrator_pkg.commands.run import check_mission


def test_missions_lists_every_shipped_mission_with_its_inputs(capsys):
    assert main(['missions']) == 0
    out = capsys.readouterr().out
    for name in _missions.names():
        assert f'\n{name} ' in '\n' + out, name
    assert 'inputs: places=pickup_a;dropoff;office, laps=1' in out
    assert 'inputs: goal (required)' in out
    assert 'inputs: object_class=box, object_color=red, dropoff_place=dropoff' in out


def test_one_mission_in_full(capsys):
    assert main(['missions', 'patrol']) == 0
    out = capsys.readouterr().out
    assert 'Patrol: visit named places in turn' in out
    assert "places (default 'pickup_a;dropoff;office')" in out
    assert 'Place names of the world, separated by ;' in out
    assert 'run: orchestrator run --mission patrol' in out
    assert main(['missions', 'go_to']) == 0
    assert 'run: orchestrator run --mission go_to --input goal=...' in capsys.readouterr().out
    assert main(['missions', 'patrl']) == 2
    assert 'did you mean patrol?' in capsys.readouterr().err


def test_every_declared_default_is_the_one_the_mission_sets():
    """The TreeNodesModel's default says what SetDefault writes: one can't drift from the other."""
    from orchestrator_pkg.trees.xml_source import TreeSource
    for name in _missions.names():
        path = _missions.resolve(name)
        info = _missions.info(path)
        source = TreeSource()
        source.load_path(path, top=True)
        defaults = {}
        for tree in source.trees.values():
            stack = [tree.root] if tree.root else []
            while stack:
                x = stack.pop()
                stack.extend(x.children)
                if x.tag == 'SetDefault':
                    defaults[x.attrs['output_key'].strip('{}')] = x.attrs['value']
        for item in info.inputs:
            if item.default is not None:
                assert defaults.get(item.name) == item.default, (name, item.name)
            else:
                assert item.name not in defaults, (name, item.name)


def test_an_unknown_mission_name_is_an_error_before_anything_starts():
    with pytest.raises(_missions.MissionError, match="no mission named 'delivr'.*did you mean "
                                                     'deliver'):
        check_mission('delivr', 'warehouse', {}, {})
    with pytest.raises(_missions.MissionError, match='nope.xml: no such file'):
        check_mission('nope.xml', 'warehouse', {}, {})


def test_an_own_mission_file_is_checked_under_its_own_name(tmp_path):
    mission = tmp_path / 'my_tour.xml'
    mission.write_text('<root BTCPP_format="4" main_tree_to_execute="Tour">\n'
                       '  <BehaviorTree ID="Tour">\n'
                       '    <Sequence>\n'
                       '      <GetPlacePose place="ofice" pose="{target}"/>\n'
                       '      <NavigateToPose goal="{targt}"/>\n'
                       '    </Sequence>\n'
                       '  </BehaviorTree>\n'
                       '</root>\n')
    with pytest.raises(_missions.MissionError) as caught:
        check_mission(str(mission), 'warehouse', {}, {})
    text = str(caught.value)
    assert 'nothing was started' in text and '<inline>' not in text
    assert f'{mission}:4: error: GetPlacePose: "ofice" is not a place of world warehouse' in text
    assert f'{mission}:5: error: NavigateToPose: port "goal" reads blackboard key "targt"' in text
    good = mission.read_text().replace('ofice', 'office').replace('targt', 'target')
    mission.write_text(good)
    assert check_mission(str(mission), 'warehouse', {}, {}) == good  # sent inline


def test_a_mission_file_with_includes_is_refused_as_the_orchestrator_would(tmp_path):
    mission = tmp_path / 'with_include.xml'
    mission.write_text('<root BTCPP_format="4" main_tree_to_execute="M">\n'
                       '  <include path="other.xml"/>\n'
                       '  <BehaviorTree ID="M"><AlwaysSuccess/></BehaviorTree>\n</root>\n')
    with pytest.raises(_missions.MissionError, match=f'{mission}:2: error: <include '):
        check_mission(str(mission), 'warehouse', {}, {})


def test_place_inputs_are_checked_for_every_robot():
    with pytest.raises(_missions.MissionError, match='"kitchen" is not a place'):
        check_mission('patrol', 'warehouse', {}, {'robot2': {'places': 'kitchen'}})
    warnings = []
    assert check_mission('patrol', 'warehouse', {'laps': '2'}, {}, warnings.append) == ''
    assert warnings == []

"""Two robots from the real bringup description: namespaces, the sim's bodies, per-robot inputs."""
import argparse
import os

import pytest
import yaml

from orchestrator_pkg.bringup.description import BringupError, load, parse, resolve, substitute
from orchestrator_pkg.bringup.runner import ros_arguments
from orchestrator_pkg.commands.run import _inputs

PKG_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPO_DIR = os.path.dirname(PKG_DIR)
BRINGUP = os.path.join(PKG_DIR, 'config', 'bringup.yaml')
ARGS = {'world': 'warehouse', 'robot': 'small_indoor', 'rtf': '1.0', 'seed': '0',
        'mission': ''}


def share(package):
    return os.path.join(REPO_DIR, package)


def test_two_robots_get_one_sim_with_two_bodies_and_a_namespaced_stack_each():
    bringup = load(BRINGUP)
    launches = resolve(bringup, share, ARGS, sim=True, robots=2)
    world = [launch for launch in launches if launch.node.scope == 'world']
    assert [launch.label for launch in world] == ['sim']
    assert world[0].overrides['robots'] == ['robot1', 'robot2']
    assert '-p' in ros_arguments(world[0])
    assert 'robots:=[robot1, robot2]' in ros_arguments(world[0])
    run_args = bringup.run_arguments(ARGS)  # the default localization: amcl, one per robot
    robot_nodes = [n.name for n in bringup.nodes if n.scope == 'robot' and n.runs_with(run_args)]
    assert {'base_driver', 'amcl', 'planner_server', 'controller_server', 'behavior_server',
            'bt_navigator', 'orchestrator'} <= set(robot_nodes)
    by_ns = {}
    for launch in launches[1:]:
        by_ns.setdefault(launch.namespace, []).append(launch.node.name)
        assert f'__ns:=/{launch.namespace}' in ros_arguments(launch)
    assert by_ns == {'robot1': robot_nodes, 'robot2': robot_nodes}


def test_one_robot_is_the_unnamespaced_single_robot_contract():
    launches = resolve(load(BRINGUP), share, ARGS, sim=True)
    assert launches[0].overrides['robots'] == ['']
    assert "robots:=['']" in ros_arguments(launches[0])
    assert all(launch.namespace == '' for launch in launches)


def test_frame_ids_stay_unprefixed_because_each_robot_has_its_own_tf():
    # tf per namespace (Nav2's multi-robot convention): /robot1/tf carries odom -> base_link
    # of robot1 only, so the frame parameters in the parameter files are the same for all
    for name in ('nav.yaml', 'base_driver.yaml', 'orchestrator.yaml'):
        text = open(os.path.join(PKG_DIR, 'config', name), encoding='utf-8').read()
        assert '/' not in ''.join(
            str(v) for k, v in _flatten(yaml.safe_load(text)) if k.endswith('frame')), name


def _flatten(doc, prefix=''):
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from _flatten(value, f'{prefix}{key}')
    else:
        yield prefix, doc


def test_robot_scope_nodes_can_use_their_own_namespace():
    text = """
bringup:
  nodes:
    - {name: sim, package: p, executable: s, scope: world,
       overrides: {robots: "${robot_namespaces}"}}
    - {name: orchestrator, package: p, executable: o,
       overrides: {home: "${namespace}_dock", frame: "${namespace}/base_link"}}
    - {name: bad, package: p, executable: b, scope: world, overrides: {x: "${namespace}"}}
"""
    bringup = parse(text, 'b.yaml')
    launches = resolve(bringup, share, {}, sim=True, robots=2, only=['sim', 'orchestrator'])
    assert [(launch.label, launch.overrides.get('home'), launch.overrides.get('frame'))
            for launch in launches[1:]] == [
        ('robot1/orchestrator', 'robot1_dock', 'robot1/base_link'),
        ('robot2/orchestrator', 'robot2_dock', 'robot2/base_link')]
    with pytest.raises(BringupError, match=r'bad.overrides.x: \$\{namespace\} is not a run '
                                           'argument'):
        resolve(bringup, share, {}, sim=True, robots=2)


def test_each_robots_groot2_monitors_get_ports_of_their_own():
    ports = {}
    for robots in (1, 3):
        for launch in resolve(load(BRINGUP), share, ARGS, sim=True, robots=robots):
            if 'groot2_port' in launch.overrides:
                ports.setdefault(robots, {})[launch.label] = launch.overrides['groot2_port']
    assert ports[1] == {'bt_navigator': 1669, 'orchestrator': 1667}
    assert ports[3] == {'robot1/bt_navigator': 1669, 'robot1/orchestrator': 1667,
                        'robot2/bt_navigator': 1679, 'robot2/orchestrator': 1677,
                        'robot3/bt_navigator': 1689, 'robot3/orchestrator': 1687}
    # each monitor takes its port and the next: no two share one
    taken = [p + k for p in ports[3].values() for k in (0, 1)]
    assert len(taken) == len(set(taken))


PER_ROBOT = """
bringup:
  nodes:
    - {name: sim, package: p, executable: s, scope: world}
    - {name: host, package: p, executable: h, overrides: {port: {per_robot: 1667, step: 10}}}
"""


def test_a_number_per_robot_is_base_plus_step_times_the_robots_index():
    launches = resolve(parse(PER_ROBOT), share, {}, sim=True, robots=3)
    assert [(launch.label, launch.overrides.get('port')) for launch in launches] == [
        ('sim', None), ('robot1/host', 1667), ('robot2/host', 1677), ('robot3/host', 1687)]
    assert resolve(parse(PER_ROBOT), share, {}, sim=True)[1].overrides['port'] == 1667


@pytest.mark.parametrize('mutation, expected', [
    (('{per_robot: 1667, step: 10}', '{per_robot: 1667}'),
     'host).overrides.port: a number per robot is {per_robot: BASE, step: STEP}; got the keys '
     'per_robot'),
    (('{per_robot: 1667, step: 10}', '{per_robot: 1667, step: 10, x: 1}'),
     'got the keys per_robot, step, x'),
    (('{per_robot: 1667, step: 10}', '{per_robot: "1667", step: 10}'),
     "host).overrides.port.per_robot: expected an integer, got '1667'"),
    (('{per_robot: 1667, step: 10}', '{per_robot: 1667, step: true}'),
     'host).overrides.port.step: expected an integer, got True'),
    (('scope: world}', 'scope: world, overrides: {port: {per_robot: 1, step: 1}}}'),
     'sim).overrides.port: a number per robot needs a robot-scope node; sim is world-scope'),
])
def test_a_bad_number_per_robot_is_an_error_naming_the_override(mutation, expected):
    old, new = mutation
    assert old in PER_ROBOT
    with pytest.raises(BringupError) as err:
        parse(PER_ROBOT.replace(old, new, 1), 'b.yaml')
    assert str(err.value).startswith('b.yaml: ')
    assert expected in str(err.value)


def test_a_list_argument_substitutes_as_a_list_only_when_it_is_the_whole_value():
    assert substitute('${r}', {'r': ['a', 'b']}) == ['a', 'b']
    assert substitute('${r}', {'r': ['']}) == ['']


def test_inputs_for_all_robots_and_for_one_robot():
    namespaces = ['robot1', 'robot2']
    common, per_robot = _inputs(['laps=2', 'robot2:goal=0;map;1;2;0;0;0;0;1',
                                 'robot1:goal=x=y'], namespaces)
    assert common == {'laps': '2'}
    assert per_robot == {'robot2': {'goal': '0;map;1;2;0;0;0;0;1'}, 'robot1': {'goal': 'x=y'}}


@pytest.mark.parametrize('pair, namespaces, message', [
    ('robot3:goal=1', ['robot1', 'robot2'], "'robot3' is not a robot of this run "
                                            r'\(robots: robot1, robot2\)'),
    ('robot1:goal=1', [''], r"'robot1' is not a robot of this run \(robots: none: one robot\)"),
    ('robot1:=1', ['robot1', 'robot2'], 'is not a robot of this run'),
    ('goal', ['robot1'], 'expected KEY=VALUE or ROBOT:KEY=VALUE'),
])
def test_bad_inputs_name_the_input_and_the_robots(pair, namespaces, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        _inputs([pair], namespaces)


def test_namespaced_nodes_get_parameter_files_keyed_for_any_namespace():
    # rcl matches "planner_server:" only to /planner_server, never /robot2/planner_server
    launches = resolve(load(BRINGUP), share, ARGS, sim=True, robots=2)
    planner = next(launch for launch in launches if launch.node.name == 'planner_server'
                   and launch.namespace == 'robot2')
    args = ros_arguments(planner)
    files = [args[i + 1] for i, a in enumerate(args) if a == '--params-file']
    assert files and all(f not in planner.parameter_files for f in files)
    with open(planner.parameter_files[0]) as f:
        original = yaml.safe_load(f)
    with open(files[0]) as f:
        rekeyed = yaml.safe_load(f)
    assert rekeyed['/**/planner_server'] == original['planner_server']
    assert set(rekeyed) == {f'/**/{key}' for key in original}
    # one robot, no namespace: the files as they are
    single = next(launch for launch in resolve(load(BRINGUP), share, ARGS, sim=True, robots=1)
                  if launch.node.name == 'planner_server')
    args = ros_arguments(single)
    assert [args[i + 1] for i, a in enumerate(args) if a == '--params-file'] == \
        list(single.parameter_files)

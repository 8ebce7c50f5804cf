"""Composed mode: the description groups composable nodes, the container's command line.

Pure parts only; test/integration/test_node_container.py runs a real
container, and test/system/test_deliver_mission.py the demo mission composed.
"""
import ast
import importlib
import os

import pytest

from orchestrator_pkg.bringup.description import BringupError, load, parse, resolve
from orchestrator_pkg.bringup.runner import node_command, ros_arguments
from orchestrator_pkg.nodes.components import (
    COMPONENTS,
    ContainerError,
    container_arguments,
    parse_arguments,
)

PACKAGE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

COMPOSED = """
bringup:
  arguments:
    composition: {default: "false", choices: ["false", "true"]}
  nodes:
    - name: sim
      package: orchestrator_sim
      executable: sim_node
      scope: world
    - name: base_driver
      package: orchestrator_pkg
      executable: base_driver
      respawn: true
    - name: map_server
      package: orchestrator_pkg
      executable: map_server
      composable: true
      respawn: true
      respawn_delay_s: 2.0
      overrides: {world: "${world}"}
    - name: waypoint_follower
      package: orchestrator_pkg
      executable: waypoint_follower
      composable: true
      respawn: true
      required: true
      remappings: {a: b}
"""


def share(package):
    return f'/share/{package}'


def test_composition_off_leaves_every_node_its_own_process():
    launches = resolve(parse(COMPOSED), share, {'world': 'w'}, sim=True)
    assert [launch.label for launch in launches] == [
        'sim', 'base_driver', 'map_server', 'waypoint_follower']
    assert all(not launch.components for launch in launches)


def test_composition_puts_each_robots_composable_nodes_in_one_container():
    launches = resolve(parse(COMPOSED), share, {'world': 'w', 'composition': 'true'},
                       sim=True, robots=2)
    assert [launch.label for launch in launches] == [
        'sim', 'robot1/base_driver', 'robot1/node_container',
        'robot2/base_driver', 'robot2/node_container']
    container = launches[2]
    assert container.node_names == ('map_server', 'waypoint_follower')
    assert (container.node.package, container.node.executable) == (
        'orchestrator_pkg', 'node_container')
    # each node keeps what it had on its own: its robot's namespace, overrides, remaps
    first, second = container.components
    assert (first.namespace, second.namespace) == ('robot1', 'robot1')
    assert first.overrides == {'world': 'w', 'use_sim_time': True}
    assert second.node.remappings == (('a', 'b'),)
    assert launches[4].components[0].namespace == 'robot2'
    # respawned as its nodes all are, with the first one's policy; required as one is
    assert container.node.respawn and container.node.respawn_delay_s == 2.0
    assert container.node.required
    assert launches[1].node_names == ('base_driver',)


def test_a_container_is_respawned_only_if_all_its_nodes_are():
    text = COMPOSED.replace('      required: true\n', '      respawn: false\n').replace(
        '      respawn: true\n      respawn: false\n', '      respawn: false\n')
    container = resolve(parse(text), share, {'world': 'w', 'composition': 'true'},
                        sim=True)[2]
    assert container.components and not container.node.respawn


def test_nodes_naming_a_container_run_in_that_one_each_robot_its_own():
    text = COMPOSED.replace(
        '      executable: base_driver\n',
        '      executable: base_driver\n      composable: true\n'
        '      container: control_container\n')
    launches = resolve(parse(text), share, {'world': 'w', 'composition': 'true'},
                       sim=True, robots=2)
    assert [launch.label for launch in launches] == [
        'sim', 'robot1/control_container', 'robot1/node_container',
        'robot2/control_container', 'robot2/node_container']
    control, light = launches[1], launches[2]
    assert control.node_names == ('base_driver',)
    assert light.node_names == ('map_server', 'waypoint_follower')
    assert control.node.executable == light.node.executable == 'node_container'
    # its own policy: base_driver's (respawn, default delay), not the other container's
    assert control.node.respawn and control.node.respawn_delay_s == 1.0
    assert not control.node.required and light.node.required
    assert launches[3].components[0].namespace == 'robot2'
    # composition off: the container key changes nothing
    alone = resolve(parse(text), share, {'world': 'w'}, sim=True)
    assert [launch.label for launch in alone] == [
        'sim', 'base_driver', 'map_server', 'waypoint_follower']


@pytest.mark.parametrize('node, words', [
    ('      composable: true\n      container: "two words"\n', "'two words' is not a process"),
    ('      composable: true\n      container: 3\n', 'expected'),
    ('      container: other\n', 'only a composable node joins a container'),
    ('      composable: true\n      container: base_driver\n',
     "'base_driver' is the name of a node"),
])
def test_a_bad_container_name_is_refused_naming_the_field(node, words):
    text = COMPOSED + ('    - name: m4\n      package: orchestrator_pkg\n'
                       '      executable: map_server\n' + node)
    with pytest.raises(BringupError, match=words) as caught:
        parse(text, 'b.yaml')
    assert 'b.yaml: bringup.nodes[4] (m4).container' in str(caught.value)


def test_the_containers_command_carries_each_nodes_own_ros_arguments():
    container = resolve(parse(COMPOSED), share, {'world': 'w', 'composition': 'true'},
                        sim=True)[2]
    command = node_command(lambda package, exe: f'/bin/{exe}', container)
    first, second = container.components
    assert command == ['/bin/node_container',
                       '--node', 'map_server', *ros_arguments(first), '--',
                       '--node', 'waypoint_follower', *ros_arguments(second), '--']
    own, parsed = parse_arguments(command[1:])
    assert own == []
    assert parsed == [('map_server', ros_arguments(first)),
                      ('waypoint_follower', ros_arguments(second))]


def test_the_container_keeps_arguments_of_its_own_apart():
    argv = ['--node', 'map_server', '--ros-args', '-p', 'a:=1', '--',
            '--ros-args', '--log-level', 'warn']
    assert parse_arguments(argv) == (['--ros-args', '--log-level', 'warn'],
                                     [('map_server', ['--ros-args', '-p', 'a:=1'])])
    assert container_arguments([('map_server', ['--ros-args'])]) == [
        '--node', 'map_server', '--ros-args', '--']


@pytest.mark.parametrize('argv, words', [
    ([], 'no node to run'),
    (['--ros-args', '-p', 'a:=1'], 'no node to run'),
    (['--node'], 'names no executable'),
    (['--node', '--ros-args'], 'names no executable'),
    (['--node', 'sim_node', '--ros-args', '--'], '--node sim_node: not a node of this package'),
])
def test_a_bad_container_command_line_is_refused_naming_what(argv, words):
    with pytest.raises(ContainerError, match=words):
        parse_arguments(argv)


@pytest.mark.parametrize('node, words', [
    ('    - name: sim2\n      package: orchestrator_sim\n      executable: sim_node\n'
     '      composable: true\n', 'orchestrator_sim/sim_node cannot be composed'),
    ('    - name: other\n      package: orchestrator_pkg\n      executable: orchestrator\n'
     '      composable: true\n', 'orchestrator_pkg/orchestrator cannot be composed'),
    ('    - name: m2\n      package: orchestrator_pkg\n      executable: map_server\n'
     '      scope: world\n      composable: true\n', 'only robot-scope nodes are composed'),
    ('    - name: m3\n      package: orchestrator_pkg\n      executable: map_server\n'
     '      composable: "yes"\n', 'expected true or false'),
])
def test_a_node_that_cannot_be_composed_is_refused_naming_the_field(node, words):
    with pytest.raises(BringupError, match=words) as caught:
        parse(COMPOSED + node, 'b.yaml')
    assert 'b.yaml: bringup.nodes[4]' in str(caught.value)
    assert '.composable' in str(caught.value)


def test_every_component_is_a_console_script_with_its_node_class():
    tree = ast.parse(open(os.path.join(PACKAGE, 'setup.py')).read())
    scripts = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and ' = ' in node.value:
            name, target = node.value.split(' = ', 1)
            scripts[name] = target
    assert scripts['node_container'] == 'orchestrator_pkg.nodes.node_container:main'
    for executable, target in COMPONENTS.items():
        module, _, cls = target.partition(':')
        assert scripts[executable] == f'{module}:main', executable
        node_class = getattr(importlib.import_module(module), cls)
        # each node takes rclpy's Node arguments (cli_args: its own --ros-args)
        assert 'kwargs' in node_class.__init__.__code__.co_varnames, executable


def test_the_shipped_bringup_composes_all_but_the_sim_and_base_driver_in_two_on_request():
    bringup = load(os.path.join(PACKAGE, 'config', 'bringup.yaml'))
    args = {'world': 'warehouse', 'robot': 'small_indoor', 'rtf': 1, 'seed': 0, 'mission': ''}
    alone = resolve(bringup, lambda pkg: os.path.join(PACKAGE) if pkg == 'orchestrator_pkg'
                    else '/nonexistent', args, sim=False)
    assert all(not launch.components for launch in alone)  # off by default
    composed = resolve(bringup, lambda pkg: os.path.join(PACKAGE), {**args, 'composition': 'true'},
                       sim=False)
    containers = {launch.node.name: launch for launch in composed if launch.components}
    assert set(containers['node_container'].node_names) == {
        'map_server', 'behavior_server', 'bt_navigator', 'waypoint_follower',
        'lifecycle_manager_navigation', 'perception_node'}
    control = containers['control_container']
    assert set(control.node_names) == {'amcl', 'planner_server', 'controller_server',
                                       'orchestrator'}
    # the orchestrator's container ends the run when it exits, and is not respawned
    assert control.node.required and not control.node.respawn
    assert containers['node_container'].node.respawn
    # base_driver, the safety node, keeps its own process (and its events executor)
    assert [launch.label for launch in composed if not launch.components] == [
        'base_driver']
    # the same nodes run, in one process fewer per composed node
    names = [n for launch in composed for n in launch.node_names]
    assert sorted(names) == sorted(launch.node.name for launch in alone)
    with pytest.raises(BringupError, match='composition'):
        resolve(bringup, lambda pkg: PACKAGE, {**args, 'composition': 'yes'}, sim=False)

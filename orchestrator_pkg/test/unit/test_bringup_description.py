"""The bringup description parses, validates with named fields, and resolves."""
import pytest

from orchestrator_pkg.bringup.description import BringupError, parse, resolve
from orchestrator_pkg.bringup.runner import parameter_value, ros_arguments

GOOD = """
bringup:
  robots: 1
  shutdown: {zero_velocity_topic: cmd_vel, grace_period_s: 3}
  nodes:
    - name: sim
      package: orchestrator_sim
      executable: sim_node
      scope: world
      sim_only: true
      required: true
      parameters: [orchestrator_sim:config/sim.yaml]
      overrides: {world: "${world}"}
    - name: base_driver
      package: orchestrator_pkg
      executable: base_driver
      parameters: [orchestrator_pkg:config/base_driver.yaml]
      remappings: {cmd_vel_in: cmd_vel_nav}
      respawn: true
      respawn_delay_s: 0.5
      respawn_max_retries: 2
"""


def share(package):
    return f'/share/{package}'


def test_good_description_resolves_for_two_robots_world_nodes_first():
    bringup = parse(GOOD, 'bringup.yaml')
    assert bringup.grace_period_s == 3.0
    launches = resolve(bringup, share, {'world': 'warehouse'}, sim=True, robots=2)
    assert [launch.label for launch in launches] == [
        'sim', 'robot1/base_driver', 'robot2/base_driver']
    sim = launches[0]
    assert sim.parameter_files == ('/share/orchestrator_sim/config/sim.yaml',)
    assert sim.overrides == {'world': 'warehouse', 'use_sim_time': True}
    driver = launches[1].node
    assert (driver.respawn, driver.respawn_delay_s, driver.respawn_max_retries) == (True, 0.5, 2)


def test_one_robot_has_no_namespace_and_sim_only_nodes_drop_on_hardware():
    launches = resolve(parse(GOOD), share, {'world': 'w'}, sim=False)
    assert [(launch.namespace, launch.node.name) for launch in launches] == [('', 'base_driver')]
    assert launches[0].overrides == {'use_sim_time': False}


def test_ros_arguments_carry_name_namespace_params_overrides_and_remaps(monkeypatch):
    from orchestrator_pkg.bringup import runner
    # in a namespace, a file re-keyed for any namespace stands in for each parameter file
    monkeypatch.setattr(runner, 'any_namespace_parameter_file', lambda path: path + '.any_ns')
    launch = resolve(parse(GOOD), share, {'world': 'w'}, sim=True, robots=2)[1]
    assert ros_arguments(launch) == [
        '--ros-args', '-r', '__node:=base_driver', '-r', '__ns:=/robot1',
        '--params-file', '/share/orchestrator_pkg/config/base_driver.yaml.any_ns',
        '-p', 'use_sim_time:=true', '-r', 'cmd_vel_in:=cmd_vel_nav']


@pytest.mark.parametrize('value, text', [
    (True, 'true'), (2.5, '2.5'), (3, '3'), ('warehouse', 'warehouse'), ('10', "'10'"),
    ([1.0, 2.0], '[1.0, 2.0]')])
def test_parameter_values_are_yaml(value, text):
    assert parameter_value(value) == text


@pytest.mark.parametrize('mutation, expected', [
    (('respawn: true', 'respawn: yes please'), 'nodes[1] (base_driver).respawn'),
    (('executable: base_driver', 'executable: ""'), '(base_driver).executable: required'),
    (('scope: world', 'scope: galaxy'), "nodes[0] (sim).scope: expected robot or world"),
    (('respawn_delay_s: 0.5', 'respawn_delay_s: -1'), 'respawn_delay_s must be >= 0'),
    (('[orchestrator_pkg:config/base_driver.yaml]', '["orchestrator_pkg:../../etc/passwd"]'),
     'parameters[0]: expected "package:relative/path.yaml"'),
    (('name: base_driver', 'name: sim'), "node name 'sim' is used twice"),
    (('robots: 1', 'robots: 0'), 'bringup.robots: must be >= 1'),
    (('      respawn: true', '      respawn: true\n      colour: red'),
     'nodes[1] (base_driver).colour: unknown field'),
    (('  robots: 1', '  robots: 1\n  plugins: [x]'), 'bringup.plugins: unknown field'),
])
def test_errors_name_the_file_and_field(mutation, expected):
    old, new = mutation
    assert old in GOOD
    with pytest.raises(BringupError) as err:
        parse(GOOD.replace(old, new, 1), 'my_bringup.yaml')
    assert str(err.value).startswith('my_bringup.yaml: ')
    assert expected in str(err.value)


def test_unknown_substitution_is_an_error_naming_the_override():
    with pytest.raises(BringupError, match=r'sim.overrides.world: \$\{world\} is not a run arg'):
        resolve(parse(GOOD, 'b.yaml'), share, {}, sim=True)


def test_yaml_tags_cannot_execute_code():
    evil = '!!python/object/apply:os.system ["echo pwned"]'
    with pytest.raises(BringupError, match='not valid YAML'):
        parse(f'bringup: {evil}', 'evil.yaml')


def test_not_a_bringup_file():
    with pytest.raises(BringupError, match='expected a top-level "bringup:" mapping'):
        parse('nodes: []', 'x.yaml')


@pytest.mark.parametrize('arg, expected', [
    ('2.5', 2.5), (2.5, 2.5), ('3', 3), ('true', True), ('warehouse', 'warehouse'),
    ('', ''), ('[1, 2]', '[1, 2]')])
def test_a_whole_value_substitution_takes_the_argument_type(arg, expected):
    from orchestrator_pkg.bringup.description import substitute
    assert substitute('${rtf}', {'rtf': arg}) == expected
    assert substitute('x${rtf}', {'rtf': arg}) == f'x{arg}'


def test_only_keeps_the_named_nodes_and_rejects_unknown_names():
    bringup = parse(GOOD, 'b.yaml')
    launches = resolve(bringup, share, {'world': 'w'}, sim=True, robots=2, only=['base_driver'])
    assert [launch.label for launch in launches] == ['robot1/base_driver', 'robot2/base_driver']
    with pytest.raises(BringupError, match='no node named planner'):
        resolve(bringup, share, {'world': 'w'}, sim=True, only=['planner'])


def test_nested_overrides_become_dotted_parameter_names():
    text = GOOD.replace('overrides: {world: "${world}"}',
                        'overrides: {world: "${world}", initial_pose: {x: -5.5, yaw: 1.5}}')
    sim = resolve(parse(text), share, {'world': 'w'}, sim=True)[0]
    assert sim.overrides == {'world': 'w', 'initial_pose.x': -5.5, 'initial_pose.yaw': 1.5,
                             'use_sim_time': True}
    args = ros_arguments(sim)
    assert '-p' in args and 'initial_pose.x:=-5.5' in args and 'initial_pose.yaw:=1.5' in args
    with pytest.raises(BringupError, match=r'overrides.initial_pose: an empty mapping'):
        parse(GOOD.replace('overrides: {world: "${world}"}', 'overrides: {initial_pose: {}}'))


ROBOT_FILE = """
bringup:
  nodes:
    - name: base_driver
      package: orchestrator_pkg
      executable: base_driver
      parameters:
        - orchestrator_pkg:config/base_driver.yaml
        - orchestrator_pkg:config/robots/${robot}.yaml
"""


def test_a_parameter_file_named_by_a_run_argument_is_the_robots(tmp_path):
    (tmp_path / 'config' / 'robots').mkdir(parents=True)
    for name in ('small_indoor', 'jackal'):
        (tmp_path / 'config' / 'robots' / f'{name}.yaml').write_text('{}\n')
    launch = resolve(parse(ROBOT_FILE, 'b.yaml'), lambda pkg: str(tmp_path),
                     {'robot': 'jackal'}, sim=True)[0]
    assert launch.parameter_files == (f'{tmp_path}/config/base_driver.yaml',
                                      f'{tmp_path}/config/robots/jackal.yaml')
    # a robot without a file is refused before anything starts, naming the ones there are
    with pytest.raises(BringupError) as err:
        resolve(parse(ROBOT_FILE, 'b.yaml'), lambda pkg: str(tmp_path), {'robot': 'husky'},
                sim=True)
    assert str(err.value) == (
        "b.yaml: base_driver.parameters: orchestrator_pkg:config/robots/${robot}.yaml: "
        "robot 'husky' has no parameter file (orchestrator_pkg:config/robots/husky.yaml "
        "does not exist; there are: jackal, small_indoor)")


@pytest.mark.parametrize('value', ['../../etc/passwd', '/tmp/my_robot', 'a.b', ''])
def test_a_run_argument_in_a_parameter_path_must_be_a_plain_name(tmp_path, value):
    with pytest.raises(BringupError, match=r"base_driver\.parameters: .*: robot "
                                           r".* cannot name a parameter file"):
        resolve(parse(ROBOT_FILE, 'b.yaml'), lambda pkg: str(tmp_path), {'robot': value},
                sim=True)


def test_a_parameter_path_with_an_unknown_argument_names_it(tmp_path):
    with pytest.raises(BringupError, match=r'\$\{robot\} is not a run argument'):
        resolve(parse(ROBOT_FILE, 'b.yaml'), lambda pkg: str(tmp_path), {}, sim=True)

"""The localization switch (bringup arguments, ``when``, ``case``) and the pure frame code."""
import math
import os

import numpy as np
import pytest

from orchestrator_pkg.bringup.description import BringupError, load, parse, resolve
from orchestrator_pkg.bringup.mission_session import localization_label
from orchestrator_pkg.planning import controller as rpp
from orchestrator_pkg.planning.costmap import rectangle_footprint
from orchestrator_pkg.planning.frames import transform_points
from orchestrator_pkg.planning.world_map import WorldFileError, world_spawn

CONFIG = os.path.join(os.path.dirname(__file__), '..', '..', 'config')

SWITCH = """
bringup:
  arguments:
    mode: {default: a, choices: [a, b], description: which one}
  nodes:
    - name: sim
      package: orchestrator_sim
      executable: sim_node
      scope: world
      overrides:
        flag: {case: mode, a: true, b: false}
        names: {case: mode, a: [x, y], b: [x, "${world}", y]}
    - name: only_b
      package: orchestrator_pkg
      executable: thing
      when: {mode: b}
"""


def share(package):
    return f'/share/{package}'


def _resolved(args, text=SWITCH):
    return {launch.label: launch.overrides for launch in
            resolve(parse(text, 'switch.yaml'), share, args, sim=True)}


def test_argument_default_case_values_and_when():
    default = _resolved({'world': 'w'})
    assert set(default) == {'sim'}
    assert default['sim']['flag'] is True and default['sim']['names'] == ['x', 'y']
    b = _resolved({'world': 'w', 'mode': 'b'})
    assert set(b) == {'sim', 'only_b'}
    assert b['sim']['flag'] is False and b['sim']['names'] == ['x', 'w', 'y']
    assert _resolved({'world': 'w', 'mode': ''})['sim']['flag'] is True  # '' = the default


def test_argument_value_outside_its_choices_is_refused_naming_them():
    with pytest.raises(BringupError, match=r"mode: 'c' is not one of a, b"):
        _resolved({'world': 'w', 'mode': 'c'})


@pytest.mark.parametrize('bad, match', [
    ('flag: {case: mode, a: true}', r'overrides.flag: .*missing: b'),
    ('flag: {case: mode, a: 1, b: 2, c: 3}', r'unknown: c'),
    ('flag: {case: nothing, a: 1}', r"case 'nothing' is not a declared argument"),
])
def test_bad_case_overrides_are_refused_at_parse(bad, match):
    text = SWITCH.replace('flag: {case: mode, a: true, b: false}', bad)
    with pytest.raises(BringupError, match=match):
        parse(text, 'switch.yaml')


def test_the_built_in_sim_argument_picks_by_simulation_or_robot():
    text = SWITCH.replace('flag: {case: mode, a: true, b: false}',
                          'flag: {case: sim, "true": 0.1, "false": 0.2}')
    parsed = parse(text, 'switch.yaml')
    for sim, flag in ((True, 0.1), (False, 0.2)):
        launch = resolve(parsed, share, {'world': 'w'}, sim=sim)[0]
        assert launch.overrides['flag'] == flag
    with pytest.raises(BringupError, match=r'a case of sim needs exactly its choices'):
        parse(SWITCH.replace('flag: {case: mode, a: true, b: false}',
                             'flag: {case: sim, "true": 0.1}'), 'switch.yaml')
    with pytest.raises(BringupError, match=r'arguments.sim: sim is built in'):
        parse(SWITCH.replace('    mode: {', '    sim: {default: a, choices: [a]}\n    mode: {'),
              'switch.yaml')


def test_the_shipped_bringup_keeps_the_robots_command_timeout_off_the_sim():
    # base_driver's stale-command stop: 0.15 s under the lockstep sim, 0.2 s on a robot
    bringup = load(os.path.join(CONFIG, 'bringup.yaml'))
    args = {'world': 'warehouse', 'robot': 'small_indoor', 'rtf': 1, 'seed': 0, 'mission': ''}
    for sim, timeout in ((True, 0.15), (False, 0.2)):
        driver = next(launch for launch in resolve(bringup, _repo_share, args, sim=sim)
                      if launch.node.name == 'base_driver')
        assert driver.overrides['timeout_s'] == timeout


def test_when_must_name_a_declared_argument():
    with pytest.raises(BringupError, match=r'when.other: not a declared argument'):
        parse(SWITCH.replace('when: {mode: b}', 'when: {other: b}'), 'switch.yaml')


def _repo_share(package):
    return os.path.join(os.path.dirname(__file__), '..', '..', '..', package)


def test_default_bringup_truth_and_amcl_modes():
    bringup = load(os.path.join(CONFIG, 'bringup.yaml'))
    share = _repo_share  # the robot's parameter file must exist
    args = {'world': 'warehouse', 'robot': 'small_indoor', 'rtf': 1.0, 'seed': 0,
            'mission': ''}
    assert bringup.run_arguments(args)['localization'] == 'amcl'  # the default, as on a robot
    truth = {launch.label: launch.overrides
             for launch in resolve(bringup, share, {**args, 'localization': 'truth'}, sim=True)}
    assert 'amcl' not in truth
    assert truth['sim']['odom_starts_at_truth'] is False
    assert truth['sim']['publish_map_to_odom_from_truth'] is True
    assert 'amcl' not in truth['lifecycle_manager_navigation']['node_names']
    amcl = {launch.label: launch.overrides for launch in
            resolve(bringup, share, {**args, 'localization': 'amcl'}, sim=True, robots=2)}
    assert amcl['sim']['publish_map_to_odom_from_truth'] is False
    assert amcl['sim']['odom_starts_at_truth'] is False
    for ns in ('robot1', 'robot2'):
        assert amcl[f'{ns}/amcl']['initial_pose_from_world'] == 'warehouse'
        assert amcl[f'{ns}/amcl']['robot_namespaces'] == ['robot1', 'robot2']
        names = amcl[f'{ns}/lifecycle_manager_navigation']['node_names']
        assert names.index('map_server') < names.index('amcl') < names.index('planner_server')


def test_summary_labels_truth_as_debugging():
    assert localization_label('truth') == 'truth (ground truth, for debugging)'
    assert localization_label('amcl').startswith('amcl')


def test_world_spawn_per_robot_namespace():
    dock = world_spawn('warehouse', [''], '/')
    assert dock == pytest.approx((-6.5, -3.5, 0.0))
    assert world_spawn('warehouse', ['robot1', 'robot2'], '/robot1') == dock
    assert world_spawn('warehouse', ['robot1', 'robot2'], '/robot2') == \
        pytest.approx((-6.5, -1.5, 0.0))
    with pytest.raises(WorldFileError, match='robot3'):
        world_spawn('warehouse', ['robot1', 'robot2'], '/robot3')
    with pytest.raises(WorldFileError):
        world_spawn('no_such_world', [''], '/')


def test_transform_points_matches_pose_composition():
    pts = np.array([[1.0, 0.0], [0.0, 2.0], [-1.5, 0.5]])
    out = transform_points((2.0, -1.0, math.pi / 2), pts)
    assert np.allclose(out, [[2.0, 0.0], [0.0, -1.0], [1.5, -2.5]])
    assert np.allclose(transform_points((0.0, 0.0, 0.0), pts), pts)


def test_move_path_keeps_progress_and_refuses_another_length():
    ctl = rpp.RegulatedPurePursuit(rpp.ControllerParams(), rectangle_footprint(0.5, 0.4))
    path = np.column_stack((np.linspace(0.0, 5.0, 51), np.zeros(51)))
    ctl.set_path(path, goal_yaw=0.0)
    ctl._prune(2.0, 0.0)
    progress = ctl._closest
    assert progress == 20
    ctl.move_path(transform_points((0.3, -0.2, 0.05), path), goal_yaw=0.05)
    assert ctl._closest == progress and ctl.goal_yaw == 0.05
    assert np.allclose(ctl.path[0], (0.3, -0.2))
    with pytest.raises(ValueError, match='51'):
        ctl.move_path(path[:10])


def test_run_refuses_localization_for_a_bringup_without_it(capsys):
    from orchestrator_pkg.cli import main
    assert main(['run', '--bringup', 'barn_bringup.yaml', '--localization', 'amcl']) == 2
    out = capsys.readouterr()
    assert 'this bringup has no localization argument' in out.out + out.err


def test_run_refuses_composition_for_a_bringup_without_it(capsys):
    from orchestrator_pkg.cli import main
    assert main(['run', '--bringup', 'barn_bringup.yaml', '--composition']) == 2
    out = capsys.readouterr()
    assert '--composition: this bringup has no composition argument' in out.out + out.err

"""Campaigns, pure: the description, its runs, outcomes, the results file, the summary."""
import argparse
import json
import math

import pytest

from orchestrator_pkg.benchmark import campaign as spec
from orchestrator_pkg.bringup.description import BringupError, resolve
from orchestrator_pkg.bringup.description import parse as parse_bringup
from orchestrator_pkg.commands import _args

BARN = """
name: rpp_vs_mppi
benchmark: barn
barn: {worlds: "0-12", runs: 2}
seed: 5
rtf: 2
time_limit_s: 80
variants:
  - name: rpp
    controller: rpp
  - name: mppi
    controller: mppi
    params:
      controller_server: {FollowPath.batch_size: 500, FollowPath.debug: true}
"""

MISSION = """
benchmark: mission
mission:
  name: go_to
  world: warehouse
  inputs: {x: 2.0, y: 1.0, strict: false}
  seeds: [3, 1]
"""


def test_a_barn_campaign_expands_per_variant_world_and_run():
    campaign = spec.parse(BARN, 'c.yaml')
    runs = spec.expand(campaign, [0, 6])
    assert [r.id for r in runs] == [
        'rpp/world_0/run_0', 'rpp/world_0/run_1', 'rpp/world_6/run_0', 'rpp/world_6/run_1',
        'mppi/world_0/run_0', 'mppi/world_0/run_1', 'mppi/world_6/run_0', 'mppi/world_6/run_1']
    assert [r.seed for r in runs[:2]] == [5, 6]  # run k: seed + k, as `orchestrator barn`
    last = runs[-1].argv
    assert last[:9] == ('orchestrator', 'barn', '--indices', '6', '--runs', '1', '--seed', '6',
                        '--out')
    assert last[9] == '{out}'
    assert '--controller' in last and last[last.index('--controller') + 1] == 'mppi'
    assert last[last.index('--rtf') + 1] == '2'
    assert last[last.index('--time-limit-s') + 1] == '80'
    assert '--param=controller_server.FollowPath.batch_size=500' in last
    assert '--param=controller_server.FollowPath.debug=true' in last
    assert not any(a.startswith('--param') for a in runs[0].argv)


def test_a_barn_campaign_needs_its_worlds_resolved():
    with pytest.raises(spec.CampaignError, match='barn.worlds'):
        spec.expand(spec.parse(BARN, 'c.yaml'))


def test_a_mission_campaign_expands_per_seed_with_its_inputs():
    campaign = spec.parse(MISSION, '/x/tour.yaml')
    assert campaign.name == 'tour'  # the file's name
    runs = spec.expand(campaign)
    assert [r.id for r in runs] == ['default/seed_3', 'default/seed_1']
    argv = runs[0].argv
    assert argv[:2] == ('orchestrator', 'run')
    assert argv[argv.index('--mission') + 1] == 'go_to'
    assert argv[argv.index('--seed') + 1] == '3'
    assert argv[argv.index('--run-dir') + 1] == '{out}'
    assert '--input=x=2.0' in argv and '--input=strict=false' in argv
    assert '--timeout-s' not in argv  # the command's own default


def test_a_mission_campaign_runs_over_worlds_and_robots_as_axes():
    campaign = spec.parse('benchmark: mission\nmission:\n  name: patrol\n'
                          '  worlds: [warehouse, office]\n  robots: [small_indoor, jackal]\n'
                          '  seeds: [0, 1]\n', 'axes.yaml')
    assert campaign.worlds == ('warehouse', 'office') and campaign.world == 'warehouse'
    runs = spec.expand(campaign)
    assert [r.id for r in runs][:3] == ['default/warehouse/small_indoor/seed_0',
                                        'default/warehouse/small_indoor/seed_1',
                                        'default/warehouse/jackal/seed_0']
    assert len(runs) == 8 and len({r.id for r in runs}) == 8
    last = runs[-1]
    assert (last.world, last.robot, last.seed) == ('office', 'jackal', 1)
    assert last.argv[last.argv.index('--world') + 1] == 'office'
    assert last.argv[last.argv.index('--robot') + 1] == 'jackal'
    # one world and no robots: the ids and command lines are as before
    plain = spec.expand(spec.parse(MISSION, 'm.yaml'))
    assert plain[0].robot == '' and '--robot' not in plain[0].argv


@pytest.mark.parametrize('text, where', [
    ('benchmark: barns', 'benchmark: expected one of barn, mission'),
    ('benchmark: barn\nbarn: {runs: 0}', 'barn.runs: must be at least 1'),
    ('benchmark: barn\nbarn: {runs: 1.5}', 'barn.runs: expected an integer'),
    ('benchmark: barn\nrtf: .nan', 'rtf: expected a number'),
    ('benchmark: barn\nrtf: -1', 'rtf: must be at least 0'),
    ('benchmark: barn\nworkers: 2', "campaign: unknown field 'workers'"),
    ('benchmark: barn\nbarn: {world: 3}', "barn: unknown field 'world'"),
    ('benchmark: barn\nmission: {name: go_to}', 'mission: a barn campaign has no mission'),
    ('benchmark: mission\nmission: {world: warehouse}', 'mission.name: a mission campaign'),
    ('benchmark: mission\nmission: {name: go_to, seeds: [1, 1]}', 'mission.seeds: a seed is'),
    ('benchmark: mission\nmission: {name: go_to, seeds: 3}', 'mission.seeds: expected a list'),
    ('benchmark: mission\nmission: {name: go_to, world: a, worlds: [b]}',
     'mission.worlds: give world or worlds, not both'),
    ('benchmark: mission\nmission: {name: go_to, worlds: [a, a]}',
     "mission.worlds: 'a' is listed twice"),
    ('benchmark: mission\nmission: {name: go_to, robots: []}',
     'mission.robots: expected a list of robot presets'),
    ('benchmark: mission\nmission: {name: go_to, robots: [jackal, ""]}',
     "mission.robots[1]: expected a non-empty string, got ''"),
    ('benchmark: mission\nmission: {name: go_to, inputs: {x: [1]}}', 'mission.inputs.x'),
    ('benchmark: barn\nvariants: []', 'variants: expected a list'),
    ('benchmark: barn\nvariants: [{name: a}, {name: a}]', "variants: the name 'a' is used twice"),
    ('benchmark: barn\nvariants: [{name: 2fast}]', 'variants[0].name'),
    ('benchmark: barn\nvariants: [{name: a, controller: dwa}]', 'variants[0].controller'),
    ('benchmark: mission\nmission: {name: go_to}\nvariants: [{name: a, controller: rpp}]',
     'variants[0].controller: only a barn campaign'),
    ('benchmark: barn\nvariants: [{name: a, params: {planner: {x: .inf}}}]',
     'variants[0].params.planner.x'),
    ('benchmark: barn\nvariants: [{name: a, params: {planner: {"x y": 1}}}]',
     'variants[0].params.planner'),
    ('benchmark: barn\nvariants: [{name: a, speed: 1}]', "variants[0]: unknown field 'speed'"),
    ('benchmark: barn\nname: "../up"', 'name:'),
    ('- a list', 'expected a mapping'),
])
def test_a_bad_description_names_the_file_and_field(text, where):
    with pytest.raises(spec.CampaignError) as caught:
        spec.parse(text, 'bad.yaml')
    assert str(caught.value).startswith('bad.yaml')
    assert where in str(caught.value)


def test_invalid_yaml_names_the_line(tmp_path):
    path = tmp_path / 'c.yaml'
    path.write_text('benchmark: barn\nbarn: {worlds: [\n')
    with pytest.raises(spec.CampaignError, match=r'c.yaml:\d+: not valid YAML'):
        spec.load(str(path))
    with pytest.raises(spec.CampaignError, match='cannot read the campaign'):
        spec.load(str(tmp_path / 'missing.yaml'))


def test_outcomes_from_what_the_commands_write():
    barn_json = {'runs': [{'status': 'collided', 'metric': 0.0, 'time_s': 12.5,
                           'wall_time_s': 30.0, 'rtf': 1.0, 'nav_result': 'ABORTED'}]}
    assert spec.barn_outcome(barn_json)['status'] == 'collided'
    assert spec.barn_outcome({'runs': []})['status'] == 'error'
    assert spec.barn_outcome({'runs': [{'status': 'flew'}]})['status'] == 'error'
    summary = {'outcome': 'SUCCEEDED', 'succeeded': True, 'reason': '', 'sim_time_s': 40.0,
               'robots': {'robot': {'collisions': 0}}}
    assert spec.mission_outcome(summary)['status'] == 'succeeded'
    hit = {**summary, 'robots': {'robot': {'collisions': 2}}}
    assert spec.mission_outcome(hit)['status'] == 'collided'  # success with a collision is not
    failed = {**summary, 'outcome': 'FAILED', 'succeeded': False, 'reason': 'no path (104)'}
    assert spec.mission_outcome(failed) | {} == {
        'status': 'failed', 'time_s': 40.0, 'wall_time_s': None, 'collisions': 0,
        'outcome': 'FAILED', 'detail': 'no path (104)'}
    assert spec.mission_outcome({})['status'] == 'error'


def test_rows_append_and_a_cut_last_row_is_skipped_then_set_aside(tmp_path):
    path = str(tmp_path / 'results.jsonl')
    assert spec.read_rows(path) == []
    assert spec.repair_cut_tail(path) == ''
    spec.append_row(path, {'campaign': 'c', 'id': 'a', 'status': 'succeeded', 'attempt': 1})
    assert spec.repair_cut_tail(path) == ''  # whole rows: nothing to do
    with open(path, 'a') as f:
        f.write('{"campaign": "c", "id": "b", "sta')  # killed mid-write
    assert [r['id'] for r in spec.read_rows(path)] == ['a']
    assert spec.repair_cut_tail(path) == '{"campaign": "c", "id": "b", "sta'
    with open(path + '.cut') as f:
        assert f.read() == '{"campaign": "c", "id": "b", "sta\n'  # kept
    spec.append_row(path, {'campaign': 'c', 'id': 'b', 'status': 'error', 'attempt': 1})
    assert [r['id'] for r in spec.read_rows(path)] == ['a', 'b']


def test_a_cut_line_followed_by_rows_is_an_error_naming_the_line(tmp_path):
    path = str(tmp_path / 'results.jsonl')
    spec.append_row(path, {'campaign': 'c', 'id': 'a', 'status': 'succeeded'})
    with open(path, 'a') as f:
        f.write('{"cut')
    spec.append_row(path, {'campaign': 'c', 'id': 'b', 'status': 'succeeded'})
    with pytest.raises(spec.CampaignError, match=r'results.jsonl:2: not a JSON results row'):
        spec.read_rows(path)


def test_finished_runs_are_final_rows_of_this_campaign():
    rows = [{'campaign': 'c', 'id': 'a', 'status': 'succeeded', 'attempt': 1},
            {'campaign': 'c', 'id': 'b', 'status': 'error', 'attempt': 1},
            {'campaign': 'c', 'id': 'c', 'status': 'error', 'attempt': 1},
            {'campaign': 'c', 'id': 'c', 'status': 'error', 'attempt': 2},
            {'campaign': 'other', 'id': 'd', 'status': 'succeeded', 'attempt': 1}]
    done = spec.finished_ids(rows, 'c')
    assert sorted(done) == ['a', 'c']  # b has a retry left; d is another campaign's
    assert done['c']['attempt'] == 2


def test_wilson_interval_matches_known_values():
    low, high = spec.wilson(5, 10)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    low, high = spec.wilson(10, 10)
    assert high == pytest.approx(1.0) and round(low, 4) == 0.7225
    assert spec.wilson(0, 0) == (0.0, 1.0)
    mean, low, high = spec.mean_interval([1.0, 2.0, 3.0])
    assert mean == 2.0 and round(high - mean, 4) == round(1.959964 / math.sqrt(3), 4)
    assert math.isnan(spec.mean_interval([])[0])
    # near the top of the BARN metric's range the normal interval passes 0.5: clipped
    metrics = [0.5] * 9 + [0.2]
    mean, low, high = spec.mean_interval(metrics)
    assert high > 0.5
    assert spec.mean_interval(metrics, bounds=(0.0, 0.5)) == (mean, low, 0.5)
    rows = [{'variant': 'a', 'status': 'succeeded', 'metric': m} for m in metrics]
    assert spec.summarize(rows)['a']['metric_ci95'] == (low, 0.5)


def test_summary_per_variant_counts_final_rows_only():
    rows = [{'variant': 'a', 'status': 'succeeded', 'metric': 0.4, 'time_s': 10.0},
            {'variant': 'a', 'status': 'collided', 'metric': 0.0, 'time_s': 3.0},
            {'variant': 'a', 'status': 'error', 'attempt': 1},  # retried: not counted
            {'variant': 'b', 'status': 'timeout', 'metric': 0.0, 'attempt': 1}]
    summary = spec.summarize(rows)
    assert summary['a']['runs'] == 2
    assert summary['a']['succeeded'] == 0.5 and summary['a']['collided'] == 0.5
    assert summary['a']['metric'] == pytest.approx(0.2)
    assert summary['a']['mean_time_s_succeeded'] == 10.0
    assert summary['b']['timeout'] == 1.0
    json.dumps(summary)  # the command writes it to summary.json


def test_param_option_parses_node_parameter_and_a_yaml_value():
    assert _args.param('controller_server.FollowPath.desired_linear_vel=0.4') == (
        'controller_server', 'FollowPath.desired_linear_vel', 0.4)
    assert _args.param('amcl.tf_broadcast=false') == ('amcl', 'tf_broadcast', False)
    assert _args.param('map_server.yaml_filename=a.yaml') == (
        'map_server', 'yaml_filename', 'a.yaml')
    for bad in ('controller_server=1', 'nodot=1', '.x=1', 'a.b', 'a.b=[1, 2]', 'a.b=.nan'):
        with pytest.raises(argparse.ArgumentTypeError):
            _args.param(bad)


BRINGUP = """
bringup:
  arguments:
    localization: {default: truth, choices: [truth, amcl]}
  nodes:
    - {name: base_driver, package: orchestrator_pkg, executable: base_driver,
       overrides: {timeout_s: 0.2}}
    - {name: amcl, package: orchestrator_pkg, executable: amcl_node,
       when: {localization: amcl}}
"""


def test_params_override_a_nodes_parameters_and_a_node_not_running_is_refused():
    bringup = parse_bringup(BRINGUP, 'b.yaml')
    share = lambda package: f'/share/{package}'  # noqa: E731
    launches = resolve(bringup, share, {}, sim=True, robots=2,
                       params=[('base_driver', 'timeout_s', 0.5), ('base_driver', 'x.y', 'z')])
    for launch in launches:
        assert launch.overrides['timeout_s'] == 0.5 and launch.overrides['x.y'] == 'z'
    with pytest.raises(BringupError, match='amcl does not run with these arguments'):
        resolve(bringup, share, {}, sim=True, params=[('amcl', 'alpha1', 0.1)])
    with pytest.raises(BringupError, match='--param planner.x: planner is not a node'):
        resolve(bringup, share, {}, sim=True, params=[('planner', 'x', 1)])


def test_a_param_takes_the_type_its_parameter_files_give(tmp_path):
    # rclpy refuses an integer for a double parameter (the node exits at start):
    # --param orchestrator.tick_rate_hz=100 must reach it as 100.0
    (tmp_path / 'pkg').mkdir()
    (tmp_path / 'pkg' / 'o.yaml').write_text(
        'orchestrator:\n  ros__parameters:\n    tick_rate_hz: 20.0\n    budget: 10\n'
        '    FollowPath:\n      batch_size: 300\n    flag: true\n'
        '/**:\n  ros__parameters:\n    gain: 0.5\n')
    bringup = parse_bringup("""
bringup:
  nodes:
    - {name: orchestrator, package: pkg, executable: o, parameters: ["pkg:o.yaml"]}
""", 'b.yaml')
    share = lambda package: str(tmp_path / package)  # noqa: E731
    params = [('orchestrator', 'tick_rate_hz', 100), ('orchestrator', 'budget', 20.0),
              ('orchestrator', 'FollowPath.batch_size', 400.0), ('orchestrator', 'gain', 1),
              ('orchestrator', 'flag', 1), ('orchestrator', 'budget2', 3),
              ('orchestrator', 'tick_rate_hz2', 2.5)]
    (launch,) = resolve(bringup, share, {}, sim=True, params=params)
    given = {k: (v, type(v)) for k, v in launch.overrides.items()}
    assert given['tick_rate_hz'] == (100.0, float)
    assert given['budget'] == (20, int)
    assert given['FollowPath.batch_size'] == (400, int)
    assert given['gain'] == (1.0, float)  # from the /** section
    assert given['flag'] == (1, int)  # not a number in the file: as given
    assert given['budget2'] == (3, int) and given['tick_rate_hz2'] == (2.5, float)
    params = [('orchestrator', 'budget', 2.5)]  # a fraction for an integer: the node says so
    (launch,) = resolve(bringup, share, {}, sim=True, params=params)
    assert launch.overrides['budget'] == 2.5


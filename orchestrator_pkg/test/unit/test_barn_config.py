"""config/barn_bringup.yaml and config/nav_barn.yaml: valid, in range, as the runner uses them."""
import os

import yaml

from orchestrator_pkg.bringup.description import load, resolve
from orchestrator_pkg.nodes.behavior_server import BEHAVIOR_SPECS
from orchestrator_pkg.nodes.controller_server import CONTROLLER_SPECS, MPPI_PLUGIN, RPP_PLUGIN
from orchestrator_pkg.nodes.costmap_params import costmap_specs
from orchestrator_pkg.nodes.planner_server import PLANNER_SPECS

CONFIG = os.path.join(os.path.dirname(__file__), '..', '..', 'config')
NODES = {
    'planner_server': {**costmap_specs(False), **PLANNER_SPECS},
    'controller_server': {**costmap_specs(True), **CONTROLLER_SPECS},
    'behavior_server': {**costmap_specs(True), **BEHAVIOR_SPECS},
}


def test_nav_barn_overrides_are_declared_parameters_in_range():
    with open(os.path.join(CONFIG, 'nav_barn.yaml'), encoding='utf-8') as f:
        doc = yaml.safe_load(f)
    assert set(doc) <= set(NODES)
    for node, block in doc.items():
        for name, value in block['ros__parameters'].items():
            spec = NODES[node][name]
            assert type(value) is type(spec.default), f'{node}.{name}: {value!r}'
            if spec.lo is not None:
                assert spec.lo <= value <= spec.hi, f'{node}.{name}={value} out of range'
    # the jackal preset's lidar sits 0.12 m ahead of base_link
    with open(os.path.join(CONFIG, '..', '..', 'orchestrator_sim', 'robots', 'jackal.yaml'),
              encoding='utf-8') as f:
        lidar_x = yaml.safe_load(f)['lidar']['x']
    for node in NODES:
        assert doc[node]['ros__parameters']['scan_offset_x_m'] == lidar_x
    # the global costmap window holds the BARN start (-2.25, 3) and goal (-2.25, 13)
    planner = doc['planner_server']['ros__parameters']
    for x, y in ((-2.25, 3.0), (-2.25, 13.0)):
        assert planner['origin_x_m'] + 2 < x < planner['origin_x_m'] + planner['width_m'] - 2
        assert planner['origin_y_m'] + 2 < y < planner['origin_y_m'] + planner['height_m'] - 2


def test_barn_bringup_resolves_with_the_runner_arguments():
    bringup = load(os.path.join(CONFIG, 'barn_bringup.yaml'))
    args = {'world': '/w/world_0.world', 'rtf': 1.0, 'seed': 3, 'spawn': '-2.25 3.0 1.57',
            'max_lead_s': 0.1, 'controller': 'rpp'}
    launches = resolve(bringup, lambda pkg: f'/share/{pkg}', args, sim=True)
    by_name = {launch.node.name: launch for launch in launches}
    assert set(by_name) == {'sim', 'base_driver', 'planner_server', 'controller_server',
                            'behavior_server', 'bt_navigator', 'lifecycle_manager_navigation'}
    sim = by_name['sim'].overrides
    assert sim['robot'] == 'jackal' and sim['spawn'] == '-2.25 3.0 1.57'
    assert sim['world'] == '/w/world_0.world' and sim['max_lead_s'] == 0.1
    assert by_name['base_driver'].parameter_files[-1].endswith('base_driver_jackal.yaml')
    assert by_name['controller_server'].parameter_files[-1].endswith('nav_barn.yaml')
    # --controller: the FollowPath plugin by Nav2's class name
    assert by_name['controller_server'].overrides['FollowPath.plugin'] == RPP_PLUGIN
    mppi = resolve(bringup, lambda pkg: f'/share/{pkg}', {**args, 'controller': 'mppi'},
                   sim=True)
    assert {launch.node.name: launch for launch in mppi}[
        'controller_server'].overrides['FollowPath.plugin'] == MPPI_PLUGIN
    assert all(launch.overrides['use_sim_time'] for launch in launches)

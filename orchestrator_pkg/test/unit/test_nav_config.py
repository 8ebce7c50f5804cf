"""config/nav.yaml and the nodes' declared parameters agree (names, types, ranges)."""
import os

import yaml

from orchestrator_pkg.nodes.behavior_server import BEHAVIOR_SPECS
from orchestrator_pkg.nodes.controller_server import CONTROLLER_SPECS
from orchestrator_pkg.nodes.costmap_params import costmap_specs
from orchestrator_pkg.nodes.map_server import SPECS as MAP_SPECS
from orchestrator_pkg.nodes.planner_server import PLANNER_SPECS
from orchestrator_pkg.nodes.waypoint_follower import SPECS as WAYPOINT_SPECS
from orchestrator_pkg.ros_edge.params import flat_parameters

NAV_YAML = os.path.join(os.path.dirname(__file__), '..', '..', 'config', 'nav.yaml')
NODES = {
    'map_server': MAP_SPECS,
    'planner_server': {**costmap_specs(False), **PLANNER_SPECS},
    'controller_server': {**costmap_specs(True), **CONTROLLER_SPECS},
    'behavior_server': {**costmap_specs(True), **BEHAVIOR_SPECS},
    'waypoint_follower': WAYPOINT_SPECS,
}


def test_every_node_block_matches_its_declared_parameters():
    with open(NAV_YAML, encoding='utf-8') as f:
        doc = yaml.safe_load(f)
    assert set(doc) == set(NODES)
    for node, specs in NODES.items():
        params = flat_parameters(doc[node]['ros__parameters'])
        assert set(params) == set(specs), node
        for name, value in params.items():
            spec = specs[name]
            assert spec.description, f'{node}.{name} has no description'
            assert type(value) is type(spec.default), f'{node}.{name}: {value!r}'
            if spec.lo is not None:
                assert spec.lo <= value <= spec.hi, f'{node}.{name}={value} out of range'


def test_the_robot_presets_values_have_the_declared_types_and_ranges():
    robots = os.path.join(os.path.dirname(NAV_YAML), 'robots')
    for name in sorted(os.listdir(robots)):
        with open(os.path.join(robots, name), encoding='utf-8') as f:
            doc = yaml.safe_load(f)
        for node, specs in NODES.items():
            if node not in doc:
                continue
            for param, value in flat_parameters(doc[node]['ros__parameters']).items():
                spec = specs[param]
                assert type(value) is type(spec.default), f'{name}: {node}.{param}: {value!r}'
                if spec.lo is not None:
                    assert spec.lo <= value <= spec.hi, f'{name}: {node}.{param}={value}'

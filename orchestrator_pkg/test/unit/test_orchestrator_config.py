"""config/orchestrator.yaml and the tree nodes' declared parameters agree (names, types, ranges)."""
import os

import yaml

from orchestrator_pkg.nodes import navigator_node, orchestrator_node, tree_host

YAML = os.path.join(os.path.dirname(__file__), '..', '..', 'config', 'orchestrator.yaml')
BRINGUP = os.path.join(os.path.dirname(__file__), '..', '..', 'config', 'bringup.yaml')
NODES = {'orchestrator': {**tree_host.SPECS, **orchestrator_node.SPECS},
         'bt_navigator': {**tree_host.SPECS, **navigator_node.SPECS}}


def test_every_node_block_sets_declared_parameters_of_the_declared_type_and_range():
    with open(YAML, encoding='utf-8') as f:
        doc = yaml.safe_load(f)
    assert set(doc) == set(NODES)
    for node, specs in NODES.items():
        for name, value in doc[node]['ros__parameters'].items():
            spec = specs[name]
            assert spec.description, f'{node}.{name} has no description'
            assert type(value) is type(spec.default), f'{node}.{name}: {value!r}'
            if spec.lo is not None:
                assert spec.lo <= value <= spec.hi, f'{node}.{name}={value} out of range'
            # a node started without the file (a user's own launch) behaves as with it
            assert value == spec.default, f'{node}.{name}: {value!r} in the file, ' \
                f'{spec.default!r} declared'


def test_both_trees_tick_at_nav2s_bt_navigator_rate_by_default():
    with open(YAML, encoding='utf-8') as f:
        doc = yaml.safe_load(f)
    assert tree_host.SPECS['tick_rate_hz'].default == 100.0  # Nav2's bt_loop_duration: 10 ms
    for node in NODES:
        assert doc[node]['ros__parameters']['tick_rate_hz'] == 100.0, node


def test_the_battery_thresholds_are_checked_across_fields():
    check = orchestrator_node._check_parameters
    ok = {'battery_low_threshold': 0.2, 'battery_resume_threshold': 0.8, 'localization': 'amcl'}
    assert check(ok) is None
    assert check({**ok, 'battery_low_threshold': 0.9}) == (
        'battery_low_threshold (0.9) must be below battery_resume_threshold (0.8)')


def test_the_localization_mode_is_one_of_the_bringup_choices():
    check = orchestrator_node._check_parameters
    ok = {'battery_low_threshold': 0.2, 'battery_resume_threshold': 0.8}
    assert check({**ok, 'localization': 'truth'}) is None
    assert check({**ok, 'localization': 'gps'}) == "localization 'gps' is not one of amcl, truth"
    with open(BRINGUP) as f:
        choices = yaml.safe_load(f)['bringup']['arguments']['localization']['choices']
    assert sorted(choices) == sorted(orchestrator_node.LOCALIZATION_MODES)

"""config/localization.yaml and config/perception.yaml agree with the nodes' declared parameters."""
import os

import yaml

from orchestrator_pkg.nodes.localization_node import SPECS as LOC_SPECS
from orchestrator_pkg.nodes.perception_node import SPECS as PER_SPECS
from orchestrator_pkg.ros_edge.params import flat_parameters

CONFIG = os.path.join(os.path.dirname(__file__), '..', '..', 'config')


def test_config_files_match_declared_parameters():
    for filename, node, specs in (('localization.yaml', 'amcl', LOC_SPECS),
                                  ('perception.yaml', 'perception_node', PER_SPECS)):
        with open(os.path.join(CONFIG, filename), encoding='utf-8') as f:
            doc = yaml.safe_load(f)
        assert set(doc) == {node}
        params = flat_parameters(doc[node]['ros__parameters'])
        assert set(params) == set(specs), filename
        for name, value in params.items():
            spec = specs[name]
            assert spec.description, f'{node}.{name} has no description'
            assert type(value) is type(spec.default), f'{node}.{name}: {value!r}'
            if spec.lo is not None:
                assert spec.lo <= value <= spec.hi, f'{node}.{name}={value} out of range'


def test_amcl_names_are_used():
    amcl = {'min_particles', 'max_particles', 'alpha1', 'alpha2', 'alpha3', 'alpha4', 'alpha5',
            'laser_max_beams', 'laser_likelihood_max_dist', 'z_hit', 'z_rand', 'sigma_hit',
            'update_min_d', 'update_min_a', 'resample_interval', 'global_frame_id',
            'odom_frame_id', 'base_frame_id', 'tf_broadcast', 'transform_tolerance',
            'pf_err', 'pf_z', 'set_initial_pose', 'initial_pose.x', 'initial_pose.y',
            'initial_pose.yaw'}
    assert amcl <= set(LOC_SPECS)

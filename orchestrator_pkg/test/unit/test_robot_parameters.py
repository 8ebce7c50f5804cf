"""Each robot preset has its navigation parameters, and they are the preset's.

``config/robots/<robot>.yaml`` is loaded by the bringup after each node's own
file. Its values are checked here against the sim's robot preset (footprint,
base limits, lidar and camera mounting), and every name in it against the
node's own file, where every parameter of the node is listed: a misspelt name
would be ignored by the node without a word.
"""
import math
import os

import pytest
import yaml

from orchestrator_sim.robots import available_presets, load_robot

CONFIG = os.path.join(os.path.dirname(__file__), '..', '..', 'config')
OWN_FILE = {'base_driver': 'base_driver.yaml', 'map_server': 'nav.yaml',
            'planner_server': 'nav.yaml', 'controller_server': 'nav.yaml',
            'behavior_server': 'nav.yaml', 'perception_node': 'perception.yaml'}
COSTMAP_NODES = ('planner_server', 'controller_server', 'behavior_server')


def _params(path):
    with open(path, encoding='utf-8') as f:
        data = yaml.safe_load(f)
    return {node: section['ros__parameters'] for node, section in data.items()}


def _names(params, prefix=''):
    out = set()
    for key, value in params.items():
        if isinstance(value, dict):
            out |= _names(value, f'{prefix}{key}.')
        else:
            out.add(f'{prefix}{key}')
    return out


def test_every_sim_preset_has_a_parameter_file_and_no_file_lacks_a_preset():
    files = sorted(f[:-5] for f in os.listdir(os.path.join(CONFIG, 'robots'))
                   if f.endswith('.yaml'))
    assert files == sorted(available_presets())


@pytest.mark.parametrize('name', sorted(available_presets()))
def test_the_parameters_are_the_presets(name):
    robot = load_robot(name)
    params = _params(os.path.join(CONFIG, 'robots', f'{name}.yaml'))
    assert set(params) == set(OWN_FILE), 'one section per node that depends on the robot'
    for node in COSTMAP_NODES:
        p = params[node]
        assert (p['robot_length_m'], p['robot_width_m']) == (robot.length, robot.width), node
        assert p['scan_offset_x_m'] == robot.lidar.x, node
    base = params['base_driver']
    assert (base['max_vel_x'], base['min_vel_x'], base['max_vel_theta'],
            base['max_accel_x'], base['max_accel_theta']) == (
        robot.max_vel_x, robot.min_vel_x, robot.max_vel_theta, robot.max_accel_x,
        robot.max_accel_theta)
    assert params['map_server']['scan_height_m'] == robot.lidar.z
    ctl = params['controller_server']
    # the controller asks for what the base can do, and cruises within it
    assert ctl['desired_linear_vel'] <= ctl['max_vel_x'] <= robot.max_vel_x
    assert ctl['max_vel_theta'] <= robot.max_vel_theta
    assert ctl['max_linear_accel'] <= robot.max_accel_x
    assert ctl['max_angular_accel'] <= robot.max_accel_theta
    assert robot.min_vel_x <= ctl['FollowPath']['vx_min'] <= 0.0
    assert params['behavior_server']['rotational_acc_lim'] <= robot.max_accel_theta
    cam = params['perception_node']
    assert (cam['camera_horizontal_fov'], cam['camera_far_m']) == (
        robot.camera.horizontal_fov, robot.camera.far)
    # the floor enters the camera's vertical view about where min_view_depth_m says
    half_vertical = math.atan(math.tan(robot.camera.horizontal_fov / 2)
                              / robot.camera.aspect_ratio)
    floor_at = robot.camera.z / math.tan(half_vertical)
    assert abs(cam['min_view_depth_m'] - floor_at) < 0.1, floor_at


@pytest.mark.parametrize('name', sorted(available_presets()))
def test_every_name_is_a_parameter_of_its_node(name):
    params = _params(os.path.join(CONFIG, 'robots', f'{name}.yaml'))
    for node, values in params.items():
        known = _names(_params(os.path.join(CONFIG, OWN_FILE[node]))[node])
        unknown = _names(values) - known
        assert not unknown, f'{name}.yaml: {node}: {sorted(unknown)} not in {OWN_FILE[node]}'

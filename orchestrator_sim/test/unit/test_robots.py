"""Robot presets load, and bad presets get errors naming the field."""
import os

from conftest import ROBOTS_DIR
import pytest

from orchestrator_sim.robots import RobotPresetError, load_robot, parse_robot


def test_jackal_preset_matches_the_barn_robot():
    robot = load_robot(os.path.join(ROBOTS_DIR, 'jackal.yaml'))
    assert (robot.length, robot.width, robot.max_vel_x) == (0.508, 0.430, 2.0)
    assert robot.lidar.samples > 0 and robot.lidar.range_max > robot.lidar.range_min


def test_small_indoor_preset_is_small():
    robot = load_robot(os.path.join(ROBOTS_DIR, 'small_indoor.yaml'))
    assert robot.length < 0.4 and robot.max_vel_x <= 1.0
    assert robot.wheel_radius > 0 and robot.wheel_separation > 0


def _base():
    return dict(name='r', length=0.3, width=0.3, height=0.2, mass=5, wheel_radius=0.03,
                wheel_separation=0.2, max_vel_x=0.5, min_vel_x=-0.1, max_vel_theta=1,
                max_accel_x=1, max_accel_theta=1)


@pytest.mark.parametrize('change, field', [
    ({'length': -1}, 'length'),
    ({'max_vel_x': 'fast'}, 'max_vel_x'),
    ({'wheels': 4}, 'wheels'),
    ({'lidar': {'samples': 10.5}}, 'lidar.samples'),
    ({'lidar': {'range_min': 5, 'range_max': 1}}, 'lidar.range_min'),
    ({'camera': {'fov': 1}}, 'camera.fov'),
    ({'min_vel_x': 0.2}, 'min_vel_x'),
])
def test_bad_preset_names_the_field(change, field):
    doc = _base()
    doc.update(change)
    with pytest.raises(RobotPresetError) as info:
        parse_robot(doc, 'robot.yaml')
    assert info.value.field == field and 'robot.yaml' in str(info.value)


def test_missing_field_and_unknown_preset():
    doc = _base()
    del doc['mass']
    with pytest.raises(RobotPresetError, match='mass'):
        parse_robot(doc)
    with pytest.raises(RobotPresetError, match='unknown robot preset'):
        load_robot('no_such_robot')

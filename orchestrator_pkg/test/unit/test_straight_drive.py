"""backup and drive_on_heading: one straight drive (planning.straight_drive)."""
import math

import pytest

from orchestrator_pkg.planning.straight_drive import StraightDrive, drive_goal, drive_step


def test_drive_on_heading_drives_target_x_at_speed_forwards_or_backwards():
    assert drive_goal('drive_on_heading', (0.5, 0.0, 0.0), 0.2) == (StraightDrive(0.5, 0.2), '')
    assert drive_goal('drive_on_heading', (-0.5, 0.0, 0.0), -0.2) == \
        (StraightDrive(0.5, -0.2), '')


def test_backup_always_drives_backwards_the_magnitude_of_target_x():
    assert drive_goal('backup', (0.3, 0.0, 0.0), 0.25) == (StraightDrive(0.3, -0.25), '')
    assert drive_goal('backup', (-0.3, 0.0, 0.0), 0.25) == (StraightDrive(0.3, -0.25), '')


@pytest.mark.parametrize('kind,target,speed,words', [
    ('drive_on_heading', (0.5, 0.0, 0.0), -0.2, 'same sign'),
    ('drive_on_heading', (-0.5, 0.0, 0.0), 0.2, 'same sign'),
    ('drive_on_heading', (0.5, 0.0, 0.0), 0.0, 'same sign'),
    ('drive_on_heading', (0.0, 0.0, 0.0), 0.2, 'target.x != 0'),
    ('drive_on_heading', (0.5, 0.1, 0.0), 0.2, 'target.y is 0.1'),
    ('backup', (0.5, 0.0, 0.2), 0.2, 'target.z is 0.2'),
    ('backup', (0.5, 0.0, 0.0), 0.0, 'speed > 0'),
    ('backup', (0.0, 0.0, 0.0), 0.2, 'target.x != 0'),
    ('drive_on_heading', (math.nan, 0.0, 0.0), 0.2, 'target.x is nan'),
    ('backup', (0.5, 0.0, 0.0), math.inf, 'speed is inf'),
])
def test_an_invalid_goal_is_refused_naming_the_field(kind, target, speed, words):
    drive, problem = drive_goal(kind, target, speed)
    assert drive is None
    assert words in problem


def test_drive_step_commands_the_velocity_until_the_distance_is_covered():
    drive = StraightDrive(1.0, -0.3)
    assert drive_step(drive, (1.0, 2.0), (1.0, 2.0)) == (0.0, -0.3)
    travelled, v = drive_step(drive, (1.0, 2.0), (0.4, 2.0))
    assert travelled == pytest.approx(0.6) and v == -0.3
    travelled, v = drive_step(drive, (1.0, 2.0), (0.0, 2.0))
    assert travelled == pytest.approx(1.0) and v is None
    # distance is measured in the plane, whichever way the robot drifted
    assert drive_step(drive, (0.0, 0.0), (0.6, 0.8))[1] is None

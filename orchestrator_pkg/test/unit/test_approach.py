"""approach_pose: a pose short of a target, facing it, on the line from the robot."""
import math

import pytest

from orchestrator_pkg.planning.approach import approach_pose


def test_the_pose_is_short_of_the_target_and_faces_it():
    x, y, yaw = approach_pose((-2.5, 1.6), (-4.5, 0.8), 0.3)
    assert math.hypot(-2.5 - x, 1.6 - y) == pytest.approx(0.3)
    assert yaw == pytest.approx(math.atan2(0.8, 2.0))
    # on the segment from the robot to the target
    assert (x - -4.5) * 0.8 - (y - 0.8) * 2.0 == pytest.approx(0.0, abs=1e-9)


def test_a_robot_already_closer_than_the_distance_stays_where_it_is():
    x, y, yaw = approach_pose((1.0, 0.0), (0.8, 0.0), 0.3)
    assert (x, y, yaw) == pytest.approx((0.8, 0.0, 0.0))


@pytest.mark.parametrize('args, message', [
    (((1.0, 1.0), (1.0, 1.0), 0.3), 'the robot is at the target'),
    (((float('nan'), 1.0), (0.0, 0.0), 0.3), 'non-finite'),
    (((1.0, 1.0), (0.0, 0.0), -0.1), 'distance must be >= 0'),
])
def test_bad_input_is_a_clear_error(args, message):
    with pytest.raises(ValueError, match=message):
        approach_pose(*args)

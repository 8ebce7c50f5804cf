"""map -> odom from the ground truth (the truth localization mode) and the spawn rule."""
import math

import numpy as np
import pytest

from orchestrator_sim.noise import map_to_odom
from orchestrator_sim.resolve import resolve_world, robot_spawns
from orchestrator_sim.world import load_world


def _compose(a, b):
    c, s = math.cos(a[2]), math.sin(a[2])
    return (a[0] + c * b[0] - s * b[1], a[1] + s * b[0] + c * b[1],
            math.atan2(math.sin(a[2] + b[2]), math.cos(a[2] + b[2])))


@pytest.mark.parametrize('truth, odom', [
    ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0)),
    ((-6.5, -3.5, 0.0), (0.0, 0.0, 0.0)),        # odometry starts at the origin
    ((2.0, 1.0, 3.0), (1.5, -0.7, -2.9)),          # drifted, headings across +-pi
    ((-1.0, 4.0, -1.2), (10.0, 3.0, 0.4)),
])
def test_map_to_odom_composed_with_odometry_gives_the_true_pose(truth, odom):
    m = map_to_odom(truth, odom)
    x, y, yaw = _compose(m, odom)
    assert np.allclose((x, y), truth[:2], atol=1e-9)
    assert abs(math.atan2(math.sin(yaw - truth[2]), math.cos(yaw - truth[2]))) < 1e-9


def test_map_to_odom_is_identity_when_odometry_is_the_truth():
    assert np.allclose(map_to_odom((1.0, 2.0, 0.5), (1.0, 2.0, 0.5)), (0.0, 0.0, 0.0),
                       atol=1e-12)


def test_robot_spawns_one_robot_world_spawn_several_the_spawns_list():
    world = load_world(resolve_world('warehouse'))
    one = robot_spawns(world, [''])
    assert one == [(world.spawn.x, world.spawn.y, world.spawn.yaw)]
    two = robot_spawns(world, ['robot1', 'robot2'])
    assert len(two) == 2 and two[0] == one[0] and two[1] != two[0]
    assert robot_spawns(world, [''], 'start_2')[0] == two[1]
    with pytest.raises(ValueError, match='one pose for several robots'):
        robot_spawns(world, ['robot1', 'robot2'], '1 2 0')
    with pytest.raises(ValueError, match='spawns'):
        robot_spawns(world, ['r1', 'r2', 'r3'])

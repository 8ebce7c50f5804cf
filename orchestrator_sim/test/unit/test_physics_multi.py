"""Several robots in one MuJoCo world: own bodies, own commands, they see and hit each other."""
import math
import os

from conftest import ROBOTS_DIR, WORLDS_DIR
import numpy as np
import pytest

from orchestrator_sim.collisions import CollisionCounter
from orchestrator_sim.physics import Physics, check_robot_names, world_spawns
from orchestrator_sim.robots import load_robot
from orchestrator_sim.world import load_world

ROBOT = load_robot(os.path.join(ROBOTS_DIR, 'small_indoor.yaml'))


def _two(world='test_room.yaml', spawns=((-1.0, 0.0, 0.0), (1.0, 0.0, math.pi))):
    return Physics(load_world(os.path.join(WORLDS_DIR, world)), ROBOT,
                   robots=('robot1', 'robot2'), spawns=list(spawns))


def _run(physics, seconds, counters=None):
    touched = [set() for _ in physics.bodies]
    for _ in range(int(round(seconds / physics.timestep))):
        physics.step()
        for index in range(len(physics.bodies)):
            names = [c.other for c in physics.contacts(index)]
            touched[index].update(names)
            if counters is not None:
                counters[index].update(physics.time, names)
    return touched


def test_each_robot_starts_at_its_own_spawn_and_has_its_own_body():
    physics = _two()
    assert [b.name for b in physics.bodies] == ['robot1', 'robot2']
    assert physics.pose(0) == pytest.approx((-1.0, 0.0, 0.0))
    assert physics.pose(1) == pytest.approx((1.0, 0.0, -math.pi))  # yaw wraps to [-pi, pi)
    assert physics.bodies[0].geoms.isdisjoint(physics.bodies[1].geoms)


def test_a_command_moves_only_its_own_robot():
    physics = _two(spawns=((-1.0, -1.0, 0.0), (-1.0, 1.0, 0.0)))
    physics.set_command(0.4, 0.0, robot=0)
    _run(physics, 2.0)
    x0, y0, _ = physics.pose(0)
    assert x0 + 1.0 == pytest.approx(0.8, abs=0.05) and y0 == pytest.approx(-1.0, abs=1e-3)
    assert physics.pose(1) == pytest.approx((-1.0, 1.0, 0.0), abs=1e-6)
    assert physics.velocity(1) == pytest.approx((0.0, 0.0, 0.0), abs=1e-6)
    physics.set_command(0.0, 1.0, robot=1)
    _run(physics, 1.0)
    assert physics.pose(1)[2] == pytest.approx(1.0, abs=0.1)


def test_robots_driving_into_each_other_collide_and_both_see_it():
    physics = _two()
    physics.set_command(0.4, 0.0, robot=0)
    physics.set_command(0.4, 0.0, robot=1)
    counters = [CollisionCounter(0.5), CollisionCounter(0.5)]
    touched = _run(physics, 4.0, counters)
    assert touched == [{'robot2'}, {'robot1'}]
    assert [c.count for c in counters] == [1, 1]  # one collision each, not per-step flicker
    # they stopped at each other: no interpenetration beyond contact softness
    gap = physics.pose(1)[0] - physics.pose(0)[0]
    assert gap == pytest.approx(ROBOT.length, abs=0.02)


def test_a_robot_driving_into_another_at_rest_pushes_it_and_both_report_the_contact():
    physics = _two()
    physics.set_command(0.4, 0.0, robot=0)
    touched = _run(physics, 6.0)
    assert 'robot2' in touched[0] and 'robot1' in touched[1]
    assert physics.pose(1)[0] > 1.0 + 0.05  # bodies, not ghosts: robot2 was shoved


def test_the_lidar_sees_the_other_robot_and_not_itself():
    physics = _two()
    angles = np.linspace(ROBOT.lidar.angle_min, ROBOT.lidar.angle_max, ROBOT.lidar.samples)
    ahead = int(np.argmin(np.abs(angles)))
    ranges = physics.scan(ROBOT.lidar, robot=0)
    # robot2's chassis faces robot1 from 2 m away, half a length short of its centre
    assert ranges[ahead] == pytest.approx(2.0 - ROBOT.length / 2 - ROBOT.lidar.x, abs=0.02)
    assert np.all(ranges[np.isfinite(ranges)] > ROBOT.lidar.range_min)  # own body excluded
    ranges2 = physics.scan(ROBOT.lidar, robot=1)  # robot2 faces -x: robot1 is ahead too
    assert ranges2[ahead] == pytest.approx(2.0 - ROBOT.length / 2, abs=0.02)
    one = Physics(load_world(os.path.join(WORLDS_DIR, 'test_room.yaml')), ROBOT)
    one.teleport(-1.0, 0.0, 0.0)
    assert one.scan(ROBOT.lidar)[ahead] > ranges[ahead] + 0.5  # without robot2: farther


def test_an_object_held_by_one_robot_cannot_be_taken_by_another():
    world = load_world(os.path.join(WORLDS_DIR, 'warehouse.yaml'))
    physics = Physics(world, ROBOT, robots=('robot1', 'robot2'),
                      spawns=[(-2.5, 1.25, math.pi / 2), (-2.5, 1.95, -math.pi / 2)])
    assert physics.grasp('red_box_1', robot=0) == 'red_box_1'
    assert physics.bodies[0].held == 'red_box_1' and physics.bodies[1].held is None
    assert physics.grasp('red_box_1', robot=1) is None
    assert physics.release(robot=1) is None
    assert physics.release(robot=0) == 'red_box_1'


def test_the_warehouse_has_a_spawn_per_robot_and_one_robot_keeps_the_single_spawn():
    world = load_world(os.path.join(WORLDS_DIR, 'warehouse.yaml'))
    dock = world.places['dock']
    assert world_spawns(world, 1) == [(dock.x, dock.y, dock.yaw)]
    two = world_spawns(world, 2)
    assert two[0] == (dock.x, dock.y, dock.yaw) and two[1] != two[0]
    physics = Physics(world, ROBOT, robots=('robot1', 'robot2'))
    assert physics.pose(1)[:2] == pytest.approx(two[1][:2])
    for index in range(2):
        physics.step(10)
        assert physics.contacts(index) == []  # nobody starts inside something
    with pytest.raises(ValueError, match=r'spawns: 3 robots need 3 spawn poses, the world has 2'):
        world_spawns(world, 3)


@pytest.mark.parametrize('names, message', [
    (('robot1', 'robot1'), 'used twice'),
    (('robot1', ''), 'every robot needs a name'),
    (('robot 1',), 'not a valid ROS namespace'),
])
def test_bad_robot_names_are_rejected_with_the_reason(names, message):
    with pytest.raises(ValueError, match=message):
        check_robot_names(names)

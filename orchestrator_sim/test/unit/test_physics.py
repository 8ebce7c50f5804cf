"""Real MuJoCo physics: motion, turning, walls, lidar, logical camera, gripper, determinism."""
import math
import os

from conftest import BARN_FIXTURE, ROBOTS_DIR, WORLDS_DIR
import numpy as np
import pytest

from orchestrator_sim.noise import lidar_noise
from orchestrator_sim.physics import Physics, build_mjcf, wrap_angle
from orchestrator_sim.robots import load_robot
from orchestrator_sim.world import load_world
from orchestrator_sim.world.model import quat_yaw


def _physics(world='test_room.yaml', robot='small_indoor'):
    return Physics(load_world(os.path.join(WORLDS_DIR, world)),
                   load_robot(os.path.join(ROBOTS_DIR, robot + '.yaml')))


def _drive(physics, linear, angular, seconds):
    physics.set_command(linear, angular)
    contacts = []
    for _ in range(int(round(seconds / physics.timestep))):
        physics.step()
        contacts += physics.contacts()
    return contacts


def test_one_metre_per_second_for_two_seconds_moves_about_two_metres():
    physics = _physics(robot='jackal')
    physics.teleport(-2.0, -2.0, 0.0)
    _drive(physics, 1.0, 0.0, 2.0)
    x, y, yaw = physics.pose()
    assert 1.85 <= x + 2.0 <= 2.01  # the base needs ~0.1 s to reach speed
    assert abs(y + 2.0) < 1e-3 and abs(yaw) < 1e-3
    assert physics.velocity()[0] == pytest.approx(1.0, abs=0.01)


def test_diagonal_heading_moves_along_the_heading():
    physics = _physics()
    physics.teleport(-1.0, -1.0, math.pi / 4)
    _drive(physics, 0.4, 0.0, 3.0)
    x, y, _ = physics.pose()
    assert x + 1.0 == pytest.approx(y + 1.0, abs=1e-3)
    assert math.hypot(x + 1.0, y + 1.0) == pytest.approx(1.2, abs=0.05)


def test_a_commanded_turn_turns():
    physics = _physics()
    _drive(physics, 0.0, 1.0, 1.5)
    x, y, yaw = physics.pose()
    assert yaw == pytest.approx(1.5, abs=0.1)
    assert math.hypot(x, y) < 1e-3
    _drive(physics, 0.3, -0.5, 2.0)  # an arc to the right
    assert physics.pose()[2] < yaw - 0.8


def test_driving_into_a_wall_stops_at_the_wall_and_reports_the_contact():
    physics = _physics()
    physics.teleport(-2.0, 0.0, math.pi)  # facing the west wall (inner face at x = -2.95)
    contacts = _drive(physics, 0.5, 0.0, 6.0)  # would travel 3 m without the wall
    x, y, _ = physics.pose()
    half_length = physics.robot.length / 2
    assert x == pytest.approx(-2.95 + half_length, abs=0.02)
    assert abs(physics.velocity()[0]) < 0.02
    assert {c.other for c in contacts} == {'wall_west'}
    assert physics.contacts() and physics.contacts()[0].position[0] == pytest.approx(-2.95,
                                                                                     abs=0.02)
    _drive(physics, -0.2, 0.0, 1.0)  # backing off frees it
    assert physics.contacts() == []


def test_the_floor_and_free_space_make_no_contacts():
    physics = _physics()
    contacts = _drive(physics, 0.3, 0.2, 3.0)
    assert contacts == []


def _ray_box(origin, direction, center, half, yaw):
    c, s = math.cos(yaw), math.sin(yaw)
    ox, oy = origin[0] - center[0], origin[1] - center[1]
    lo = np.array([c * ox + s * oy, -s * ox + c * oy])
    ld = np.array([c * direction[0] + s * direction[1], -s * direction[0] + c * direction[1]])
    t0, t1 = -math.inf, math.inf
    for k in range(2):
        if abs(ld[k]) < 1e-12:
            if abs(lo[k]) > half[k]:
                return math.inf
            continue
        a, b = (-half[k] - lo[k]) / ld[k], (half[k] - lo[k]) / ld[k]
        t0, t1 = max(t0, min(a, b)), min(t1, max(a, b))
    return t0 if t0 <= t1 and t0 > 0 else math.inf


def _ray_circle(origin, direction, center, radius):
    ox, oy = origin[0] - center[0], origin[1] - center[1]
    b = ox * direction[0] + oy * direction[1]
    disc = b * b - (ox * ox + oy * oy - radius * radius)
    if disc < 0:
        return math.inf
    t = -b - math.sqrt(disc)
    return t if t > 0 else math.inf


def _expected_scan(physics, lidar, height):
    """Ranges computed analytically from the world's geoms in 2D, at the lidar's height."""
    x, y, yaw = physics.pose()
    origin = (x + math.cos(yaw) * lidar.x, y + math.sin(yaw) * lidar.x)
    out = []
    for angle in np.linspace(lidar.angle_min, lidar.angle_max, lidar.samples):
        d = (math.cos(yaw + angle), math.sin(yaw + angle))
        best = math.inf
        for g in physics.world.geoms:
            z0 = g.position[2] - g.shape.half_height()
            if not z0 <= height <= g.position[2] + g.shape.half_height():
                continue
            if g.shape.kind == 'box':
                t = _ray_box(origin, d, g.position, np.array(g.shape.size[:2]) / 2,
                             quat_yaw(g.quat))
            else:
                t = _ray_circle(origin, d, g.position, g.shape.size[0])
            best = min(best, t)
        out.append(best if best <= lidar.range_max else math.inf)
    return np.array(out)


@pytest.mark.parametrize('pose', [(0.0, 0.0, 0.0), (-1.2, 1.7, 2.3), (2.2, -2.1, -0.7)])
def test_lidar_matches_the_room_geometry_within_the_noise(pose):
    physics = _physics()
    physics.teleport(*pose)
    lidar = physics.robot.lidar
    expected = _expected_scan(physics, lidar, lidar.z)
    clean = physics.scan(lidar)
    assert np.isfinite(expected).all()  # a closed room: every ray returns
    assert np.allclose(clean, expected, atol=1e-6)
    noisy = lidar_noise(clean, lidar.noise_std, np.random.default_rng(0), lidar.range_min,
                        lidar.range_max)
    error = noisy - expected
    assert np.abs(error).max() < 5 * lidar.noise_std
    assert np.std(error) == pytest.approx(lidar.noise_std, rel=0.25)


def test_lidar_matches_the_barn_cylinders():
    physics = Physics(load_world(BARN_FIXTURE), load_robot(os.path.join(ROBOTS_DIR,
                                                                        'jackal.yaml')))
    physics.teleport(-2.25, 3.0, 1.57)  # the BARN start pose
    lidar = physics.robot.lidar
    expected = _expected_scan(physics, lidar, lidar.z)
    ranges = physics.scan(lidar)
    assert np.isfinite(expected).sum() > 100
    assert np.array_equal(np.isfinite(ranges), np.isfinite(expected))
    finite = np.isfinite(expected)
    assert np.allclose(ranges[finite], expected[finite], atol=1e-6)
    assert physics.contacts() == []


def test_lidar_does_not_see_the_robot_or_low_objects():
    physics = _physics()
    ranges = physics.scan(physics.robot.lidar)
    # objects (0.1 m tall) are below the 0.18 m lidar plane; the closest return is a wall
    assert ranges.min() > 1.4


def test_logical_camera_sees_an_object_in_view_but_not_one_behind_a_wall():
    physics = _physics()
    camera = physics.robot.camera
    seen = {s.obj.object_id: s for s in physics.camera_view(camera)}
    assert set(seen) == {'red_box_1'}  # blue_can_1 is in the frustum but behind inner_wall
    red = seen['red_box_1']
    assert red.position == pytest.approx((1.0 - camera.x, 0.5, 0.05 - camera.z), abs=1e-6)
    assert red.obj.class_id == 'box' and red.obj.color == 'red'
    # the hidden can is in range and field of view: only the wall hides it
    cx, cy, cz, _ = physics.camera_pose(camera)
    can = physics.object_position('blue_can_1')
    assert math.hypot(can[0] - cx, can[1] - cy) < camera.far
    assert abs(math.atan2(can[1] - cy, can[0] - cx)) < camera.horizontal_fov / 2
    assert not physics.line_of_sight((cx, cy, cz), 'blue_can_1')
    physics.teleport(2.75, -0.3, math.pi)  # beyond the inner wall, facing the can
    assert [s.obj.object_id for s in physics.camera_view(camera)] == ['blue_can_1']
    physics.teleport(0.0, 0.0, math.pi)  # facing away: nothing
    assert physics.camera_view(camera) == []


def test_gripper_grasps_carries_and_releases():
    physics = _physics()
    assert physics.grasp() is None  # nothing within reach at the start
    place = physics.world.places['pickup_a']
    physics.teleport(place.x, place.y, place.yaw)
    assert [oid for _, oid in physics.objects_in_reach()] == ['red_box_1']
    assert physics.grasp('blue_can_1') is None
    assert physics.grasp() == 'red_box_1'
    _drive(physics, 0.0, 1.0, math.pi / 2)  # turn left with it
    _drive(physics, 0.3, 0.0, 2.0)
    x, y, yaw = physics.pose()
    ox, oy, oz = physics.object_position('red_box_1')
    assert math.hypot(ox - x, oy - y) == pytest.approx(physics.robot.length / 2 + 0.07,
                                                       abs=0.01)
    assert wrap_angle(math.atan2(oy - y, ox - x) - yaw) == pytest.approx(0.0, abs=0.01)
    assert oz > 0.05
    assert 'red_box_1' not in [s.obj.object_id for s in physics.camera_view(
        physics.robot.camera)]
    assert physics.release() == 'red_box_1'
    assert physics.release() is None
    assert physics.object_position('red_box_1')[2] == pytest.approx(0.05)
    physics.reset_objects()
    assert physics.object_position('red_box_1') == pytest.approx((1.0, 0.5, 0.05))


def test_same_commands_give_the_same_trajectory():
    def run():
        physics = _physics('warehouse.yaml', 'jackal')
        poses = []
        for v, w in ((1.0, 0.3), (0.5, -1.0), (2.0, 0.0), (0.0, 2.0)):
            _drive(physics, v, w, 1.0)
            poses.append(physics.pose())
        return poses
    assert run() == run()


def test_mjcf_is_valid_for_both_presets_and_the_warehouse():
    world = load_world(os.path.join(WORLDS_DIR, 'warehouse.yaml'))
    for name in ('small_indoor', 'jackal'):
        physics = Physics(world, load_robot(os.path.join(ROBOTS_DIR, name + '.yaml')))
        assert physics.model.ngeom == len(world.geoms) + len(world.objects) + 2
        assert physics.contacts() == []  # the dock spawn is free
    assert '<velocity name="base_x"' in build_mjcf(world, physics.robot)

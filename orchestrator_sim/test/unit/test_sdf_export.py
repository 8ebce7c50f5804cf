"""A world written as SDF loads back as the same geometry (the Gazebo launch relies on it)."""
import math

from defusedxml import ElementTree
import numpy as np
import pytest

from orchestrator_sim.resolve import resolve_world
from orchestrator_sim.world import load_world
from orchestrator_sim.world.model import Shape, StaticGeom, World
from orchestrator_sim.world.sdf_export import WORLD_SYSTEMS, quat_rpy, world_to_sdf
from orchestrator_sim.world.sdf_world import matrix_quat, rpy_matrix


def _rotation(quat):
    w, x, y, z = quat
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)]])


def _shapes(world):
    """(kind, size, position, rotation) of every obstacle and object, in a stable order."""
    items = [(g.shape.kind, g.shape.size, g.position, _rotation(g.quat)) for g in world.geoms
             if g.shape.kind != 'plane']
    items += [(o.shape.kind, o.shape.size, o.position, rpy_matrix(0.0, 0.0, o.yaw))
              for o in world.objects]
    return sorted(items, key=lambda item: (item[2], item[0]))


@pytest.mark.parametrize('name', ['warehouse', 'test_room'])
def test_shipped_world_round_trips_through_sdf(tmp_path, name):
    world = load_world(resolve_world(name))
    path = tmp_path / f'{name}.sdf'
    path.write_text(world_to_sdf(world), encoding='utf-8')
    back = load_world(str(path))
    assert back.name == world.name
    original, loaded = _shapes(world), _shapes(back)
    assert len(loaded) == len(original) > 4
    for (kind, size, position, rotation), (kind2, size2, position2, rotation2) in zip(
            original, loaded, strict=True):
        assert kind2 == kind
        assert size2 == pytest.approx(size)
        assert position2 == pytest.approx(position, abs=1e-7)
        assert np.allclose(rotation2, rotation, atol=1e-7)
    # The loader ignores Gazebo's world systems, with one warning each, and nothing else.
    assert len(back.warnings) == len(WORLD_SYSTEMS)
    assert all('<plugin> is not supported' in w for w in back.warnings)


def test_world_file_declares_what_the_robot_model_needs():
    root = ElementTree.fromstring(world_to_sdf(load_world(resolve_world('test_room'))))
    world = root.find('world')
    plugins = {p.get('name'): p for p in world.findall('plugin')}
    assert {'gz::sim::systems::Physics', 'gz::sim::systems::UserCommands',
            'gz::sim::systems::SceneBroadcaster', 'gz::sim::systems::Sensors'} <= set(plugins)
    assert plugins['gz::sim::systems::Sensors'].findtext('render_engine') == 'ogre2'
    names = [m.get('name') for m in world.findall('model')]
    assert len(names) == len(set(names)), 'model names are unique'


def test_rotated_geoms_and_duplicate_names():
    quat = matrix_quat(rpy_matrix(0.3, -0.2, 2.5))
    world = World(name='w', source='memory', geoms=[
        StaticGeom('a::b', Shape('box', (1.0, 2.0, 0.5)), (1.0, 2.0, 0.25), tuple(quat)),
        StaticGeom('a__b', Shape('cylinder', (0.3, 1.0, 0.0)), (0.0, 0.0, 0.5)),
        StaticGeom('s', Shape('sphere', (0.2, 0.0, 0.0)), (3.0, 0.0, 0.2))])
    assert quat_rpy(tuple(quat)) == pytest.approx((0.3, -0.2, 2.5))
    root = ElementTree.fromstring(world_to_sdf(world))
    names = sorted(m.get('name') for m in root.find('world').findall('model'))
    assert names == ['a__b', 'a__b_2', 'ground_plane', 's']


def test_unsupported_shape_is_refused():
    world = World(name='w', source='memory', geoms=[
        StaticGeom('mesh', Shape('capsule', (0.1, 0.2, 0.0)), (0.0, 0.0, 0.0))])
    with pytest.raises(ValueError, match="cannot write a 'capsule' shape"):
        world_to_sdf(world)


def test_quat_rpy_at_gimbal_lock_stays_finite():
    roll, pitch, yaw = quat_rpy((math.cos(math.pi / 4), 0.0, math.sin(math.pi / 4), 0.0))
    assert pitch == pytest.approx(math.pi / 2)
    assert all(math.isfinite(v) for v in (roll, yaw))

"""The YAML world loader: the shipped worlds load, geometry is right, errors are clear."""
import math
import os

from conftest import WORLDS_DIR
import pytest

from orchestrator_sim.world import UnsupportedElementError, WorldError, load_world
from orchestrator_sim.world.model import quat_yaw


def _write(tmp_path, text, name='w.yaml'):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_warehouse_has_walls_shelves_objects_dock_and_places():
    world = load_world(os.path.join(WORLDS_DIR, 'warehouse.yaml'))
    kinds = {g.kind for g in world.geoms}
    assert {'wall', 'shelf', 'box', 'cylinder'} <= kinds
    assert len(world.objects) >= 3
    assert all(o.class_id and o.color for o in world.objects)
    assert world.dock is not None
    assert {'dock', 'pickup_a', 'dropoff'} <= set(world.places)
    assert world.spawn == world.places['dock']
    assert world.warnings == []


def test_wall_segment_becomes_a_box_between_its_end_points(tmp_path):
    path = _write(tmp_path, """
name: one_wall
walls:
  - {name: w, from: [0, 0], to: [0, 4], thickness: 0.2, height: 1.5}
""")
    (wall,) = load_world(path).geoms
    assert wall.shape.kind == 'box'
    assert wall.shape.size == pytest.approx((4.2, 0.2, 1.5))
    assert wall.position == pytest.approx((0.0, 2.0, 0.75))
    assert quat_yaw(wall.quat) == pytest.approx(math.pi / 2)


def test_objects_rest_on_the_floor_with_class_and_colour(tmp_path):
    path = _write(tmp_path, """
name: objs
objects:
  - {id: c1, class: can, color: Blue, shape: cylinder, size: [0.04, 0.2], position: [1, 2]}
  - {id: b1, class: box, color: red, size: [0.1, 0.2, 0.3], position: [3, 4], yaw: 0.5}
places: {a: [1, 2], b: [3, 4, 1.0]}
spawn: b
""")
    world = load_world(path)
    can, box = world.objects
    assert (can.class_id, can.color, can.shape.kind) == ('can', 'blue', 'cylinder')
    assert can.position == pytest.approx((1.0, 2.0, 0.1))
    assert box.position == pytest.approx((3.0, 4.0, 0.15)) and box.yaw == 0.5
    assert world.places['a'].yaw == 0.0
    assert (world.spawn.x, world.spawn.y, world.spawn.yaw) == (3.0, 4.0, 1.0)


@pytest.mark.parametrize('text, where, words', [
    ('name: x\nwalls:\n  - {from: [0, 0], to: [1, 0], thickness: -1}\n',
     'walls[0].thickness', 'must be > 0'),
    ('name: x\nwalls:\n  - {from: [0, 0]}\n', 'walls[0].to', 'missing'),
    ('name: x\nwalls:\n  - {from: [0, 0], to: [0, 0]}\n', 'walls[0].to', 'zero length'),
    ('name: x\nboxes:\n  - {position: [0, zero], size: [1, 1, 1]}\n',
     'boxes[0].position', 'finite numbers'),
    ('name: x\ncylinders: {a: 1}\n', 'cylinders', 'expected a list'),
    ('name: x\nobjects:\n  - {id: a, class: box, shape: cone, position: [0, 0]}\n',
     'objects[0].shape', 'box or cylinder'),
    ('name: x\nobjects:\n  - {id: a, position: [0, 0]}\n', 'objects[0].class', 'missing'),
    ('name: x\nboxes:\n  - {name: a, position: [0, 0], size: [1, 1, 1]}\n'
     '  - {name: a, position: [2, 0], size: [1, 1, 1]}\n', 'boxes[1]', 'duplicate name'),
    ('name: x\nspawn: nowhere\n', 'spawn', 'unknown place'),
    ('name: x\nplaces: {a: [1, 2]}\nspawns: [a, nowhere]\n', 'spawns[1]', 'unknown place'),
    ('name: x\nspawns: [[1, 2, 0], [oops]]\n', 'spawns[1]', 'finite numbers'),
    ('name: x\nspawns: a\n', 'spawns', 'expected a list'),
    ('name: x\nplaces: {a: [1]}\n', 'places.a', '[x, y]'),
    ('- just\n- a list\n', 'document', 'expected a mapping'),
])
def test_bad_world_names_file_and_field(tmp_path, text, where, words):
    path = _write(tmp_path, text)
    with pytest.raises(WorldError) as info:
        load_world(path)
    err = info.value
    assert err.path == path and err.element == where
    assert words in str(err) and path in str(err)


def test_malformed_yaml_names_the_line(tmp_path):
    path = _write(tmp_path, 'name: x\nwalls:\n  - {from: [0, 0], to: [1, 0]\n')
    with pytest.raises(WorldError) as info:
        load_world(path)
    assert info.value.element.startswith('line ')
    assert 'invalid YAML' in str(info.value)


def test_missing_file_and_unknown_format_are_errors(tmp_path):
    with pytest.raises(WorldError, match='cannot read'):
        load_world(str(tmp_path / 'absent.yaml'))
    with pytest.raises(WorldError, match='unknown world format'):
        load_world(_write(tmp_path, 'x', name='w.txt'))


def test_unknown_key_warns_or_fails_in_strict_mode(tmp_path):
    path = _write(tmp_path, 'name: x\nramps: []\n')
    world = load_world(path)
    assert len(world.warnings) == 1 and 'ramps' in world.warnings[0]
    with pytest.raises(UnsupportedElementError, match='ramps'):
        load_world(path, strict=True)


def test_spawns_list_places_and_poses_in_order(tmp_path):
    world = load_world(_write(tmp_path, 'name: x\nplaces: {a: [1, 2, 0.5]}\n'
                                        'spawns: [a, [3, 4]]\n'))
    assert [(p.x, p.y, p.yaw) for p in world.spawns] == [(1.0, 2.0, 0.5), (3.0, 4.0, 0.0)]
    assert world.spawn is None

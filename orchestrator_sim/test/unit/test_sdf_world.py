"""The Gazebo SDF loader: BARN worlds, pose composition, unsupported and malformed input."""
import glob
import math
import os
import re

from conftest import BARN_FIXTURE, shared_barn_dir
import numpy as np
import pytest

from orchestrator_sim.world import UnsupportedElementError, WorldError, load_world
from orchestrator_sim.world.model import quat_yaw


def _cylinder_models(path):
    """Independent reference: the <model> blocks of the file, read with a regex."""
    text = open(path).read()
    text = text[:text.find('<state')] if '<state' in text else text
    found = {}
    for name, body in re.findall(r"<model name='(unit_cylinder_\d+)'>(.*?)</model>", text,
                                 flags=re.S):
        pose = [float(v) for v in re.search(r'<pose[^>]*>([^<]*)</pose>', body).group(1).split()]
        radius = float(re.search(r'<radius>([^<]*)</radius>', body).group(1))
        found[name] = (pose[0], pose[1], radius)
    return found


def _check_barn(path):
    world = load_world(path)
    expected = _cylinder_models(path)
    cylinders = world.geoms_of_kind('cylinder')
    assert len(expected) > 100
    assert len(cylinders) == len(expected) == len(world.geoms)
    for geom in cylinders:
        model = geom.name.split('::')[0]
        x, y, radius = expected[model]
        assert geom.position[:2] == pytest.approx((x, y), abs=1e-9)
        assert geom.shape.size[0] == pytest.approx(radius)
    assert world.warnings == []
    return world


def test_barn_fixture_loads_every_cylinder_at_its_position():
    world = _check_barn(BARN_FIXTURE)
    assert world.name == 'barn_world_20'
    xs = [g.position[0] for g in world.geoms]
    ys = [g.position[1] for g in world.geoms]
    # BARN's grid of 0.15 m cells: 30 columns from x = -4.5 to 0, cell centres at odd
    # multiples of 0.075 m
    assert min(xs) >= -4.5 and max(xs) <= 0.0 and min(ys) >= 0.0
    for v in xs + ys:
        assert round(v / 0.075) % 2 == 1 and v / 0.075 == pytest.approx(round(v / 0.075))
    assert all(g.shape.size[1] == 1.0 for g in world.geoms)


def test_all_shared_barn_worlds_load():
    barn = shared_barn_dir()
    if barn is None:
        pytest.skip('../shared/benchmarks/barn is absent (only CI and dev machines have it)')
    paths = sorted(glob.glob(os.path.join(barn, 'worlds', '*.world')))
    assert len(paths) == 150
    for path in paths[::15]:
        _check_barn(path)
    for path in paths:
        assert load_world(path).warnings == [], path


SDF = """<?xml version="1.0"?>
<sdf version="1.6">
  <world name="composed">
    <model name="ground_plane"><static>1</static><link name="link">
      <collision name="c"><geometry><plane><normal>0 0 1</normal><size>10 10</size></plane>
      </geometry></collision></link></model>
    <model name="table">
      <static>true</static>
      <pose>1 2 0 0 0 1.5707963267948966</pose>
      <link name="top">
        <pose>0.5 0 0.7 0 0 0</pose>
        <collision name="board"><pose>0 0.25 0 0 0 0</pose>
          <geometry><box><size>1 0.5 0.05</size></box></geometry></collision>
      </link>
      <link name="leg"><collision name="ball"><pose>0 0 0.1 0 0 0</pose>
        <geometry><sphere><radius>0.1</radius></sphere></geometry></collision></link>
    </model>
    %s
  </world>
</sdf>
"""


def _sdf(tmp_path, extra='', name='w.world'):
    path = tmp_path / name
    path.write_text(SDF % extra)
    return str(path)


def test_model_link_and_collision_poses_compose(tmp_path):
    world = load_world(_sdf(tmp_path))
    assert world.name == 'composed'
    board = next(g for g in world.geoms if g.name == 'table::top::board')
    # model yaw 90°: the link's +x offset 0.5 goes to +y; the collision's +y 0.25 to -x
    assert board.position == pytest.approx((1 - 0.25, 2 + 0.5, 0.7))
    assert quat_yaw(board.quat) == pytest.approx(math.pi / 2)
    assert board.shape.size == (1.0, 0.5, 0.05)
    ball = next(g for g in world.geoms if g.name == 'table::leg::ball')
    assert ball.shape.kind == 'sphere' and ball.position == pytest.approx((1, 2, 0.1))
    assert len(world.geoms) == 2  # the ground plane merges into the sim's floor


def test_nested_model_and_roll_pitch_compose(tmp_path):
    extra = """<model name="outer"><static>1</static><pose>0 0 1 0 0 0</pose>
      <model name="inner"><pose>1 0 0 1.5707963267948966 0 0</pose>
        <link name="l"><collision name="c"><pose>0 1 0 0 0 0</pose>
          <geometry><cylinder><radius>0.2</radius><length>2</length></cylinder></geometry>
        </collision></link></model></model>"""
    world = load_world(_sdf(tmp_path, extra))
    geom = next(g for g in world.geoms if g.name.startswith('outer::inner'))
    # roll 90° about x turns the collision's +y offset into +z
    assert geom.position == pytest.approx((1.0, 0.0, 2.0))
    w, x, y, z = geom.quat
    assert (w, x) == pytest.approx((math.cos(math.pi / 4), math.sin(math.pi / 4)))


def test_state_block_overrides_model_pose_like_gazebo(tmp_path):
    extra = """<state world_name="composed"><model name="table">
      <pose>5 5 0 0 0 1.5707963267948966</pose></model></state>"""
    board = next(g for g in load_world(_sdf(tmp_path, extra)).geoms
                 if g.name == 'table::top::board')
    assert board.position == pytest.approx((5 - 0.25, 5 + 0.5, 0.7))


def test_unsupported_elements_warn_with_the_model_name(tmp_path):
    extra = """<model name="statue"><static>1</static><link name="l"><collision name="c">
        <geometry><mesh><uri>model://statue/mesh.dae</uri></mesh></geometry></collision>
        </link><plugin name="spin" filename="libspin.so"/></model>
      <model name="hill"><static>1</static><link name="l"><collision name="c"><geometry>
        <heightmap><uri>file://h.png</uri></heightmap></geometry></collision></link></model>
      <include><uri>model://cafe</uri></include>
      <plugin name="world_plugin" filename="libworld.so"/>"""
    path = _sdf(tmp_path, extra)
    world = load_world(path)
    text = '\n'.join(world.warnings)
    assert "model 'statue'" in text and 'mesh' in text
    assert "model 'hill'" in text and 'heightmap' in text
    assert 'plugin' in text and 'include' in text
    assert all(w.startswith(path) for w in world.warnings)
    assert len(world.geoms) == 2  # the table still loads
    with pytest.raises(UnsupportedElementError) as info:
        load_world(path, strict=True)
    assert info.value.path == path and 'strict' in str(info.value)


@pytest.mark.parametrize('body, element, words', [
    ('<sdf version="1.6"><world name="w"><model name="m"><link name="l">'
     '<collision name="c"><geometry><cylinder><length>1</length></cylinder></geometry>'
     '</collision></link></model></world></sdf>',
     "model 'm'/link 'l'/collision 'c'/geometry/cylinder/radius", 'missing'),
    ('<sdf version="1.6"><world name="w"><model name="m"><pose>1 2 x 0 0 0</pose>'
     '</model></world></sdf>', "model 'm'/pose", 'expected 6 numbers'),
    ('<sdf version="1.6"><world name="w"><model name="m"><link name="l">'
     '<collision name="c"><geometry><box><size>1 -1 1</size></box></geometry>'
     '</collision></link></model></world></sdf>',
     "model 'm'/link 'l'/collision 'c'/geometry/box/size", '> 0'),
    ('<sdf version="1.6"><world name="w"><model name="m"><link name="l">'
     '<collision name="c"></collision></link></model></world></sdf>',
     "model 'm'/link 'l'/collision 'c'/geometry", 'missing'),
    ('<gazebo><world/></gazebo>', '<gazebo>', 'must be <sdf>'),
    ('<sdf version="1.6"></sdf>', '<sdf>', 'no <world>'),
])
def test_bad_sdf_names_file_and_element(tmp_path, body, element, words):
    path = tmp_path / 'bad.world'
    path.write_text(body)
    with pytest.raises(WorldError) as info:
        load_world(str(path))
    assert info.value.path == str(path)
    assert info.value.element == element
    assert words in str(info.value)


def test_malformed_xml_names_the_line(tmp_path):
    path = tmp_path / 'broken.sdf'
    path.write_text('<sdf version="1.6">\n<world name="w">\n<model name="m">\n</world></sdf>')
    with pytest.raises(WorldError) as info:
        load_world(str(path))
    assert info.value.element.startswith('line 4')
    assert 'malformed XML' in str(info.value)


def test_entity_expansion_is_refused(tmp_path):
    path = tmp_path / 'bomb.world'
    path.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">'
                    '<!ENTITY b "&a;&a;&a;">]><sdf><world name="&b;"/></sdf>')
    with pytest.raises(WorldError, match='unsafe XML'):
        load_world(str(path))


def test_rotation_helpers_agree():
    from orchestrator_sim.world.sdf_world import matrix_quat, rpy_matrix
    rng = np.random.default_rng(3)
    for roll, pitch, yaw in rng.uniform(-3, 3, (20, 3)):
        rot = rpy_matrix(roll, pitch, yaw)
        w, x, y, z = matrix_quat(rot)
        back = np.array([
            [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
            [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
            [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])
        assert np.allclose(back, rot, atol=1e-9)

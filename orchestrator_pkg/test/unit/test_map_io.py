import os

from defusedxml import EntitiesForbidden
import numpy as np
import pytest

from orchestrator_pkg.planning.map_io import MapFileError, OccupancyMap, load_map, save_map
from orchestrator_pkg.planning.world_map import WorldFileError, rasterize_discs, read_cylinders

BARN_WORLD = '/work/shared/benchmarks/barn/worlds/world_0.world'


def test_save_then_load_round_trip(tmp_path):
    data = np.zeros((7, 11), dtype=np.int8)
    data[0, 0] = 100  # at the origin (bottom-left)
    data[6, 10] = -1  # top-right
    omap = OccupancyMap(data, 0.05, -1.5, 2.0, 0.0)
    img = save_map(omap, str(tmp_path / 'm.yaml'))
    assert open(img, 'rb').read(2) == b'P5'
    back = load_map(str(tmp_path / 'm.yaml'))
    assert np.array_equal(back.data, data)
    assert (back.resolution, back.origin_x, back.origin_y) == (0.05, -1.5, 2.0)


def _write(tmp_path, yaml_text, pgm=b'P5\n# c\n2 2\n255\n\x00\xfe\xcd\x00'):
    (tmp_path / 'm.pgm').write_bytes(pgm)
    (tmp_path / 'm.yaml').write_text(yaml_text)
    return str(tmp_path / 'm.yaml')


GOOD = ('image: m.pgm\nresolution: 0.1\norigin: [0.0, 0.0, 0.0]\n'
        'occupied_thresh: 0.65\nfree_thresh: 0.196\nnegate: 0\n')


def test_pgm_with_comment_thresholds_and_row_order(tmp_path):
    m = load_map(_write(tmp_path, GOOD))
    # image rows: top [0, 254], bottom [205, 0] -> grid row 0 is the bottom
    assert m.data.tolist() == [[-1, 100], [100, 0]]
    neg = load_map(_write(tmp_path, GOOD.replace('negate: 0', 'negate: 1')))
    # negated: p = pixel / 255, so 205 (0.80) is occupied too
    assert neg.data.tolist() == [[100, 0], [0, 100]]


@pytest.mark.parametrize('yaml_text, words', [
    (GOOD.replace('resolution: 0.1\n', ''), "missing field 'resolution'"),
    (GOOD.replace('0.1', 'abc'), "field 'resolution' has a bad value 'abc'"),
    (GOOD.replace('[0.0, 0.0, 0.0]', '[0.0, 0.0]'), "field 'origin'"),
    (GOOD.replace('0.65', '0.1'), 'free_thresh'),
    (GOOD + 'mode: scale\n', "mode 'scale'"),
    ('[1, 2]', 'expected a mapping'),
    ('a: [', 'invalid YAML'),
    (GOOD.replace('m.pgm', 'missing.pgm'), 'missing.pgm: cannot read image'),
])
def test_bad_yaml_fields_are_named(tmp_path, yaml_text, words):
    path = _write(tmp_path, yaml_text)
    with pytest.raises(MapFileError) as err:
        load_map(path)
    assert words in str(err.value)
    assert str(err.value).startswith(str(tmp_path))


@pytest.mark.parametrize('pgm, words', [
    (b'P2\n2 2\n255\n0 0 0 0', 'not a binary PGM'),
    (b'P5\n2 2\n255\n\x00', 'truncated'),
    (b'P5\n2 x\n255\n\x00\x00\x00\x00', 'bad PGM header'),
])
def test_bad_images_are_named(tmp_path, pgm, words):
    path = _write(tmp_path, GOOD, pgm)
    with pytest.raises(MapFileError, match=words) as err:
        load_map(path)
    assert 'm.pgm' in str(err.value)


def test_missing_yaml(tmp_path):
    with pytest.raises(MapFileError, match='nope.yaml: cannot read'):
        load_map(str(tmp_path / 'nope.yaml'))


@pytest.mark.skipif(not os.path.exists(BARN_WORLD), reason='BARN worlds not present')
def test_barn_world_cylinders_and_raster():
    discs = read_cylinders(BARN_WORLD)
    assert 200 <= len(discs) <= 420
    assert np.allclose(discs[:, 2], 0.075)
    assert np.allclose(discs[0, :2], [-0.075, 0.075])
    omap = rasterize_discs(discs, -5.0, -1.0, 200, 340, 0.05)
    assert np.count_nonzero(omap.data == 100) > len(discs)  # every disc covers cells
    c = int((discs[0, 0] + 5.0) / 0.05)
    r = int((discs[0, 1] + 1.0) / 0.05)
    assert omap.data[r, c] == 100


def test_world_errors_are_named(tmp_path):
    bad = tmp_path / 'w.world'
    bad.write_text('<sdf><world><model name="a"><pose>x y</pose><link><collision><geometry>'
                   '<cylinder><radius>0.1</radius></cylinder></geometry></collision></link>'
                   '</model></world></sdf>')
    with pytest.raises(WorldFileError, match="w.world: model 'a': bad <pose>"):
        read_cylinders(str(bad))
    bad.write_text('<sdf><world>')
    with pytest.raises(WorldFileError, match='invalid XML'):
        read_cylinders(str(bad))
    bad.write_text('<!DOCTYPE x [<!ENTITY a "b">]><sdf><world/></sdf>')
    with pytest.raises(EntitiesForbidden):  # defusedxml refuses entity declarations
        read_cylinders(str(bad))


@pytest.mark.skipif(not os.path.exists(BARN_WORLD), reason='BARN worlds not present')
def test_map_from_world_command_writes_a_loadable_map(tmp_path, capsys):
    from orchestrator_pkg.cli import main
    out = str(tmp_path / 'barn0.yaml')
    assert main(['map-from-world', BARN_WORLD, out, '--resolution', '0.05']) == 0
    m = load_map(out)
    discs = read_cylinders(BARN_WORLD)
    assert m.resolution == 0.05
    assert np.isclose(m.origin_x, discs[:, 0].min() - 0.075 - 1.0)
    c = int((discs[5, 0] - m.origin_x) / 0.05)
    r = int((discs[5, 1] - m.origin_y) / 0.05)
    assert m.data[r, c] == 100 and m.data[0, 0] == 0
    assert main(['map-from-world', str(tmp_path / 'none.world'), out]) == 1
    assert 'none.world: cannot read' in capsys.readouterr().err


def test_map_from_yaml_world_marks_walls_and_pillars_at_the_lidar_height(tmp_path, capsys):
    from orchestrator_pkg.cli import main
    out = str(tmp_path / 'room.yaml')
    assert main(['map-from-world', 'test_room', out, '--margin', '0.2']) == 0
    m = load_map(out)

    def cell(x, y):
        return m.data[int((y - m.origin_y) / m.resolution), int((x - m.origin_x) / m.resolution)]
    # walls (0.1 m thick) on the room's border and the inner wall at x = 1.5, y in [-1, 1]
    assert m.origin_x == pytest.approx(-3.25) and m.origin_y == pytest.approx(-3.25)
    assert cell(3.0, 0.0) == cell(-3.0, 2.0) == cell(0.0, 3.0) == cell(1.5, 0.9) == 100
    assert cell(0.0, 0.0) == cell(1.5, 1.2) == cell(2.5, 2.5) == 0
    # objects (pickable, lower than the lidar) are not obstacles of the map
    assert cell(1.0, 0.5) == 0
    # the pillars of the warehouse are cylinders
    assert main(['map-from-world', 'warehouse', str(tmp_path / 'wh.yaml')]) == 0
    assert 'occupied cells' in capsys.readouterr().out
    wh = load_map(str(tmp_path / 'wh.yaml'))
    pillar = (int((0.75 - wh.origin_y) / wh.resolution), int((0.75 - wh.origin_x) / wh.resolution))
    assert wh.data[pillar] == 100
    assert main(['map-from-world', 'no_such_world', out]) == 1
    assert 'no_such_world' in capsys.readouterr().err

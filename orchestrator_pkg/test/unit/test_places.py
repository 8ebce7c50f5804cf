"""Named places load from world or places files, with errors naming file and field."""
import math
import os

import pytest

from orchestrator_pkg.places import PlacesError, load_places, parse_places

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def test_places_parse_with_default_yaw():
    places = parse_places('places:\n  dock: [-6.5, -3.5, 0.0]\n  door: [1, 2]\n', 'p.yaml')
    assert places == {'dock': (-6.5, -3.5, 0.0), 'door': (1.0, 2.0, 0.0)}


def test_the_warehouse_world_file_has_the_mission_places():
    places = load_places(os.path.join(REPO, 'orchestrator_sim', 'worlds', 'warehouse.yaml'))
    assert {'pickup_a', 'dropoff', 'office', 'dock'} <= set(places)
    assert places['dock'] == (-6.5, -3.5, 0.0)
    assert places['pickup_a'][2] == pytest.approx(math.pi / 2, abs=1e-3)


@pytest.mark.parametrize('text, expected', [
    ('places: {a: [1, .nan, 0]}', 'p.yaml: places.a: nan is not a finite number'),
    ('places: {a: [1]}', 'p.yaml: places.a: expected [x, y] or [x, y, yaw]'),
    ('places: {a: [1, "two"]}', "p.yaml: places.a: 'two' is not a finite number"),
    ('places: [a, b]', 'p.yaml: places: expected a mapping'),
    ('walls: []', 'p.yaml: no top-level "places:" mapping'),
    ('places: {a: [1, 2]', 'p.yaml: not valid YAML'),
    ('!!python/object/apply:os.system [id]', 'p.yaml: not valid YAML'),
])
def test_bad_places_name_the_file_and_field(text, expected):
    with pytest.raises(PlacesError) as err:
        parse_places(text, 'p.yaml')
    assert str(err.value).startswith(expected)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(PlacesError, match='nowhere.yaml: cannot read places'):
        load_places(str(tmp_path / 'nowhere.yaml'))

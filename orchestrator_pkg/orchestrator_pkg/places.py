"""Named places for missions: ``pickup_a`` -> (x, y, yaw) in the map frame.

Missions name places; the places come from the world file (its ``places:``
mapping, as in ``orchestrator_sim/worlds/*.yaml``) or, on a real robot,
from any YAML file with the same mapping::

    places:
      dock: [-6.5, -3.5, 0.0]      # x, y in metres, yaw in radians (REP-103)
      dropoff: [6.5, 0.8, 0.0]

A world's ``dock: {position: [x, y], yaw: ...}`` is also the place ``dock``.

Pure: no ROS. Files are untrusted: ``yaml.safe_load``, and every error
names the file and the field.
"""
import math
import os
from typing import Dict, Tuple

import yaml

from orchestrator_pkg.ros_edge.share import sim_world

Place = Tuple[float, float, float]
MAX_FILE_BYTES = 4 * 1024 * 1024
# the port type of a place name (GetPlacePose's ``place``): validation checks literal
# values of ports of this type against a world's places (``orchestrator validate --world``)
PORT_TYPE = 'place'


class PlacesError(ValueError):
    """A places file is missing or malformed; the message names file and field."""


def parse_places(text: str, source: str = '<string>') -> Dict[str, Place]:
    """Parse the ``places:`` mapping of a YAML document."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PlacesError(f'{source}: not valid YAML: {exc}') from None
    if not isinstance(data, dict) or ('places' not in data and 'dock' not in data):
        raise PlacesError(f'{source}: no top-level "places:" mapping')
    raw = data.get('places') or {}
    if not isinstance(raw, dict):
        raise PlacesError(f'{source}: places: expected a mapping of name: [x, y, yaw]')
    dock = data.get('dock')
    if dock is not None:
        # a world's charging dock is a place too (as in the sim's world loader)
        if not isinstance(dock, dict) or not isinstance(dock.get('position'), (list, tuple)):
            raise PlacesError(f'{source}: dock: expected {{position: [x, y], yaw: ...}}')
        raw = {'dock': [*dock['position'][:2], dock.get('yaw', 0.0)], **raw}
    places = {}
    for name, value in raw.items():
        where = f'{source}: places.{name}'
        if not isinstance(name, str) or not name:
            raise PlacesError(f'{source}: places: names must be non-empty strings, got {name!r}')
        if not isinstance(value, (list, tuple)) or len(value) not in (2, 3):
            raise PlacesError(f'{where}: expected [x, y] or [x, y, yaw], got {value!r}')
        numbers = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, (int, float)) \
                    or not math.isfinite(item):
                raise PlacesError(f'{where}: {item!r} is not a finite number')
            numbers.append(float(item))
        if len(numbers) == 2:
            numbers.append(0.0)
        places[name] = tuple(numbers)
    return places


def load_places(name_or_path: str) -> Dict[str, Place]:
    """Load places from a YAML file, or from a shipped world given by name."""
    path = name_or_path
    if not os.path.exists(path) and os.path.sep not in path:
        path = sim_world(name_or_path) or path
    try:
        if os.path.getsize(path) > MAX_FILE_BYTES:
            raise PlacesError(f'{path}: larger than {MAX_FILE_BYTES} bytes')
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except OSError as exc:
        raise PlacesError(f'{name_or_path}: cannot read places: {exc.strerror}') from None
    return parse_places(text, path)

"""Loader for the project's own YAML world format.

A world file is a mapping; every key is optional except ``name``::

    name: warehouse
    spawn: dock                  # a place name, or [x, y, yaw]
    spawns: [dock, start_2]      # one per robot when several share the world
    walls:                       # straight wall segments, 2D end points
      - {name: north, from: [-5, 5], to: [5, 5], thickness: 0.1, height: 1.0}
    boxes:
      - {name: crate, position: [1, 2], yaw: 0.0, size: [0.5, 0.5, 0.5]}
    cylinders:
      - {name: pillar, position: [0, 0], radius: 0.2, height: 1.0}
    shelves:                     # solid shelving units (footprint x height)
      - {name: shelf_a, position: [2, 3], yaw: 0.0, size: [2.0, 0.5, 1.8]}
    objects:                     # pickable; shape box (size [x, y, z]) or
      - {id: can_1, class: can, color: red, shape: cylinder,   # cylinder
         size: [0.04, 0.12], position: [1, 1]}                 # (size [r, h])
    dock: {position: [0, 0], yaw: 0.0, radius: 0.4}
    places:
      pickup_a: [1.0, 1.0, 0.0]

Errors name the file and the field, e.g. ``walls[2].thickness``.
"""
import math
import os

import yaml

from orchestrator_sim.world.model import (
    Dock,
    PickableObject,
    Place,
    Shape,
    StaticGeom,
    UnsupportedElementError,
    World,
    WorldError,
    yaw_quat,
)

KNOWN_KEYS = ('name', 'spawn', 'walls', 'boxes', 'cylinders', 'shelves', 'objects', 'dock',
              'places', 'spawns')
COLOURS = {
    'red': (0.85, 0.15, 0.15, 1.0), 'green': (0.15, 0.7, 0.2, 1.0),
    'blue': (0.15, 0.3, 0.85, 1.0), 'yellow': (0.9, 0.85, 0.1, 1.0),
    'orange': (0.95, 0.55, 0.1, 1.0), 'white': (0.95, 0.95, 0.95, 1.0),
    'black': (0.1, 0.1, 0.1, 1.0), 'grey': (0.5, 0.5, 0.5, 1.0),
    'purple': (0.55, 0.2, 0.7, 1.0), 'brown': (0.5, 0.33, 0.15, 1.0),
}


class _Reader:
    """Typed field access that raises :class:`WorldError` naming the field."""

    def __init__(self, path: str):
        self.path = path

    def fail(self, where: str, message: str):
        raise WorldError(self.path, where, message)

    def mapping(self, value, where: str) -> dict:
        if not isinstance(value, dict):
            self.fail(where, f'expected a mapping, got {_describe(value)}')
        return value

    def items(self, doc: dict, key: str):
        value = doc.get(key, [])
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(key, f'expected a list, got {_describe(value)}')
        return [(f'{key}[{i}]', self.mapping(item, f'{key}[{i}]')) for i, item in
                enumerate(value)]

    def number(self, item: dict, key: str, where: str, default=None, positive=False) -> float:
        if key not in item:
            if default is None:
                self.fail(f'{where}.{key}', 'missing')
            return float(default)
        value = item[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value):
            self.fail(f'{where}.{key}', f'expected a finite number, got {value!r}')
        if positive and value <= 0:
            self.fail(f'{where}.{key}', f'must be > 0, got {value!r}')
        return float(value)

    def vector(self, item: dict, key: str, where: str, lengths, default=None, positive=False):
        if key not in item:
            if default is None:
                self.fail(f'{where}.{key}', 'missing')
            return tuple(default)
        value = item[key]
        ok = isinstance(value, (list, tuple)) and len(value) in lengths and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in value)
        if not ok:
            want = ' or '.join(str(n) for n in lengths)
            self.fail(f'{where}.{key}', f'expected a list of {want} finite numbers, got {value!r}')
        if positive and any(v <= 0 for v in value):
            self.fail(f'{where}.{key}', f'every value must be > 0, got {value!r}')
        return tuple(float(v) for v in value)

    def text(self, item: dict, key: str, where: str, default=None) -> str:
        if key not in item:
            if default is None:
                self.fail(f'{where}.{key}', 'missing')
            return default
        value = item[key]
        if not isinstance(value, str) or not value.strip():
            self.fail(f'{where}.{key}', f'expected a non-empty string, got {value!r}')
        return value.strip()


def _describe(value) -> str:
    return f'{type(value).__name__} {value!r}' if not isinstance(value, (dict, list)) \
        else type(value).__name__


def load_yaml_world(path: str, strict: bool = False) -> World:
    """Load a YAML world; raise :class:`WorldError` naming the file and field on any problem."""
    try:
        with open(path, encoding='utf-8') as stream:
            doc = yaml.safe_load(stream)
    except OSError as exc:
        raise WorldError(path, 'file', f'cannot read: {exc.strerror or exc}') from None
    except UnicodeDecodeError as exc:
        raise WorldError(path, 'file', f'not UTF-8 text: byte {exc.start}: {exc.reason}') \
            from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, 'problem_mark', None)
        where = f'line {mark.line + 1}, column {mark.column + 1}' if mark else 'YAML'
        problem = getattr(exc, 'problem', None) or str(exc)
        raise WorldError(path, where, f'invalid YAML: {problem}') from None
    return parse_yaml_world(doc, path, strict=strict)


def parse_yaml_world(doc, path: str = '<yaml>', strict: bool = False) -> World:
    """Build a :class:`World` from an already parsed YAML document."""
    r = _Reader(path)
    doc = r.mapping(doc, 'document')
    world = World(name=r.text(doc, 'name', 'document', default='') or
                  _stem(path), source=path)
    for key in doc:
        if key not in KNOWN_KEYS:
            message = f'unknown key; known keys are {", ".join(KNOWN_KEYS)}'
            if strict:
                raise UnsupportedElementError(path, str(key), message)
            world.warnings.append(f'{path}: {key}: {message} (ignored)')
    names = set()

    def unique(name, where):
        if name in names:
            r.fail(where, f'duplicate name {name!r}')
        names.add(name)
        return name

    for where, item in r.items(doc, 'walls'):
        name = unique(r.text(item, 'name', where, default=f'wall_{len(names)}'), where)
        x0, y0 = r.vector(item, 'from', where, (2,))
        x1, y1 = r.vector(item, 'to', where, (2,))
        thickness = r.number(item, 'thickness', where, default=0.1, positive=True)
        height = r.number(item, 'height', where, default=1.0, positive=True)
        length = math.hypot(x1 - x0, y1 - y0)
        if length <= 0:
            r.fail(f'{where}.to', 'wall has zero length (from == to)')
        yaw = math.atan2(y1 - y0, x1 - x0)
        world.geoms.append(StaticGeom(
            name, Shape('box', (length + thickness, thickness, height)),
            ((x0 + x1) / 2, (y0 + y1) / 2, height / 2), yaw_quat(yaw),
            (0.75, 0.75, 0.72, 1.0), 'wall'))
    for key, kind, rgba in (('boxes', 'box', (0.65, 0.5, 0.3, 1.0)),
                            ('shelves', 'shelf', (0.35, 0.4, 0.5, 1.0))):
        for where, item in r.items(doc, key):
            name = unique(r.text(item, 'name', where, default=f'{kind}_{len(names)}'), where)
            x, y = r.vector(item, 'position', where, (2,))
            yaw = r.number(item, 'yaw', where, default=0.0)
            size = r.vector(item, 'size', where, (3,), positive=True)
            world.geoms.append(StaticGeom(name, Shape('box', size), (x, y, size[2] / 2),
                                          yaw_quat(yaw), rgba, kind))
    for where, item in r.items(doc, 'cylinders'):
        name = unique(r.text(item, 'name', where, default=f'cylinder_{len(names)}'), where)
        x, y = r.vector(item, 'position', where, (2,))
        radius = r.number(item, 'radius', where, positive=True)
        height = r.number(item, 'height', where, default=1.0, positive=True)
        world.geoms.append(StaticGeom(name, Shape('cylinder', (radius, height, 0.0)),
                                      (x, y, height / 2), (1.0, 0.0, 0.0, 0.0),
                                      (0.2, 0.4, 0.7, 1.0), 'cylinder'))
    for where, item in r.items(doc, 'objects'):
        object_id = unique(r.text(item, 'id', where), where)
        class_id = r.text(item, 'class', where)
        color = r.text(item, 'color', where, default='grey').lower()
        shape_kind = r.text(item, 'shape', where, default='box')
        if shape_kind == 'box':
            size = r.vector(item, 'size', where, (3,), default=(0.1, 0.1, 0.1), positive=True)
            shape = Shape('box', size)
        elif shape_kind == 'cylinder':
            radius, height = r.vector(item, 'size', where, (2,), default=(0.04, 0.12),
                                      positive=True)
            shape = Shape('cylinder', (radius, height, 0.0))
        else:
            r.fail(f'{where}.shape', f'expected box or cylinder, got {shape_kind!r}')
        x, y = r.vector(item, 'position', where, (2,))
        yaw = r.number(item, 'yaw', where, default=0.0)
        if color not in COLOURS:
            world.warnings.append(f'{path}: {where}.color: unknown colour {color!r}, '
                                  'drawn grey')
        world.objects.append(PickableObject(
            object_id, class_id, color, shape, (x, y, shape.half_height()), yaw,
            COLOURS.get(color, COLOURS['grey'])))
    if doc.get('dock') is not None:
        item = r.mapping(doc['dock'], 'dock')
        x, y = r.vector(item, 'position', 'dock', (2,))
        world.dock = Dock(x, y, r.number(item, 'yaw', 'dock', default=0.0),
                          r.number(item, 'radius', 'dock', default=0.4, positive=True))
        world.places['dock'] = Place('dock', x, y, world.dock.yaw)
    places = r.mapping(doc.get('places') or {}, 'places')
    for name, value in places.items():
        x, y, yaw = _pose2d(r, value, f'places.{name}')
        world.places[str(name)] = Place(str(name), x, y, yaw)
    if 'spawn' in doc:
        world.spawn = _spawn(r, doc['spawn'], world)
    spawns = doc.get('spawns') or []
    if not isinstance(spawns, list):
        r.fail('spawns', f'expected a list of place names or [x, y, yaw], got {spawns!r}')
    world.spawns = [_spawn(r, value, world, f'spawns[{i}]') for i, value in enumerate(spawns)]
    return world


def _pose2d(r: _Reader, value, where: str):
    if not (isinstance(value, (list, tuple)) and len(value) in (2, 3) and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in value)):
        r.fail(where, f'expected [x, y] or [x, y, yaw] finite numbers, got {value!r}')
    pose = tuple(float(v) for v in value)
    return pose if len(pose) == 3 else pose + (0.0,)


def _spawn(r: _Reader, value, world: World, where: str = 'spawn') -> Place:
    if isinstance(value, str):
        if value not in world.places:
            r.fail(where, f'unknown place {value!r}; places are '
                   f'{", ".join(sorted(world.places)) or "(none)"}')
        return world.places[value]
    x, y, yaw = _pose2d(r, value, where)
    return Place(where, x, y, yaw)


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]

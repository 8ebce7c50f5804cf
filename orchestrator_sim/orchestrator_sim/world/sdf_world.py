"""Loader for Gazebo SDF worlds (``.world`` / ``.sdf``), parsed with defusedxml.

What is modelled: every ``<model>`` (nested models too) becomes static
collision geometry; each ``<collision>`` with a box, cylinder or sphere
geometry becomes one geom whose world pose is the composition
model ∘ (nested model ∘ …) ∘ link ∘ collision. A ``<state>`` block, as Gazebo
saves it, overrides top-level model poses, as Gazebo does when it loads.
Horizontal planes are floors and merge into the sim's own floor.

What is not: meshes, heightmaps, polylines, capsules, ellipsoids, tilted
planes, ``<include>``, plugins, actors and lights. Each gets a warning that
names the model (or an :class:`UnsupportedElementError` in strict mode).
Non-static models are treated as static, with a warning.
"""
import math
import os

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
import numpy as np

from orchestrator_sim.world.model import (
    Shape,
    StaticGeom,
    UnsupportedElementError,
    World,
    WorldError,
)

SUPPORTED_GEOMETRY = ('box', 'cylinder', 'sphere', 'plane')
UNSUPPORTED_GEOMETRY = ('mesh', 'heightmap', 'polyline', 'capsule', 'ellipsoid', 'image')
UNSUPPORTED_WORLD_ELEMENTS = ('include', 'plugin', 'actor', 'road', 'population')


def rpy_matrix(roll: float, pitch: float, yaw: float) -> np.ndarray:
    """Rotation matrix of SDF roll-pitch-yaw (fixed axes X, Y, Z)."""
    cr, sr = math.cos(roll), math.sin(roll)
    cp, sp = math.cos(pitch), math.sin(pitch)
    cy, sy = math.cos(yaw), math.sin(yaw)
    return np.array([
        [cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
        [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
        [-sp, cp * sr, cp * cr]])


def matrix_quat(rot: np.ndarray):
    """Return the unit quaternion ``(w, x, y, z)`` of a rotation matrix."""
    trace = rot[0, 0] + rot[1, 1] + rot[2, 2]
    if trace > 0:
        s = 2.0 * math.sqrt(trace + 1.0)
        q = (0.25 * s, (rot[2, 1] - rot[1, 2]) / s, (rot[0, 2] - rot[2, 0]) / s,
             (rot[1, 0] - rot[0, 1]) / s)
    elif rot[0, 0] > rot[1, 1] and rot[0, 0] > rot[2, 2]:
        s = 2.0 * math.sqrt(1.0 + rot[0, 0] - rot[1, 1] - rot[2, 2])
        q = ((rot[2, 1] - rot[1, 2]) / s, 0.25 * s, (rot[0, 1] + rot[1, 0]) / s,
             (rot[0, 2] + rot[2, 0]) / s)
    elif rot[1, 1] > rot[2, 2]:
        s = 2.0 * math.sqrt(1.0 + rot[1, 1] - rot[0, 0] - rot[2, 2])
        q = ((rot[0, 2] - rot[2, 0]) / s, (rot[0, 1] + rot[1, 0]) / s, 0.25 * s,
             (rot[1, 2] + rot[2, 1]) / s)
    else:
        s = 2.0 * math.sqrt(1.0 + rot[2, 2] - rot[0, 0] - rot[1, 1])
        q = ((rot[1, 0] - rot[0, 1]) / s, (rot[0, 2] + rot[2, 0]) / s,
             (rot[1, 2] + rot[2, 1]) / s, 0.25 * s)
    norm = math.sqrt(sum(v * v for v in q))
    q = tuple(float(v) / norm for v in q)
    return q if q[0] >= 0 else tuple(-v for v in q)


def pose_matrix(x, y, z, roll, pitch, yaw) -> np.ndarray:
    """Homogeneous 4x4 transform of an SDF pose."""
    t = np.eye(4)
    t[:3, :3] = rpy_matrix(roll, pitch, yaw)
    t[:3, 3] = (x, y, z)
    return t


class _SdfReader:
    """Walks one SDF document; collects geoms and warnings."""

    def __init__(self, path: str, strict: bool):
        self.path = path
        self.strict = strict
        self.world = None

    def fail(self, element: str, message: str):
        raise WorldError(self.path, element, message)

    def unsupported(self, element: str, message: str):
        if self.strict:
            raise UnsupportedElementError(self.path, element, message + ' (strict mode)')
        self.world.warnings.append(f'{self.path}: {element}: {message}; ignored')

    def numbers(self, node, count: int, where: str):
        text = (node.text or '').split()
        if len(text) != count:
            self.fail(where, f'expected {count} numbers, got {node.text!r}')
        try:
            values = [float(v) for v in text]
        except ValueError:
            self.fail(where, f'expected {count} numbers, got {node.text!r}')
        if not all(math.isfinite(v) for v in values):
            self.fail(where, f'expected finite numbers, got {node.text!r}')
        return values

    def pose(self, parent, where: str) -> np.ndarray:
        node = parent.find('pose')
        if node is None:
            return np.eye(4)
        frame = node.get('relative_to') or node.get('frame') or ''
        if frame:
            self.unsupported(f'{where}/pose', f'pose relative to frame {frame!r} is read as '
                             'relative to the parent')
        text = (node.text or '').split()
        if len(text) == 7:
            self.unsupported(f'{where}/pose', 'quaternion poses are not supported; identity '
                             'rotation used')
            values = self.numbers(node, 7, f'{where}/pose')[:3] + [0.0, 0.0, 0.0]
        else:
            values = self.numbers(node, 6, f'{where}/pose')
        return pose_matrix(*values)

    def positive(self, parent, tag: str, where: str) -> float:
        node = parent.find(tag)
        if node is None:
            self.fail(f'{where}/{tag}', 'missing')
        value = self.numbers(node, 1, f'{where}/{tag}')[0]
        if value <= 0:
            self.fail(f'{where}/{tag}', f'must be > 0, got {value!r}')
        return value

    def load(self, root) -> World:
        name = os.path.splitext(os.path.basename(self.path))[0]
        world_el = root.find('world')
        if root.tag != 'sdf':
            self.fail(f'<{root.tag}>', 'root element must be <sdf>')
        if world_el is None:
            if root.find('model') is None:
                self.fail('<sdf>', 'no <world> and no <model> element')
            world_el = root  # a model file: its models form the world
        world_name = world_el.get('name') or ''
        self.world = World(name=name if world_name in ('', 'default') else world_name,
                           source=self.path)
        for tag in UNSUPPORTED_WORLD_ELEMENTS:
            for node in world_el.findall(tag):
                label = node.get('name') or (node.findtext('uri') or '').strip() or tag
                self.unsupported(f'world/{tag} {label!r}', f'<{tag}> is not supported')
        state_poses = self.state_poses(world_el)
        for index, model in enumerate(world_el.findall('model')):
            model_name = model.get('name')
            if not model_name:
                self.fail(f'world/model[{index}]', 'model has no name attribute')
            where = f'model {model_name!r}'
            base = state_poses.get(model_name)
            if base is None:
                base = self.pose(model, where)
            self.model(model, model_name, base, where, top=True)
        return self.world

    def state_poses(self, world_el) -> dict:
        poses = {}
        for state in world_el.findall('state'):
            for model in state.findall('model'):
                if model.get('name') and model.find('pose') is not None:
                    poses[model.get('name')] = self.pose(
                        model, f'state/model {model.get("name")!r}')
        return poses

    def model(self, model, name: str, transform: np.ndarray, where: str, top: bool):
        static = (model.findtext('static') or '').strip().lower() in ('1', 'true')
        if top and not static and model.find('link') is not None:
            self.world.warnings.append(
                f'{self.path}: {where}: not static; simulated as a static obstacle')
        for plugin in model.findall('plugin'):
            self.unsupported(f'{where}/plugin {plugin.get("name") or ""!r}',
                             f'model plugin {plugin.get("filename") or ""!r} is not supported')
        for _ in model.findall('include'):
            self.unsupported(f'{where}/include', '<include> is not supported')
        for nested in model.findall('model'):
            nested_name = nested.get('name') or 'unnamed'
            nested_where = f'{where}/model {nested_name!r}'
            self.model(nested, f'{name}::{nested_name}',
                       transform @ self.pose(nested, nested_where), nested_where, top=False)
        for link in model.findall('link'):
            link_name = link.get('name') or 'link'
            link_where = f'{where}/link {link_name!r}'
            link_tf = transform @ self.pose(link, link_where)
            for col_index, collision in enumerate(link.findall('collision')):
                col_name = collision.get('name') or f'collision_{col_index}'
                col_where = f'{link_where}/collision {col_name!r}'
                self.collision(collision, f'{name}::{link_name}::{col_name}',
                               link_tf @ self.pose(collision, col_where), col_where, name)

    def collision(self, collision, geom_name: str, transform, where: str, model_name: str):
        geometry = collision.find('geometry')
        if geometry is None or len(geometry) == 0:
            self.fail(f'{where}/geometry', 'missing or empty <geometry>')
        shape_el = geometry[0]
        kind = shape_el.tag
        gwhere = f'{where}/geometry/{kind}'
        if kind in UNSUPPORTED_GEOMETRY:
            self.unsupported(gwhere, f'{kind} geometry of model {model_name!r} is not supported')
            return
        if kind not in SUPPORTED_GEOMETRY:
            self.unsupported(gwhere, f'unknown geometry <{kind}> of model {model_name!r}')
            return
        if kind == 'box':
            size_el = shape_el.find('size')
            if size_el is None:
                self.fail(f'{gwhere}/size', 'missing')
            size = self.numbers(size_el, 3, f'{gwhere}/size')
            if any(v <= 0 for v in size):
                self.fail(f'{gwhere}/size', f'every value must be > 0, got {size_el.text!r}')
            shape = Shape('box', tuple(size))
        elif kind == 'cylinder':
            shape = Shape('cylinder', (self.positive(shape_el, 'radius', gwhere),
                                       self.positive(shape_el, 'length', gwhere), 0.0))
        elif kind == 'sphere':
            shape = Shape('sphere', (self.positive(shape_el, 'radius', gwhere), 0.0, 0.0))
        else:  # plane
            normal_el = shape_el.find('normal')
            normal = np.array(self.numbers(normal_el, 3, f'{gwhere}/normal')
                              if normal_el is not None else (0.0, 0.0, 1.0))
            world_normal = transform[:3, :3] @ normal
            norm = np.linalg.norm(world_normal)
            if norm > 0 and world_normal[2] / norm > 0.999 and abs(transform[2, 3]) < 1e-6:
                return  # a ground plane: the sim's floor
            self.unsupported(gwhere, f'a plane that is not the ground (model {model_name!r})')
            return
        position = tuple(float(v) for v in transform[:3, 3])
        self.world.geoms.append(StaticGeom(
            geom_name, shape, position, matrix_quat(transform[:3, :3]),
            (0.15, 0.38, 0.72, 1.0), 'sdf'))


def load_sdf_world(path: str, strict: bool = False) -> World:
    """Load a Gazebo SDF world; raise :class:`WorldError` naming file and element on problems."""
    try:
        with open(path, 'rb') as stream:
            data = stream.read()
    except OSError as exc:
        raise WorldError(path, 'file', f'cannot read: {exc.strerror or exc}') from None
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        line, column = getattr(exc, 'position', (0, 0))
        raise WorldError(path, f'line {line}, column {column + 1}',
                         f'malformed XML: {exc.msg if hasattr(exc, "msg") else exc}') from None
    except DefusedXmlException as exc:
        raise WorldError(path, 'XML', f'refused unsafe XML: {exc}') from None
    return _SdfReader(path, strict).load(root)

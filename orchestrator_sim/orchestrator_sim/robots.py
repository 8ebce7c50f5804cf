"""Robot presets: a diff-drive base described in YAML, loaded into a dataclass.

A preset sets the footprint, wheel geometry, velocity and acceleration
limits, the lidar's placement and parameters, the logical camera, the
gripper's reach and the battery. Presets ship in the package's ``robots/``
folder (``small_indoor``, ``jackal``); a path to any YAML file works too.
"""
from dataclasses import MISSING, dataclass, fields
import math
import os

import yaml


class RobotPresetError(ValueError):
    """A robot preset is malformed; names the file and the field."""

    def __init__(self, path: str, field_name: str, message: str):
        self.path = path
        self.field = field_name
        super().__init__(f'{path}: {field_name}: {message}')


@dataclass(frozen=True)
class LidarSpec:
    """A planar lidar mounted on the base (pose in base_link)."""

    x: float = 0.0
    y: float = 0.0
    z: float = 0.2
    yaw: float = 0.0
    angle_min: float = -math.pi
    angle_max: float = math.pi
    samples: int = 360
    range_min: float = 0.12
    range_max: float = 12.0
    rate_hz: float = 10.0
    noise_std: float = 0.01


@dataclass(frozen=True)
class CameraSpec:
    """A logical camera (Gazebo ``logical_camera``): pose in base_link, frustum."""

    x: float = 0.1
    y: float = 0.0
    z: float = 0.3
    yaw: float = 0.0
    horizontal_fov: float = 1.2
    aspect_ratio: float = 1.333
    near: float = 0.05
    far: float = 4.0
    rate_hz: float = 5.0


@dataclass(frozen=True)
class RobotPreset:
    """A diff-drive robot: geometry, limits, sensors, gripper and battery."""

    name: str
    length: float
    width: float
    height: float
    mass: float
    wheel_radius: float
    wheel_separation: float
    max_vel_x: float
    min_vel_x: float
    max_vel_theta: float
    max_accel_x: float
    max_accel_theta: float
    lidar: LidarSpec
    camera: CameraSpec
    gripper_reach: float = 0.35
    battery_capacity_wh: float = 100.0
    battery_voltage: float = 24.0
    idle_power_w: float = 20.0
    motion_power_w: float = 60.0
    charge_power_w: float = 150.0
    ground_clearance: float = 0.03


_TOP = {f.name: f for f in fields(RobotPreset)}
_SUB = {'lidar': LidarSpec, 'camera': CameraSpec}


def _number(path, where, value, positive=False, integer=False):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RobotPresetError(path, where, f'expected a finite number, got {value!r}')
    if integer and (not float(value).is_integer() or value < 1):
        raise RobotPresetError(path, where, f'expected a positive integer, got {value!r}')
    if positive and value <= 0:
        raise RobotPresetError(path, where, f'must be > 0, got {value!r}')
    return int(value) if integer else float(value)


def _section(path, where, cls, doc):
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise RobotPresetError(path, where, f'expected a mapping, got {doc!r}')
    known = {f.name: f for f in fields(cls)}
    values = {}
    for key, value in doc.items():
        if key not in known:
            raise RobotPresetError(path, f'{where}.{key}', 'unknown field; known fields are '
                                   + ', '.join(known))
        positive = key in ('samples', 'range_max', 'rate_hz', 'horizontal_fov', 'aspect_ratio',
                           'far', 'near', 'range_min')
        values[key] = _number(path, f'{where}.{key}', value, positive=positive,
                              integer=known[key].type in (int, 'int'))
    return cls(**values)


def parse_robot(doc, path: str = '<robot>') -> RobotPreset:
    """Build a :class:`RobotPreset` from a parsed YAML mapping."""
    if not isinstance(doc, dict):
        raise RobotPresetError(path, 'document', 'expected a mapping')
    values = {}
    for key, value in doc.items():
        if key not in _TOP:
            raise RobotPresetError(path, key, 'unknown field; known fields are '
                                   + ', '.join(_TOP))
        if key in _SUB:
            values[key] = _section(path, key, _SUB[key], value)
        elif key == 'name':
            if not isinstance(value, str) or not value:
                raise RobotPresetError(path, key, f'expected a non-empty string, got {value!r}')
            values[key] = value
        else:
            values[key] = _number(path, key, value,
                                  positive=key not in ('min_vel_x', 'ground_clearance'))
    for key in _SUB:
        values.setdefault(key, _SUB[key]())
    missing = [f.name for f in fields(RobotPreset)
               if f.name not in values and f.default is MISSING]
    if missing:
        raise RobotPresetError(path, missing[0], 'missing (required: ' + ', '.join(missing) + ')')
    robot = RobotPreset(**values)
    if robot.min_vel_x > 0 or robot.min_vel_x < -robot.max_vel_x * 10:
        raise RobotPresetError(path, 'min_vel_x', f'must be in [-10*max_vel_x, 0], got '
                               f'{robot.min_vel_x}')
    lidar = robot.lidar
    if lidar.range_min >= lidar.range_max:
        raise RobotPresetError(path, 'lidar.range_min', 'must be below lidar.range_max')
    if lidar.angle_min >= lidar.angle_max:
        raise RobotPresetError(path, 'lidar.angle_min', 'must be below lidar.angle_max')
    if robot.camera.near >= robot.camera.far:
        raise RobotPresetError(path, 'camera.near', 'must be below camera.far')
    return robot


def presets_dir() -> str:
    """Folder of the shipped presets (installed share, else the source tree)."""
    try:
        from ament_index_python.packages import get_package_share_directory
        share = os.path.join(get_package_share_directory('orchestrator_sim'), 'robots')
        if os.path.isdir(share):
            return share
    except (ImportError, LookupError, ValueError):
        pass
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'robots')


def available_presets():
    """Names of the shipped presets."""
    folder = presets_dir()
    if not os.path.isdir(folder):
        return []
    return sorted(os.path.splitext(f)[0] for f in os.listdir(folder) if f.endswith('.yaml'))


def load_robot(name_or_path: str) -> RobotPreset:
    """Load a preset by name (``jackal``) or by path to a YAML file."""
    path = name_or_path
    if os.path.sep not in name_or_path and not name_or_path.endswith(('.yaml', '.yml')):
        path = os.path.join(presets_dir(), name_or_path + '.yaml')
        if not os.path.exists(path):
            raise RobotPresetError(name_or_path, 'preset', 'unknown robot preset; available: '
                                   + (', '.join(available_presets()) or '(none)'))
    try:
        with open(path, encoding='utf-8') as stream:
            doc = yaml.safe_load(stream)
    except OSError as exc:
        raise RobotPresetError(path, 'file', f'cannot read: {exc.strerror or exc}') from None
    except UnicodeDecodeError as exc:
        raise RobotPresetError(path, 'file', f'not UTF-8 text: byte {exc.start}: '
                               f'{exc.reason}') from None
    except yaml.YAMLError as exc:
        raise RobotPresetError(path, 'YAML', f'invalid YAML: {exc}') from None
    return parse_robot(doc, path)

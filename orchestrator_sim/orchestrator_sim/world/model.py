"""The world model shared by the loaders and the physics: plain dataclasses, no ROS.

Poses are in the world frame (REP-103: metres, radians). A 3D pose is a
position and a unit quaternion ``(w, x, y, z)``, the MuJoCo convention.
"""
from dataclasses import dataclass, field
import math
from typing import Dict, List, Optional, Tuple

Vec3 = Tuple[float, float, float]
Quat = Tuple[float, float, float, float]


class WorldError(ValueError):
    """A world file is malformed; names the file and the element or field at fault."""

    def __init__(self, path: str, element: str, message: str):
        self.path = path
        self.element = element
        self.message = message
        super().__init__(f'{path}: {element}: {message}')


class UnsupportedElementError(WorldError):
    """A world element the sim cannot model (raised in strict mode only)."""


def yaw_quat(yaw: float) -> Quat:
    """Quaternion ``(w, x, y, z)`` of a rotation by ``yaw`` about +z."""
    return (math.cos(yaw / 2.0), 0.0, 0.0, math.sin(yaw / 2.0))


def quat_yaw(q: Quat) -> float:
    """Yaw (rotation about +z) of quaternion ``(w, x, y, z)``."""
    w, x, y, z = q
    return math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))


@dataclass(frozen=True)
class Shape:
    """Collision geometry: ``kind`` is box, cylinder, sphere or plane.

    ``size`` follows the SDF meaning: box full extents (x, y, z); cylinder
    (radius, length, 0); sphere (radius, 0, 0); plane (x, y extents, 0).
    """

    kind: str
    size: Vec3

    def half_height(self) -> float:
        """Half of the shape's extent along its own z axis."""
        if self.kind == 'box':
            return self.size[2] / 2.0
        if self.kind == 'cylinder':
            return self.size[1] / 2.0
        if self.kind == 'sphere':
            return self.size[0]
        return 0.0


@dataclass(frozen=True)
class StaticGeom:
    """A static obstacle: one collision shape placed in the world."""

    name: str
    shape: Shape
    position: Vec3
    quat: Quat = (1.0, 0.0, 0.0, 0.0)
    rgba: Tuple[float, float, float, float] = (0.6, 0.6, 0.6, 1.0)
    kind: str = 'obstacle'  # wall, box, cylinder, shelf, sdf model, ...


@dataclass(frozen=True)
class PickableObject:
    """An object a robot can detect and grasp, with a class and a colour."""

    object_id: str
    class_id: str
    color: str
    shape: Shape
    position: Vec3
    yaw: float = 0.0
    rgba: Tuple[float, float, float, float] = (0.8, 0.2, 0.2, 1.0)


@dataclass(frozen=True)
class Place:
    """A named 2D pose, e.g. ``dock`` or ``pickup_a``."""

    name: str
    x: float
    y: float
    yaw: float = 0.0


@dataclass(frozen=True)
class Dock:
    """A charging dock: a robot within ``radius`` of it charges."""

    x: float
    y: float
    yaw: float = 0.0
    radius: float = 0.4


@dataclass
class World:
    """A loaded world: static geometry, objects, dock, named places, spawns, warnings."""

    name: str
    source: str
    geoms: List[StaticGeom] = field(default_factory=list)
    objects: List[PickableObject] = field(default_factory=list)
    dock: Optional[Dock] = None
    places: Dict[str, Place] = field(default_factory=dict)
    spawn: Optional[Place] = None
    spawns: List[Place] = field(default_factory=list)  # one per robot, several robots
    warnings: List[str] = field(default_factory=list)

    def geoms_of_kind(self, shape_kind: str) -> List[StaticGeom]:
        """Return the static geoms whose shape is ``shape_kind`` (box, cylinder, ...)."""
        return [g for g in self.geoms if g.shape.kind == shape_kind]

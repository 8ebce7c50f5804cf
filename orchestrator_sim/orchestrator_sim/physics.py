"""The physics: a MuJoCo model built from a :class:`World` and a :class:`RobotPreset`.

The robot base is a real rigid body on three joints (slide x, slide y,
hinge yaw) driven by velocity actuators whose force and torque are bounded
by traction (μ·m·g). A body-frame command ``(v, w)`` is rotated into the
world frame before every step, so the base moves like a diff drive (no
sideways velocity is commanded) but is stopped by contact: driven into a
wall, it pushes against it with bounded force and stays there. Obstacles
are static geoms; pickable objects are mocap bodies, so that a gripper can
carry them. Collisions are read from MuJoCo's contacts between robot geoms
and world or object geoms (the floor does not collide).

Several robots can share the world (``robots=('robot1', 'robot2')``): each
is its own body with its own joints, actuators, command, gripper and
sensors, and the robots collide with each other as with the world. Every
per-robot method takes ``robot``, an index into ``robots`` (default 0, so
one robot reads as before). Body, joint and geom names of robot ``ns`` are
prefixed ``ns/`` (the one un-namespaced robot keeps the plain names).

Geom groups: 0 static world, 1 robot, 2 objects, 3 floor, 4 held object.
The lidar (``mj_multiRay``) and the logical camera's line of sight
(``mj_ray``) see groups 0, 1 and 2, minus the robot's own body: a robot
sees the other robots.

Pure Python + numpy + mujoco; no ROS.
"""
from dataclasses import dataclass
import math
import re
from typing import Dict, List, Optional, Sequence, Tuple
from xml.sax.saxutils import quoteattr

import mujoco
import numpy as np

from orchestrator_sim.robots import CameraSpec, LidarSpec, RobotPreset
from orchestrator_sim.world.model import PickableObject, World

GROUP_WORLD, GROUP_ROBOT, GROUP_OBJECT, GROUP_FLOOR, GROUP_HELD = 0, 1, 2, 3, 4
SENSED_GROUPS = np.array([1, 1, 1, 0, 0, 0], dtype=np.uint8)
TRACTION_MU = 0.8
GRAVITY = 9.81
RESPONSE_TIME_S = 0.05
ROBOT_BODY = 'base_link'


def wrap_angle(angle: float) -> float:
    """Wrap an angle to [-pi, pi)."""
    return (angle + math.pi) % (2.0 * math.pi) - math.pi


def _f(values) -> str:
    return ' '.join(f'{float(v):.9g}' for v in values)


def _geom_attrs(shape) -> str:
    if shape.kind == 'box':
        return f'type="box" size="{_f(np.array(shape.size) / 2.0)}"'
    if shape.kind == 'cylinder':
        return f'type="cylinder" size="{_f((shape.size[0], shape.size[1] / 2.0))}"'
    if shape.kind == 'sphere':
        return f'type="sphere" size="{_f((shape.size[0],))}"'
    raise ValueError(f'unsupported shape kind {shape.kind!r}')


def robot_prefix(name: str) -> str:
    """Prefix of a robot's MuJoCo names: ``'robot1/'``, or ``''`` for the un-namespaced one."""
    return f'{name}/' if name else ''


def check_robot_names(robots: Sequence[str]) -> Tuple[str, ...]:
    """Validate robot names (namespaces); ``()`` means one un-namespaced robot."""
    names = tuple(robots) or ('',)
    if len(set(names)) != len(names):
        raise ValueError(f'robots: a name is used twice in {list(names)}')
    if len(names) > 1 and '' in names:
        raise ValueError(f'robots: with more than one robot every robot needs a name, '
                         f'got {list(names)}')
    for name in names:
        if name and not re.fullmatch(r'[A-Za-z][A-Za-z0-9_]*', name):
            raise ValueError(f'robots: {name!r} is not a valid ROS namespace name')
    return names


def build_mjcf(world: World, robot: RobotPreset, timestep: float = 0.005,
               robots: Sequence[str] = ('',)) -> str:
    """Return the MJCF (XML text) of the world with the robots in it (all of one preset)."""
    robots = check_robot_names(robots)
    lines = [f'<mujoco model={quoteattr(world.name or "world")}>',
             f'  <option timestep="{timestep:.9g}" integrator="implicitfast"/>',
             '  <size memory="64M"/>',
             '  <visual><global offwidth="640" offheight="480"/></visual>',
             '  <worldbody>',
             '    <light pos="0 0 10" dir="0 0 -1" directional="true"/>',
             f'    <geom name="floor" type="plane" size="0 0 0.1" contype="0" conaffinity="0" '
             f'group="{GROUP_FLOOR}" rgba="0.9 0.9 0.88 1"/>']
    for index, geom in enumerate(world.geoms):
        lines.append(
            f'    <geom name={quoteattr(f"w{index}:{geom.name}")} {_geom_attrs(geom.shape)} '
            f'pos="{_f(geom.position)}" quat="{_f(geom.quat)}" contype="0" conaffinity="1" '
            f'group="{GROUP_WORLD}" rgba="{_f(geom.rgba)}"/>')
    for obj in world.objects:
        half_yaw = obj.yaw / 2.0
        lines.append(
            f'    <body name={quoteattr("object:" + obj.object_id)} mocap="true" '
            f'pos="{_f(obj.position)}" quat="{_f((math.cos(half_yaw), 0, 0, math.sin(half_yaw)))}">'
            f'<geom name={quoteattr("object:" + obj.object_id)} {_geom_attrs(obj.shape)} '
            f'contype="0" conaffinity="1" group="{GROUP_OBJECT}" rgba="{_f(obj.rgba)}"/></body>')
    if world.dock is not None:
        dock = world.dock
        lines.append(f'    <site name="dock" type="cylinder" size="{dock.radius:.9g} 0.002" '
                     f'pos="{_f((dock.x, dock.y, 0.002))}" rgba="0.2 0.8 0.3 0.4"/>')
    half_h = robot.height / 2.0
    inertia_z = robot.mass * (robot.length ** 2 + robot.width ** 2) / 12.0
    for name in robots:
        pre = robot_prefix(name)
        lines += [
            f'    <body name="{pre}{ROBOT_BODY}" pos="0 0 0">',
            f'      <joint name="{pre}base_x" type="slide" axis="1 0 0" armature="0"/>',
            f'      <joint name="{pre}base_y" type="slide" axis="0 1 0" armature="0"/>',
            f'      <joint name="{pre}base_yaw" type="hinge" axis="0 0 1" armature="0"/>',
            f'      <geom name="{pre}chassis" type="box" '
            f'size="{_f((robot.length / 2, robot.width / 2, half_h))}" '
            f'pos="{_f((0, 0, robot.ground_clearance + half_h))}" mass="{robot.mass:.9g}" '
            f'contype="1" conaffinity="1" group="{GROUP_ROBOT}" rgba="0.9 0.5 0.1 1"/>',
            f'      <site name="{pre}lidar" '
            f'pos="{_f((robot.lidar.x, robot.lidar.y, robot.lidar.z))}"/>',
            '    </body>']
    lines += ['  </worldbody>', '  <actuator>']
    force = TRACTION_MU * robot.mass * GRAVITY
    torque = force * robot.wheel_separation / 2.0
    kv_lin = robot.mass / RESPONSE_TIME_S
    kv_ang = inertia_z / RESPONSE_TIME_S
    for name in robots:
        pre = robot_prefix(name)
        for joint, kv, limit in (('base_x', kv_lin, force), ('base_y', kv_lin, force),
                                 ('base_yaw', kv_ang, torque)):
            lines.append(f'    <velocity name="{pre}{joint}" joint="{pre}{joint}" '
                         f'kv="{kv:.9g}" forcelimited="true" '
                         f'forcerange="{-limit:.9g} {limit:.9g}"/>')
    lines += ['  </actuator>', '</mujoco>']
    return '\n'.join(lines)


@dataclass
class Contact:
    """The robot touching something: the other geom's name and the contact point."""

    other: str
    position: Tuple[float, float, float]
    depth: float


@dataclass
class SeenObject:
    """An object in the logical camera's view: pose in the camera frame."""

    obj: PickableObject
    position: Tuple[float, float, float]
    yaw: float


@dataclass
class RobotBody:
    """One robot's handles into the model and its own state (command, held object)."""

    name: str
    body: int
    qadr: Tuple[int, int, int]
    vadr: Tuple[int, int, int]
    ctrl: Tuple[int, int, int]
    geoms: frozenset
    command: Tuple[float, float] = (0.0, 0.0)
    held: Optional[str] = None


class Physics:
    """A stepping MuJoCo world with one or more diff-drive robots in it."""

    def __init__(self, world: World, robot: RobotPreset, timestep: float = 0.005,
                 robots: Sequence[str] = ('',), spawns=None):
        """Build the world; ``spawns`` (one ``(x, y, yaw)`` per robot) overrides the world's."""
        self.world = world
        self.robot = robot
        names = check_robot_names(robots)
        self.mjcf = build_mjcf(world, robot, timestep, names)
        self.model = mujoco.MjModel.from_xml_string(self.mjcf)
        self.data = mujoco.MjData(self.model)
        m = self.model

        def ids(kind, pre, items):
            return tuple(mujoco.mj_name2id(m, kind, pre + item) for item in items)
        joints = ('base_x', 'base_y', 'base_yaw')
        self.bodies: List[RobotBody] = []
        for name in names:
            pre = robot_prefix(name)
            body = mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, pre + ROBOT_BODY)
            jnt = ids(mujoco.mjtObj.mjOBJ_JOINT, pre, joints)
            self.bodies.append(RobotBody(
                name=name, body=body,
                qadr=tuple(int(m.jnt_qposadr[j]) for j in jnt),
                vadr=tuple(int(m.jnt_dofadr[j]) for j in jnt),
                ctrl=ids(mujoco.mjtObj.mjOBJ_ACTUATOR, pre, joints),
                geoms=frozenset(g for g in range(m.ngeom) if m.geom_bodyid[g] == body)))
        self.geom_names = [self._obstacle_name(g) for g in range(m.ngeom)]
        self.objects: Dict[str, PickableObject] = {o.object_id: o for o in world.objects}
        self._object_body = {oid: mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, 'object:' + oid)
                             for oid in self.objects}
        self._object_geom = {oid: mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_GEOM, 'object:' + oid)
                             for oid in self.objects}
        self._object_mocap = {oid: m.body_mocapid[b] for oid, b in self._object_body.items()}
        self._body_object = {b: oid for oid, b in self._object_body.items()}
        self._ray_geomid = np.zeros(1, dtype=np.int32)
        self._lidar_cache = None
        if spawns is None:
            spawns = world_spawns(world, len(names))
        if len(spawns) != len(names):
            raise ValueError(f'{len(names)} robots need {len(names)} spawn poses, '
                             f'got {len(spawns)}')
        for index, spawn in enumerate(spawns):
            if spawn is not None:
                self.teleport(*spawn, robot=index)
        mujoco.mj_forward(m, self.data)

    def _obstacle_name(self, geom: int) -> str:
        body = int(self.model.geom_bodyid[geom])
        for other in self.bodies:
            if other.body == body and other.name:
                return other.name  # another robot: named by its namespace
        name = mujoco.mj_id2name(self.model, mujoco.mjtObj.mjOBJ_GEOM, geom) or f'geom{geom}'
        if name.startswith('w') and ':' in name:
            return name.split(':', 1)[1]
        return name

    # ---- single-robot conveniences (robot 0)
    @property
    def robot_body(self) -> int:
        """Body id of robot 0."""
        return self.bodies[0].body

    @property
    def robot_geoms(self):
        """Geom ids of robot 0."""
        return self.bodies[0].geoms

    @property
    def held(self) -> Optional[str]:
        """What robot 0 holds."""
        return self.bodies[0].held

    @property
    def command(self) -> Tuple[float, float]:
        """Robot 0's body-frame command ``(v, w)``."""
        return self.bodies[0].command

    # ---- state
    @property
    def time(self) -> float:
        """Simulated time in seconds."""
        return float(self.data.time)

    @property
    def timestep(self) -> float:
        """Physics step in seconds."""
        return float(self.model.opt.timestep)

    def pose(self, robot: int = 0) -> Tuple[float, float, float]:
        """Ground-truth ``(x, y, yaw)`` of a robot's base_link in the world frame."""
        q, a = self.data.qpos, self.bodies[robot].qadr
        return float(q[a[0]]), float(q[a[1]]), wrap_angle(float(q[a[2]]))

    def velocity(self, robot: int = 0) -> Tuple[float, float, float]:
        """Ground-truth body-frame velocity ``(vx, vy, wz)`` of a robot."""
        v, a = self.data.qvel, self.bodies[robot].vadr
        vx, vy, wz = float(v[a[0]]), float(v[a[1]]), float(v[a[2]])
        yaw = self.pose(robot)[2]
        c, s = math.cos(yaw), math.sin(yaw)
        return c * vx + s * vy, -s * vx + c * vy, wz

    def set_command(self, linear: float, angular: float, robot: int = 0) -> None:
        """Set a robot's body-frame velocity command ``(v, w)``, applied from the next step."""
        self.bodies[robot].command = (float(linear), float(angular))

    def step(self, count: int = 1) -> None:
        """Advance ``count`` steps, rotating each robot's command into the world frame."""
        data, model = self.data, self.model
        bodies = self.bodies
        for _ in range(count):
            for body in bodies:
                linear, angular = body.command
                yaw = data.qpos[body.qadr[2]]
                data.ctrl[body.ctrl[0]] = linear * math.cos(yaw)
                data.ctrl[body.ctrl[1]] = linear * math.sin(yaw)
                data.ctrl[body.ctrl[2]] = angular
            mujoco.mj_step(model, data)
        for index, body in enumerate(bodies):
            if body.held is not None:
                self._carry(index)

    def teleport(self, x: float, y: float, yaw: float, robot: int = 0) -> None:
        """Put a robot at ``(x, y, yaw)`` at rest."""
        body = self.bodies[robot]
        q = self.data.qpos
        q[body.qadr[0]], q[body.qadr[1]], q[body.qadr[2]] = x, y, yaw
        for adr in body.vadr:
            self.data.qvel[adr] = 0.0
        for adr in body.ctrl:
            self.data.ctrl[adr] = 0.0
        body.command = (0.0, 0.0)
        if body.held is not None:
            self._carry(robot)
        mujoco.mj_forward(self.model, self.data)

    def reset_objects(self) -> None:
        """Release anything held and put every object back where the world file put it."""
        for index, body in enumerate(self.bodies):
            if body.held is not None:
                self.release(index)
        for oid, obj in self.objects.items():
            mocap = self._object_mocap[oid]
            self.data.mocap_pos[mocap] = obj.position
            self.data.mocap_quat[mocap] = (math.cos(obj.yaw / 2), 0, 0, math.sin(obj.yaw / 2))
        mujoco.mj_forward(self.model, self.data)

    # ---- contacts
    def contacts(self, robot: int = 0) -> List[Contact]:
        """Return what a robot touches now (one entry per obstacle, deepest contact).

        Another robot is reported by its name (namespace).
        """
        data = self.data
        found: Dict[str, Contact] = {}
        mine = self.bodies[robot].geoms
        for i in range(data.ncon):
            c = data.contact[i]
            g1, g2 = int(c.geom1), int(c.geom2)
            if g1 in mine:
                other = g2
            elif g2 in mine:
                other = g1
            else:
                continue
            name = self.geom_names[other]
            depth = float(-c.dist)
            if name not in found or depth > found[name].depth:
                found[name] = Contact(name, tuple(float(v) for v in c.pos), depth)
        return list(found.values())

    # ---- lidar
    def _lidar_dirs(self, lidar: LidarSpec, samples: int):
        key = (lidar, samples)
        if self._lidar_cache is None or self._lidar_cache[0] != key:
            angles = np.linspace(lidar.angle_min, lidar.angle_max, samples)
            self._lidar_cache = (key, angles, np.zeros(samples, dtype=np.int32),
                                 np.zeros(samples), np.zeros((samples, 3)))
        return self._lidar_cache[1:]

    def scan(self, lidar: LidarSpec, samples: Optional[int] = None,
             range_max: Optional[float] = None, robot: int = 0) -> np.ndarray:
        """Noise-free lidar ranges of a robot (metres; ``inf`` for no return within range)."""
        samples = samples or lidar.samples
        range_max = range_max or lidar.range_max
        angles, geomid, dist, vec = self._lidar_dirs(lidar, samples)
        x, y, yaw = self.pose(robot)
        c, s = math.cos(yaw), math.sin(yaw)
        pnt = np.array([x + c * lidar.x - s * lidar.y, y + s * lidar.x + c * lidar.y, lidar.z])
        heading = angles + (yaw + lidar.yaw)
        vec[:, 0] = np.cos(heading)
        vec[:, 1] = np.sin(heading)
        mujoco.mj_multiRay(self.model, self.data, pnt, vec.reshape(-1), SENSED_GROUPS, 1,
                           self.bodies[robot].body, geomid, dist, None, samples, range_max)
        ranges = dist.copy()
        ranges[(geomid < 0) | (ranges < 0) | (ranges > range_max)] = np.inf
        return ranges

    # ---- logical camera
    def camera_pose(self, camera: CameraSpec, robot: int = 0) -> Tuple[float, float, float, float]:
        """World ``(x, y, z, yaw)`` of a robot's logical camera."""
        x, y, yaw = self.pose(robot)
        c, s = math.cos(yaw), math.sin(yaw)
        return (x + c * camera.x - s * camera.y, y + s * camera.x + c * camera.y, camera.z,
                wrap_angle(yaw + camera.yaw))

    def object_position(self, object_id: str) -> Tuple[float, float, float]:
        """World position of an object's centre."""
        return tuple(float(v) for v in self.data.mocap_pos[self._object_mocap[object_id]])

    def object_yaw(self, object_id: str) -> float:
        """World yaw of an object."""
        w, x, y, z = self.data.mocap_quat[self._object_mocap[object_id]]
        return math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))

    def held_objects(self) -> set:
        """Ids of the objects any robot holds."""
        return {body.held for body in self.bodies if body.held is not None}

    def line_of_sight(self, origin, target_id: str, robot: int = 0) -> bool:
        """Whether the first thing a ray from ``origin`` hits towards the object is the object."""
        target = np.array(self.object_position(target_id))
        origin = np.asarray(origin, dtype=float)
        direction = target - origin
        if np.linalg.norm(direction) < 1e-9:
            return True
        dist = mujoco.mj_ray(self.model, self.data, origin, direction, SENSED_GROUPS, 1,
                             self.bodies[robot].body, self._ray_geomid)
        if dist < 0:
            return False
        return int(self.model.geom_bodyid[self._ray_geomid[0]]) == self._object_body[target_id]

    def camera_view(self, camera: CameraSpec, robot: int = 0) -> List[SeenObject]:
        """Objects in a robot's camera frustum and line of sight, posed in the camera frame."""
        cx, cy, cz, cyaw = self.camera_pose(camera, robot)
        c, s = math.cos(cyaw), math.sin(cyaw)
        half_h = camera.horizontal_fov / 2.0
        half_v = math.atan(math.tan(half_h) / camera.aspect_ratio)
        held = self.held_objects()
        seen = []
        for oid, obj in self.objects.items():
            if oid in held:
                continue
            ox, oy, oz = self.object_position(oid)
            dx, dy, dz = ox - cx, oy - cy, oz - cz
            fx, fy = c * dx + s * dy, -s * dx + c * dy
            if not camera.near <= fx <= camera.far:
                continue
            if abs(math.atan2(fy, fx)) > half_h or abs(math.atan2(dz, fx)) > half_v:
                continue
            if not self.line_of_sight((cx, cy, cz), oid, robot):
                continue
            seen.append(SeenObject(obj, (fx, fy, dz), wrap_angle(self.object_yaw(oid) - cyaw)))
        return seen

    # ---- gripper
    def _grip_point(self, robot: int = 0) -> Tuple[float, float]:
        x, y, yaw = self.pose(robot)
        reach = self.robot.length / 2.0
        return x + math.cos(yaw) * reach, y + math.sin(yaw) * reach

    def objects_in_reach(self, robot: int = 0) -> List[Tuple[float, str]]:
        """``(distance, id)`` of loose objects within reach of a robot's front, nearest first."""
        gx, gy = self._grip_point(robot)
        x, y, yaw = self.pose(robot)
        held = self.held_objects()
        found = []
        for oid, obj in self.objects.items():
            if oid in held:
                continue
            ox, oy, _ = self.object_position(oid)
            ahead = math.cos(yaw) * (ox - x) + math.sin(yaw) * (oy - y)
            dist = math.hypot(ox - gx, oy - gy)
            if ahead > 0 and dist <= self.robot.gripper_reach + max(obj.shape.size[:2]) / 2:
                found.append((dist, oid))
        return sorted(found)

    def grasp(self, object_id: str = '', robot: int = 0) -> Optional[str]:
        """Attach the nearest object in reach (or ``object_id``); return its id or None."""
        body = self.bodies[robot]
        if body.held is not None:
            return None
        for _, oid in self.objects_in_reach(robot):
            if not object_id or oid == object_id:
                body.held = oid
                geom = self._object_geom[oid]
                self.model.geom_group[geom] = GROUP_HELD
                self.model.geom_conaffinity[geom] = 0
                self._carry(robot)
                mujoco.mj_kinematics(self.model, self.data)
                return oid
        return None

    def release(self, robot: int = 0) -> Optional[str]:
        """Put a robot's held object down in front of it; return its id or None."""
        body = self.bodies[robot]
        oid = body.held
        if oid is None:
            return None
        self._carry(robot, lifted=False)
        geom = self._object_geom[oid]
        self.model.geom_group[geom] = GROUP_OBJECT
        self.model.geom_conaffinity[geom] = 1
        body.held = None
        mujoco.mj_kinematics(self.model, self.data)
        return oid

    def _carry(self, robot: int = 0, lifted: bool = True) -> None:
        held = self.bodies[robot].held
        obj = self.objects[held]
        x, y, yaw = self.pose(robot)
        ahead = self.robot.length / 2.0 + max(obj.shape.size[:2]) / 2.0 + 0.02
        if obj.shape.kind == 'cylinder':
            ahead = self.robot.length / 2.0 + obj.shape.size[0] + 0.02
        mocap = self._object_mocap[held]
        z = obj.shape.half_height() + (0.05 if lifted else 0.0)
        self.data.mocap_pos[mocap] = (x + math.cos(yaw) * ahead, y + math.sin(yaw) * ahead, z)
        self.data.mocap_quat[mocap] = (math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2))

    # ---- dock
    def distance_to_dock(self, robot: int = 0) -> float:
        """Distance from a robot's base_link to the dock's centre (inf without a dock)."""
        if self.world.dock is None:
            return math.inf
        x, y, _ = self.pose(robot)
        return math.hypot(x - self.world.dock.x, y - self.world.dock.y)


def world_spawns(world: World, count: int) -> List[Optional[Tuple[float, float, float]]]:
    """Start poses of ``count`` robots: the world's ``spawns`` list, else its one ``spawn``.

    One robot starts at ``spawn`` (or ``spawns[0]``); more need ``spawns`` with
    at least that many entries.
    """
    if count == 1 and world.spawn is not None:
        return [(world.spawn.x, world.spawn.y, world.spawn.yaw)]
    if count == 1 and not world.spawns:
        return [None]
    if len(world.spawns) < count:
        raise ValueError(f'{world.source}: spawns: {count} robots need {count} spawn poses, '
                         f'the world has {len(world.spawns)}')
    return [(p.x, p.y, p.yaw) for p in world.spawns[:count]]

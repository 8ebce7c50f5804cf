"""Write a loaded world as a Gazebo (Harmonic) SDF world; pure, no ROS.

``launch/gazebo.launch.py`` uses it so that Gazebo runs the same world as the
embedded sim: every static geom becomes a static model with one link whose
collision and visual are the geom's shape, and every pickable object a static
model of its own (Gazebo has no gripper here, so objects are obstacles). Named
places and the dock have no SDF form; they stay in the YAML world, which the
orchestrator reads for place names.

The world also loads the systems a Gazebo world needs for the robot model:
physics, user commands (spawning), the scene broadcaster, and sensors (ogre2,
for the lidar).
"""
import math
from typing import Iterable, Tuple
from xml.sax.saxutils import quoteattr

from orchestrator_sim.world.model import Shape, World

WORLD_SYSTEMS = (
    ('gz-sim-physics-system', 'gz::sim::systems::Physics', ''),
    ('gz-sim-user-commands-system', 'gz::sim::systems::UserCommands', ''),
    ('gz-sim-scene-broadcaster-system', 'gz::sim::systems::SceneBroadcaster', ''),
    ('gz-sim-sensors-system', 'gz::sim::systems::Sensors',
     '<render_engine>ogre2</render_engine>'),
)


def quat_rpy(quat: Tuple[float, float, float, float]) -> Tuple[float, float, float]:
    """Roll, pitch, yaw (SDF's fixed-axis x-y-z convention) of quaternion ``(w, x, y, z)``."""
    w, x, y, z = quat
    roll = math.atan2(2.0 * (w * x + y * z), 1.0 - 2.0 * (x * x + y * y))
    pitch = math.asin(max(-1.0, min(1.0, 2.0 * (w * y - z * x))))
    yaw = math.atan2(2.0 * (w * z + x * y), 1.0 - 2.0 * (y * y + z * z))
    return roll, pitch, yaw


def _numbers(values: Iterable[float]) -> str:
    return ' '.join(f'{v:.9g}' for v in values)


def _geometry(shape: Shape) -> str:
    if shape.kind == 'box':
        return f'<box><size>{_numbers(shape.size)}</size></box>'
    if shape.kind == 'cylinder':
        return (f'<cylinder><radius>{shape.size[0]:.9g}</radius>'
                f'<length>{shape.size[1]:.9g}</length></cylinder>')
    if shape.kind == 'sphere':
        return f'<sphere><radius>{shape.size[0]:.9g}</radius></sphere>'
    raise ValueError(f'cannot write a {shape.kind!r} shape as SDF geometry')


def _model(name: str, shape: Shape, position, rpy, rgba) -> str:
    geometry = _geometry(shape)
    colour = _numbers(rgba)
    return (f'    <model name={quoteattr(name)}>\n'
            f'      <static>true</static>\n'
            f'      <pose>{_numbers(tuple(position) + tuple(rpy))}</pose>\n'
            f'      <link name="link">\n'
            f'        <collision name="collision"><geometry>{geometry}</geometry></collision>\n'
            f'        <visual name="visual"><geometry>{geometry}</geometry>\n'
            f'          <material><ambient>{colour}</ambient><diffuse>{colour}</diffuse>'
            f'</material>\n'
            f'        </visual>\n'
            f'      </link>\n'
            f'    </model>\n')


def world_to_sdf(world: World, name: str = '') -> str:
    """Return ``world`` as the text of an SDF 1.9 file with one ``<world>``.

    Plane geoms (floors) become the ground plane; every other geom keeps its
    name, pose and size, so loading the result with the SDF loader gives the
    same geometry back.
    """
    world_name = name or world.name or 'world'
    parts = ['<?xml version="1.0"?>\n',
             f'<!-- written by orchestrator_sim.world.sdf_export from {world.source} -->\n',
             '<sdf version="1.9">\n',
             f'  <world name={quoteattr(world_name)}>\n',
             '    <physics name="1ms" type="ignored">\n'
             '      <max_step_size>0.001</max_step_size>\n'
             '      <real_time_factor>1.0</real_time_factor>\n'
             '    </physics>\n']
    for filename, plugin, inner in WORLD_SYSTEMS:
        parts.append(f'    <plugin filename="{filename}" name="{plugin}">{inner}</plugin>\n')
    parts.append('    <light type="directional" name="sun">\n'
                 '      <cast_shadows>false</cast_shadows>\n'
                 '      <pose>0 0 10 0 0 0</pose>\n'
                 '      <direction>-0.5 0.1 -0.9</direction>\n'
                 '    </light>\n'
                 '    <model name="ground_plane">\n'
                 '      <static>true</static>\n'
                 '      <link name="link">\n'
                 '        <collision name="collision"><geometry><plane><normal>0 0 1</normal>'
                 '<size>100 100</size></plane></geometry></collision>\n'
                 '        <visual name="visual"><geometry><plane><normal>0 0 1</normal>'
                 '<size>100 100</size></plane></geometry></visual>\n'
                 '      </link>\n'
                 '    </model>\n')
    used = {'ground_plane'}
    for geom in world.geoms:
        if geom.shape.kind == 'plane':
            continue
        model_name = _unique(geom.name.replace('::', '__'), used)
        parts.append(_model(model_name, geom.shape, geom.position, quat_rpy(geom.quat),
                            geom.rgba))
    for obj in world.objects:
        model_name = _unique(f'object_{obj.object_id}', used)
        parts.append(_model(model_name, obj.shape, obj.position, (0.0, 0.0, obj.yaw), obj.rgba))
    parts.append('  </world>\n</sdf>\n')
    return ''.join(parts)


def _unique(name: str, used: set) -> str:
    candidate, index = name, 1
    while candidate in used:
        index += 1
        candidate = f'{name}_{index}'
    used.add(candidate)
    return candidate

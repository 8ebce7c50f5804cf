"""Run the stack against Gazebo Harmonic: ``ros2 launch orchestrator_pkg gazebo.launch.py``.

Needs ROS 2 Jazzy with ``ros_gz_sim``, ``ros_gz_bridge`` and ``tf2_ros``
(``ros-jazzy-ros-gz``), see docs/gazebo.md. The stack's nodes come from the
same bringup description as ``bringup.launch.py`` and ``orchestrator run``,
read by ``description.load/resolve``, with the embedded sim (the
``sim_only`` nodes) left out and Gazebo in its place:

- ``ros_gz_sim``'s ``gz_sim.launch.py`` runs the world. A YAML world (the
  default, ``warehouse``) is written to SDF first (``sdf_export``), so Gazebo
  and the orchestrator's place names see the same world; an SDF world is used
  as it is.
- ``ros_gz_sim create`` spawns ``models/<robot>/model.sdf`` as ``robot`` at
  the world's spawn (or ``spawn:=``).
- ``ros_gz_bridge parameter_bridge`` with ``config/gz_bridge.yaml`` gives the
  embedded sim's topics: /clock, scan, odom, tf, battery_state, cmd_vel.
- ``static_transform_publisher`` gives ``base_link -> base_scan`` (from the
  robot preset) and, with ``localization:=truth``, ``map -> odom`` at the
  spawn pose (Gazebo's odometry starts at zero and does not drift, so this is
  the truth); with ``localization:=amcl`` the amcl node publishes it.

Every node runs with ``use_sim_time``. One robot only.
"""
import os
import tempfile

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription, OpaqueFunction
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from orchestrator_pkg.bringup.description import BringupError, load, resolve
from orchestrator_pkg.bringup.launch_actions import node_actions
from orchestrator_sim.resolve import parse_spawn, resolve_world
from orchestrator_sim.robots import load_robot
from orchestrator_sim.world import SDF_SUFFIXES, load_world
from orchestrator_sim.world.sdf_export import world_to_sdf

PACKAGE = 'orchestrator_pkg'
MODEL_NAME = 'robot'  # gz topics in the model SDF and gz_bridge.yaml are /model/robot/...
BRIDGE_CONFIG = 'gz_bridge.yaml'

ARGUMENTS = {
    'bringup': ('bringup.yaml', "bringup description: a file, or a name in this package's config/"),
    'world': ('warehouse', 'world name or .yaml/.world/.sdf file; YAML worlds are written to SDF'),
    'robot': ('small_indoor', 'robot preset; its Gazebo model is models/<robot>/model.sdf'),
    'spawn': ('', "'' = the world's spawn, a place name, or 'x y yaw'"),
    'mission': ('', 'mission name, passed to nodes that read ${mission}'),
    # truth here, not the description's amcl: amcl under Gazebo is untested on our
    # machines (no Gazebo), and it starts at the world's spawn, not at spawn:=
    'localization': ('truth', "truth (a static map -> odom at the spawn: Gazebo's odometry "
                     "starts at zero) or amcl (the amcl node publishes it); '' = the "
                     "description's default (amcl)"),
    'composition': ('', "true: each robot's composable nodes in the containers the description "
                    "names (bringup.yaml: control_container, node_container); '' = the "
                    "description's default (false)"),
    'only': ('', 'comma-separated stack node names to start (default: all but the sim)'),
    'gui': ('false', 'true: also open the Gazebo GUI; false: server only (-s)'),
}


def _share(package):
    return get_package_share_directory(package)


def _world_sdf(world_arg):
    """Return (SDF path for Gazebo, loaded world for the spawn pose)."""
    path = resolve_world(world_arg)
    world = load_world(path)
    if os.path.splitext(path)[1].lower() in SDF_SUFFIXES:
        return path, world
    folder = tempfile.mkdtemp(prefix='orchestrator_gz_')
    sdf_path = os.path.join(folder, f'{world.name}.sdf')
    with open(sdf_path, 'w', encoding='utf-8') as f:
        f.write(world_to_sdf(world))
    return sdf_path, world


def _gazebo_and_bridge(value, localization):
    sdf_path, world = _world_sdf(value['world'])
    robot = load_robot(value['robot'])
    model = os.path.join(_share(PACKAGE), 'models', value['robot'], 'model.sdf')
    if not os.path.isfile(model):
        raise BringupError(f'gazebo.launch.py: robot {value["robot"]!r}: no Gazebo model at '
                           f'{model}')
    x, y, yaw = parse_spawn(value['spawn'], world) or (0.0, 0.0, 0.0)
    # server only: no GUI, and the lidar renders without a display
    server = '' if value['gui'].lower() in ('1', 'true', 'yes') else '-s --headless-rendering '
    lidar = robot.lidar
    sim_time = {'use_sim_time': True}
    return [
        IncludeLaunchDescription(
            PythonLaunchDescriptionSource(
                os.path.join(_share('ros_gz_sim'), 'launch', 'gz_sim.launch.py')),
            launch_arguments={'gz_args': f'-r {server}-v 3 {sdf_path}',
                              'on_exit_shutdown': 'true'}.items()),
        Node(package='ros_gz_sim', executable='create', name='spawn_robot', output='screen',
             arguments=['-file', model, '-name', MODEL_NAME, '-x', str(x), '-y', str(y),
                        '-z', '0.01', '-Y', str(yaw)]),
        Node(package='ros_gz_bridge', executable='parameter_bridge', name='gz_bridge',
             output='screen',
             parameters=[{'config_file': os.path.join(_share(PACKAGE), 'config', BRIDGE_CONFIG),
                          **sim_time}]),
        Node(package='tf2_ros', executable='static_transform_publisher', name='base_scan_tf',
             arguments=['--x', str(lidar.x), '--y', str(lidar.y), '--z', str(lidar.z),
                        '--yaw', str(lidar.yaw), '--frame-id', 'base_link',
                        '--child-frame-id', 'base_scan'],
             parameters=[sim_time]),
    ] + ([] if localization == 'amcl' else [
        Node(package='tf2_ros', executable='static_transform_publisher', name='map_odom_tf',
             arguments=['--x', str(x), '--y', str(y), '--yaw', str(yaw),
                        '--frame-id', 'map', '--child-frame-id', 'odom'],
             parameters=[sim_time])])


def _load(value):
    path = value['bringup']
    if os.path.sep not in path:
        path = os.path.join(_share(PACKAGE), 'config', path)
    return load(path)


def _stack(value, bringup):
    path = bringup.source
    if bringup.robots != 1:
        raise BringupError(f'{path}: gazebo.launch.py runs one robot, the description has '
                           f'{bringup.robots}')
    stack = [node.name for node in bringup.nodes if not node.sim_only]
    only = [name.strip() for name in value['only'].split(',') if name.strip()]
    replaced = sorted(set(only) & {node.name for node in bringup.nodes if node.sim_only})
    if replaced:
        raise BringupError(f'gazebo.launch.py: only: {", ".join(replaced)} is sim-only; '
                           'Gazebo replaces it')
    # sim=True: use_sim_time everywhere; the sim_only nodes are Gazebo's job here
    return node_actions(resolve(bringup, _share, value, sim=True, only=only or stack))


def _nodes(context):
    value = {name: LaunchConfiguration(name).perform(context) for name in ARGUMENTS}
    bringup = _load(value)
    localization = bringup.run_arguments(value).get('localization', '')
    return _gazebo_and_bridge(value, localization) + _stack(value, bringup)


def generate_launch_description():
    """Declare the arguments, Gazebo with the bridge, and the stack's nodes."""
    return LaunchDescription(
        [DeclareLaunchArgument(name, default_value=default, description=text)
         for name, (default, text) in ARGUMENTS.items()]
        + [OpaqueFunction(function=_nodes)])

"""Bring up the stack with ``ros2 launch orchestrator_pkg bringup.launch.py``.

The nodes, parameters, namespaces and respawn policies come from
``config/bringup.yaml`` (or the ``bringup`` argument), read by the same
module that ``orchestrator run`` uses, so both start the same system.

Arguments: bringup, world, robot, robots, rtf, seed, mission, localization,
composition, use_sim, only.
With ``robots:=2`` every robot-scope node runs once in ``robot1`` and once in
``robot2``, and the sim gets ``robots: [robot1, robot2]`` (one body each). The
nodes use relative names, tf included (``tf``, ``tf_static``), so each robot's
stack lives entirely under its namespace.
For example, only the orchestrator and the navigator on a robot whose drivers
and Nav2 run already::

    ros2 launch orchestrator_pkg bringup.launch.py use_sim:=false only:=orchestrator,bt_navigator
"""
import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration

from orchestrator_pkg.bringup.description import load, resolve
from orchestrator_pkg.bringup.launch_actions import node_actions

ARGUMENTS = {
    'bringup': ('bringup.yaml', "bringup description: a file, or a name in this package's config/"),
    'world': ('warehouse', 'world name or .yaml/.world/.sdf file (sim only)'),
    'robot': ('small_indoor', 'robot preset: the sim\'s body and config/robots/<robot>.yaml'),
    'robots': ('0', "number of robots; 0 = the description's"),
    'rtf': ('1.0', 'sim real-time factor; 0 = as fast as possible'),
    'seed': ('0', 'sim random seed'),
    'mission': ('', 'mission name, passed to nodes that read ${mission}'),
    'localization': ('', "amcl (estimated from scans and the map) or truth (map -> odom from "
                     "the sim's ground truth, for debugging); '' = the description's default "
                     '(amcl)'),
    'composition': ('', "true: each robot's composable nodes in the containers the description "
                    "names (bringup.yaml: control_container, node_container); '' = the "
                    "description's default (false)"),
    'use_sim': ('true', 'true: start sim-only nodes and use /clock'),
    'only': ('', 'comma-separated node names to start (default: all), e.g. orchestrator'),
}


def _nodes(context):
    value = {name: LaunchConfiguration(name).perform(context) for name in ARGUMENTS}
    path = value['bringup']
    if os.path.sep not in path:
        path = os.path.join(get_package_share_directory('orchestrator_pkg'), 'config', path)
    bringup = load(path)
    sim = value['use_sim'].lower() in ('1', 'true', 'yes')
    robots = int(value['robots']) or None
    only = [name.strip() for name in value['only'].split(',') if name.strip()]
    return node_actions(resolve(bringup, get_package_share_directory, value, sim=sim,
                                robots=robots, only=only))


def generate_launch_description():
    """Declare the arguments and the nodes of the bringup description."""
    return LaunchDescription(
        [DeclareLaunchArgument(name, default_value=default, description=text)
         for name, (default, text) in ARGUMENTS.items()]
        + [OpaqueFunction(function=_nodes)])

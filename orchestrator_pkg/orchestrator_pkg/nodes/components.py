"""Which of the package's node executables can be composed, and their node classes.

Pure, no ROS import: the bringup description (:mod:`bringup.description`)
checks its ``composable`` nodes against it before anything starts, the runner
builds a container's command line with :func:`container_arguments`, and
:mod:`nodes.node_container` parses it and imports the classes.
"""
from typing import List, Tuple

CONTAINER_PACKAGE = 'orchestrator_pkg'
CONTAINER_EXECUTABLE = 'node_container'
NODE_FLAG = '--node'
ARGS_END = '--'  # rcl's end of a --ros-args section

# executable (setup.py console script) -> module:class (each spins on the one executor thread)
COMPONENTS = {
    'base_driver': 'orchestrator_pkg.nodes.base_driver_node:BaseDriverNode',
    'orchestrator_node': 'orchestrator_pkg.nodes.orchestrator_node:OrchestratorNode',
    'navigator_node': 'orchestrator_pkg.nodes.navigator_node:NavigatorNode',
    'planner_server': 'orchestrator_pkg.nodes.planner_server:PlannerServer',
    'controller_server': 'orchestrator_pkg.nodes.controller_server:ControllerServer',
    'behavior_server': 'orchestrator_pkg.nodes.behavior_server:BehaviorServer',
    'waypoint_follower': 'orchestrator_pkg.nodes.waypoint_follower:WaypointFollower',
    'map_server': 'orchestrator_pkg.nodes.map_server:MapServer',
    'localization_node': 'orchestrator_pkg.nodes.localization_node:LocalizationNode',
    'lifecycle_manager': 'orchestrator_pkg.nodes.lifecycle_manager:LifecycleManager',
    'perception_node': 'orchestrator_pkg.nodes.perception_node:PerceptionNode',
}


class ContainerError(ValueError):
    """A container command line that names no node, or one that cannot be composed."""


def container_arguments(components: List[Tuple[str, List[str]]]) -> List[str]:
    """Return the container's command-line arguments for ``(executable, ros_args)`` pairs."""
    argv = []
    for executable, ros_args in components:
        argv += [NODE_FLAG, executable, *ros_args, ARGS_END]
    return argv


def parse_arguments(argv: List[str]) -> Tuple[List[str], List[Tuple[str, List[str]]]]:
    """Split a container command line into its own arguments and ``(executable, ros_args)``.

    Raises :class:`ContainerError` naming what is wrong: no node, an unknown
    executable, a ``--node`` without one.
    """
    own: List[str] = []
    components: List[Tuple[str, List[str]]] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        if token != NODE_FLAG:
            own.append(token)
            i += 1
            continue
        if i + 1 >= len(argv) or argv[i + 1].startswith('-'):
            raise ContainerError(f'{NODE_FLAG} at argument {i + 1} names no executable')
        executable = argv[i + 1]
        if executable not in COMPONENTS:
            raise ContainerError(f'{NODE_FLAG} {executable}: not a node of this package '
                                 f'(composable: {", ".join(sorted(COMPONENTS))})')
        i += 2
        ros_args = []
        while i < len(argv) and argv[i] != ARGS_END and argv[i] != NODE_FLAG:
            ros_args.append(argv[i])
            i += 1
        if i < len(argv) and argv[i] == ARGS_END:
            i += 1
        components.append((executable, ros_args))
    if not components:
        raise ContainerError(f'no node to run: give {NODE_FLAG} EXECUTABLE [--ros-args ...] '
                             f'{ARGS_END} for each')
    return own, components

"""Composed mode: several of the stack's nodes in one process, on one executor.

The bringup's ``composition`` switch (docs/bringup.md, "Composed mode") starts
the nodes marked ``composable`` in ``node_container`` processes, one per robot
and ``container`` name, instead of one process each. Each node keeps its own name, namespace,
parameter files, overrides and remappings: its command-line ``--ros-args``
become the node's own arguments (rclpy's ``cli_args``), so the graph, the
topics and the parameters are the same as in separate processes::

    node_container --node map_server --ros-args -r __node:=map_server ... --
                   --node lifecycle_manager --ros-args ... --

Each ``--node EXECUTABLE`` is followed by that node's ROS arguments, ended by
``--``; arguments before the first ``--node`` are the process's (rclpy.init).
What runs is looked up in :data:`nodes.components.COMPONENTS` (the executable names of
setup.py); anything else is refused with a message naming it, before any node
starts. The process shuts down as one node process does
(:func:`ros_edge.main.run_nodes`): each node's own teardown, then exit.

rclpy has one interpreter lock per process, so the composed nodes share one
core: compose nodes whose callbacks are short, and split the stack's CPU
between containers (the default bringup has two; docs/performance.md has the
figures).
"""
import importlib
import sys
from typing import List

from orchestrator_pkg.nodes.components import COMPONENTS, ContainerError, parse_arguments
from orchestrator_pkg.ros_edge.main import NodeExecutor, run_nodes


def node_class(executable: str):
    """Import and return the node class of ``executable``."""
    module, _, name = COMPONENTS[executable].partition(':')
    return getattr(importlib.import_module(module), name)


def _factory(executable: str, ros_args: List[str]):
    cls = node_class(executable)

    def make():
        return cls(cli_args=list(ros_args))
    make.__name__ = executable  # names the node in a one-line start-up error
    return make


def main(args=None) -> int:
    """Run the composed nodes of the command line; exit code as for one node."""
    argv = sys.argv[1:] if args is None else list(args)
    try:
        own, components = parse_arguments(argv)
    except ContainerError as exc:
        print(f'node_container: {exc}', file=sys.stderr)
        return 2
    return run_nodes([_factory(exe, ros_args) for exe, ros_args in components],
                     [sys.argv[0], *own], NodeExecutor, exit_process=True)


if __name__ == '__main__':
    sys.exit(main())

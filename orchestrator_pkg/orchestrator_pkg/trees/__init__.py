"""Behaviour trees as data: BehaviorTree.CPP v4 XML loaded onto py_trees (pure, no ROS).

The public entry points are re-exported here::

    from orchestrator_pkg.trees import default_registry, load_file
    document = load_file('mission.xml', default_registry())
    built = document.build()
    built.tree.tick()
"""
from orchestrator_pkg.trees.blackboard import Blackboard
from orchestrator_pkg.trees.clock import Clock, ManualClock, MonotonicClock
from orchestrator_pkg.trees.failure import Failure, FailureCode, find_failure
from orchestrator_pkg.trees.loader import (
    BuiltTree,
    Problem,
    TreeDocument,
    TreeLoadError,
    load_file,
    load_string,
    validate_file,
    validate_string,
)
from orchestrator_pkg.trees.ports import PortError, PortSpec, register_port_type
from orchestrator_pkg.trees.registry import (
    BuildContext,
    NodeSpec,
    Registry,
    RegistryError,
    default_registry,
)
from orchestrator_pkg.trees.runner import MissionRunner

__all__ = [
    'Blackboard', 'BuildContext', 'BuiltTree', 'Clock', 'Failure', 'FailureCode',
    'ManualClock', 'MissionRunner', 'MonotonicClock', 'NodeSpec', 'PortError', 'PortSpec',
    'Problem',
    'Registry', 'RegistryError', 'TreeDocument', 'TreeLoadError', 'default_registry',
    'find_failure', 'load_file', 'load_string', 'register_port_type', 'validate_file',
    'validate_string',
]

"""Behaviour trees as data: BehaviorTree.CPP v4 XML loaded onto py_trees (pure, no ROS).

The engine's public entry points are re-exported here; the registry of node
types comes from the library (:mod:`orchestrator_pkg.behaviours.plugins`)::

    from orchestrator_pkg.behaviours.plugins import default_registry
    from orchestrator_pkg.trees import load_file
    document = load_file('mission.xml', default_registry())
    built = document.build()
    built.tree.tick()
"""
from orchestrator_pkg.trees.blackboard import Blackboard
from orchestrator_pkg.trees.clock import Clock, ManualClock, MonotonicClock
from orchestrator_pkg.trees.failure import Failure, FailureCode, find_failure
from orchestrator_pkg.trees.loader import (
    Problem,
    TreeDocument,
    TreeLoadError,
    load_file,
    load_string,
    validate_file,
    validate_string,
)
from orchestrator_pkg.trees.ports import PortError, PortSpec, PortTypes
from orchestrator_pkg.trees.registry import BuildContext, NodeSpec, Registry, RegistryError
from orchestrator_pkg.trees.runner import MissionRunner
from orchestrator_pkg.trees.runtime import BuiltTree

__all__ = [
    'Blackboard', 'BuildContext', 'BuiltTree', 'Clock', 'Failure', 'FailureCode',
    'ManualClock', 'MissionRunner', 'MonotonicClock', 'NodeSpec', 'PortError', 'PortSpec',
    'PortTypes', 'Problem', 'Registry', 'RegistryError', 'TreeDocument', 'TreeLoadError',
    'find_failure', 'load_file', 'load_string', 'validate_file', 'validate_string',
]

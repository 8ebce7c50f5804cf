"""Register every Nav2 node type (the ``orchestrator.behaviours`` entry point ``nav2``).

Named in setup.py as ``nav2 = orchestrator_pkg.behaviours.nav2.register:register``.
"""
from orchestrator_pkg.behaviours.nav2 import actions, conditions, nodes, selectors
from orchestrator_pkg.behaviours.ros.port_types import register_message_port_types
from orchestrator_pkg.trees.registry import NodeSpec


def register(registry) -> None:
    """Add the Nav2 node types (and the message port types they use) to ``registry``."""
    register_message_port_types(registry)
    for module in (actions, selectors, conditions):
        for type_name, category, ports, build, description in module.specs():
            registry.register(NodeSpec(type_name, category, tuple(ports), build, description,
                                       0, 0))
    for type_name, category, ports, build, description, low, high in nodes.specs():
        registry.register(NodeSpec(type_name, category, tuple(ports), build, description,
                                   low, high))

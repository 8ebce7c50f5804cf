"""Every Nav2 node type that Nav2's own (Jazzy) behavior trees use.

Registered through the ``orchestrator.behaviours`` entry point
``nav2 = orchestrator_pkg.behaviours.nav2:register``. Control nodes that Nav2
adds to BT.CPP (PipelineSequence, RecoveryNode, RoundRobin, RateController)
are engine builtins and not registered here.
"""
from orchestrator_pkg.behaviours.nav2 import actions, nodes
from orchestrator_pkg.behaviours.ros.port_types import register_message_port_types
from orchestrator_pkg.trees.registry import NodeSpec


def register(registry) -> None:
    """Add the Nav2 node types (and the message port types they use) to ``registry``."""
    register_message_port_types(registry)
    for type_name, category, ports, build, description in actions.specs():
        registry.register(NodeSpec(type_name, category, tuple(ports), build, description, 0, 0))
    for type_name, category, ports, build, description, low, high in nodes.specs():
        registry.register(NodeSpec(type_name, category, tuple(ports), build, description,
                                   low, high))

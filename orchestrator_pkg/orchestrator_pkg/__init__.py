"""The orchestrator stack: behaviour-tree orchestrator, navigation and robot nodes."""
from orchestrator_sim.lean_typesupport import defer_codegen

defer_codegen()  # before any message type is used: see orchestrator_sim.lean_typesupport

__version__ = '0.1.0'

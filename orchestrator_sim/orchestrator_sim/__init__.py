"""The embedded MuJoCo world of the orchestrator stack."""
from orchestrator_sim.lean_typesupport import defer_codegen

defer_codegen()  # before any message type is used: see lean_typesupport

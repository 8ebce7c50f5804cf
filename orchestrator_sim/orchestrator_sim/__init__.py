"""The embedded MuJoCo world of the orchestrator stack."""

"""Structured failure reasons, a pure mirror of orchestrator_interfaces/msg/FailureReason."""
from dataclasses import dataclass

NONE = 0
UNKNOWN = 1
INVALID_TREE = 2
UNKNOWN_MISSION = 3
INVALID_INPUT = 4
SERVER_UNAVAILABLE = 5
GOAL_REJECTED = 6
ACTION_FAILED = 7
TIMEOUT = 8
CANCELED = 9
CONDITION_FAILED = 10
EXCEPTION = 11


@dataclass
class Failure:
    """Why one node failed: where, what kind, the server's own code, and a message."""

    node_path: str = ''
    node_type: str = ''
    code: int = UNKNOWN
    leaf_error_code: int = 0
    leaf_interface: str = ''
    message: str = ''

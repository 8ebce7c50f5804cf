"""Structured failure reasons, a pure mirror of ``orchestrator_interfaces/msg/FailureReason``.

A behaviour that fails may set ``behaviour.failure = Failure(...)``. Control
nodes of this package record which child caused their own FAILURE
(``behaviour.failure_cause``), so :func:`find_failure` can walk from the root
down to the leaf that really failed, even when other children failed earlier
and were recovered.
"""
from dataclasses import dataclass
import enum

import py_trees


class FailureCode(enum.IntEnum):
    """The ``code`` values of FailureReason.msg (same numbers)."""

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
    SERVER_DIED = 12  # the server of a goal in flight left the ROS graph (issue 12)
    TICK_BUDGET_EXCEEDED = 13


@dataclass(frozen=True)
class Failure:
    """Why a node failed: path, type, orchestrator code and the leaf's own error code."""

    node_path: str = ''
    node_type: str = ''
    code: int = FailureCode.UNKNOWN
    leaf_error_code: int = 0
    leaf_interface: str = ''
    message: str = ''


def find_failure(built_tree) -> Failure:
    """Return the Failure of the deepest node responsible for the root's FAILURE.

    ``built_tree`` is a :class:`~orchestrator_pkg.trees.runtime.BuiltTree`. The
    walk follows ``failure_cause`` links recorded by the control nodes; where a
    node has none (a leaf, or a node that failed on its own, such as Timeout),
    that node is the culprit. Its own ``failure`` is returned with the path and
    type filled in; without one, a generic Failure names the node.
    """
    node = built_tree.root
    seen = 0
    while True:
        cause = getattr(node, 'failure_cause', None)
        if cause is None or seen > 10_000:
            break
        node = cause
        seen += 1
    path = built_tree.path_of(node)
    node_type = built_tree.type_of(node)
    own = getattr(node, 'failure', None)
    if isinstance(own, Failure):
        return Failure(node_path=own.node_path or path, node_type=own.node_type or node_type,
                       code=own.code, leaf_error_code=own.leaf_error_code,
                       leaf_interface=own.leaf_interface, message=own.message)
    spec_category = built_tree.category_of(node)
    code = FailureCode.CONDITION_FAILED if spec_category == 'condition' else FailureCode.UNKNOWN
    status = node.status
    reason = node.feedback_message or (
        'returned FAILURE' if status == py_trees.common.Status.FAILURE else 'failed')
    return Failure(node_path=path, node_type=node_type, code=int(code),
                   message=f'{node_type} "{node.name}" {reason}')

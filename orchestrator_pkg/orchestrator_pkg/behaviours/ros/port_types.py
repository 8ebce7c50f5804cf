"""Port types for ROS messages that only ever come from the blackboard.

A pose or a path cannot be written as an XML literal; their converters
reject every string with a reason, so validation reports such a literal.
"""
from geometry_msgs.msg import PoseStamped
from nav_msgs.msg import Path

from orchestrator_pkg.trees.ports import register_port_type


def _blackboard_only(kind: str):
    def convert(text: str):
        raise ValueError(f'a {kind} cannot be a literal ("{text}"); '
                         'give a blackboard reference such as {goal}')
    return convert


def register_message_port_types() -> None:
    """Register ``pose_stamped``, ``pose_stamped_list`` and ``path`` (idempotent)."""
    register_port_type('pose_stamped', _blackboard_only('geometry_msgs/PoseStamped'),
                       native=(PoseStamped,))
    register_port_type('pose_stamped_list', _blackboard_only('list of PoseStamped'),
                       native=(list, tuple))
    register_port_type('path', _blackboard_only('nav_msgs/Path'), native=(Path,))

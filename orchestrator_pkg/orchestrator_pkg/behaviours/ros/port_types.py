"""Port types for ROS messages.

``pose_stamped`` accepts Nav2's string form (nav2_behavior_tree's
bt_conversions): nine fields separated by ``;`` --
``stamp_ns;frame_id;x;y;z;qx;qy;qz;qw`` -- so a pose can be an XML literal
or a mission input. A path or a list of poses cannot be written as a
literal; their converters reject every string with a reason, so validation
reports such a literal.
"""
from geometry_msgs.msg import PoseStamped
from nav_msgs.msg import Path

from orchestrator_pkg.planning.frames import parse_pose_string


def pose_from_string(text: str) -> PoseStamped:
    """Parse Nav2's ``stamp_ns;frame_id;x;y;z;qx;qy;qz;qw``; ``ValueError`` with a reason."""
    stamp_ns, frame_id, numbers = parse_pose_string(text)
    pose = PoseStamped()
    pose.header.stamp.sec, pose.header.stamp.nanosec = divmod(stamp_ns, 1_000_000_000)
    pose.header.frame_id = frame_id
    position, orientation = pose.pose.position, pose.pose.orientation
    position.x, position.y, position.z = numbers[0:3]
    orientation.x, orientation.y, orientation.z, orientation.w = numbers[3:7]
    return pose


def _blackboard_only(kind: str):
    def convert(text: str):
        raise ValueError(f'a {kind} cannot be a literal ("{text}"); '
                         'give a blackboard reference such as {path}')
    return convert


def register_message_port_types(registry) -> None:
    """Add ``pose_stamped``, ``pose_stamped_list`` and ``path`` to ``registry`` (idempotent)."""
    registry.register_port_type('pose_stamped', pose_from_string, native=(PoseStamped,))
    registry.register_port_type('pose_stamped_list', _blackboard_only('list of PoseStamped'),
                                native=(list, tuple))
    registry.register_port_type('path', _blackboard_only('nav_msgs/Path'), native=(Path,))

"""Port types for ROS messages.

``pose_stamped`` accepts Nav2's string form (nav2_behavior_tree's
bt_conversions): nine fields separated by ``;`` --
``stamp_ns;frame_id;x;y;z;qx;qy;qz;qw`` -- so a pose can be an XML literal
or a mission input. A path or a list of poses cannot be written as a
literal; their converters reject every string with a reason, so validation
reports such a literal.
"""
import math

from geometry_msgs.msg import PoseStamped
from nav_msgs.msg import Path

POSE_FORMAT = 'stamp_ns;frame_id;x;y;z;qx;qy;qz;qw'


def pose_from_string(text: str) -> PoseStamped:
    """Parse Nav2's ``stamp_ns;frame_id;x;y;z;qx;qy;qz;qw``; ``ValueError`` with a reason."""
    parts = [part.strip() for part in text.split(';')]
    if len(parts) != 9:
        raise ValueError(f'"{text}" is not a pose: expected 9 fields "{POSE_FORMAT}" '
                         f'(got {len(parts)}), or a blackboard reference such as {{goal}}')
    try:
        stamp_ns = int(parts[0])
        numbers = [float(part) for part in parts[2:]]
    except ValueError:
        raise ValueError(f'"{text}" is not a pose: stamp must be an integer and x..qw '
                         f'numbers ("{POSE_FORMAT}")') from None
    if not all(math.isfinite(n) for n in numbers) or stamp_ns < 0:
        raise ValueError(f'"{text}" is not a pose: non-finite number or negative stamp')
    pose = PoseStamped()
    pose.header.stamp.sec, pose.header.stamp.nanosec = divmod(stamp_ns, 1_000_000_000)
    pose.header.frame_id = parts[1]
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

"""Conversions at the ROS boundary, each defined once.

Yaw and quaternions (REP-103: yaw about z; the arithmetic is
:func:`orchestrator_pkg.planning.frames.yaw_of`), durations and stamps,
PoseStamped and paths, a costmap as an OccupancyGrid or as a
nav2_msgs/Costmap, a LaserScan as the costmap's scan input.

Durations follow rclpy's ``Duration(seconds=s).to_msg()``: ``int(s * 1e9)``
nanoseconds (truncated), split into ``sec`` and ``nanosec``; a negative
duration is 0 and a non-finite or too long one (beyond int32 seconds) is a
``ValueError``.
"""
import array
import math

from builtin_interfaces.msg import Duration
from geometry_msgs.msg import PoseStamped, Quaternion
from nav2_msgs.msg import Costmap
from nav_msgs.msg import OccupancyGrid
import numpy as np

from orchestrator_pkg.planning.costmap import LaserScanData
from orchestrator_pkg.planning.frames import yaw_of

NS_PER_S = 1_000_000_000
MAX_DURATION_S = 2 ** 31 - 1  # builtin_interfaces/Duration.sec is an int32


def quaternion_to_yaw(q) -> float:
    """Yaw (rad) of a geometry_msgs/Quaternion."""
    return yaw_of(q.x, q.y, q.z, q.w)


def yaw_to_quaternion(yaw: float) -> Quaternion:
    """Quaternion for a rotation about z."""
    return Quaternion(z=math.sin(yaw / 2.0), w=math.cos(yaw / 2.0))


def duration_parts(seconds: float):
    """Return ``(sec, nanosec)`` of ``seconds`` by the rule in the module docstring."""
    seconds = float(seconds)
    if not math.isfinite(seconds) or seconds > MAX_DURATION_S:
        raise ValueError(f'{seconds!r} s is not a duration (finite, at most '
                         f'{MAX_DURATION_S} s)')
    return divmod(int(max(seconds, 0.0) * NS_PER_S), NS_PER_S)


def to_duration(seconds: float) -> Duration:
    """builtin_interfaces/Duration of ``seconds``."""
    sec, nanosec = duration_parts(seconds)
    return Duration(sec=sec, nanosec=nanosec)


def seconds_of(stamp) -> float:
    """Seconds of a builtin_interfaces/Time or Duration."""
    return stamp.sec + stamp.nanosec * 1e-9


def pose_stamped(frame_id: str, x: float, y: float, yaw: float, stamp=None) -> PoseStamped:
    """PoseStamped at ``(x, y)`` facing ``yaw`` in ``frame_id`` (stamp zero unless given)."""
    pose = PoseStamped()
    pose.header.frame_id = frame_id
    if stamp is not None:
        pose.header.stamp = stamp
    pose.pose.position.x = float(x)
    pose.pose.position.y = float(y)
    pose.pose.orientation = yaw_to_quaternion(yaw)
    return pose


def path_poses(points: np.ndarray, frame_id: str, stamp, goal_yaw=None):
    """PoseStamped list along a polyline, each facing the next point."""
    out = []
    n = len(points)
    for i, (x, y) in enumerate(points):
        if i + 1 < n:
            yaw = math.atan2(points[i + 1][1] - y, points[i + 1][0] - x)
        elif goal_yaw is not None:
            yaw = goal_yaw
        elif n > 1:
            yaw = math.atan2(y - points[i - 1][1], x - points[i - 1][0])
        else:
            yaw = 0.0
        out.append(pose_stamped(frame_id, x, y, yaw, stamp))
    return out


def costmap_to_grid(costmap, frame_id: str, stamp):
    """nav_msgs/OccupancyGrid view of a costmap, with Nav2's cost translation.

    0 -> 0, 1..252 -> 1..98, 253 (inscribed) -> 99, 254 (lethal) -> 100,
    255 (unknown) -> -1.
    """
    data = costmap.data.astype(np.int16)
    out = np.where(data == 0, 0, 1 + (data - 1) * 97 // 251)
    out[data == 253] = 99
    out[data == 254] = 100
    out[data == 255] = -1
    msg = OccupancyGrid()
    msg.header.frame_id = frame_id
    msg.header.stamp = stamp
    msg.info.resolution = float(costmap.resolution)
    msg.info.width = costmap.width
    msg.info.height = costmap.height
    msg.info.origin.position.x = costmap.origin_x
    msg.info.origin.position.y = costmap.origin_y
    msg.info.origin.orientation.w = 1.0
    msg.data = out.astype(np.int8).ravel().tolist()
    return msg


def costmap_to_msg(costmap, frame_id: str, stamp, layer: str = 'master'):
    """nav2_msgs/Costmap of a costmap (GetCostmap's answer): the raw costs, as Nav2 sends them.

    0 free, 1..252 inflated, 253 inscribed, 254 lethal, 255 unknown; row-major
    from cell (0, 0); the metadata's times are ``stamp`` and its origin is the
    pose of cell (0, 0)'s corner, unrotated.
    """
    msg = Costmap()
    msg.header.frame_id = frame_id
    msg.header.stamp = stamp
    meta = msg.metadata
    meta.map_load_time = stamp
    meta.update_time = stamp
    meta.layer = layer
    meta.resolution = float(costmap.resolution)
    meta.size_x = costmap.width
    meta.size_y = costmap.height
    meta.origin.position.x = costmap.origin_x
    meta.origin.position.y = costmap.origin_y
    meta.origin.orientation.w = 1.0
    msg.data = array.array('B', costmap.data.astype(np.uint8).tobytes())
    return msg


def scan_data(msg) -> LaserScanData:
    """Convert a sensor_msgs/LaserScan into the obstacle layer input."""
    return LaserScanData(np.asarray(msg.ranges, dtype=float), msg.angle_min,
                         msg.angle_increment, msg.range_min, msg.range_max)


class ScanPose:
    """Pose of the scanner in the odom frame from the robot pose and a fixed mount offset."""

    def __init__(self, x_m: float, y_m: float, yaw: float):
        self.x, self.y, self.yaw = x_m, y_m, yaw

    def sensor_pose(self, rx: float, ry: float, ryaw: float):
        """Return (x, y, yaw) of base_scan for a base_link pose."""
        c, s = math.cos(ryaw), math.sin(ryaw)
        return rx + c * self.x - s * self.y, ry + s * self.x + c * self.y, ryaw + self.yaw

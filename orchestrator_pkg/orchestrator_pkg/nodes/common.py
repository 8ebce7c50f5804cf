"""Small helpers the navigation nodes share: QoS and message conversions."""
import math

from builtin_interfaces.msg import Duration
from geometry_msgs.msg import PoseStamped, Quaternion
from nav_msgs.msg import OccupancyGrid
import numpy as np
from rclpy.qos import (
    DurabilityPolicy,
    HistoryPolicy,
    QoSProfile,
    ReliabilityPolicy,
    qos_profile_sensor_data,
)

from orchestrator_pkg.planning.costmap import LaserScanData

MAP_QOS = QoSProfile(depth=1, history=HistoryPolicy.KEEP_LAST,
                     reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL)
SENSOR_QOS = qos_profile_sensor_data


def yaw_to_quaternion(yaw: float) -> Quaternion:
    """Quaternion for a rotation about z."""
    return Quaternion(z=math.sin(yaw / 2.0), w=math.cos(yaw / 2.0))


def quaternion_to_yaw(q) -> float:
    """Yaw (rad) of a quaternion."""
    return math.atan2(2.0 * (q.w * q.z + q.x * q.y), 1.0 - 2.0 * (q.y * q.y + q.z * q.z))


def to_duration(seconds: float) -> Duration:
    """builtin_interfaces/Duration from seconds."""
    seconds = max(0.0, seconds)
    sec = int(seconds)
    return Duration(sec=sec, nanosec=int((seconds - sec) * 1e9))


def duration_s(d) -> float:
    """Seconds of a builtin_interfaces/Duration."""
    return d.sec + d.nanosec * 1e-9


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


def scan_data(msg) -> LaserScanData:
    """Convert a sensor_msgs/LaserScan into the obstacle layer input."""
    return LaserScanData(np.asarray(msg.ranges, dtype=float), msg.angle_min,
                         msg.angle_increment, msg.range_min, msg.range_max)


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
        ps = PoseStamped()
        ps.header.frame_id = frame_id
        ps.header.stamp = stamp
        ps.pose.position.x = float(x)
        ps.pose.position.y = float(y)
        ps.pose.orientation = yaw_to_quaternion(yaw)
        out.append(ps)
    return out


class ScanPose:
    """Pose of the scanner in the odom frame from the robot pose and a fixed mount offset."""

    def __init__(self, x_m: float, y_m: float, yaw: float):
        self.x, self.y, self.yaw = x_m, y_m, yaw

    def sensor_pose(self, rx: float, ry: float, ryaw: float):
        """Return (x, y, yaw) of base_scan for a base_link pose."""
        c, s = math.cos(ryaw), math.sin(ryaw)
        return rx + c * self.x - s * self.y, ry + s * self.x + c * self.y, ryaw + self.yaw

"""Real processes: the global and local costmaps mark a scan from the pose at its stamp.

On a loaded machine a scan reaches a costmap's node late. Marked from the
robot's latest pose, a turning robot's scan swept obstacles across the map:
in a CI run a shelf was marked on the pickup goal (planning failed, 206). Here
planner_server (global costmap, tf) and controller_server (local costmap,
odometry) run as processes; this test is the robot: it turns in place, sends
a scan stamped before the turn only after it, and a scan stamped before its
pose exists. Both costmaps must mark each hit where it was at the scan's stamp.
"""
import math
import os
import signal

from geometry_msgs.msg import TransformStamped
from nav2_msgs.srv import GetCostmap
from nav_helpers import TIMEOUT_S, call, node_cmd, spin_until
from nav_msgs.msg import Odometry
import numpy as np
import pytest
import rclpy
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import LaserScan
from tf2_msgs.msg import TFMessage

from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.testing.processes import ManagedProcess

COSTMAPS = ('global_costmap/get_costmap', 'local_costmap/get_costmap')


def _stamp(msg, t):
    msg.sec, msg.nanosec = int(t), int(round((t - int(t)) * 1e9))


@pytest.fixture()
def servers(ros_domain):
    env = ros_domain.env()
    planner = ManagedProcess(node_cmd('planner_server', 'global_frame:=odom',
                                      "object_topic:=''",
                                      'costmap_publish_frequency_hz:=0.0'),
                             env=env)
    controller = ManagedProcess(node_cmd('controller_server',
                                         'costmap_publish_frequency_hz:=0.0'), env=env)
    with planner, controller:
        for proc in (planner, controller):
            assert proc.wait_for_output('ready (active)', TIMEOUT_S), proc.output()[-3000:]
        rclpy.init(domain_id=ros_domain.domain_id)
        node = rclpy.create_node('scan_stamp_robot')
        try:
            yield node, (planner, controller)
        finally:
            destroy_node_and_waitables(node)
            rclpy.shutdown()
    assert planner.returncode == 0, planner.output()[-3000:]
    assert controller.returncode == 0, controller.output()[-3000:]


class _Robot:
    """Publishes odom -> base_link on tf and odom, and scans, as a base does."""

    def __init__(self, node):
        self.node = node
        self.tf = node.create_publisher(TFMessage, 'tf', 100)
        self.odom = node.create_publisher(Odometry, 'odom', 100)
        self.scan = node.create_publisher(LaserScan, 'scan', qos_profile_sensor_data)

    def pose(self, t, x, y, yaw):
        tf = TransformStamped()
        _stamp(tf.header.stamp, t)
        tf.header.frame_id, tf.child_frame_id = 'odom', 'base_link'
        tf.transform.translation.x, tf.transform.translation.y = x, y
        tf.transform.rotation.z, tf.transform.rotation.w = math.sin(yaw / 2), math.cos(yaw / 2)
        self.tf.publish(TFMessage(transforms=[tf]))
        odom = Odometry()
        odom.header = tf.header
        odom.child_frame_id = 'base_link'
        odom.pose.pose.position.x, odom.pose.pose.position.y = x, y
        odom.pose.pose.orientation = tf.transform.rotation
        self.odom.publish(odom)

    def sees_ahead(self, t, distance_m):
        """One beam straight ahead of base_link (the lidar is at its centre)."""
        scan = LaserScan(angle_min=0.0, angle_max=0.0, angle_increment=0.01, range_min=0.1,
                         range_max=10.0, ranges=[distance_m])
        _stamp(scan.header.stamp, t)
        scan.header.frame_id = 'base_scan'
        self.scan.publish(scan)


def _lethal(node, client, x, y):
    """Whether a lethal cell lies within 0.08 m of ``(x, y)`` (a hit on a cell boundary)."""
    msg = call(node, client, GetCostmap.Request()).map
    meta = msg.metadata
    costs = np.frombuffer(bytes(msg.data), dtype=np.uint8).reshape(meta.size_y, meta.size_x)
    rows, cols = np.nonzero(costs == 254)
    cx = meta.origin.position.x + (cols + 0.5) * meta.resolution
    cy = meta.origin.position.y + (rows + 0.5) * meta.resolution
    return bool(np.any(np.hypot(cx - x, cy - y) < 0.08))


def test_a_late_scan_and_an_early_scan_are_marked_where_they_were_seen(servers):
    node, procs = servers
    robot = _Robot(node)
    clients = [node.create_client(GetCostmap, name) for name in COSTMAPS]
    for client in clients:
        assert client.wait_for_service(timeout_sec=TIMEOUT_S)
    for pub, readers in ((robot.tf, 2), (robot.odom, 1), (robot.scan, 2)):
        assert spin_until(node, lambda p=pub, n=readers: p.get_subscription_count() >= n,
                          TIMEOUT_S), f'{pub.topic_name}: the servers never subscribed'
    # the robot at the origin turns from +x to +y in 1 s (1.57 rad/s), while the
    # controller is starved (stopped): its odometry queue must keep the whole burst
    # (a CI run lost the oldest poses of it, and the late scan could not be placed)
    controller = procs[1]
    os.kill(controller.pid, signal.SIGSTOP)
    try:
        for i in range(21):
            robot.pose(1.0 + i * 0.05, 0.0, 0.0, math.pi / 2 * i / 20)
        spin_until(node, lambda: False, 0.5)
    finally:
        os.kill(controller.pid, signal.SIGCONT)
    spin_until(node, lambda: False, 0.5)
    # a scan taken at t=1.0 (facing +x) arrives only now, after the turn
    for name, client in zip(COSTMAPS, clients, strict=True):
        # (sent again until it is seen: scans are best effort)
        assert spin_until(node, lambda c=client: robot.sees_ahead(1.0, 1.0) or
                          _lethal(node, c, 1.0, 0.0), TIMEOUT_S), \
            f'{name}: the late scan was not marked at (1, 0), where it was seen'
        assert not _lethal(node, client, 0.0, 1.0), \
            f'{name}: the late scan was marked from the pose after the turn'
    # a scan stamped t=3.0 comes before the robot's pose at 3.0 (it drove to x=0.5)
    robot.sees_ahead(3.0, 1.5)
    spin_until(node, lambda: False, 0.3)
    for t in (2.5, 3.0, 3.05):
        robot.pose(t, 0.5 * (t - 2.0) if t < 3.0 else 0.5, 0.0, math.pi / 2)
    for name, client in zip(COSTMAPS, clients, strict=True):
        # the global costmap retries a waiting scan when the next one comes
        assert spin_until(node, lambda c=client: robot.sees_ahead(3.05, 1.5) or
                          _lethal(node, c, 0.5, 1.5), TIMEOUT_S), \
            f'{name}: the scan at t=3.0 was not marked at (0.5, 1.5)'
        assert not _lethal(node, client, 0.0, 1.5) and not _lethal(node, client, 0.0, 1.0), \
            f'{name}: a scan was marked from a pose other than its stamp\'s'
    for proc in procs:
        assert 'not marked' not in proc.output(), proc.output()[-2000:]

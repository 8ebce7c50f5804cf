"""Bad inputs to the localization and perception nodes: clear errors, never a crash.

The nodes run as real processes; the test publishes the inputs (no sim needed).
"""
import math
import sys
import time

from geometry_msgs.msg import PoseWithCovarianceStamped, TransformStamped
from loc_helpers import WAIT_S
from nav_msgs.msg import OccupancyGrid, Odometry
import rclpy
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import LaserScan
from std_srvs.srv import Empty
from tf2_msgs.msg import TFMessage

from orchestrator_interfaces.msg import Detection, DetectionArray
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.ros_edge.qos import LATCHED_QOS
from orchestrator_pkg.testing.processes import ManagedProcess

LATCHED = QoSProfile(depth=10, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                     reliability=ReliabilityPolicy.RELIABLE)


def spin_until_output(node, proc, text, timeout_s=WAIT_S, every=None):
    """Spin ``node`` until ``proc`` printed ``text``; fail with its output otherwise."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.05)
        if every is not None:
            every()
        if text in proc.output():
            return
        assert proc.poll() is None, proc.output()
    raise AssertionError(f'no {text!r} within {timeout_s} s:\n{proc.output()}')


def grid(width, height):
    """Return a room: free inside, walls on the border, 0.1 m cells, origin (0, 0)."""
    msg = OccupancyGrid()
    msg.header.frame_id = 'map'
    msg.info.resolution = 0.1
    msg.info.width, msg.info.height = width, height
    msg.info.origin.orientation.w = 1.0
    data = [0] * (width * height)
    for r in range(height):
        for c in range(width):
            if r in (0, height - 1) or c in (0, width - 1):
                data[r * width + c] = 100
    msg.data = data
    return msg


def transform(parent, child, x=0.0, y=0.0, stamp=None):
    t = TransformStamped()
    t.header.frame_id, t.child_frame_id = parent, child
    if stamp is not None:
        t.header.stamp = stamp
    t.transform.translation.x, t.transform.translation.y = x, y
    t.transform.rotation.w = 1.0
    return t


def test_localization_node_reports_bad_inputs_and_keeps_running(ros_domain):
    loc = ManagedProcess([sys.executable, '-m', 'orchestrator_pkg.nodes.localization_node'],
                         env=ros_domain.env())
    with loc:
        assert loc.wait_for_output('amcl ready', WAIT_S), loc.output()
        rclpy.init(domain_id=ros_domain.domain_id)
        node = rclpy.create_node('bad_input_test')
        try:
            map_pub = node.create_publisher(OccupancyGrid, 'map', LATCHED_QOS)
            init_pub = node.create_publisher(PoseWithCovarianceStamped, 'initialpose', 10)
            scan_pub = node.create_publisher(LaserScan, 'scan', 10)
            odom_pub = node.create_publisher(Odometry, 'odom', 10)
            static_pub = node.create_publisher(TFMessage, 'tf_static', LATCHED)
            static_pub.publish(TFMessage(transforms=[transform('base_link', 'base_scan')]))
            # an empty map
            map_pub.publish(grid(0, 0))
            spin_until_output(node, loc, 'map: empty map')
            # a map that is all unknown
            unknown = grid(5, 5)
            unknown.data = [-1] * 25
            map_pub.publish(unknown)
            spin_until_output(node, loc, 'no free cell')
            # a usable map; then an initial pose outside it
            map_pub.publish(grid(40, 30))
            spin_until_output(node, loc, 'map received')
            init = PoseWithCovarianceStamped()
            init.header.frame_id = 'map'
            init.pose.pose.position.x = 25.0
            init.pose.pose.orientation.w = 1.0
            init_pub.publish(init)
            spin_until_output(node, loc, 'outside the map')
            init.header.frame_id = 'odom'
            init_pub.publish(init)
            spin_until_output(node, loc, "frame_id 'odom', expected 'map'")
            init.header.frame_id = 'map'
            init.pose.pose.position.x, init.pose.pose.position.y = 2.0, 1.5
            init.pose.covariance[0] = init.pose.covariance[7] = 0.01
            init.pose.covariance[35] = 0.01
            init_pub.publish(init)
            spin_until_output(node, loc, 'initial pose set')

            def odom_now():
                o = Odometry()
                o.header.frame_id, o.child_frame_id = 'odom', 'base_link'
                o.header.stamp = node.get_clock().now().to_msg()
                o.pose.pose.orientation.w = 1.0
                odom_pub.publish(o)

            def scan(ranges):
                s = LaserScan()
                s.header.frame_id = 'base_scan'
                s.header.stamp = node.get_clock().now().to_msg()
                s.angle_min, s.angle_increment = -math.pi, 2 * math.pi / len(ranges)
                s.range_min, s.range_max = 0.1, 8.0
                s.ranges = ranges
                return s
            # every range NaN or Inf: a clear warning, no update
            bad = scan([math.nan, math.inf, -math.inf] * 60)
            spin_until_output(node, loc, 'no usable range',
                              every=lambda: (odom_now(), scan_pub.publish(bad)))
            # some NaN among good ranges: they are ignored and the filter updates
            poses = []
            node.create_subscription(PoseWithCovarianceStamped, 'amcl_pose', poses.append,
                                     LATCHED_QOS)
            mixed = scan([math.nan, 1.5] * 90)
            spin_until_output(node, loc, 'ranges are NaN; ignored',
                              every=lambda: (odom_now(), scan_pub.publish(mixed)))
            while not poses:
                rclpy.spin_once(node, timeout_sec=0.05)
                assert loc.poll() is None, loc.output()
            assert all(math.isfinite(c) for c in poses[-1].pose.covariance)
            # still serving
            client = node.create_client(Empty, 'reinitialize_global_localization')
            assert client.wait_for_service(timeout_sec=WAIT_S)
            future = client.call_async(Empty.Request())
            spin_until_output(node, loc, 'spread over the free space')
            assert future.done() or loc.poll() is None
        finally:
            destroy_node_and_waitables(node)
            rclpy.shutdown()
    assert loc.returncode == 0 and 'Traceback' not in loc.output(), loc.output()


def test_perception_node_ignores_non_finite_detections(ros_domain):
    per = ManagedProcess([sys.executable, '-m', 'orchestrator_pkg.nodes.perception_node'],
                         env=ros_domain.env())
    with per:
        assert per.wait_for_output('perception_node ready', WAIT_S), per.output()
        rclpy.init(domain_id=ros_domain.domain_id)
        node = rclpy.create_node('bad_detection_test')
        try:
            static_pub = node.create_publisher(TFMessage, 'tf_static', LATCHED)
            tf_pub = node.create_publisher(TFMessage, 'tf', 10)
            det_pub = node.create_publisher(DetectionArray, 'detections', 10)
            tracked = []
            node.create_subscription(DetectionArray, 'tracked_objects', tracked.append, 10)
            static_pub.publish(TFMessage(transforms=[
                transform('base_link', 'logical_camera', 0.12)]))

            def frame(x):
                # tf stamped as the frame: detections are placed with tf at their stamp
                stamp = node.get_clock().now().to_msg()
                tf_pub.publish(TFMessage(transforms=[transform('map', 'odom', 1.0, stamp=stamp),
                                                     transform('odom', 'base_link', stamp=stamp)]))
                msg = DetectionArray()
                msg.header.frame_id = 'logical_camera'
                msg.header.stamp = stamp
                d = Detection(id='box_a', class_id='box', color='red')
                d.pose.position.x = x
                d.pose.orientation.w = 1.0
                msg.detections = [d]
                det_pub.publish(msg)
            spin_until_output(node, per, 'non-finite pose; ignored',
                              every=lambda: frame(math.nan))
            while not any(m.detections for m in tracked):
                frame(1.0)
                rclpy.spin_once(node, timeout_sec=0.05)
                assert per.poll() is None, per.output()
            d = next(m for m in tracked if m.detections).detections[0]
            assert tracked[-1].header.frame_id == 'map'
            assert (d.id, d.class_id) == ('box_1', 'box')
            assert abs(d.pose.position.x - 2.12) < 1e-6  # map->odom 1.0 + mount 0.12 + 1.0
            # gripper/held from a gripper that knows the class, not the object's id: the
            # track is found by where the held object is, through tf
            held_pub = node.create_publisher(DetectionArray, 'gripper/held', LATCHED)

            def held(x):
                msg = DetectionArray()
                msg.header.frame_id = 'base_link'
                h = Detection(class_id='box', color='red')
                h.pose.position.x = x
                h.pose.orientation.w = 1.0
                msg.detections = [h]
                held_pub.publish(msg)
            spin_until_output(node, per, 'no id and a non-finite position; ignored',
                              every=lambda: held(math.nan))
            assert 'dropped' not in per.output()
            count = len(tracked)
            held(1.1)  # in map: 2.1, 2 cm from the track
            spin_until_output(node, per, 'dropped box_1: the gripper holds it')
            while len(tracked) == count:  # the tracks are published at once, without it
                rclpy.spin_once(node, timeout_sec=0.05)
            assert tracked[-1].detections == []
        finally:
            destroy_node_and_waitables(node)
            rclpy.shutdown()
    assert per.returncode == 0 and 'Traceback' not in per.output(), per.output()

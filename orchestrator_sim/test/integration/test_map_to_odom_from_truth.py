"""The sim's truth localization: map -> odom from the ground truth, over drifting odometry.

A real sim process (test_room, odometry scale errors raised so the drift is
large) with ``publish_map_to_odom_from_truth``: after driving, ``map -> odom``
composed with ``odom -> base_link`` of the same tf message is the true pose at
that stamp, while the odometry alone has drifted; and the two stand-ins for
localization cannot both be on.
"""
import math

from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
import pytest
import rclpy
from sim_helpers import WAIT_S, Listener, sim_process, stamp_s, yaw_of
from tf2_msgs.msg import TFMessage


def _pose(t):
    return (t.transform.translation.x, t.transform.translation.y, yaw_of(t.transform.rotation))


def _compose(a, b):
    c, s = math.cos(a[2]), math.sin(a[2])
    return (a[0] + c * b[0] - s * b[1], a[1] + s * b[0] + c * b[1], a[2] + b[2])


def _wrap(a):
    return math.atan2(math.sin(a), math.cos(a))


def test_map_to_odom_from_truth_gives_the_true_pose_over_drifting_odometry(ros_domain):
    proc = sim_process(ros_domain.env(), 'publish_map_to_odom_from_truth:=true',
                       'odom_linear_scale_error:=0.05', 'odom_angular_scale_error:=0.08',
                       'seed:=5', 'spawn:=0.5 -0.5 0.3')
    with proc:
        assert proc.wait_for_output('sim ready', WAIT_S), proc.output()
        rclpy.init(domain_id=ros_domain.domain_id)
        listener = Listener('map_to_odom_test')
        try:
            listener.watch(TFMessage, 'tf', keep=5000)
            listener.watch(Odometry, 'ground_truth/odom', keep=5000)
            cmd = listener.node.create_publisher(Twist, 'cmd_vel', 10)
            drive = Twist()
            drive.linear.x, drive.angular.z = 0.3, 0.5
            listener.wait_for(lambda: listener.messages['ground_truth/odom'], what='truth')
            t0 = stamp_s(listener.latest('ground_truth/odom').header.stamp)
            listener.wait_for(
                lambda: stamp_s(listener.latest('ground_truth/odom').header.stamp) > t0 + 4.0,
                what='4 s of driving', every=lambda: cmd.publish(drive))
            truth = {stamp_s(m.header.stamp): m.pose.pose
                     for m in listener.messages['ground_truth/odom']}
            checked = 0
            first = next(_pose(t) for t in listener.messages['tf'][0].transforms
                         if t.child_frame_id == 'odom')
            for msg in listener.messages['tf'][-100:]:
                edges = {(t.header.frame_id, t.child_frame_id): t for t in msg.transforms}
                m, o = edges.get(('map', 'odom')), edges.get(('odom', 'base_link'))
                assert m is not None and o is not None, 'map -> odom with every odom -> base_link'
                assert m.header.stamp == o.header.stamp
                true = truth.get(stamp_s(m.header.stamp))
                if true is None:
                    continue
                x, y, yaw = _compose(_pose(m), _pose(o))
                assert math.hypot(x - true.position.x, y - true.position.y) < 1e-6
                assert abs(_wrap(yaw - yaw_of(true.orientation))) < 1e-6
                checked += 1
            assert checked > 20, checked
            # odometry started at the odom origin: map -> odom began at the spawn ...
            assert first == pytest.approx((0.5, -0.5, 0.3), abs=0.01), first
            # ... and moved as the odometry drifted (5 % / 8 % scale errors)
            last = _pose(m)
            assert abs(_wrap(last[2] - first[2])) > 0.01 or \
                math.hypot(last[0] - first[0], last[1] - first[1]) > 0.01, (first, last)
        finally:
            listener.destroy()
            rclpy.shutdown()
    assert proc.returncode == 0, proc.output()


def test_both_map_to_odom_stand_ins_at_once_are_refused(ros_domain):
    proc = sim_process(ros_domain.env(), 'publish_map_to_odom_from_truth:=true',
                       'odom_starts_at_truth:=true')
    with proc:
        assert proc.wait(WAIT_S) is not None
    assert proc.returncode != 0
    assert 'set one of them' in proc.output(), proc.output()

"""The run recorder with real rclpy traffic: run.mcap decodes with mcap_ros2, mission.jsonl.

A publisher node stands in for the stack (sim clock, odometry, a latched
tf_static, a stamped cmd_vel, the orchestrator's status changes); the
recorder finds each topic's type and QoS in the graph and records the bytes.
"""
import json
import time

from geometry_msgs.msg import TransformStamped, TwistStamped
from mcap_ros2.reader import read_ros2_messages
from nav_msgs.msg import Odometry
import pytest
import rclpy
from rclpy.qos import DurabilityPolicy, QoSProfile
from rosgraph_msgs.msg import Clock
from tf2_msgs.msg import TFMessage

from orchestrator_interfaces.msg import BehaviourStatusChange, BehaviourStatusChanges
from orchestrator_pkg.bringup.recorder import RunRecorder
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.ros_edge.qos import STATUS_CHANGES_QOS

TIMEOUT_S = 30.0
N = 20


def wait_for(predicate, timeout_s=TIMEOUT_S):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@pytest.fixture
def context(ros_domain):
    rclpy.init(domain_id=ros_domain.domain_id)
    try:
        yield
    finally:
        rclpy.try_shutdown()


def test_recorded_topics_decode_and_status_changes_become_jsonl_lines(context, tmp_path):
    node = rclpy.create_node('stand_in_stack')
    clock = node.create_publisher(Clock, '/clock', 10)
    odom = node.create_publisher(Odometry, 'odom', 10)
    cmd = node.create_publisher(TwistStamped, 'cmd_vel', 10)
    latched = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
    # a tf listener is there first: the topic exists before anyone publishes it
    node.create_subscription(TFMessage, 'tf_static', lambda m: None, latched)
    changes = node.create_publisher(BehaviourStatusChanges, 'orchestrator/status_changes',
                                    STATUS_CHANGES_QOS)
    mcap, jsonl = tmp_path / 'run.mcap', tmp_path / 'mission.jsonl'
    recorder = RunRecorder([''], str(mcap), str(jsonl), use_sim_time=True)
    try:
        topics = ('/odom', '/cmd_vel', '/orchestrator/status_changes')
        assert wait_for(lambda: all(t in recorder.counts for t in topics)), recorder.counts
        assert '/tf_static' not in recorder.counts  # no publisher yet: not subscribed
        tf_static = node.create_publisher(TFMessage, 'tf_static', latched)
        tf_static.publish(TFMessage(transforms=[TransformStamped(child_frame_id='base_scan')]))
        assert wait_for(lambda: '/tf_static' in recorder.counts), recorder.counts
        assert recorder.status_topics_ready()
        # the clock runs: from now on messages are recorded with sim time
        assert wait_for(lambda: (clock.publish(Clock(clock=rclpy.time.Time(
            seconds=100).to_msg())), recorder.now_ns())[1] is not None)
        assert wait_for(lambda: recorder.counts['/tf_static'] == 1)  # latched, arrives late
        for i in range(N):
            clock.publish(Clock(clock=rclpy.time.Time(seconds=100 + i).to_msg()))
            # the recorder has the clock first, so the odometry's publish time is exact
            assert wait_for(lambda i=i: recorder.now_ns() == (100 + i) * 10**9)
            message = Odometry()
            message.pose.pose.position.x = float(i)
            odom.publish(message)
            cmd.publish(TwistStamped())
            change = BehaviourStatusChanges(mission='deliver', tick=i + 1)
            change.header.stamp = rclpy.time.Time(seconds=100 + i).to_msg()
            change.changes.append(BehaviourStatusChange(
                path=f'D/S/Step{i}', type='Gripper', previous_status=1, status=2))
            changes.publish(change)
        assert wait_for(lambda: recorder.counts['/odom'] >= N and
                        recorder.counts['/orchestrator/status_changes'] >= N), recorder.counts
    finally:
        recorder.close()
        destroy_node_and_waitables(node)
    decoded = {}
    for m in read_ros2_messages(str(mcap)):
        decoded.setdefault(m.channel.topic, []).append(m)
    assert [m.ros_msg.pose.pose.position.x for m in decoded['/odom']] == \
        [float(i) for i in range(N)]
    assert decoded['/cmd_vel'][0].schema.name == 'geometry_msgs/msg/TwistStamped'
    assert decoded['/tf_static'][0].ros_msg.transforms[0].child_frame_id == 'base_scan'
    times = [m.log_time_ns for m in decoded['/odom']]
    assert times[0] >= 100 * 10**9 and times == sorted(times)  # sim time, in order
    # publish time: the sim time at the publisher's own source timestamp (ClockMap);
    # sequence: the publisher's sequence number
    assert [m.publish_time_ns for m in decoded['/odom']] == [(100 + i) * 10**9 for i in range(N)]
    assert [m.sequence_count for m in decoded['/odom']] == list(range(1, N + 1))
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert [r['path'] for r in lines] == [f'D/S/Step{i}' for i in range(N)]  # none lost
    assert lines[0] == {'event': 'status', 't': 100.0, 'robot': '', 'tree': 'orchestrator',
                        'mission': 'deliver', 'tick': 1, 'path': 'D/S/Step0', 'type': 'Gripper',
                        'from': 'RUNNING', 'to': 'SUCCESS'}

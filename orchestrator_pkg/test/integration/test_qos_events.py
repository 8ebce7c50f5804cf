"""Incompatible QoS and type warnings from the ROS graph (``ros_edge.qos_events``).

Our nodes' endpoints have no default QoS event handlers (a waitable each, walked
by the executor on every wake); their QosWatch finds the same problems in the
graph. Real rclpy nodes, one process.
"""
import subprocess
import sys
import time

import pytest
from rcl_interfaces.msg import Log
import rclpy
from rclpy.event_handler import EventHandler, SubscriptionEventCallbacks
from rclpy.executors import SingleThreadedExecutor
from rclpy.lifecycle import TransitionCallbackReturn
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from std_msgs.msg import Header

from orchestrator_pkg.cli_ros import tool_node
from orchestrator_pkg.ros_edge import qos_events
from orchestrator_pkg.ros_edge.lifecycle import ManagedNode
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.ros_edge.qos_events import QuietEvents
from orchestrator_sim.nodes.node_convention import QuietNode

RELIABLE = QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE)
BEST_EFFORT = QoSProfile(depth=5, reliability=ReliabilityPolicy.BEST_EFFORT)


class Quiet(QuietEvents, Node):
    pass


@pytest.fixture
def nodes(ros_domain):
    rclpy.init(domain_id=ros_domain.domain_id)
    made = []
    try:
        yield made
    finally:
        for node in made:
            destroy_node_and_waitables(node)
        rclpy.shutdown()


def spin_until(executor, condition, timeout_s=15.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not condition():
        executor.spin_once(timeout_sec=0.05)
    return condition()


def test_endpoints_have_no_default_handlers_but_keep_the_callers(nodes):
    quiet, plain = Quiet('quiet'), Node('plain')
    nodes += [quiet, plain]
    for node in (quiet, plain):
        node.create_publisher(Header, 'a', RELIABLE)
        node.create_subscription(Header, 'b', lambda _: None, RELIABLE)
    assert not [w for w in quiet.waitables if isinstance(w, EventHandler)]
    assert len([w for w in plain.waitables if isinstance(w, EventHandler)]) >= 4  # rclpy's
    quiet.create_subscription(Header, 'c', lambda _: None, RELIABLE,  # what a caller asks
                              event_callbacks=SubscriptionEventCallbacks(
                                  deadline=lambda _: None, use_default_callbacks=False))
    assert len([w for w in quiet.waitables if isinstance(w, EventHandler)]) == 1


class Managed(ManagedNode):
    def configure_node(self):
        self.create_publisher(Header, 'managed_out', RELIABLE)  # a lifecycle publisher
        self.create_subscription(Header, 'managed_in', lambda _: None, RELIABLE)


def test_every_kind_of_node_of_ours_is_quiet(nodes):
    managed = Managed('managed')
    sim = QuietNode('sim_robot', namespace='robot1')
    tool = tool_node('tool')
    nodes += [managed, sim, tool]
    assert managed.trigger_configure() == TransitionCallbackReturn.SUCCESS
    assert '/managed_out' in [p.topic_name for p in managed.publishers]
    for node in (sim, tool):
        node.create_publisher(Header, 'out', RELIABLE)
        node.create_subscription(Header, 'in', lambda _: None, RELIABLE)
    for node in (managed, sim, tool):
        assert not [w for w in node.waitables if isinstance(w, EventHandler)], node.get_name()


STRING_PUBLISHER = """
import rclpy, time
from rclpy.qos import QoSProfile
from std_msgs.msg import String
rclpy.init()
node = rclpy.create_node('other_process')
node.create_publisher(String, 'typed', QoSProfile(depth=5))
print('publishing', flush=True)
time.sleep(60)
"""


def test_the_watch_warns_once_per_endpoint_that_cannot_match(nodes, ros_domain):
    # a topic's two types must come from two processes: Fast DDS refuses them in one
    other = subprocess.Popen([sys.executable, '-c', STRING_PUBLISHER], env=ros_domain.env(),
                             stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == 'publishing'
        check_the_watch(nodes)
    finally:
        other.kill()
        other.wait()


def check_the_watch(nodes):
    quiet, plain = Quiet('quiet'), Node('plain')
    nodes += [quiet, plain]
    lines = []
    plain.create_subscription(Log, '/rosout',
                              lambda m: lines.append(m.msg) if m.name == 'quiet' else None,
                              100)
    quiet.create_subscription(Header, 'reliable_in', lambda _: None, RELIABLE)
    plain.create_publisher(Header, 'reliable_in', BEST_EFFORT)  # cannot give RELIABLE
    quiet.create_subscription(Header, 'typed', lambda _: None, RELIABLE)
    quiet.create_publisher(Header, 'fine', BEST_EFFORT)
    plain.create_subscription(Header, 'fine', lambda _: None, BEST_EFFORT)
    executor = SingleThreadedExecutor()
    executor.add_node(quiet)
    executor.add_node(plain)
    try:
        assert spin_until(executor, lambda: all(
            quiet.get_publishers_info_by_topic(t) for t in ('/reliable_in', '/typed')) and
            quiet.get_subscriptions_info_by_topic('/fine'))
        # the watch's own timer (every 2 s of steady time) finds both
        assert spin_until(executor, lambda: len(lines) >= 2, timeout_s=10.0)
        quiet.qos_watch.check()  # once per endpoint, not once per look
        executor.spin_once(timeout_sec=0.3)
    finally:
        executor.shutdown()
    print(lines)
    assert len(lines) == 2, lines
    qos_line = next(line for line in lines if "topic '/reliable_in'" in line)
    assert qos_line.startswith("incompatible QoS on topic '/reliable_in' with the publisher "
                               'of /plain'), qos_line
    assert qos_line.endswith(': Best effort publisher and reliable subscription; '
                             'no messages pass'), qos_line
    type_line = next(line for line in lines if "topic '/typed'" in line)
    assert type_line == ("incompatible type on topic '/typed': /other_process has "
                         'std_msgs/msg/String, '
                         'this node std_msgs/msg/Header; no messages pass')
    assert not any('/fine' in line for line in lines)


def test_the_watch_reads_a_topic_again_when_its_counts_change_or_at_a_full_look(
        nodes, monkeypatch):
    monkeypatch.setattr(qos_events, 'FULL_LOOK_EVERY', 3)
    quiet, plain = Quiet('quiet_counts'), Node('plain_counts')
    nodes += [quiet, plain]
    quiet.create_subscription(Header, 'swapped', lambda _: None, RELIABLE)
    good = plain.create_publisher(Header, 'swapped', RELIABLE)
    watch = quiet.qos_watch
    executor = SingleThreadedExecutor()
    executor.add_node(quiet)
    executor.add_node(plain)

    def graph_has(reliability):
        infos = quiet.get_publishers_info_by_topic('/swapped')
        return len(infos) == 1 and infos[0].qos_profile.reliability == reliability
    try:
        assert spin_until(executor, lambda: graph_has(ReliabilityPolicy.RELIABLE))
        watch._looks = 0
        watch.check()  # a full look: reads every topic
        reads = watch.reads
        assert reads >= 1 and not watch.warned
        watch.check()  # nothing changed: no topic read
        assert watch.reads == reads
        # the same counts, another endpoint: a best-effort publisher replaces the good one
        plain.destroy_publisher(good)
        plain.create_publisher(Header, 'swapped', BEST_EFFORT)
        assert spin_until(executor, lambda: graph_has(ReliabilityPolicy.BEST_EFFORT))
        watch.check()  # counts as before: not read yet
        assert not watch.warned
        watch.check()  # the third look is a full one
        assert [key[0] for key in watch.warned] == ['/swapped']
        # a new endpoint changes the counts: read at the next look, not the next full one
        plain.create_subscription(Header, 'swapped', lambda _: None, RELIABLE)
        assert spin_until(executor, lambda: len(
            quiet.get_subscriptions_info_by_topic('/swapped')) == 2)
        reads = watch.reads
        watch.check()
        assert watch.reads == reads + 1
    finally:
        executor.shutdown()

"""A test node that keeps the messages of watched topics, and the sim node as a process.

Shared by the sim's integration tests (``orchestrator_sim/test/sim_helpers.py``)
and the localization/perception tests (``test/integration/loc_helpers.py``),
which add their own helpers (ground truth, driving) on top.
"""
import sys
import time

import rclpy
from rclpy.qos import DurabilityPolicy, QoSProfile

from orchestrator_pkg.ros_edge.convert import quaternion_to_yaw as yaw_of  # noqa: F401
from orchestrator_pkg.ros_edge.convert import seconds_of as stamp_s  # noqa: F401
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.testing.processes import ManagedProcess

WAIT_S = 60.0  # generous: the machine is shared and may be loaded


def sim_process(env, *params, rtf=1.0, world='test_room', robot='small_indoor',
                stop_timeout_s=30.0):
    """Return a ManagedProcess running the sim node with ``-p name:=value`` parameters.

    On exit it gets SIGINT and ``stop_timeout_s`` to stop (then SIGKILL): a sim of
    several robots on a loaded CI machine once needed more than 10 s.
    """
    args = ['-m', 'orchestrator_sim.nodes.sim_node', '--ros-args',
            '-p', f'world:={world}', '-p', f'robot:={robot}',
            '-p', f'real_time_factor:={rtf}']
    for param in params:
        args += ['-p', param]
    return ManagedProcess([sys.executable, *args], env=env, stop_timeout_s=stop_timeout_s)


class TopicListener:
    """An rclpy node that keeps the messages of the topics it is told to watch."""

    def __init__(self, name='test_listener'):
        self.node = rclpy.create_node(name)
        self.messages = {}

    def watch(self, msg_type, topic, latched=False, keep=1000, depth=None):
        """Keep the newest ``keep`` messages of ``topic`` (QoS history ``depth``, default keep)."""
        qos = QoSProfile(depth=depth or keep)
        if latched:
            qos.durability = DurabilityPolicy.TRANSIENT_LOCAL
        store = self.messages.setdefault(topic, [])

        def callback(msg):
            store.append(msg)
            if len(store) > keep:
                del store[0]
        self.node.create_subscription(msg_type, topic, callback, qos)

    def latest(self, topic):
        """Return the newest message on ``topic``, or None."""
        msgs = self.messages.get(topic)
        return msgs[-1] if msgs else None

    def spin_for(self, seconds):
        """Spin for ``seconds`` of wall time."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            rclpy.spin_once(self.node, timeout_sec=0.02)

    def wait_for(self, predicate, timeout_s=WAIT_S, what='condition', every=None):
        """Spin until ``predicate()``; fail naming ``what`` after ``timeout_s`` wall seconds.

        ``every()``, if given, runs after each spin (e.g. to keep publishing a command).
        """
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            rclpy.spin_once(self.node, timeout_sec=0.02)
            if every is not None:
                every()
            if predicate():
                return
        raise AssertionError(f'timed out after {timeout_s} s waiting for {what}')

    def wait_future(self, future, timeout_s=WAIT_S, what='a response'):
        """Wait for ``future`` and return its result."""
        self.wait_for(future.done, timeout_s, what)
        return future.result()

    def sim_time_of(self, topic):
        """Sim time stamped on the newest message of ``topic`` (/clock or a header), or None."""
        msg = self.latest(topic)
        if msg is None:
            return None
        return stamp_s(msg.clock if hasattr(msg, 'clock') else msg.header.stamp)

    def destroy(self):
        """Destroy the node."""
        destroy_node_and_waitables(self.node)

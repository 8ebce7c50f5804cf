"""Real processes (issue 12): the action leaf notices a dead server and a lost result.

A behavior_server process serves a long Wait goal to the generic action-client
leaf (the base of the orchestrator's and the navigator's action leaves). The
test SIGKILLs the server: the leaf must fail within 2 s with SERVER_DIED naming
the server node, not wait forever. A second case loses a result reply on
purpose: the leaf asks for the result again once the goal's status has ended.
"""
import contextlib
import os
import signal
import time

from builtin_interfaces.msg import Duration
from nav2_msgs.action import Wait
from nav_helpers import TIMEOUT_S, node_cmd
from py_trees.common import Status
import rclpy

from orchestrator_pkg.behaviours.ros.action_client import SERVER_LOOK_S, ActionClientBehaviour
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.testing.processes import ManagedProcess
from orchestrator_pkg.trees.failure import FailureCode


def _tick_until(node, leaf, predicate, timeout_s):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.02)
        leaf.tick_once()
        if predicate():
            return True
    return predicate()


@contextlib.contextmanager
def _wait_goal_accepted(ros_domain, seconds: int):
    """Yield (server process, node, leaf) once a real behavior_server accepted a Wait goal."""
    server = ManagedProcess(node_cmd('behavior_server'), env=ros_domain.env())
    with server:
        assert server.wait_for_output('behavior_server ready', TIMEOUT_S), server.output()
        rclpy.init(domain_id=ros_domain.domain_id)
        node = rclpy.create_node('server_died_test')
        try:
            leaf = ActionClientBehaviour('Wait', Wait, 'wait',
                                         lambda: Wait.Goal(time=Duration(sec=seconds)),
                                         server_wait_timeout_s=TIMEOUT_S)
            leaf.setup(node=node)
            assert _tick_until(node, leaf, lambda: 'goal accepted' in leaf.feedback_message,
                               TIMEOUT_S), leaf.feedback_message
            yield server, node, leaf
            leaf.shutdown()
        finally:
            destroy_node_and_waitables(node)
            rclpy.shutdown()


def test_the_action_leaf_fails_with_server_died_naming_the_killed_server(ros_domain):
    with _wait_goal_accepted(ros_domain, 60) as (server, node, leaf):
        # a while mid-goal (the graph gives node names after the endpoints)
        _tick_until(node, leaf, lambda: False, 2.0)
        assert leaf.status == Status.RUNNING
        os.kill(server.pid, signal.SIGKILL)
        killed = time.monotonic()
        assert _tick_until(node, leaf, lambda: leaf.status == Status.FAILURE, 10.0)
        noticed = time.monotonic() - killed
        assert leaf.failure.code == FailureCode.SERVER_DIED
        assert leaf.failure.message.startswith('behavior_server died'), leaf.failure.message
        assert noticed < 2.0, noticed
        print(f'server death noticed after {noticed:.2f} s')


def test_a_goal_in_flight_looks_its_server_up_on_the_graph_at_most_every_server_look_s(
        ros_domain):
    """Ticks faster than SERVER_LOOK_S do not each look at the graph (a look is not free)."""
    with _wait_goal_accepted(ros_domain, 60) as (_, node, leaf):
        client = leaf._client
        real, looks = client.server_is_ready, []

        def counted():
            looks.append(time.monotonic())
            return real()
        client.server_is_ready = counted
        start, ticks = time.monotonic(), 0
        while time.monotonic() - start < 1.0:
            leaf.tick_once()
            ticks += 1
            time.sleep(0.002)
        elapsed = time.monotonic() - start
        assert leaf.status == Status.RUNNING, leaf.feedback_message
        assert ticks > 3 * elapsed / SERVER_LOOK_S, ticks  # ticked faster than it looks
        assert 1 <= len(looks) <= elapsed / SERVER_LOOK_S + 1, (len(looks), ticks)


def test_a_lost_result_reply_is_asked_for_again(ros_domain):
    """A goal whose status ended but whose result reply never came is asked for again.

    A loaded middleware can lose the get_result reply; the status topic still
    says the goal ended. The leaf must end with the server's result.
    """
    with _wait_goal_accepted(ros_domain, 1) as (_, node, leaf):
        # the reply is lost: the client forgets the request it sent, unanswered
        leaf._client._remove_pending_result_request(leaf._result.future)
        assert _tick_until(node, leaf, lambda: leaf.status != Status.RUNNING, 15.0), \
            leaf.feedback_message
        assert leaf.status == Status.SUCCESS, leaf.feedback_message
        assert leaf.result_asked_again == 1

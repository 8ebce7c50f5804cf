"""Two processes, real rclpy and Fast DDS: an ExecuteMission server and a client.

The server runs in its own process (a fixture server); this test process is
the client. Checks that feedback arrives, that the result arrives with its
structured failure reason, that a cancel in mid-goal ends CANCELED, and that
the server exits cleanly on SIGINT.
"""
import os
import time

from action_msgs.msg import GoalStatus
from diagnostic_msgs.msg import KeyValue
import pytest
import rclpy
from rclpy.action import ActionClient

from orchestrator_interfaces.action import ExecuteMission
from orchestrator_interfaces.msg import FailureReason
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.testing.processes import ManagedProcess

FIXTURE = os.path.join(os.path.dirname(__file__), 'fixtures', 'execute_mission_fixture_server.py')
TIMEOUT_S = 20.0


def _wait(node, future, timeout_s=TIMEOUT_S):
    deadline = time.monotonic() + timeout_s
    while not future.done() and time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.05)
    assert future.done(), f'no answer within {timeout_s} s'
    return future.result()


@pytest.fixture
def mission_client(ros_domain):
    """Start the fixture server in another process; yield (node, client, server)."""
    server = ManagedProcess.python(FIXTURE, env=ros_domain.env())
    with server:
        assert server.wait_for_output('fixture ready', TIMEOUT_S), server.output()
        rclpy.init(domain_id=ros_domain.domain_id)
        node = rclpy.create_node('execute_mission_test_client')
        client = ActionClient(node, ExecuteMission, 'execute_mission')
        try:
            assert client.wait_for_server(timeout_sec=TIMEOUT_S), 'server not discovered'
            yield node, client, server
        finally:
            client.destroy()
            destroy_node_and_waitables(node)
            rclpy.shutdown()
    assert server.returncode == 0, f'server exit code {server.returncode}:\n{server.output()}'
    assert not server.killed


def _goal(mission, steps):
    return ExecuteMission.Goal(mission_name=mission,
                               inputs=[KeyValue(key='steps', value=str(steps))])


def _run(node, client, goal, on_feedback):
    handle = _wait(node, client.send_goal_async(goal, feedback_callback=on_feedback))
    assert handle.accepted
    return handle


def test_feedback_then_result(mission_client):
    node, client, _ = mission_client
    feedback = []
    handle = _run(node, client, _goal('demo', 5), lambda m: feedback.append(m.feedback))
    response = _wait(node, handle.get_result_async())
    assert response.status == GoalStatus.STATUS_SUCCEEDED
    assert response.result.outcome == ExecuteMission.Result.SUCCEEDED
    assert response.result.ticks == 5
    assert response.result.failure.code == FailureReason.NONE
    assert [round(f.progress, 2) for f in feedback] == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert feedback[-1].active_node_path == 'FixtureMission/Step5'


def test_failure_reason_reaches_the_client(mission_client):
    node, client, _ = mission_client
    handle = _run(node, client, _goal('fail', 2), None)
    response = _wait(node, handle.get_result_async())
    assert response.status == GoalStatus.STATUS_ABORTED
    failure = response.result.failure
    assert response.result.outcome == ExecuteMission.Result.FAILED
    assert failure.code == FailureReason.ACTION_FAILED
    assert failure.node_path == 'FixtureMission/Step2'
    assert failure.leaf_error_code == 42
    assert 'told to fail' in failure.message


def test_cancel_mid_goal_ends_canceled(mission_client):
    node, client, _ = mission_client
    feedback = []
    handle = _run(node, client, _goal('long', 1000), lambda m: feedback.append(m.feedback))
    deadline = time.monotonic() + TIMEOUT_S
    while len(feedback) < 3 and time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.05)
    assert len(feedback) >= 3, 'no feedback before cancel'
    cancel = _wait(node, handle.cancel_goal_async())
    assert len(cancel.goals_canceling) == 1
    response = _wait(node, handle.get_result_async())
    assert response.status == GoalStatus.STATUS_CANCELED
    assert response.result.outcome == ExecuteMission.Result.CANCELED
    assert response.result.failure.code == FailureReason.CANCELED
    assert feedback[-1].progress < 1.0

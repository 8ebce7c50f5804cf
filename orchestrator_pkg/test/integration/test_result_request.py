"""``ros_edge.results.ResultRequest`` against a real rclpy action server and client.

A full run lost the reply to ``orchestrator run``'s get_result: the mission had
ended SUCCEEDED and the run waited until its timeout. The request is dropped
here on purpose (the client forgets it, as if the reply never came).
"""
import threading
import time

import pytest
import rclpy
from rclpy.action import ActionClient, ActionServer

from orchestrator_interfaces.action import ExecuteMission
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.ros_edge.results import ResultRequest

ASK_AGAIN_S = 0.3


def _spin_until(executor, predicate, timeout_s):
    deadline = time.monotonic() + timeout_s
    while not predicate() and time.monotonic() < deadline:
        executor.spin_once(timeout_sec=0.02)
    return predicate()


@pytest.fixture
def pair(ros_domain):
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=ros_domain.domain_id)
    node = rclpy.create_node('result_request_test', context=context)
    run_for = {'s': 0.0}

    def execute(handle):
        deadline = time.monotonic() + run_for['s']
        while time.monotonic() < deadline:  # the server's own executor thread
            time.sleep(0.01)
        handle.succeed()
        return ExecuteMission.Result(outcome=ExecuteMission.Result.SUCCEEDED, ticks=7)
    server_node = rclpy.create_node('result_request_server', context=context)
    executor = rclpy.executors.MultiThreadedExecutor(context=context)
    executor.add_node(server_node)
    server = ActionServer(server_node, ExecuteMission, 'result_request_missions', execute)
    thread = threading.Thread(target=executor.spin, daemon=True)
    thread.start()
    client = ActionClient(node, ExecuteMission, 'result_request_missions')
    spinner = rclpy.executors.SingleThreadedExecutor(context=context)  # this thread's
    spinner.add_node(node)
    try:
        assert client.wait_for_server(timeout_sec=10.0)
        yield spinner, client, run_for
    finally:
        spinner.shutdown()
        executor.shutdown()
        server.destroy()
        client.destroy()
        destroy_node_and_waitables(server_node)
        destroy_node_and_waitables(node)
        rclpy.try_shutdown(context=context)
        thread.join(5.0)


def _accepted(spinner, client):
    sent = client.send_goal_async(ExecuteMission.Goal(mission_name='x'))
    assert _spin_until(spinner, sent.done, 10.0)
    assert sent.result().accepted
    return sent.result()


def test_a_lost_result_is_asked_for_again_once_the_status_says_the_goal_ended(pair):
    spinner, client, _ = pair
    handle = _accepted(spinner, client)
    asked = []
    request = ResultRequest(handle, asked.append, ask_again_s=ASK_AGAIN_S)
    client._remove_pending_result_request(request.future)  # the reply will be ignored
    assert _spin_until(spinner, request.done, 10.0), (handle.status, request.asked_again)
    response = request.response()
    assert response.result.outcome == ExecuteMission.Result.SUCCEEDED
    assert response.result.ticks == 7
    assert request.asked_again == 1
    assert asked == [response.status]


def test_a_goal_still_running_is_not_asked_again_and_its_result_comes_once(pair):
    spinner, client, run_for = pair
    run_for['s'] = 4 * ASK_AGAIN_S  # runs well past the ask-again wait
    handle = _accepted(spinner, client)
    request = ResultRequest(handle, ask_again_s=ASK_AGAIN_S)
    assert _spin_until(spinner, request.done, 10.0)
    assert request.response().result.outcome == ExecuteMission.Result.SUCCEEDED
    assert request.asked_again == 0

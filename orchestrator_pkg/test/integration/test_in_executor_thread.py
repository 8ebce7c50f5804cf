"""``ros_edge.waiting.in_executor_thread``: a test thread's action calls, made by the spinner."""
import threading

import pytest
import rclpy
from rclpy.action import ActionClient, ActionServer
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor

from orchestrator_interfaces.action import ExecuteMission
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.ros_edge.waiting import in_executor_thread


@pytest.fixture
def spinning(ros_domain):
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=ros_domain.domain_id)
    node = rclpy.create_node('in_executor_thread_test', context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)

    def spin():
        try:
            executor.spin()
        except ExternalShutdownException:
            pass
    thread = threading.Thread(target=spin, daemon=True)
    thread.start()
    try:
        yield node, executor, thread
    finally:
        executor.shutdown()
        destroy_node_and_waitables(node)
        rclpy.try_shutdown(context=context)
        thread.join(5.0)


def test_the_function_runs_in_the_spinning_thread_and_its_value_or_error_comes_back(spinning):
    _node, executor, thread = spinning
    assert in_executor_thread(executor, threading.get_ident) == thread.ident != \
        threading.get_ident()

    def fails():
        raise ValueError('from the executor thread')
    with pytest.raises(ValueError, match='from the executor thread'):
        in_executor_thread(executor, fails)
    assert in_executor_thread(executor, lambda: 2) == 2  # and the executor spins on


def test_an_executor_that_does_not_spin_is_a_timeout(ros_domain):
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=ros_domain.domain_id)
    executor = SingleThreadedExecutor(context=context)
    try:
        with pytest.raises(TimeoutError, match='did not run'):
            in_executor_thread(executor, lambda: 1, timeout_s=0.3)
    finally:
        executor.shutdown()
        rclpy.try_shutdown(context=context)


def _wait(future, timeout_s=5.0):
    done = threading.Event()
    future.add_done_callback(lambda _f: done.set())
    return done.wait(timeout_s)


def test_goals_sent_through_it_are_all_answered(spinning):
    node, executor, _thread = spinning

    def execute(handle):
        handle.succeed()
        return ExecuteMission.Result(outcome=ExecuteMission.Result.SUCCEEDED)
    server = ActionServer(node, ExecuteMission, 'in_thread_missions', execute)
    client = ActionClient(node, ExecuteMission, 'in_thread_missions')
    try:
        assert client.wait_for_server(timeout_sec=10.0)
        for _ in range(30):  # answers come back at once: the race's best case
            sent = in_executor_thread(executor, lambda: client.send_goal_async(
                ExecuteMission.Goal(mission_name='x')))
            assert _wait(sent), 'a goal response was lost'
            handle = sent.result()
            assert handle.accepted
            result = in_executor_thread(executor, handle.get_result_async)
            assert _wait(result), 'a result was lost'
            assert result.result().result.outcome == ExecuteMission.Result.SUCCEEDED
    finally:
        client.destroy()
        server.destroy()

"""Bounded waits for clients outside any callback (the CLI commands, tests, benchmarks)."""
import time

import rclpy


def spin_until(node, predicate, timeout_s: float, step_s: float = 0.02) -> bool:
    """Spin ``node`` until ``predicate()`` is true or ``timeout_s`` passes; return the predicate."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        rclpy.spin_once(node, timeout_sec=step_s)
    return bool(predicate())


def wait_future(node, future, timeout_s: float):
    """Spin until ``future`` is done; return its result or raise TimeoutError."""
    if not spin_until(node, future.done, timeout_s):
        raise TimeoutError(f'no answer within {timeout_s:g} s')
    return future.result()


def in_executor_thread(executor, fn, timeout_s: float = 10.0):
    """Run ``fn()`` in the thread that spins ``executor``; return what it returns.

    rclpy's ActionClient (Jazzy, ros2/rclpy#1123) registers a request's
    sequence number only after sending it: called from another thread while the
    executor spins, the answer can be taken first and ignored ("Ignoring
    unexpected goal response"), and the future never completes (seen in a
    full run). ``send_goal_async``, ``get_result_async`` and
    ``cancel_goal_async`` therefore go through here when a thread spins the
    node. Raises TimeoutError if the executor does not run ``fn`` in time.
    """
    import threading
    done = threading.Event()
    outcome = {}

    def run():
        try:  # an exception raised in a task would end the executor's spin
            outcome['value'] = fn()
        except Exception as exc:  # noqa: BLE001 -- raised again in the caller's thread
            outcome['error'] = exc
        done.set()
    executor.create_task(run)
    if not done.wait(timeout_s):
        raise TimeoutError(f'the executor did not run {fn!r} within {timeout_s:g} s')
    if 'error' in outcome:
        raise outcome['error']
    return outcome['value']

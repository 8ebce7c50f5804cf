"""Bounded waits for clients outside any callback (tests, CLI, benchmarks)."""
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

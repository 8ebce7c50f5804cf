"""spin_node: an error raised by a shutdown in progress is a clean exit, any other is not."""
import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor

from orchestrator_pkg.node_main import spin_node


class _ShutdownDuringTake(SingleThreadedExecutor):
    """Does what SIGINT does to a busy executor: the context goes, then the take fails."""

    def spin(self):
        rclpy.shutdown()
        raise RuntimeError("Unable to convert call argument '0' to Python object")


class _FailWhileRunning(SingleThreadedExecutor):
    def spin(self):
        raise RuntimeError('a real bug in a callback')


def _node():
    return rclpy.create_node('node_main_test')


@pytest.fixture
def own_domain(ros_domain, monkeypatch):
    """spin_node reads the domain from the environment: point it at this test's own."""
    for key, value in ros_domain.env({}).items():
        monkeypatch.setenv(key, value)


def test_an_error_from_a_shutdown_in_progress_exits_cleanly(own_domain):
    assert spin_node(_node, ['--ros-args'], executor_factory=_ShutdownDuringTake) == 0
    assert not rclpy.ok()


def test_an_error_while_the_context_is_up_is_raised_and_rclpy_still_shuts_down(own_domain):
    with pytest.raises(RuntimeError, match='a real bug'):
        spin_node(_node, ['--ros-args'], executor_factory=_FailWhileRunning)
    assert not rclpy.ok()

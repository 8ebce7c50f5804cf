"""run_node: a shutdown in progress is a clean exit, a bad config exit code 1, a bug raises."""
import time

import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor

from orchestrator_pkg.ros_edge.main import run_node
from orchestrator_pkg.ros_edge.params import ConfigError


class _ShutdownDuringTake(SingleThreadedExecutor):
    """Does what SIGINT does to a busy executor: the context goes, then the take fails."""

    def spin(self):
        rclpy.shutdown()
        raise RuntimeError("Unable to convert call argument '0' to Python object")


class _FailWhileRunning(SingleThreadedExecutor):
    def spin(self):
        raise RuntimeError('a real bug in a callback')


def _node():
    return rclpy.create_node('ros_edge_main_test')


@pytest.fixture
def own_domain(ros_domain, monkeypatch):
    """run_node reads the domain from the environment: point it at this test's own."""
    for key, value in ros_domain.env({}).items():
        monkeypatch.setenv(key, value)


def test_an_error_from_a_shutdown_in_progress_exits_cleanly(own_domain):
    assert run_node(_node, ['--ros-args'], executor_factory=_ShutdownDuringTake) == 0
    assert not rclpy.ok()


def test_an_error_while_the_context_is_up_is_raised_and_rclpy_still_shuts_down(own_domain):
    with pytest.raises(RuntimeError, match='a real bug'):
        run_node(_node, ['--ros-args'], executor_factory=_FailWhileRunning)
    assert not rclpy.ok()


def _bad_config():
    raise ConfigError('parameter x=3 is no good')


def test_a_config_error_is_one_stderr_line_and_exit_code_1(own_domain, capsys):
    assert run_node(_bad_config, ['--ros-args']) == 1
    assert capsys.readouterr().err == '_bad_config: parameter x=3 is no good\n'
    assert not rclpy.ok()


def test_a_timer_canceled_after_the_wait_is_skipped_not_raised_out_of_spin(ros_domain):
    # rclpy 7.1 raises RCLError out of spin for a timer the wait found ready and another
    # callback canceled since (fresh31: a respawned planner_server died of it)
    from rclpy._rclpy_pybind11 import RCLError

    from orchestrator_pkg.ros_edge.main import NodeExecutor
    rclpy.init(domain_id=ros_domain.domain_id)
    try:
        node = rclpy.create_node('canceled_timer')
        calls = []
        timer = node.create_timer(0.01, lambda: calls.append(1))
        timer.cancel()
        with pytest.raises(RCLError, match='timer is canceled'):
            SingleThreadedExecutor()._take_timer(timer)  # rclpy's own, as shipped
        executor = NodeExecutor()
        assert executor._take_timer(timer) is None
        executor.shutdown()
        assert calls == []
        node.destroy_node()
    finally:
        rclpy.shutdown()


def test_nodes_of_one_process_on_sim_time_share_one_clock_subscription(ros_domain):
    from rclpy.parameter import Parameter
    from rosgraph_msgs.msg import Clock

    from orchestrator_pkg.ros_edge.main import NodeExecutor, share_clock
    rclpy.init(domain_id=ros_domain.domain_id)
    try:
        sim_time = [Parameter('use_sim_time', value=True)]
        nodes = [rclpy.create_node(name, parameter_overrides=sim_time)
                 for name in ('first', 'second', 'third')]
        wall = rclpy.create_node('on_wall_time')
        clock_pub = rclpy.create_node('clock_source')
        publisher = clock_pub.create_publisher(Clock, '/clock', 10)
        executor = NodeExecutor()
        for node in (*nodes, wall, clock_pub):
            executor.add_node(node)

        def until(predicate, timeout_s=10.0):
            deadline = time.monotonic() + timeout_s
            while not predicate() and time.monotonic() < deadline:
                executor.spin_once(timeout_sec=0.05)
            return predicate()

        def subscribers():
            return clock_pub.count_subscribers('/clock')
        assert until(lambda: subscribers() == 3), subscribers()  # one per node on sim time

        def at(seconds):
            publisher.publish(Clock(clock=rclpy.time.Time(seconds=seconds).to_msg()))
            executor.spin_once(timeout_sec=0.05)
            return all(n.get_clock().now().nanoseconds == seconds * 10**9
                       for n in nodes if n.get_parameter('use_sim_time').value)
        assert until(lambda: at(7))
        shared = share_clock([*nodes, wall])
        assert shared is not None
        # no clock goes back in time when it changes source (to zero, before a message)
        assert [n.get_clock().now().nanoseconds for n in nodes] == [7 * 10**9] * 3
        assert until(lambda: subscribers() == 1), subscribers()
        assert until(lambda: at(12))
        assert wall.get_clock().now().nanoseconds > 10**18  # not on sim time: untouched
        # a node's own use_sim_time still rules its clock, and the others keep theirs, even
        # when it is the node that carries the shared subscription
        nodes[0].set_parameters([Parameter('use_sim_time', value=False)])
        assert until(lambda: at(13))
        assert nodes[0].get_clock().now().nanoseconds > 10**18
        assert [n.get_clock().now().nanoseconds for n in nodes[1:]] == [13 * 10**9] * 2
        assert share_clock([nodes[0]]) is None  # one node: nothing to share
        executor.shutdown()
        for node in (*nodes, wall, clock_pub):
            node.destroy_node()
    finally:
        rclpy.shutdown()

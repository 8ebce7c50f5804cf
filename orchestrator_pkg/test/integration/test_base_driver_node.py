"""base_driver node in-process with real rclpy: stamped commands, clamping, NaN, parameters."""
import math
import time

from diagnostic_msgs.msg import DiagnosticStatus
from geometry_msgs.msg import Twist, TwistStamped
import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.parameter import Parameter
from std_msgs.msg import Header

from orchestrator_pkg.nodes.base_driver_node import BaseDriverNode
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables

WAIT_S = 30.0


@pytest.fixture
def driver(ros_domain):
    """Start base_driver (TwistStamped) and a test node in one executor."""
    rclpy.init(domain_id=ros_domain.domain_id)
    node = BaseDriverNode(parameter_overrides=[Parameter('use_stamped', value=True)])
    probe = rclpy.create_node('base_driver_probe')
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    executor.add_node(probe)
    out, states = [], []
    probe.create_subscription(TwistStamped, 'cmd_vel', out.append, 50)
    probe.create_subscription(DiagnosticStatus, 'base_driver/state', states.append, 50)
    pub = probe.create_publisher(TwistStamped, 'cmd_vel_nav', 10)

    def spin_until(predicate, what, every=None):
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.02)
            if every:
                every()
            if predicate():
                return
        raise AssertionError(f'timed out waiting for {what}')
    try:
        yield node, pub, out, states, spin_until
    finally:
        executor.shutdown()
        destroy_node_and_waitables(probe)
        destroy_node_and_waitables(node)
        rclpy.shutdown()


def _cmd(v, w):
    msg = TwistStamped()
    msg.twist.linear.x, msg.twist.angular.z = v, w
    return msg


def test_stamped_commands_are_clamped_to_the_limits(driver):
    node, pub, out, states, spin_until = driver
    spin_until(lambda: out and states and states[-1].message == 'IDLE', 'IDLE output')
    assert out[-1].twist.linear.x == 0.0
    spin_until(lambda: (out[-1].twist.linear.x, out[-1].twist.angular.z) == pytest.approx(
        (0.5, -2.0)), 'the clamped command', every=lambda: pub.publish(_cmd(5.0, -9.0)))
    assert out[-1].header.frame_id == 'base_link'
    values = {kv.key: kv.value for kv in states[-1].values}
    assert states[-1].message == 'ACTIVE' and values['clamped'] == 'true'
    # the output rose no faster than max_accel_x (1 m/s^2) allows, cycle by cycle
    samples = [(m.header.stamp.sec + m.header.stamp.nanosec * 1e-9, m.twist.linear.x)
               for m in out]
    rising = [(b[1] - a[1], b[0] - a[0]) for a, b in zip(samples[:-1], samples[1:], strict=True)
              if b[1] > a[1]]
    assert len(rising) >= 5
    assert all(dv <= 1.0 * dt + 0.01 for dv, dt in rising), rising


def test_an_exit_report_of_the_command_sender_stops_at_once(driver):
    """The runner's report that a cmd_vel_nav sender exited beats timeout_s (here 5 s)."""
    from orchestrator_pkg.ros_edge import graph
    node, pub, out, states, spin_until = driver
    node.set_parameters([Parameter('timeout_s', value=5.0)])
    # the sender (the probe node) stays in the graph, as a killed process does for its
    # DDS lease: only the report tells base_driver it is gone
    reports = node.create_publisher(type(graph.exit_report('/x', 0)), graph.DIAGNOSTICS_TOPIC,
                                    graph.EXIT_QOS)
    spin_until(lambda: out and out[-1].twist.linear.x == pytest.approx(0.3), 'driving',
               every=lambda: pub.publish(_cmd(0.3, 0.0)))
    # someone else's exit, and other diagnostics, change nothing
    reports.publish(graph.exit_report('/robot2/controller_server', -9))
    end = time.monotonic() + 0.5
    spin_until(lambda: time.monotonic() > end, 'half a second')
    assert out[-1].twist.linear.x == pytest.approx(0.3) and node.core.mode == 'ACTIVE'
    reports.publish(graph.exit_report('/base_driver_probe', -9))
    t0 = time.monotonic()
    spin_until(lambda: out[-1].twist.linear.x == 0.0, 'zero after the exit report')
    assert time.monotonic() - t0 < 1.0  # not the 5 s timeout


def test_nan_is_rejected_and_reported(driver):
    node, pub, out, states, spin_until = driver
    spin_until(lambda: states and states[-1].values[-1].value.startswith('non-finite'),
               'the rejection in the state', every=lambda: pub.publish(_cmd(math.nan, 0.0)))
    assert all(math.isfinite(m.twist.linear.x) for m in out)
    assert node.core.rejected >= 1


def test_state_is_published_on_a_change_and_every_period_not_every_cycle(driver):
    """A steady output makes a state every state_period_s; a new mode makes one at once."""
    node, pub, out, states, spin_until = driver
    node.set_parameters([Parameter('timeout_s', value=0.3)])
    spin_until(lambda: out and out[-1].twist.linear.x == pytest.approx(0.3), 'driving',
               every=lambda: pub.publish(_cmd(0.3, 0.0)))
    n_out, n_states = len(out), len(states)
    end = time.monotonic() + 1.6
    spin_until(lambda: time.monotonic() > end, 'a steady 1.6 s',
               every=lambda: pub.publish(_cmd(0.3, 0.0)))
    steady_out, steady_states = len(out) - n_out, states[n_states:]
    assert steady_out >= 10  # 20 Hz output
    # every 0.5 s (4 at most in 1.6 s), not every cycle, each with the output it had
    assert 1 <= len(steady_states) <= 4, [s.message for s in steady_states]
    assert all(s.message == 'ACTIVE' and _values(s)['linear_x'] == '0.3000'
               for s in steady_states)
    # the commands stop: TIMEOUT is published in the cycle that finds it
    spin_until(lambda: node.core.mode == 'TIMEOUT', 'the timeout')
    n_out = len(out)
    spin_until(lambda: states[-1].message == 'TIMEOUT', 'the TIMEOUT state')
    assert len(out) - n_out <= 3  # with the cycle's output, not a period (10 cycles) later
    (result,) = node.set_parameters([Parameter('state_period_s', value=-1.0)])
    assert not result.successful  # outside [0, 60]


def test_parameter_changes_are_validated_with_a_reason(driver):
    node = driver[0]
    (result,) = node.set_parameters([Parameter('max_accel_x', value=0.0)])
    assert not result.successful and 'max_accel_x must be > 0' in result.reason
    (result,) = node.set_parameters([Parameter('min_vel_x', value=0.3)])
    assert not result.successful  # outside the declared range [-20, 0]
    result = node.set_parameters_atomically([Parameter('max_vel_x', value=1.5),
                                             Parameter('timeout_s', value=0.5)])
    assert result.successful
    assert node.core.limits.max_vel_x == 1.5 and node.core.timeout_s == 0.5
    (result,) = node.set_parameters([Parameter('rate_hz', value=50.0)])
    assert not result.successful  # read-only


@pytest.fixture
def guarded(ros_domain):
    """base_driver requiring a heartbeat (Twist), and a probe that beats and commands."""
    rclpy.init(domain_id=ros_domain.domain_id)
    node = BaseDriverNode(parameter_overrides=[
        Parameter('require_heartbeat', value=True),
        Parameter('heartbeat_timeout_s', value=0.3)])
    probe = rclpy.create_node('heartbeat_probe')
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    executor.add_node(probe)
    out, states = [], []
    probe.create_subscription(Twist, 'cmd_vel', out.append, 50)
    probe.create_subscription(DiagnosticStatus, 'base_driver/state', states.append, 50)
    cmd = probe.create_publisher(Twist, 'cmd_vel_nav', 10)
    beat = probe.create_publisher(Header, 'orchestrator/heartbeat', 1)

    def spin_until(predicate, what, beating):
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            executor.spin_once(timeout_sec=0.01)
            if beating:
                beat.publish(Header(stamp=probe.get_clock().now().to_msg()))
            msg = Twist()
            msg.linear.x = 0.3
            cmd.publish(msg)
            if predicate():
                return
        raise AssertionError(f'timed out waiting for {what}')
    try:
        yield node, out, states, spin_until
    finally:
        executor.shutdown()
        destroy_node_and_waitables(probe)
        destroy_node_and_waitables(node)
        rclpy.shutdown()


def _values(state):
    return {kv.key: kv.value for kv in state.values}


def test_heartbeat_loss_holds_zero_with_a_reason_until_it_returns(guarded):
    node, out, states, spin_until = guarded
    # commands alone do not move it: no heartbeat yet
    spin_until(lambda: len(out) > 10 and states, 'output and a state', beating=False)
    assert states[-1].message == 'NO_HEARTBEAT' and out[-1].linear.x == 0.0
    assert _values(states[-1])['stop_reason'] == \
        'no heartbeat on /orchestrator/heartbeat yet'
    spin_until(lambda: states[-1].message == 'ACTIVE' and out[-1].linear.x > 0.29,
               'driving with the heartbeat', beating=True)
    # the heartbeat stops, the commands go on: zero output, reported with the reason
    spin_until(lambda: states[-1].message == 'NO_HEARTBEAT', 'the loss', beating=False)
    values = _values(states[-1])
    assert states[-1].level == DiagnosticStatus.ERROR
    assert values['stop_reason'].startswith('heartbeat on /orchestrator/heartbeat lost')
    assert values['heartbeat'] == 'LOST' and int(values['heartbeat_losses']) >= 1
    spin_until(lambda: out[-1].linear.x == 0.0, 'zero output', beating=False)
    dropped = node.core.dropped
    spin_until(lambda: node.core.dropped > dropped + 5, 'commands dropped', beating=False)
    assert out[-1].linear.x == 0.0
    # back: the next commands move it again
    spin_until(lambda: states[-1].message == 'ACTIVE' and out[-1].linear.x > 0.29,
               'driving again', beating=True)


def test_heartbeat_parameters_are_validated(guarded):
    node = guarded[0]
    (result,) = node.set_parameters([Parameter('heartbeat_timeout_s', value=0.0)])
    assert not result.successful  # outside [0.01, 10]
    (result,) = node.set_parameters([Parameter('heartbeat_timeout_s', value=0.5)])
    assert result.successful and node.core.heartbeat.timeout_s == 0.5
    (result,) = node.set_parameters([Parameter('require_heartbeat', value=False)])
    assert not result.successful  # read-only


def test_the_node_process_drives_on_its_executor_and_ends_cleanly_on_sigint(ros_domain):
    """base_driver as the stack starts it: its own process, on rclpy's events executor.

    That executor's own ``spin()`` delivered no command here and did not return
    after SIGINT (the process at full CPU); ``ros_edge.main.events_executor``
    spins it with ``spin_once``, which does both.
    """
    from orchestrator_pkg.testing.processes import ManagedProcess
    proc = ManagedProcess.python('-m', 'orchestrator_pkg.nodes.base_driver_node',
                                 env=ros_domain.env(), stop_timeout_s=5.0)
    with proc:
        assert proc.wait_for_output('base_driver ready', WAIT_S), proc.output()
        rclpy.init(domain_id=ros_domain.domain_id)
        node = rclpy.create_node('base_driver_process_probe')
        try:
            pub = node.create_publisher(Twist, 'cmd_vel_nav', 10)
            out = []
            node.create_subscription(Twist, 'cmd_vel', out.append, 10)
            end = time.monotonic() + WAIT_S
            while time.monotonic() < end and not (out and out[-1].linear.x > 0.05):
                command = Twist()
                command.linear.x = 0.3
                pub.publish(command)
                rclpy.spin_once(node, timeout_sec=0.05)
            assert out and out[-1].linear.x > 0.05, 'no command came through'
        finally:
            destroy_node_and_waitables(node)
            rclpy.shutdown()
        started = time.monotonic()
        code = proc.stop()
        stopped_after = time.monotonic() - started
    assert not proc.killed and code == 0, (code, proc.output()[-3000:])
    assert stopped_after < 3.0, stopped_after
    assert 'Traceback' not in proc.output(), proc.output()[-3000:]

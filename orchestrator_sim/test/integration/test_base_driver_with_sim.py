"""base_driver and the sim as real processes: the watchdog and the e-stop stop the robot.

The sim's own cmd_vel timeout is disabled here, so only base_driver can stop
the robot when the command stream stops. base_driver runs on sim time.
"""
import sys

from diagnostic_msgs.msg import DiagnosticStatus
from geometry_msgs.msg import Twist
import pytest
import rclpy
from rclpy.qos import DurabilityPolicy, QoSProfile
from sim_helpers import WAIT_S, Listener, sim_process, watch_ground_truth
from std_msgs.msg import Bool

from orchestrator_pkg.testing.processes import ManagedProcess


def _mode(listener):
    msg = listener.latest('base_driver/state')
    return msg.message if msg else None


@pytest.fixture
def stack(ros_domain):
    """Start the sim (no timeout of its own) and base_driver; yield a listener."""
    sim = sim_process(ros_domain.env(), 'cmd_vel_timeout_s:=0.0', rtf=1.0)
    driver = ManagedProcess([sys.executable, '-m', 'orchestrator_pkg.nodes.base_driver_node',
                             '--ros-args', '-p', 'use_sim_time:=true', '-p', 'timeout_s:=0.2'],
                            env=ros_domain.env())
    with sim, driver:
        assert sim.wait_for_output('sim ready', WAIT_S), sim.output()
        assert driver.wait_for_output('base_driver ready', WAIT_S), driver.output()
        rclpy.init(domain_id=ros_domain.domain_id)
        listener = Listener()
        try:
            watch_ground_truth(listener)
            listener.watch(DiagnosticStatus, 'base_driver/state')
            listener.watch(Twist, 'cmd_vel')
            yield listener, driver
        finally:
            listener.destroy()
            rclpy.shutdown()
    for proc in (sim, driver):
        assert proc.returncode == 0 and 'Traceback' not in proc.output(), proc.output()


def test_watchdog_stops_a_robot_whose_commands_stop(stack):
    listener, driver = stack
    pub = listener.node.create_publisher(Twist, 'cmd_vel_nav', 10)
    command = Twist()
    command.linear.x = 0.3
    listener.wait_for(lambda: _mode(listener) == 'IDLE', what='base_driver IDLE')
    listener.wait_for(lambda: listener.truth() and listener.truth()[3] > 0.25,
                      what='the robot moving', every=lambda: pub.publish(command))
    assert _mode(listener) == 'ACTIVE'
    x_moving = listener.truth()[0]
    # the command stream stops
    listener.wait_for(lambda: _mode(listener) == 'TIMEOUT', what='base_driver TIMEOUT')
    listener.wait_for(lambda: abs(listener.truth()[3]) < 0.01, what='the robot stopping')
    x_stop, _, _, _, _, t_stop = listener.truth()
    assert 0.0 < x_stop - x_moving < 0.3  # it stopped soon after the commands stopped
    listener.wait_for(lambda: listener.truth()[5] > t_stop + 1.0, what='1 s more sim time')
    assert listener.truth()[0] == pytest.approx(x_stop, abs=0.005)  # and it stays stopped
    assert all(m.linear.x == 0.0 for m in listener.messages['cmd_vel'][-5:])
    assert 'sending zero velocity' in driver.output()


def test_estop_holds_the_robot_until_released(stack):
    listener, driver = stack
    pub = listener.node.create_publisher(Twist, 'cmd_vel_nav', 10)
    estop = listener.node.create_publisher(
        Bool, 'e_stop', QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL))
    command = Twist()
    command.angular.z = 1.0
    keep_commanding = lambda: pub.publish(command)  # noqa: E731
    listener.wait_for(lambda: listener.truth() and listener.truth()[4] > 0.9,
                      what='the robot turning', every=keep_commanding)
    estop.publish(Bool(data=True))
    listener.wait_for(lambda: _mode(listener) == 'ESTOP', what='ESTOP', every=keep_commanding)
    listener.wait_for(lambda: abs(listener.truth()[4]) < 0.01, what='the robot stopping',
                      every=keep_commanding)
    t0 = listener.truth()[5]
    yaw0 = listener.truth()[2]
    listener.wait_for(lambda: listener.truth()[5] > t0 + 1.0, what='1 s of e-stop',
                      every=keep_commanding)
    assert listener.truth()[2] == pytest.approx(yaw0, abs=0.005)  # commands kept coming
    estop.publish(Bool(data=False))
    listener.wait_for(lambda: listener.truth()[4] > 0.9, what='turning again after release',
                      every=keep_commanding)
    assert 'e-stop ENGAGED' in driver.output() and 'e-stop released' in driver.output()

"""Lockstep: with max_lead_s the sim at rtf 0 waits for the stack instead of racing ahead."""
import time

from geometry_msgs.msg import Twist
import pytest
import rclpy
from rosgraph_msgs.msg import Clock
from sim_helpers import WAIT_S, Listener, sim_process


@pytest.fixture
def listener_on(ros_domain):
    """Start a sim in lockstep at rtf 0; yield a listener on /clock."""
    proc = sim_process(ros_domain.env(), 'max_lead_s:=0.2', 'lead_wait_timeout_s:=60.0',
                       rtf=0.0)
    with proc:
        assert proc.wait_for_output('sim ready', WAIT_S), proc.output()
        rclpy.init(domain_id=ros_domain.domain_id)
        listener = Listener()
        try:
            listener.watch(Clock, '/clock', keep=10)
            yield listener
        finally:
            listener.destroy()
            rclpy.shutdown()
    assert proc.returncode == 0, proc.output()


def _frozen_clock(listener, quiet_s=0.5):
    """Wait until /clock stops moving for ``quiet_s`` of wall time; return its value."""
    state = {'value': None, 'since': None}

    def frozen():
        value = listener.sim_time_of('/clock')
        now = time.monotonic()
        if value != state['value']:
            state['value'], state['since'] = value, now
        return value is not None and now - state['since'] >= quiet_s
    listener.wait_for(frozen, what='/clock to stop (the sim waiting for cmd_vel)')
    return state['value']


def test_sim_time_advances_only_as_far_as_the_commands_allow(listener_on):
    listener = listener_on
    listener.wait_for(lambda: (listener.sim_time_of('/clock') or 0.0) > 1.0,
                      what='the free-running start')
    pub = listener.node.create_publisher(Twist, 'cmd_vel', 10)
    listener.wait_for(lambda: pub.get_subscription_count() > 0, what='the sim subscribing')
    pub.publish(Twist())
    held = _frozen_clock(listener)  # at rtf 0 a free-running sim never stops
    for _ in range(10):
        pub.publish(Twist())
        listener.spin_for(0.1)
    after = _frozen_clock(listener)
    assert after > held + 0.2  # the commands let it run on ...
    # ... never more than max_lead_s past each one. Under CPU load the first
    # "frozen" reading can come from a starved sim short of its hold point, by
    # at most one lead (it cannot pass the first hold), hence the extra 0.2 s.
    assert after - held <= 10 * 0.2 + 0.2 + 0.05

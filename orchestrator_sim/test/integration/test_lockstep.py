"""Lockstep: with max_lead_s the sim at rtf 0 waits for the stack instead of racing ahead.

By default the sim keys on ``cmd_vel_nav`` (the controller's cycle), not on
``cmd_vel``, which base_driver republishes on its own timer whether or not the
controller kept up; ``lockstep_topics:=['']`` keys on cmd_vel as before.
"""
import time

from geometry_msgs.msg import Twist
import pytest
import rclpy
from rosgraph_msgs.msg import Clock
from sim_helpers import WAIT_S, Listener, sim_process
from std_msgs.msg import Header

LEAD_S = 0.2


@pytest.fixture
def start_sim(ros_domain):
    """Return a function that starts a sim in lockstep at rtf 0 and a listener on /clock."""
    started = []

    def start(*params):
        proc = sim_process(ros_domain.env(), f'max_lead_s:={LEAD_S}', *params, rtf=0.0)
        started.append(proc.start())
        assert proc.wait_for_output('sim ready', WAIT_S), proc.output()
        rclpy.init(domain_id=ros_domain.domain_id)
        listener = Listener()
        listener.proc = proc  # for the sim's log
        started.append(listener)
        listener.watch(Clock, '/clock', keep=10)
        listener.wait_for(lambda: (listener.sim_time_of('/clock') or 0.0) > 1.0,
                          what='the free-running start')
        return listener
    yield start
    if len(started) == 2:
        started[1].destroy()
        rclpy.shutdown()
    if started:
        proc = started[0]
        assert proc.stop() == 0, proc.output()


def _frozen_clock(listener, quiet_s=0.5):
    """Wait until /clock stops moving for ``quiet_s`` of wall time; return its value."""
    state = {'value': None, 'since': None}

    def frozen():
        value = listener.sim_time_of('/clock')
        now = time.monotonic()
        if value != state['value']:
            state['value'], state['since'] = value, now
        return value is not None and now - state['since'] >= quiet_s
    listener.wait_for(frozen, what='/clock to stop (the sim waiting for the stack)')
    return state['value']


def _publisher(listener, topic, msg_type=Twist):
    pub = listener.node.create_publisher(msg_type, topic, 10)
    listener.wait_for(lambda: pub.get_subscription_count() > 0, what=f'the sim on {topic}')
    return pub


def _check_commands_pace_the_sim(listener, pub, msg_type=Twist):
    pub.publish(msg_type())
    held = _frozen_clock(listener)  # at rtf 0 a free-running sim never stops
    for _ in range(10):
        pub.publish(msg_type())
        listener.spin_for(0.1)
    after = _frozen_clock(listener)
    assert after > held + LEAD_S  # the commands let it run on ...
    # ... never more than max_lead_s past each one. Under CPU load the first
    # "frozen" reading can come from a starved sim short of its hold point, by
    # at most one lead (it cannot pass the first hold), hence the extra lead.
    assert after - held <= 10 * LEAD_S + LEAD_S + 0.05
    return after


def test_the_controller_cycle_paces_the_sim_and_cmd_vel_does_not(start_sim):
    listener = start_sim('lead_wait_timeout_s:=60.0')
    nav = _publisher(listener, 'cmd_vel_nav')
    held = _check_commands_pace_the_sim(listener, nav)
    # base_driver's cmd_vel (its own timer, the watchdog) does not release the sim
    cmd_vel = _publisher(listener, 'cmd_vel')
    for _ in range(10):
        cmd_vel.publish(Twist())
        listener.spin_for(0.1)
    assert _frozen_clock(listener) == held
    nav.publish(Twist())
    listener.wait_for(lambda: listener.sim_time_of('/clock') > held, what='the sim released')


def test_an_empty_topic_list_keys_on_cmd_vel(start_sim):
    listener = start_sim('lead_wait_timeout_s:=60.0', "lockstep_topics:=['']")
    _check_commands_pace_the_sim(listener, _publisher(listener, 'cmd_vel'))


def test_the_orchestrator_heartbeat_paces_the_sim_while_the_controller_is_idle(start_sim):
    # no controller cycle at all (no goal): the heartbeat alone holds the sim, so at rtf 0
    # it never runs more than max_lead_s past the orchestrator (whose lapse would stop
    # the robot), and nothing needs lockstep_idle_rtf to slow it down
    listener = start_sim('lead_wait_timeout_s:=60.0',
                         'lockstep_heartbeat_topic:=orchestrator/heartbeat')
    beat = _publisher(listener, '/orchestrator/heartbeat', Header)
    held = _check_commands_pace_the_sim(listener, beat, Header)
    # the controller's cycle alone does not release it while the heartbeat is behind
    nav = _publisher(listener, 'cmd_vel_nav')
    for _ in range(5):
        nav.publish(Twist())
        listener.spin_for(0.1)
    assert _frozen_clock(listener) == held


def test_until_the_first_command_the_sim_runs_no_faster_than_real_time(start_sim):
    # the bringup at rtf 0 (lockstep_idle_rtf 0): while the stack starts nothing holds
    # the sim, so it must not race through the start-up; the orchestrator's heartbeat
    # alone is not the stack being up
    listener = start_sim('lead_wait_timeout_s:=60.0', 'lockstep_idle_rtf:=0.0',
                         'lockstep_heartbeat_topic:=orchestrator/heartbeat')
    beat = _publisher(listener, '/orchestrator/heartbeat', Header)
    sim0, wall0 = listener.sim_time_of('/clock'), time.monotonic()
    for _ in range(20):
        beat.publish(Header())
        listener.spin_for(0.1)
    sim1, wall1 = listener.sim_time_of('/clock'), time.monotonic()
    assert sim1 > sim0  # it runs ...
    assert sim1 - sim0 <= (wall1 - wall0) * 1.0 + 0.3  # ... no faster than real time
    assert 'the first command' not in listener.proc.output()
    # the controller's first cycle: from then on the stack paces the sim, as fast as it goes
    nav = _publisher(listener, 'cmd_vel_nav')
    nav.publish(Twist())
    listener.wait_for(lambda: 'lockstep: the first command at ' in listener.proc.output(),
                      what="the sim's log of the first command")
    before, wall0 = listener.sim_time_of('/clock'), time.monotonic()
    for _ in range(20):  # beats and cycles at 10 Hz wall: 0.2 s of lead each, 2x real time
        beat.publish(Header())
        nav.publish(Twist())
        listener.spin_for(0.1)
    ran, wall = listener.sim_time_of('/clock') - before, time.monotonic() - wall0
    assert ran > 1.3 * wall, (ran, wall)  # faster than the start-up's real time


def test_without_a_heartbeat_for_lead_wait_timeout_the_sim_runs_on(start_sim):
    listener = start_sim('lead_wait_timeout_s:=0.5',
                         'lockstep_heartbeat_topic:=orchestrator/heartbeat')
    beat = _publisher(listener, '/orchestrator/heartbeat', Header)
    beat.publish(Header())
    listener.wait_for(lambda: listener.sim_time_of('/clock') is not None, what='/clock')
    first = listener.sim_time_of('/clock')
    # the orchestrator is gone: after 0.5 s of wall time the sim runs on without it
    listener.wait_for(lambda: listener.sim_time_of('/clock') > first + 10 * LEAD_S,
                      what='the sim running on without heartbeats')
    # it held first, and ran on for the timeout, not for want of a heartbeat key
    assert 'no heartbeat on orchestrator/heartbeat for 0.5 s of wall time; running on ' \
        'without the orchestrator' in listener.proc.output(), listener.proc.output()


def test_an_idle_robot_does_not_stall_the_sim(start_sim):
    # the controller stops publishing (no goal): after lead_wait_timeout_s of wall time
    # the sim runs on without it, at lockstep_idle_rtf (1: real time, even at rtf 0:
    # nothing shows that the rest of the stack keeps up)
    listener = start_sim('lead_wait_timeout_s:=0.5')
    nav = _publisher(listener, 'cmd_vel_nav')
    nav.publish(Twist())
    listener.wait_for(lambda: listener.sim_time_of('/clock') is not None, what='/clock')
    first = listener.sim_time_of('/clock')
    listener.wait_for(lambda: listener.sim_time_of('/clock') > first + 10 * LEAD_S,
                      what='the sim running on without commands')
    sim0, wall0 = listener.sim_time_of('/clock'), time.monotonic()
    listener.spin_for(2.0)
    sim1, wall1 = listener.sim_time_of('/clock'), time.monotonic()
    assert sim1 > sim0  # it runs ...
    assert sim1 - sim0 <= (wall1 - wall0) * 1.0 + 0.3  # ... no faster than real time


def test_with_two_robots_the_robot_whose_stack_is_behind_holds_the_sim(ros_domain):
    proc = sim_process(ros_domain.env(), 'max_lead_s:=0.2', 'lead_wait_timeout_s:=60.0',
                       'robots:=[robot1, robot2]', rtf=0.0, world='warehouse')
    with proc:
        assert proc.wait_for_output('sim ready', WAIT_S), proc.output()
        rclpy.init(domain_id=ros_domain.domain_id)
        listener = Listener()
        try:
            listener.watch(Clock, '/clock', keep=10)
            # each robot's controller cycle (cmd_vel_nav, in its namespace) is its heartbeat
            pubs = [listener.node.create_publisher(Twist, f'/{ns}/cmd_vel_nav', 10)
                    for ns in ('robot1', 'robot2')]
            listener.wait_for(lambda: all(p.get_subscription_count() > 0 for p in pubs),
                              what='the sim subscribing to both cmd_vel_nav')
            for pub in pubs:
                pub.publish(Twist())
            held = _frozen_clock(listener)
            for _ in range(10):  # robot1's stack keeps going, robot2's is silent
                pubs[0].publish(Twist())
                listener.spin_for(0.1)
            # robot2's last command holds the sim (within one lead of the hold point)
            assert _frozen_clock(listener) - held <= 0.2 + 0.05
            for _ in range(10):  # now both stacks keep up
                for pub in pubs:
                    pub.publish(Twist())
                listener.spin_for(0.1)
            assert _frozen_clock(listener) > held + 0.2
        finally:
            listener.destroy()
            rclpy.shutdown()
    assert proc.returncode == 0, proc.output()

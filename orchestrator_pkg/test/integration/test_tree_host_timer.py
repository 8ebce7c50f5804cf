"""The tree host's timers, in one process (issue 16, item 6).

The tick timer sleeps while no tree runs, and its ticks carry the node's
heartbeat while they are at least as frequent. A goal's log lines are written
by the next tick, after its answer.
"""
import time

from action_msgs.msg import GoalStatus
import pytest
from rcl_interfaces.msg import Log
import rclpy
from rclpy.action import ActionClient
from rclpy.executors import SingleThreadedExecutor

from orchestrator_interfaces.action import ExecuteMission
from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.nodes import tree_host
from orchestrator_pkg.nodes.tree_host import TreeAction, TreeHost
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.trees.loader import load_string
from orchestrator_pkg.trees.runner import MissionRunner

TIMEOUT_S = 20.0
SLEEP = ('<root BTCPP_format="4"><BehaviorTree ID="M">'
         '<Sleep name="Z" msec="{ms}"/></BehaviorTree></root>')


class Host:
    """A TreeHost on a plain node serving ExecuteMission, a client node, one executor."""

    def __init__(self, tick_rate_hz):
        self.node = rclpy.create_node('tree_host_timer', parameter_overrides=[
            rclpy.parameter.Parameter('tick_rate_hz', value=tick_rate_hz)])
        self.host = TreeHost(self.node, 'mission')
        registry = default_registry()
        self.action = TreeAction(
            ExecuteMission, 'execute_mission', on_goal=lambda goal: MissionRunner(
                load_string(goal.tree_xml, registry).build(clock=self.host.clock),
                'test', self.host.clock),
            on_loop=lambda runner: ExecuteMission.Feedback(),
            on_completion=lambda ending: ExecuteMission.Result())
        self.host.serve(self.action)
        self.beats = []  # ROS-clock seconds of each beat
        self.beat_timer = None
        self.client_node = rclpy.create_node('tree_host_timer_client')
        self.client = ActionClient(self.client_node, ExecuteMission, 'execute_mission')
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.node)
        self.executor.add_node(self.client_node)

    def carry(self, rate_hz):
        def beat():
            self.beats.append(self.host.clock.now())
        self.beat_timer = self.node.create_timer(1.0 / rate_hz, beat)
        self.host.carry_heartbeat(self.beat_timer, beat, rate_hz)

    def spin(self, seconds=None, until=None):
        deadline = time.monotonic() + (seconds if seconds is not None else TIMEOUT_S)
        while time.monotonic() < deadline and not (until is not None and until()):
            self.executor.spin_once(timeout_sec=0.01)
        return until() if until is not None else True

    def run(self, ms, during=None):
        """Run a Sleep mission of ``ms``; call ``during()`` while it runs; return its status."""
        future = self.client.send_goal_async(ExecuteMission.Goal(tree_xml=SLEEP.format(ms=ms)))
        assert self.spin(until=future.done)
        result = future.result().get_result_async()
        if during is not None:
            self.spin(ms / 2000.0)
            during()
        assert self.spin(until=result.done)
        return result.result().status

    def close(self):
        self.client.destroy()
        self.executor.shutdown()
        destroy_node_and_waitables(self.client_node)
        destroy_node_and_waitables(self.node)


@pytest.fixture
def make_host(ros_domain):
    rclpy.init(domain_id=ros_domain.domain_id)
    hosts = []
    try:
        def make(tick_rate_hz):
            hosts.append(Host(tick_rate_hz))
            assert hosts[-1].client.wait_for_server(timeout_sec=TIMEOUT_S)
            return hosts[-1]
        yield make
    finally:
        for host in hosts:
            host.close()
        rclpy.shutdown()


def test_the_tick_timer_sleeps_while_no_tree_runs(make_host, monkeypatch):
    monkeypatch.setattr(tree_host, 'RETIRE_AFTER_S', 0.3)
    host = make_host(100.0)
    host.spin(0.2)
    assert not host.host.ticking  # idle from the start: no wake at 100 Hz for nothing
    seen = []
    assert host.run(400, during=lambda: seen.append(host.host.ticking)) == \
        GoalStatus.STATUS_SUCCEEDED
    assert seen == [True]
    assert host.host.ticking  # the finished tree waits for its shutdown
    assert host.spin(2.0, until=lambda: not host.host.ticking)
    # a goal wakes it again, and a tree that ends at its first tick is ended all the same
    assert host.run(0) == GoalStatus.STATUS_SUCCEEDED
    assert host.run(300) == GoalStatus.STATUS_SUCCEEDED
    assert host.spin(2.0, until=lambda: not host.host.ticking)


def test_ticks_carry_the_heartbeat_without_a_lapse(make_host, monkeypatch):
    monkeypatch.setattr(tree_host, 'RETIRE_AFTER_S', 0.3)
    host = make_host(100.0)
    host.carry(50.0)
    host.spin(0.5)
    idle = len(host.beats)
    assert not host.beat_timer.is_canceled() and idle >= 10  # its own timer beats, 50 Hz
    carried = []
    assert host.run(1000, during=lambda: carried.append(host.beat_timer.is_canceled())) == \
        GoalStatus.STATUS_SUCCEEDED
    assert carried == [True]  # the 100 Hz ticks beat for it
    assert host.spin(2.0, until=lambda: not host.host.ticking)
    assert not host.beat_timer.is_canceled()  # back to its own timer
    host.spin(0.5)
    gaps = [b - a for a, b in zip(host.beats, host.beats[1:], strict=False)]
    print(f'{len(host.beats)} beats, gaps {min(gaps):.3f}-{max(gaps):.3f} s')
    assert max(gaps) < 0.15, gaps  # 20 ms each, base_driver's timeout 0.15 s: no lapse
    assert len(gaps) / (host.beats[-1] - host.beats[0]) < 60  # still 50 Hz, not the ticks' 100


def test_slower_ticks_leave_the_heartbeat_to_its_timer(make_host):
    host = make_host(20.0)
    host.carry(50.0)
    carried = []
    assert host.run(500, during=lambda: carried.append(host.beat_timer.is_canceled())) == \
        GoalStatus.STATUS_SUCCEEDED
    assert carried == [False]


class Lines:
    """The host node's log lines on /rosout, and the goals' results, in arrival order."""

    def __init__(self, host):
        self.events = []
        host.client_node.create_subscription(
            Log, '/rosout', lambda m: self.events.append(m.msg)
            if m.name == 'tree_host_timer' else None, 100)

    def logged(self, *texts):
        return all(text in self.events for text in texts)


def test_a_goals_lines_are_logged_after_its_answer_in_order(make_host):
    host = make_host(20.0)
    lines = Lines(host)
    on_goal, on_completion = host.action.on_goal, host.action.on_completion

    def started(goal):
        runner = on_goal(goal)
        host.host.log_later(f'started {runner.built.tree_id}')
        return runner

    def ended(ending):
        host.host.log_later(f'ended {ending.state}')
        return on_completion(ending)
    host.action.on_goal, host.action.on_completion = started, ended
    host.spin(0.5)
    future = host.client.send_goal_async(ExecuteMission.Goal(tree_xml=SLEEP.format(ms=0)))
    assert host.spin(until=future.done)
    result = future.result().get_result_async()
    result.add_done_callback(lambda _: lines.events.append('<result>'))
    assert host.spin(until=lambda: lines.logged('started M', 'ended SUCCEEDED'))
    # the mission ended in its first tick: the answer went out before rclpy wrote a line
    assert [e for e in lines.events if e in ('<result>', 'started M', 'ended SUCCEEDED')] == \
        ['<result>', 'started M', 'ended SUCCEEDED']
    assert host.spin(4.0, until=lambda: not host.host.ticking)  # then the timer sleeps


def test_halt_writes_the_lines_still_waiting(make_host):
    host = make_host(1.0)
    lines = Lines(host)
    assert host.spin(3.0, until=lambda: not host.host.ticking)
    host.host.log_later('last words')  # wakes the timer: its next tick is a second away
    host.host.halt()  # the node is going away: no tick will write it
    assert host.spin(0.5, until=lambda: lines.logged('last words'))

"""System tests (issue 12): faults injected into one running stack, judged by ground truth.

One ``orchestrator run`` without a mission (sim, base_driver, planner,
controller, behavior server, bt_navigator, orchestrator: every node real)
serves all cases; each case sends its own ExecuteMission goal, injects a fault
while the sim's ground truth shows the robot driving, and reads from
``ground_truth/odom`` (sim time) when the robot is still:

* a burst of NaN/Inf odometry mid-goal: no node dies, the mission ends cleanly;
* SIGKILL of bt_navigator mid-NavigateToPose: the controller ends the orphaned
  FollowPath goal (the robot stops) and the mission fails naming the dead server;
* SIGKILL of controller_server mid-FollowPath (go_to): base_driver drops its
  last command, and the mission ends (fails naming the server, or recovers)
  instead of waiting forever;
* SIGSTOP of controller_server: base_driver's stale-command stop holds the robot;
* a preempt storm of NavigateToPose goals: each ends, the robot ends at the last.

The runner respawns a killed node; each case waits for its server to be back.
The bounds come from the mechanisms (docs/reliability.md): the runner's exit
report on /diagnostics (within its 0.05 s poll) for a killed process,
base_driver's timeout_s (0.15 s in bringup.yaml) for a stopped one, and braking (about 0.25 s
from 0.5 m/s).
"""
import math
import os
import signal
import sys
import threading
import time

from action_msgs.msg import GoalStatus
from diagnostic_msgs.msg import KeyValue
from nav2_msgs.action import FollowPath, NavigateToPose
from nav_msgs.msg import Odometry
import pytest
import rclpy
from rclpy.action import ActionClient
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rosgraph_msgs.msg import Clock

from orchestrator_interfaces.action import ExecuteMission
from orchestrator_interfaces.srv import TeleportRobot
from orchestrator_pkg.ros_edge.lifecycle import StackActive
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.ros_edge.waiting import in_executor_thread
from orchestrator_pkg.testing.processes import ManagedProcess, child_pid
from orchestrator_pkg.testing.velocity_oracle import assert_run_within_limits
from orchestrator_pkg.trees.failure import FailureCode

STARTUP_WAIT_S = 300.0   # wall: the stack comes up
MOVING_MPS = 0.3         # "driving": ground-truth speed above this for a few samples
STILL_MPS = 0.02
STILL_RADPS = 0.05
# stop bounds, sim time from the fault (see the module docstring)
# orchestrator run's runner reports a node's exit on /diagnostics within its poll
# (0.05 s): the orphaned goal ends, or base_driver drops the dead controller's
# command, without the DDS lease (1 s) or base_driver's timeout_s
REPORTED_STOP_BOUND_S = 0.1 + 0.25 + 0.25      # report + braking + margin
STALE_STOP_BOUND_S = 0.15 + 0.05 + 0.25 + 0.05  # bringup's timeout_s + a cycle + braking + margin
GOAL = '0;map;6.5;0.8;0;0;0;0;1'  # dropoff, from the dock
NAVIGATE_XML = ('<root BTCPP_format="4" main_tree_to_execute="M"><BehaviorTree ID="M">'
                '<NavigateToPose name="Nav" goal="{goal}"/></BehaviorTree></root>')


def _sec(stamp) -> float:
    return stamp.sec + stamp.nanosec * 1e-9


class Stack:
    """The running stack and the test's node (spun in a thread)."""

    def __init__(self, run, domain_id):
        self.run = run
        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=domain_id)
        self.node = rclpy.create_node('fault_test_monitor', context=self.context)
        self.lock = threading.Lock()
        self.clock = 0.0
        self.samples = []  # (sim time, speed, turn rate)
        self.position = (math.nan, math.nan)  # ground truth (x, y), the latest
        reliable = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
        self.node.create_subscription(Clock, '/clock', self._on_clock, reliable)
        self.node.create_subscription(Odometry, 'ground_truth/odom', self._on_truth, reliable)
        self.odom_pub = self.node.create_publisher(Odometry, 'odom', 10)
        self.missions = ActionClient(self.node, ExecuteMission, 'execute_mission')
        self.teleport = self.node.create_client(TeleportRobot, 'teleport')
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self._spin, daemon=True)
        self.thread.start()

    def _spin(self):
        try:
            self.executor.spin()
        except ExternalShutdownException:
            pass

    def _on_clock(self, msg):
        with self.lock:
            self.clock = _sec(msg.clock)

    def _on_truth(self, msg):
        t = msg.twist.twist
        with self.lock:
            self.samples.append((_sec(msg.header.stamp), math.hypot(t.linear.x, t.linear.y),
                                 t.angular.z))
            self.position = (msg.pose.pose.position.x, msg.pose.pose.position.y)

    def now(self) -> float:
        with self.lock:
            return self.clock

    def wait(self, predicate, timeout_s) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if predicate():
                return True
            assert self.run.poll() is None, self.run.output()[-5000:]
            time.sleep(0.01)
        return bool(predicate())

    def driving(self) -> bool:
        with self.lock:
            return len(self.samples) > 5 and all(s[1] > MOVING_MPS for s in self.samples[-5:])

    def still_from(self, after):
        """First sim time >= ``after`` from which every sample is still (None if moving)."""
        first = None
        with self.lock:
            samples = list(self.samples)
        for stamp, speed, turn in samples:
            if stamp < after:
                continue
            if speed < STILL_MPS and abs(turn) < STILL_RADPS:
                first = stamp if first is None else first
            else:
                first = None
        return first

    def pid(self, executable: str):
        return child_pid(self.run.pid, f'lib/orchestrator_pkg/{executable}')

    def send(self, **goal_fields):
        """Put the robot at the dock, send a mission; return its goal handle once accepted.

        Every case starts from the same place (a case that ends mid-route would leave the
        next one somewhere else), with the world and the odometry reset.
        """
        self.to_dock()
        assert self.missions.wait_for_server(timeout_sec=60.0)
        inputs = [KeyValue(key='goal', value=GOAL)]
        goal = ExecuteMission.Goal(inputs=inputs, **goal_fields)
        # made in the spinning thread: rclpy#1123 (a response taken first is ignored)
        future = in_executor_thread(self.executor, lambda: self.missions.send_goal_async(goal))
        assert self.wait(future.done, 30.0), 'no answer to the mission goal'
        handle = future.result()
        assert handle.accepted
        return handle

    def to_dock(self):
        """Teleport the robot to the dock (world and odometry reset); wait for new scans."""
        assert self.teleport.wait_for_service(timeout_sec=30.0)
        # Fast DDS can drop the reply to a client it has not matched yet: the
        # teleport (idempotent) is asked again rather than waited for forever.
        request = TeleportRobot.Request(place='dock', reset_world=True)
        for _ in range(6):
            done = self.teleport.call_async(request)
            if self.wait(done.done, 5.0):
                break
        assert done.done() and done.result().success, 'teleport failed'
        start = self.now()
        self.wait(lambda: self.now() > start + 1.0, 30.0)  # scans of the new place

    def close(self):
        self.executor.shutdown()
        destroy_node_and_waitables(self.node)
        rclpy.try_shutdown(context=self.context)
        self.thread.join(5.0)


@pytest.fixture(scope='module')
def stack(ros_domain_module, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp('faults') / 'run'
    # truth localization: every case teleports the robot back to the dock and resets
    # its odometry, which amcl would rightly take for a kidnap (the kidnap test's
    # subject, not this one's)
    cmd = [sys.executable, '-m', 'orchestrator_pkg.cli', 'run', '--world', 'warehouse',
           '--localization', 'truth', '--rtf', '1', '--timeout-s', '3000',
           '--run-dir', str(run_dir)]
    with ManagedProcess(cmd, env=ros_domain_module.env(), stop_timeout_s=30.0) as run:
        stack = Stack(run, ros_domain_module.domain_id)
        stack.run_dir = run_dir
        try:
            assert stack.missions.wait_for_server(timeout_sec=STARTUP_WAIT_S), \
                run.output()[-5000:]
            # the managed servers refuse goals until lifecycle_manager_navigation has
            # activated them, as Nav2's do (a full run sent the first go_to too early)
            active = in_executor_thread(stack.executor, lambda: StackActive(stack.node))
            assert stack.wait(active.poll, STARTUP_WAIT_S), active.message
            yield stack
        finally:
            stack.close()
    assert_run_within_limits(run_dir)  # the velocity oracle over every fault case


def _result(stack, handle, timeout_s):
    future = in_executor_thread(stack.executor, handle.get_result_async)
    assert stack.wait(future.done, timeout_s), 'the mission never ended'
    return future.result().result


def _wait_for_servers(stack, action_type, name):
    """Wait until a respawned node's action server is back (the stack is whole again).

    The client is made and destroyed in the spinning thread: destroyed from this
    one while the executor waits on it, it ended the executor's spin with an
    exception (a full run), and every later case's teleport went unanswered.
    """
    client = in_executor_thread(stack.executor, lambda: ActionClient(stack.node, action_type,
                                                                     name))
    try:
        assert client.wait_for_server(timeout_sec=60.0), f'{name} did not come back'
    finally:
        in_executor_thread(stack.executor, client.destroy)


@pytest.mark.timeout(STARTUP_WAIT_S + 120)
def test_a_nan_odometry_burst_mid_goal_kills_no_node(stack):
    pids = {name: stack.pid(name) for name in ('controller_server', 'planner_server',
                                               'behavior_server', 'navigator_node')}
    handle = stack.send(mission_name='go_to')
    assert stack.wait(stack.driving, 60.0), stack.run.output()[-3000:]
    for i in range(50):
        odom = Odometry()
        odom.pose.pose.position.x = (math.nan, math.inf, -math.inf)[i % 3]
        odom.pose.pose.orientation.w = 1.0
        stack.odom_pub.publish(odom)
        time.sleep(0.01)
    result = _result(stack, handle, 90.0)
    assert result.outcome in (ExecuteMission.Result.SUCCEEDED, ExecuteMission.Result.FAILED)
    if result.outcome == ExecuteMission.Result.FAILED:
        assert result.failure.message, 'a failure without a reason'
    for name, pid in pids.items():
        assert pid is not None and stack.pid(name) == pid, f'{name} died or was respawned'
    assert 'dropped a message on odom' in stack.run.output(), stack.run.output()[-3000:]


@pytest.mark.timeout(120)
def test_sigkill_of_the_controller_mid_goal_ends_the_mission(stack):
    handle = stack.send(mission_name='go_to')
    assert stack.wait(stack.driving, 60.0), stack.run.output()[-3000:]
    killed_sim, killed = stack.now(), time.monotonic()
    os.kill(stack.pid('controller_server'), signal.SIGKILL)
    result = _result(stack, handle, 30.0)
    ended_after, ended_sim = time.monotonic() - killed, stack.now() - killed_sim
    assert ended_sim < 5.0, (ended_sim, ended_after)
    if result.outcome == ExecuteMission.Result.FAILED:
        assert 'controller_server died' in result.failure.message, result.failure.message
    stack.wait(lambda: stack.now() > killed_sim + REPORTED_STOP_BOUND_S + 1.0, 30.0)
    still = stack.still_from(killed_sim)
    assert still is not None and still - killed_sim <= REPORTED_STOP_BOUND_S, \
        (still and still - killed_sim)
    # the report did it, not the timeout (base_driver's own log)
    log = (stack.run_dir / 'logs' / 'base_driver.log').read_text()
    assert '/controller_server exited (reported on /diagnostics)' in log, log[-2000:]
    print(f'controller SIGKILL: still {still - killed_sim:.2f} s (sim) after, mission ended '
          f'{ended_sim:.2f} s (sim), {ended_after:.2f} s (wall) after')
    _wait_for_servers(stack, FollowPath, 'follow_path')


@pytest.mark.timeout(120)
def test_sigstop_of_the_controller_stops_the_robot(stack):
    handle = stack.send(mission_name='go_to')
    assert stack.wait(stack.driving, 60.0), stack.run.output()[-3000:]
    pid = stack.pid('controller_server')
    stopped_sim = stack.now()
    lost = f"controller_server's process (pid {pid}) is still running, unreachable"
    before = len(stack.run.output())
    os.kill(pid, signal.SIGSTOP)
    try:
        stack.wait(lambda: stack.now() > stopped_sim + STALE_STOP_BOUND_S + 1.0, 30.0)
        still = stack.still_from(stopped_sim)
        # stalled past its DDS lease, it leaves the graph: the lifecycle manager takes it
        # for dead, and orchestrator run tells that its process still runs, and how
        said = stack.wait(lambda: lost in stack.run.output()[before:], 30.0)
    finally:
        os.kill(pid, signal.SIGCONT)
    assert still is not None and still - stopped_sim <= STALE_STOP_BOUND_S, \
        (still and still - stopped_sim)
    print(f'controller SIGSTOP: still {still - stopped_sim:.2f} s (sim) after')
    output = stack.run.output()[before:]
    assert said, output[-5000:]
    threads = output[output.index(lost):].split('(threads: ', 1)[1].split(')', 1)[0]
    states = {t.split(' x')[0].rsplit(' ', 1)[1] for t in threads.split(', ')}
    assert states == {'T'}, threads  # every thread stopped, as /proc shows it
    in_executor_thread(stack.executor, handle.cancel_goal_async)
    _result(stack, handle, 30.0)
    # running again, it is found again and the manager brings the stack back up
    active = in_executor_thread(stack.executor, lambda: StackActive(stack.node))
    assert stack.wait(active.poll, 60.0), active.message
    log = stack.run_dir / 'logs' / 'controller_server.log'
    assert stack.wait(lambda: 'most recent call first' in log.read_text(), 10.0), \
        log.read_text()[-2000:]  # its Python stacks, asked for by SIGUSR1


@pytest.mark.timeout(120)
def test_sigkill_of_bt_navigator_mid_goal_stops_the_robot_and_fails_the_mission(stack):
    # The orchestrator keeps a finished mission's tree, and with it a go_to mission's
    # follow_path client, for RETIRE_AFTER_S; a second follow_path client in the graph
    # keeps the navigator's FollowPath goal from counting as orphaned (docs/reliability.md,
    # "Orphaned goals", limitation). Start with no follow_path client but bt_navigator's
    # (it has one only while it navigates, and for RETIRE_AFTER_S after).
    def others():
        return sorted(f'{i.node_namespace}/{i.node_name}'.replace('//', '/')
                      for i in stack.node.get_subscriptions_info_by_topic(
                          '/follow_path/_action/status')
                      if (i.node_namespace, i.node_name) != ('/', 'bt_navigator'))
    assert stack.wait(lambda: not others(), 30.0), \
        f'follow_path clients other than bt_navigator\'s: {others()}'
    handle = stack.send(tree_xml=NAVIGATE_XML)
    assert stack.wait(stack.driving, 60.0), stack.run.output()[-3000:]
    killed_sim, killed = stack.now(), time.monotonic()
    os.kill(stack.pid('navigator_node'), signal.SIGKILL)
    result = _result(stack, handle, 30.0)
    failed_after = time.monotonic() - killed
    assert result.outcome == ExecuteMission.Result.FAILED
    assert result.failure.code == FailureCode.SERVER_DIED, result.failure
    assert 'bt_navigator died' in result.failure.message, result.failure.message
    assert failed_after < 3.0, failed_after
    stack.wait(lambda: stack.now() > killed_sim + REPORTED_STOP_BOUND_S + 1.0, 30.0)
    still = stack.still_from(killed_sim)
    assert still is not None and still - killed_sim <= REPORTED_STOP_BOUND_S, \
        (still and still - killed_sim)
    print(f'bt_navigator SIGKILL: still {still - killed_sim:.2f} s (sim) after, mission failed '
          f'{failed_after:.2f} s (wall) after')
    _wait_for_servers(stack, NavigateToPose, 'navigate_to_pose')


def _pose(x, y, yaw):
    goal = NavigateToPose.Goal()
    goal.pose.header.frame_id = 'map'
    goal.pose.pose.position.x, goal.pose.pose.position.y = x, y
    goal.pose.pose.orientation.z, goal.pose.pose.orientation.w = math.sin(yaw / 2), \
        math.cos(yaw / 2)
    return goal


@pytest.mark.timeout(240)
def test_a_preempt_storm_of_navigate_to_pose_goals_ends_at_the_last_one(stack):
    """Ten goals in four seconds, each preempting the last, as a jittery client sends them.

    Nav2's bt_navigator takes a new goal of the same tree into the running tree
    (the old goal ends ABORTED); the robot must end at the last goal, every
    earlier goal must end, and the velocity oracle (the module's) sees the
    whole storm.
    """
    stack.to_dock()
    client = in_executor_thread(stack.executor, lambda: ActionClient(
        stack.node, NavigateToPose, 'navigate_to_pose'))
    try:
        assert client.wait_for_server(timeout_sec=60.0)
        # search_1 (west along the aisle) and dropoff (east), the last one the dropoff
        targets = [(-4.5, 0.8, 0.0), (6.5, 0.8, 0.0)] * 5
        handles = []
        for index, target in enumerate(targets):
            future = in_executor_thread(stack.executor, lambda t=target: client.send_goal_async(
                _pose(*t)))
            assert stack.wait(future.done, 30.0), f'goal {index}: no answer'
            assert future.result().accepted, f'goal {index} rejected'
            handles.append(future.result())
            if index == 0:
                assert stack.wait(stack.driving, 60.0), stack.run.output()[-3000:]
            else:
                time.sleep(0.4)
        results = [in_executor_thread(stack.executor, h.get_result_async) for h in handles]
        assert stack.wait(lambda: all(r.done() for r in results[:-1]), 10.0), \
            [r.done() for r in results]
        assert {r.result().status for r in results[:-1]} == {GoalStatus.STATUS_ABORTED}
        assert stack.wait(results[-1].done, 180.0), 'the last goal never ended'
        last = results[-1].result()
        assert last.status == GoalStatus.STATUS_SUCCEEDED, last.result.error_msg
        with stack.lock:
            x, y = stack.position
        assert math.hypot(x - 6.5, y - 0.8) < 0.5, (x, y)
        print(f'preempt storm: 9 goals aborted, the last reached ({x:.2f}, {y:.2f})')
    finally:
        in_executor_thread(stack.executor, client.destroy)

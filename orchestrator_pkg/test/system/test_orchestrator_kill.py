"""System tests: SIGKILL the orchestrator mid-mission; the sim's ground truth shows the stop.

Every node is real: ``orchestrator run`` starts the bringup (sim, base_driver,
planner, controller, behavior server, navigator, orchestrator) with the
``deliver`` mission. Once the sim's ground truth shows the robot driving, the
test SIGKILLs the orchestrator process and reads, from ``ground_truth/odom``
(stamped with sim time), the first sim time from which the robot stays still.

* Heartbeat path: the test's copy of the bringup marks the orchestrator not
  ``required``, so the runner keeps everything running and does not step in.
  The navigator's goal stays alive and the controller keeps sending commands;
  only base_driver's heartbeat watchdog can stop the robot, and it must within
  the latency budget of the shipped ``heartbeat_timeout_s`` (sim time from the
  test's own /clock at the moment of the kill; docs/bringup.md).
* Runner path: the shipped bringup (orchestrator ``required``) but base_driver
  not requiring the heartbeat: the runner's shutdown (e-stop and zero velocity
  before it stops the nodes) must stop the robot, long before it stops the
  controller. That path is wall-clock, so its bound is looser.
"""
import math
import os
import re
import signal
import sys
import threading
import time

from ament_index_python.packages import get_package_share_directory
from diagnostic_msgs.msg import DiagnosticStatus
from nav_msgs.msg import Odometry
import pytest
import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rosgraph_msgs.msg import Clock
import yaml

from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.testing.processes import ManagedProcess, child_pid
from orchestrator_pkg.testing.velocity_oracle import assert_run_within_limits

STARTUP_WAIT_S = 300.0      # wall: the stack comes up and the robot starts driving
AFTER_KILL_SIM_S = 2.0      # sim seconds watched after the kill
MOVING_MPS = 0.3            # "driving" at the kill: cruising, not just setting off
STILL_MPS = 0.02            # "stopped": ground-truth speed below this ...
STILL_RADPS = 0.05          # ... and turn rate below this
# The heartbeat path's bound (_heartbeat_bound) is the latency budget of docs/bringup.md,
# sim time: the shipped heartbeat_timeout_s, plus one heartbeat period and one base_driver
# cycle (0.02 s each), plus the small_indoor base's braking to still (about 0.17 s, bounded
# by 0.2 s). At a 0.06 s timeout that is issue 12's 0.3 s; the shipped 0.2 s gives 0.44 s.
RUNNER_BOUND_S = 2.0        # wall-clock path; without the e-stop it takes > 5 s


def _sec(stamp) -> float:
    return stamp.sec + stamp.nanosec * 1e-9


def first_still_time(samples, after, still_mps=STILL_MPS, still_radps=STILL_RADPS):
    """First stamp >= ``after`` from which every sample is still; None if the last one moves.

    ``samples``: (stamp, speed, turn rate) in stamp order.
    """
    first = None
    for stamp, speed, turn in samples:
        if stamp < after:
            continue
        if speed < still_mps and abs(turn) < still_radps:
            if first is None:
                first = stamp
        else:
            first = None
    return first


class Monitor:
    """The test's own node: /clock, ground truth and base_driver's state, spun in a thread."""

    def __init__(self, domain_id: int):
        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=domain_id)
        self.node = rclpy.create_node('kill_test_monitor', context=self.context)
        self.lock = threading.Lock()
        self.clock = None
        self.samples = []
        self.states = []
        reliable = QoSProfile(depth=100, reliability=ReliabilityPolicy.RELIABLE)
        self.node.create_subscription(Clock, '/clock', self._on_clock, reliable)
        self.node.create_subscription(Odometry, 'ground_truth/odom', self._on_truth, reliable)
        self.node.create_subscription(DiagnosticStatus, 'base_driver/state',
                                      self._on_state, 10)
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

    def _on_state(self, msg):
        with self.lock:
            self.states.append(msg)

    def now(self):
        with self.lock:
            return self.clock

    def speed(self):
        with self.lock:
            return self.samples[-1][1] if self.samples else 0.0

    def wait(self, predicate, timeout_s, run) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if predicate():
                return True
            if run.poll() is not None:
                return bool(predicate())
            time.sleep(0.01)
        return bool(predicate())

    def close(self):
        self.executor.shutdown()
        destroy_node_and_waitables(self.node)
        rclpy.try_shutdown(context=self.context)
        self.thread.join(5.0)


def _heartbeat_bound() -> float:
    """Return the stop latency budget for the shipped base_driver heartbeat timeout."""
    path = os.path.join(get_package_share_directory('orchestrator_pkg'), 'config',
                        'base_driver.yaml')
    with open(path, encoding='utf-8') as f:
        timeout = yaml.safe_load(f)['base_driver']['ros__parameters']['heartbeat_timeout_s']
    return timeout + 0.02 + 0.02 + 0.2


def _bringup(tmp_path, orchestrator_required: bool, require_heartbeat: bool) -> str:
    """Write a copy of the shipped bringup with the two safety switches set."""
    path = os.path.join(get_package_share_directory('orchestrator_pkg'), 'config',
                        'bringup.yaml')
    with open(path, encoding='utf-8') as f:
        data = yaml.safe_load(f)
    nodes = {n['name']: n for n in data['bringup']['nodes']}
    nodes['orchestrator']['required'] = orchestrator_required
    nodes['base_driver'].setdefault('overrides', {})['require_heartbeat'] = require_heartbeat
    out = tmp_path / 'bringup.yaml'
    out.write_text(yaml.safe_dump(data), encoding='utf-8')
    return str(out)


def _kill_orchestrator_while_driving(ros_domain, bringup, watch_sim_s, run_dir):
    """Run deliver, SIGKILL the orchestrator at speed; return (kill time, samples, states, log)."""
    monitor = Monitor(ros_domain.domain_id)
    cmd = [sys.executable, '-m', 'orchestrator_pkg.cli', 'run', '--bringup', bringup,
           '--world', 'warehouse', '--mission', 'deliver', '--rtf', '1', '--timeout-s', '300',
           '--run-dir', str(run_dir)]
    try:
        with ManagedProcess(cmd, env=ros_domain.env(), stop_timeout_s=30.0) as run:
            # a few samples in a row above the speed: driving, not a blip
            moving = monitor.wait(
                lambda: len(monitor.samples) > 5
                and all(s[1] > MOVING_MPS for s in monitor.samples[-5:]),
                STARTUP_WAIT_S, run)
            assert moving, run.output()[-5000:]
            orchestrator = child_pid(run.pid, 'lib/orchestrator_pkg/orchestrator_node')
            assert orchestrator is not None, 'orchestrator_node is not a child of the runner'
            # at speed now, not only before the process lookup (fresh30: the robot had
            # slowed to 0.17 m/s for a turn by then)
            assert monitor.wait(lambda: (monitor.speed() or 0.0) > MOVING_MPS, 60.0, run), \
                run.output()[-5000:]
            kill_at = monitor.now()
            speed_at_kill = monitor.speed()
            os.kill(orchestrator, signal.SIGKILL)
            assert speed_at_kill > MOVING_MPS
            monitor.wait(lambda: (monitor.now() or 0.0) >= kill_at + watch_sim_s, 120.0, run)
            with monitor.lock:
                samples = list(monitor.samples)
                states = list(monitor.states)
            log = run.output()
    finally:
        monitor.close()
    return kill_at, samples, states, log


@pytest.mark.timeout(STARTUP_WAIT_S + 240)
def test_killing_the_orchestrator_stops_the_robot_within_the_heartbeat_budget(ros_domain, tmp_path):
    bringup = _bringup(tmp_path, orchestrator_required=False, require_heartbeat=True)
    kill_at, samples, states, log = _kill_orchestrator_while_driving(
        ros_domain, bringup, AFTER_KILL_SIM_S, tmp_path / 'run')
    after = [s for s in samples if s[0] >= kill_at]
    assert after and after[-1][0] >= kill_at + AFTER_KILL_SIM_S - 0.1, \
        'the sim kept running after the kill (the runner did not stop it)'
    stopped_at = first_still_time(samples, kill_at)
    assert stopped_at is not None, f'still moving {after[-1][0] - kill_at:.2f} s after the kill'
    latency = stopped_at - kill_at
    print(f'kill at sim t={kill_at:.3f} s; ground truth still from t={stopped_at:.3f} s: '
          f'{latency:.3f} s of sim time')
    # it was base_driver's watchdog, and it says why
    lost = [s for s in states if s.message == 'NO_HEARTBEAT']
    assert lost, [s.message for s in states[-20:]]
    reason = {kv.key: kv.value for kv in lost[-1].values}['stop_reason']
    print(f'base_driver: {reason}')
    assert reason.startswith('heartbeat on /orchestrator/heartbeat lost'), reason
    # The budget runs from the last heartbeat base_driver heard: the kill lands a
    # little after the test's sim time (its monitor lags the sim), and a heartbeat
    # sent in between is the orchestrator's last word (CI: killed at t=6.61, last
    # heartbeat at t=6.65).
    last = float(re.search(r'last at t=([\d.]+) s', reason).group(1))
    assert kill_at - 0.5 <= last <= stopped_at, (kill_at, last, stopped_at)
    since_last = stopped_at - max(kill_at, last)
    bound = _heartbeat_bound()
    assert since_last <= bound, (
        f'{since_last:.3f} s from the last heartbeat > {bound:.2f} s; base_driver: {reason}; '
        f'(t, speed, turn) from the kill: {[s for s in after if s[0] <= stopped_at]}')
    assert 'required node' not in log, 'the runner stopped the stack: not what is tested here'
    assert_run_within_limits(tmp_path / 'run')  # the velocity oracle


@pytest.mark.timeout(STARTUP_WAIT_S + 240)
def test_the_runner_stops_the_robot_when_the_required_orchestrator_dies(ros_domain, tmp_path):
    bringup = _bringup(tmp_path, orchestrator_required=True, require_heartbeat=False)
    kill_at, samples, states, log = _kill_orchestrator_while_driving(
        ros_domain, bringup, RUNNER_BOUND_S + 0.5, tmp_path / 'run')
    assert '[runner] orchestrator exited with code -9\n' in log, log[-5000:]
    stopped_at = first_still_time(samples, kill_at)
    assert stopped_at is not None, 'still moving at the last ground-truth sample'
    latency = stopped_at - kill_at
    print(f'runner path: ground truth still {latency:.3f} s of sim time after the kill')
    assert latency <= RUNNER_BOUND_S, latency
    assert 'e-stop ENGAGED' in log, log[-5000:]
    assert not any(s.message == 'NO_HEARTBEAT' for s in states)  # not the watchdog
    assert_run_within_limits(tmp_path / 'run')  # the velocity oracle

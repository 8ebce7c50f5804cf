"""Benchmark (issue 12): cancel driving missions at random moments; time to a still robot.

Not a test. Run after ``source env.sh``::

    python bench/cancel_storm.py [--cancels 50] [--estops 10] [--seed 1] [--rtf 1]

One whole stack (``orchestrator run --world warehouse``, every node real, no
mission) in a ROS domain of its own. Each round sends a ``go_to`` mission to
the next of a few far-apart places, waits until the robot drives (ground
truth), waits a random 0-2 s more, then:

- **cancel** rounds cancel the ExecuteMission goal (as ``orchestrator cancel``
  or a user's client would);
- **e-stop** rounds (the same-run baseline: the fastest stop the base has)
  engage base_driver's ``e_stop`` instead, then cancel and release it.

Measured in sim time from the ground truth (``ground_truth/odom`` stamps): the
time from the cancel (or e-stop) to the first sample from which the robot stays
still (0.03 m/s, 0.05 rad/s: the velocity oracle's thresholds). Printed: every
round, then median, p90 and worst of each kind, how many cancels were still
within 0.3 s (the issue's bound), and the ratio of the cancel median to the
e-stop median.
"""
import argparse
import math
import random
import statistics
import sys
import threading
import time

from action_msgs.msg import GoalStatus
from diagnostic_msgs.msg import KeyValue
from nav_msgs.msg import Odometry
import rclpy
from rclpy.action import ActionClient
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import QoSProfile, ReliabilityPolicy
from std_msgs.msg import Bool

from orchestrator_interfaces.action import ExecuteMission
from orchestrator_pkg.ros_edge import qos
from orchestrator_pkg.ros_edge.lifecycle import StackActive
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.ros_edge.waiting import in_executor_thread
from orchestrator_pkg.testing.processes import ManagedProcess
from orchestrator_pkg.testing.ros_domain import claim_domain
from orchestrator_pkg.testing.velocity_oracle import STILL_MPS, STILL_RADPS

BOUND_S = 0.3  # issue 12: still within 0.3 s of sim time after a cancel
MOVING_MPS = 0.15
WATCH_S = 2.0  # sim seconds watched after the stop command
# far apart, so a round is always driving when it is cancelled: (x, y) in map
PLACES = [(6.5, 0.8), (-4.5, 0.8), (-1.5, -2.4), (3.0, 1.1), (-6.5, 3.2)]
STATUS = {GoalStatus.STATUS_SUCCEEDED: 'SUCCEEDED', GoalStatus.STATUS_CANCELED: 'CANCELED',
          GoalStatus.STATUS_ABORTED: 'ABORTED'}


class Watch:
    """Ground truth and the mission client, spun on a thread of their own."""

    def __init__(self, domain_id: int):
        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=domain_id)
        self.node = rclpy.create_node('cancel_storm', context=self.context)
        self.lock = threading.Lock()
        self.samples = []  # (sim stamp, speed, turn rate)
        reliable = QoSProfile(depth=200, reliability=ReliabilityPolicy.RELIABLE)
        self.node.create_subscription(Odometry, 'ground_truth/odom', self._on_truth, reliable)
        self.estop = self.node.create_publisher(Bool, 'e_stop', qos.LATCHED_QOS)
        self.missions = ActionClient(self.node, ExecuteMission, 'execute_mission')
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def _on_truth(self, msg):
        t, s = msg.twist.twist, msg.header.stamp
        with self.lock:
            self.samples.append((s.sec + s.nanosec * 1e-9, math.hypot(t.linear.x, t.linear.y),
                                 t.angular.z))
            del self.samples[:-2000]

    def now(self) -> float:
        """Return the sim time of the last ground-truth sample."""
        with self.lock:
            return self.samples[-1][0] if self.samples else 0.0

    def driving(self) -> bool:
        """Tell whether the last five samples are all above MOVING_MPS."""
        with self.lock:
            last = self.samples[-5:]
        return len(last) == 5 and all(s[1] > MOVING_MPS for s in last)

    def still_from(self, after: float):
        """First sim time >= ``after`` from which every sample is still (None if moving)."""
        first = None
        with self.lock:
            samples = [s for s in self.samples if s[0] >= after]
        for stamp, speed, turn in samples:
            if speed < STILL_MPS and abs(turn) < STILL_RADPS:
                first = stamp if first is None else first
            else:
                first = None
        return first

    def close(self):
        """Stop spinning and destroy the node."""
        self.executor.shutdown()
        destroy_node_and_waitables(self.node)
        rclpy.try_shutdown(context=self.context)
        self.thread.join(5.0)


def wait(predicate, timeout_s: float, run) -> bool:
    """Wait (wall) until ``predicate()``; raise if the stack exits meanwhile."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        if run.poll() is not None:
            raise RuntimeError(f'the stack exited:\n{run.output()[-3000:]}')
        time.sleep(0.005)
    return bool(predicate())


def one_round(watch: Watch, run, place, delay_s: float, kind: str):
    """Drive toward ``place``, stop after ``delay_s`` of driving; return sim s to still."""
    goal = ExecuteMission.Goal(mission_name='go_to', inputs=[
        KeyValue(key='goal', value=f'0;map;{place[0]};{place[1]};0;0;0;0;1')])
    future = in_executor_thread(watch.executor, lambda: watch.missions.send_goal_async(goal))
    if not wait(future.done, 30.0, run) or not future.result().accepted:
        raise RuntimeError('the go_to mission was not accepted')
    handle = future.result()
    if not wait(watch.driving, 60.0, run):
        result = in_executor_thread(watch.executor, handle.get_result_async)
        wait(result.done, 5.0, run)
        why = (f'the mission ended: {result.result().result.failure.message}'
               if result.done() else 'the mission is still running')
        raise RuntimeError(f'the robot never drove toward {place}; {why}\n'
                           f'{run.output()[-3000:]}')
    start = watch.now()
    wait(lambda: watch.now() >= start + delay_s, 30.0, run)
    stop_at = watch.now()
    if kind == 'e-stop':
        watch.estop.publish(Bool(data=True))
    # e-stop rounds end their mission too
    cancel = in_executor_thread(watch.executor, handle.cancel_goal_async)
    wait(lambda: watch.now() >= stop_at + WATCH_S, 60.0, run)
    still = watch.still_from(stop_at)
    wait(cancel.done, 30.0, run)
    result = in_executor_thread(watch.executor, handle.get_result_async)
    wait(result.done, 30.0, run)
    if kind == 'e-stop':
        watch.estop.publish(Bool(data=False))
    status = STATUS.get(result.result().status, '?') if result.done() else 'no result'
    return (None if still is None else still - stop_at), status


def main(argv=None) -> int:
    """Run the rounds and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--cancels', type=int, default=50)
    parser.add_argument('--estops', type=int, default=10)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--rtf', type=float, default=1.0)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    kinds = ['cancel'] * args.cancels + ['e-stop'] * args.estops
    rng.shuffle(kinds)  # interleaved, so both kinds see the same machine load
    times = {'cancel': [], 'e-stop': []}
    with claim_domain() as claim:
        cmd = [sys.executable, '-m', 'orchestrator_pkg.cli', 'run', '--world', 'warehouse',
               '--rtf', str(args.rtf), '--timeout-s', '36000']
        with ManagedProcess(cmd, env=claim.env(), stop_timeout_s=30.0) as run:
            watch = Watch(claim.domain_id)
            try:
                if not watch.missions.wait_for_server(timeout_sec=120.0):
                    raise RuntimeError(f'no execute_mission server:\n{run.output()[-3000:]}')
                stack = StackActive(watch.node)  # the managed servers take goals once active
                if not wait(stack.poll, 120.0, run):
                    raise RuntimeError(f'navigation never became active: {stack.message}')
                for i, kind in enumerate(kinds):
                    delay = rng.uniform(0.0, 2.0)
                    took, status = one_round(watch, run, PLACES[i % len(PLACES)], delay, kind)
                    if status == 'SUCCEEDED':  # it arrived before the stop: not counted
                        print(f'{i + 1:3d} {kind:7s} after {delay:.2f} s of driving: the '
                              'mission had SUCCEEDED already (not counted)', flush=True)
                        continue
                    times[kind].append(math.inf if took is None else took)
                    shown = 'still moving' if took is None else f'{took:.3f} s'
                    print(f'{i + 1:3d} {kind:7s} after {delay:.2f} s of driving: still in '
                          f'{shown} (sim); mission status {status}', flush=True)
            finally:
                watch.close()
    print()
    for kind, values in times.items():
        if not values:
            continue
        ordered = sorted(values)
        p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
        print(f'{kind:7s}: median {statistics.median(ordered):.3f} s, p90 {p90:.3f} s, '
              f'worst {ordered[-1]:.3f} s (n={len(ordered)}); within {BOUND_S} s: '
              f'{sum(v <= BOUND_S for v in ordered)}/{len(ordered)}')
    if times['cancel'] and times['e-stop']:
        ratio = statistics.median(times['cancel']) / statistics.median(times['e-stop'])
        print(f'cancel / e-stop (same run, medians): x{ratio:.2f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
"""CPU of one real stack node spun by rclpy's executor, by ours, and by rclpy's EventsExecutor.

Not a test. Run after ``source env.sh``::

    python bench/executor_cost.py [--node base_driver] [--rounds 3] [--seconds 10]

The node (``base_driver``: the real ``BaseDriverNode`` with the stack's
parameters, sim time and the heartbeat watchdog on) runs in a process of its
own, spun by one of three executors, in a private ROS domain: ``rclpy``
(rclpy's ``SingleThreadedExecutor`` as shipped, with ``NodeExecutor``'s skip of
a canceled timer: our executor before ``lean_wait``), ``tasks``
(``NodeExecutor`` with ``direct_calls`` off: kept waits, but every callback
run as a task, as rclpy runs them), ``default`` (``NodeExecutor``, which every
node but base_driver spins on) and ``events`` (``events_executor()``,
base_driver's), as ``ros_edge.main.run_node`` spins them. This process
feeds it what it gets in the stack, at the stack's rates: ``/clock`` at 100 Hz
(sim time = wall time since start), ``cmd_vel_nav`` at 20 Hz (the controller)
and ``orchestrator/heartbeat`` at 50 Hz; it counts the node's ``cmd_vel``.

Rounds alternate rclpy, tasks, default, events, rclpy, ... so all see the same
machine. Each round waits until the node drives (``cmd_vel`` flowing), then
the node measures its own CPU (user + sys, ``getrusage``) over ``--seconds``.
Figures: CPU seconds per second per executor (median of the rounds), the
ratios default / rclpy, default / tasks and events / default, and the
``cmd_vel`` rate each executor delivered (the node must do the same work: one
``cmd_vel`` per command, 20 Hz).
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

READY_WAIT_S = 30.0
NODES = ('base_driver',)
KINDS = ('rclpy', 'tasks', 'default', 'events')


def serve(node_name: str, executor_kind: str, seconds: float) -> int:
    """Worker: spin the node with the chosen executor; print its CPU over the window as JSON."""
    import rclpy
    from std_msgs.msg import Header

    from orchestrator_pkg.nodes.base_driver_node import BaseDriverNode
    rclpy.init(args=['--ros-args', '-r', f'__node:={node_name}', '-p', 'use_sim_time:=true',
                     '-p', 'require_heartbeat:=true'])
    node = BaseDriverNode()
    from rclpy.executors import SingleThreadedExecutor

    from orchestrator_pkg.ros_edge.main import NodeExecutor, _SkipsCanceledTimers, events_executor

    class RclpyExecutor(_SkipsCanceledTimers, SingleThreadedExecutor):
        """rclpy's own waits: NodeExecutor before lean_wait."""
    class TasksExecutor(NodeExecutor):
        """NodeExecutor with every callback run as a task, as rclpy runs them."""

        direct_calls = False
    executor = {'events': events_executor, 'default': NodeExecutor, 'tasks': TasksExecutor,
                'rclpy': RclpyExecutor}[executor_kind]()
    executor.add_node(node)
    # the bench says when to measure: a Header on bench/start (after cmd_vel flows)
    started = []
    node.create_subscription(Header, 'bench/start', started.append, 1)
    end = time.monotonic() + READY_WAIT_S
    while not started and time.monotonic() < end:
        executor.spin_once(timeout_sec=0.1)
    if not started:
        print(json.dumps({'error': 'never told to start'}), flush=True)
        os._exit(1)
    # spin_once in a loop, as run_node spins them: rclpy's spin() is this loop without a
    # timeout (the node is fed at 170 Hz, so each call returns), and events_executor()'s
    # spin() is this loop with its timeout
    from orchestrator_pkg.ros_edge.main import EVENTS_SPIN_ONCE_S
    timeout = EVENTS_SPIN_ONCE_S if executor_kind == 'events' else None
    before, wall0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    while time.monotonic() < wall0 + seconds:
        executor.spin_once(timeout_sec=timeout)
    after, wall1 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    print(json.dumps({'cpu_s': cpu, 'wall_s': wall1 - wall0}), flush=True)
    os._exit(0)  # the stack's nodes leave this way too (ros_edge.main.stop_then_exit)


class Feeder:
    """The rest of the stack, as far as the node can tell: clock, commands, heartbeat."""

    def __init__(self, domain_id: int):
        from builtin_interfaces.msg import Time
        from geometry_msgs.msg import Twist
        import rclpy
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.qos import QoSProfile, ReliabilityPolicy
        from rosgraph_msgs.msg import Clock
        from std_msgs.msg import Header
        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=domain_id)
        self.node = rclpy.create_node('executor_bench_feeder', context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)
        self.t0 = time.monotonic()
        clock = self.node.create_publisher(Clock, '/clock', 10)
        command = self.node.create_publisher(Twist, 'cmd_vel_nav', 10)
        beat = self.node.create_publisher(
            Header, 'orchestrator/heartbeat',
            QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT))
        self.start = self.node.create_publisher(Header, 'bench/start', 1)
        self.outputs = []
        self.node.create_subscription(Twist, 'cmd_vel',
                                      lambda _: self.outputs.append(time.monotonic()), 100)

        def now():
            elapsed = time.monotonic() - self.t0
            return Time(sec=int(elapsed), nanosec=int(elapsed % 1 * 1e9))

        def tick_clock():
            msg = Clock()
            msg.clock = now()
            clock.publish(msg)

        def tick_command():
            msg = Twist()
            msg.linear.x = 0.3
            command.publish(msg)

        def tick_beat():
            msg = Header()
            msg.stamp = now()
            beat.publish(msg)
        self.node.create_timer(0.01, tick_clock)
        self.node.create_timer(0.05, tick_command)
        self.node.create_timer(0.02, tick_beat)

    def spin_for(self, seconds: float, until=None) -> bool:
        """Spin up to ``seconds``; with ``until``, stop (True) once it holds."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.executor.spin_once(timeout_sec=0.01)
            if until is not None and until():
                return True
        return until is None

    def close(self):
        """Stop feeding."""
        import rclpy
        self.executor.shutdown()
        self.node.destroy_node()
        rclpy.shutdown(context=self.context)


def one_round(feeder: Feeder, args, kind: str, env) -> dict:
    """Start the node on ``kind``, wait until it drives, measure; return its figures."""
    worker = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), '--serve', args.node, '--executor', kind,
         '--seconds', str(args.seconds)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        flowing = len(feeder.outputs)
        if not feeder.spin_for(READY_WAIT_S, lambda: len(feeder.outputs) > flowing + 50):
            raise RuntimeError(f'{kind}: the node never drove (no cmd_vel)')
        from std_msgs.msg import Header
        feeder.start.publish(Header())
        t0 = time.monotonic()
        feeder.spin_for(args.seconds + 1.0, lambda: worker.poll() is not None)
        out, _ = worker.communicate(timeout=30.0)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    figures = json.loads(out.strip().splitlines()[-1])
    if 'error' in figures:
        raise RuntimeError(f'{kind}: {figures["error"]}')
    window = [t for t in feeder.outputs if t0 <= t <= t0 + figures['wall_s']]
    figures['cmd_vel_hz'] = len(window) / figures['wall_s']
    figures['cpu_per_s'] = figures['cpu_s'] / figures['wall_s']
    return figures


def main(argv=None) -> int:
    """Alternate the executors over the rounds and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--node', choices=NODES, default='base_driver')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--seconds', type=float, default=10.0)
    parser.add_argument('--serve', choices=NODES, help=argparse.SUPPRESS)
    parser.add_argument('--executor', choices=KINDS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        return serve(args.serve, args.executor, args.seconds)
    from orchestrator_pkg.testing.ros_domain import claim_domain
    results = {kind: [] for kind in KINDS}
    with claim_domain() as claim:
        feeder = Feeder(claim.domain_id)
        try:
            for _ in range(args.rounds):
                for kind in KINDS:
                    figures = one_round(feeder, args, kind, claim.env())
                    results[kind].append(figures)
                    print(f'{kind:8s} CPU {figures["cpu_per_s"]:.4f} s/s  cmd_vel '
                          f'{figures["cmd_vel_hz"]:.1f} Hz', flush=True)
        finally:
            feeder.close()
    print(f'\n{args.node}, {args.rounds} rounds of {args.seconds:g} s, cpus: {os.cpu_count()}, '
          f'load average: {os.getloadavg()[0]:.2f}')
    medians = {k: statistics.median(r['cpu_per_s'] for r in v) for k, v in results.items()}
    for kind, rounds in results.items():
        print(f'  {kind:8s} CPU median {medians[kind]:.4f} s per s, cmd_vel median '
              f'{statistics.median(r["cmd_vel_hz"] for r in rounds):.1f} Hz')
    print(f'  default / rclpy: {medians["default"] / medians["rclpy"]:.2f}')
    print(f'  default / tasks (direct calls): {medians["default"] / medians["tasks"]:.2f}')
    print(f'  events / default: {medians["events"] / medians["default"]:.2f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

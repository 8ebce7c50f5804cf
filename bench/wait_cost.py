#!/usr/bin/env python3
"""CPU per wait of an executor with many idle entities: rclpy's as shipped against NodeExecutor.

Not a test. Run after ``source env.sh``::

    python bench/wait_cost.py [--rounds 3] [--seconds 4] [--nodes 1,6] [--per-node 0,10]

A container's executor waits on some 150 entities, most of them idle
services (parameters, lifecycle, type descriptions), and wakes for each
message. This spins, in a process of its own and a private ROS domain, N plain
rclpy nodes (each with its parameter and type description services) with M
subscriptions and M services each, none of which ever gets anything, and one
200 Hz timer on the first node: each timer call is one wait. It measures the
spinning thread's CPU (``time.thread_time``) per timer call, for rclpy's
``SingleThreadedExecutor`` as shipped (with NodeExecutor's skip of a canceled
timer: our executor before ``lean_wait``) and for ``NodeExecutor``. Rounds
alternate the two, so both see the same machine; figures: the median µs per
wait of each and their ratio, per size.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

KINDS = ('rclpy', 'default')
TIMER_HZ = 200.0


def serve(kind: str, nodes: int, per_node: int, seconds: float) -> int:
    """Worker: spin the nodes on ``kind``; print the CPU per timer call as JSON."""
    import rclpy
    from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
    from rclpy.executors import SingleThreadedExecutor
    from std_msgs.msg import Int32
    from std_srvs.srv import Trigger

    from orchestrator_pkg.ros_edge.main import NodeExecutor, _SkipsCanceledTimers

    class RclpyExecutor(_SkipsCanceledTimers, SingleThreadedExecutor):
        """rclpy's own waits: NodeExecutor before lean_wait."""
    rclpy.init()
    executor = {'rclpy': RclpyExecutor, 'default': NodeExecutor}[kind]()
    made = []
    for n in range(nodes):
        node = rclpy.create_node(f'wait_cost_{n}')
        group = MutuallyExclusiveCallbackGroup()
        for i in range(per_node):
            node.create_subscription(Int32, f'wait_cost_{n}_{i}', lambda _: None, 1)
            node.create_service(Trigger, f'wait_cost_srv_{n}_{i}', lambda _, res: res,
                                callback_group=group)
        executor.add_node(node)
        made.append(node)
    calls = [0]
    made[0].create_timer(1.0 / TIMER_HZ, lambda: calls.__setitem__(0, calls[0] + 1))
    entities = sum(len(list(n.subscriptions)) + len(list(n.services)) + len(list(n.timers))
                   + len(list(n.clients)) for n in made)
    end = time.monotonic() + 0.5  # settle: discovery, the first waits
    while time.monotonic() < end:
        executor.spin_once(timeout_sec=0.1)
    calls[0] = 0
    cpu0, wall0 = time.thread_time(), time.monotonic()
    while time.monotonic() < wall0 + seconds:
        executor.spin_once(timeout_sec=0.1)
    cpu = time.thread_time() - cpu0
    print(json.dumps({'entities': entities, 'calls': calls[0],
                      'us_per_wait': cpu * 1e6 / max(calls[0], 1)}), flush=True)
    os._exit(0)


def main(argv=None) -> int:
    """Alternate the two executors over the rounds, per size, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--seconds', type=float, default=4.0)
    parser.add_argument('--nodes', default='1,6', help='node counts, comma-separated')
    parser.add_argument('--per-node', default='0,10',
                        help='subscriptions and services per node, comma-separated')
    parser.add_argument('--serve', choices=KINDS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [(int(n), int(m)) for n in args.nodes.split(',') for m in args.per_node.split(',')]
    if args.serve:
        nodes, per_node = sizes[0]
        return serve(args.serve, nodes, per_node, args.seconds)
    from orchestrator_pkg.testing.ros_domain import claim_domain
    print(f'{len(sizes)} size(s), {args.rounds} round(s) of {args.seconds:g} s, '
          f'cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}')
    print(f'{"nodes":>5} {"per node":>8} {"entities":>8} {"rclpy µs/wait":>14} '
          f'{"ours µs/wait":>13} {"ours / rclpy":>12}')
    with claim_domain() as claim:
        for nodes, per_node in sizes:
            results = {kind: [] for kind in KINDS}
            entities = 0
            for _ in range(args.rounds):
                for kind in KINDS:
                    out = subprocess.run(
                        [sys.executable, os.path.abspath(__file__), '--serve', kind,
                         '--nodes', str(nodes), '--per-node', str(per_node),
                         '--seconds', str(args.seconds)],
                        env=claim.env(), capture_output=True, text=True, timeout=120)
                    if out.returncode != 0:
                        print(out.stderr[-2000:], file=sys.stderr)
                        return 1
                    figures = json.loads(out.stdout.strip().splitlines()[-1])
                    entities = figures['entities']
                    results[kind].append(figures['us_per_wait'])
            rclpy_us = statistics.median(results['rclpy'])
            ours_us = statistics.median(results['default'])
            print(f'{nodes:>5} {per_node:>8} {entities:>8} {rclpy_us:>14.0f} {ours_us:>13.0f} '
                  f'{ours_us / rclpy_us:>12.2f}', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())

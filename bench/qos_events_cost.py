#!/usr/bin/env python3
"""CPU per executor wake of a node with and without rclpy's default QoS event handlers.

Not a test. Run after ``source env.sh``::

    python bench/qos_events_cost.py [--endpoints 0 10 20] [--rounds 3] [--seconds 5]

Each run is a process of its own in a private ROS domain: one node with N
publishers and N subscriptions (``std_msgs/Header``, nothing published) and a
200 Hz timer that does nothing, spun by ``ros_edge.main.NodeExecutor`` as our
nodes are. The node is either a plain ``rclpy.node.Node`` (rclpy gives each
endpoint two event handlers: incompatible QoS and incompatible type) or one
with ``ros_edge.qos_events.QuietEvents`` (no default handlers; its QosWatch
looks at the graph every 2 s instead). The process measures its own CPU
(``getrusage``) over ``--seconds`` after a second of warm-up and divides by
the timer's calls: CPU per wake, the executor's whole pass included. Rounds
alternate plain and quiet; figures are medians and the ratio quiet / plain.
"""
import argparse
import json
import statistics
import subprocess
import sys

from orchestrator_pkg.testing.ros_domain import claim_domain

CHILD = r'''
import json, resource, sys, time
import rclpy
from rclpy.node import Node
from std_msgs.msg import Header
from orchestrator_pkg.ros_edge.main import NodeExecutor
from orchestrator_pkg.ros_edge.qos_events import QuietEvents
kind, n, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
class Quiet(QuietEvents, Node):
    pass
rclpy.init()
node = (Quiet if kind == 'quiet' else Node)('qos_events_cost')
for i in range(n):
    node.create_publisher(Header, f'out_{i}', 10)
    node.create_subscription(Header, f'in_{i}', lambda _: None, 10)
calls = [0]
def tick():
    calls[0] += 1
node.create_timer(0.005, tick)
executor = NodeExecutor()
executor.add_node(node)
def spin(s):
    end = time.monotonic() + s
    while time.monotonic() < end:
        executor.spin_once(timeout_sec=0.1)
spin(1.0)
before, c0 = resource.getrusage(resource.RUSAGE_SELF), calls[0]
spin(seconds)
after = resource.getrusage(resource.RUSAGE_SELF)
cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
print(json.dumps({'waitables': len(list(node.waitables)), 'wakes': calls[0] - c0,
                  'cpu_s': cpu, 'seconds': seconds}))
'''


def run(kind: str, endpoints: int, seconds: float) -> dict:
    """One measurement in a process of its own, in a private ROS domain."""
    with claim_domain() as claim:
        done = subprocess.run([sys.executable, '-c', CHILD, kind, str(endpoints), str(seconds)],
                              env=claim.env(), capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--endpoints', type=int, nargs='+', default=[0, 10, 20],
                        help='publishers (and as many subscriptions) per node')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--seconds', type=float, default=5.0)
    args = parser.parse_args()
    print(f'{"pairs":>5}  {"node":6} {"waitables":>9} {"wakes/s":>8} {"CPU us/wake":>12} '
          f'{"CPU s/s":>8}')
    for n in args.endpoints:
        per_wake = {'plain': [], 'quiet': []}
        for _ in range(args.rounds):
            for kind in ('plain', 'quiet'):
                r = run(kind, n, args.seconds)
                per_wake[kind].append(r['cpu_s'] / r['wakes'] * 1e6)
                print(f'{n:5d}  {kind:6} {r["waitables"]:9d} {r["wakes"] / r["seconds"]:8.0f} '
                      f'{per_wake[kind][-1]:12.0f} {r["cpu_s"] / r["seconds"]:8.3f}')
        plain, quiet = (statistics.median(per_wake[k]) for k in ('plain', 'quiet'))
        print(f'{n:5d}  median CPU per wake: plain {plain:.0f} us, quiet {quiet:.0f} us, '
              f'ratio {quiet / plain:.2f}')


if __name__ == '__main__':
    main()

"""Shared plumbing of the ROS benchmarks: a private ROS domain, the processes, a client.

Not a benchmark itself. Starts the fixture Nav2 servers and the orchestrator
as real processes (the same ones the tests use) in a freshly claimed domain.
"""
import contextlib
import os
import re
import statistics

import rclpy

from orchestrator_pkg.testing.processes import ManagedProcess
from orchestrator_pkg.testing.ros_domain import claim_domain

TIMEOUT_S = 30.0
EVENT = re.compile(r'^EVENT (\S+) (\S+) ([0-9.]+)$', re.M)


@contextlib.contextmanager
def ros_world(orchestrator_args=()):
    """Yield (node, fixture_process, orchestrator_process) in a private domain."""
    with claim_domain() as claim:
        env = claim.env()
        fixture = ManagedProcess.python('-m', 'orchestrator_pkg.testing.nav_fixture_servers',
                                        env=env)
        orchestrator = ManagedProcess.python(
            '-m', 'orchestrator_pkg.nodes.orchestrator_node', '--ros-args',
            *orchestrator_args, env=env)
        with fixture, orchestrator:
            for proc, text in ((fixture, 'nav fixture ready'),
                               (orchestrator, 'orchestrator ready')):
                if not proc.wait_for_output(text, TIMEOUT_S):
                    raise RuntimeError(f'process did not start:\n{proc.output()}')
            rclpy.init(domain_id=claim.domain_id)
            node = rclpy.create_node('bench_client')
            try:
                yield node, fixture, orchestrator
            finally:
                node.destroy_node()
                rclpy.shutdown()


def events(proc, interface, what):
    """Return the monotonic times of ``EVENT interface what`` lines of a fixture process."""
    return [float(t) for i, w, t in EVENT.findall(proc.output()) if i == interface and w == what]


def summary(values):
    """Return 'median m (p90 p, n=k)' for a list of numbers."""
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return f'median {statistics.median(ordered):8.2f}  p90 {p90:8.2f}  (n={len(ordered)})'


def env_note():
    """Return a line describing the machine load context."""
    return f'cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}'

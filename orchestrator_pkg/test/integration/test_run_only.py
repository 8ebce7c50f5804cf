"""``orchestrator run --only``: the command line picks the nodes the runner starts; Ctrl-C.

Real processes: the CLI as a subprocess in a ROS domain of its own, and the
node it starts. ``--no-sim`` keeps the run light (no MuJoCo, wall time).
"""
import os
import re
import sys

import rclpy

from orchestrator_pkg.bringup.description import load
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.ros_edge.waiting import spin_until
from orchestrator_pkg.testing.processes import ManagedProcess

BRINGUP = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                       'config', 'bringup.yaml')
TIMEOUT_S = 60.0  # the machine is shared; start-up can be slow under load


def _cli(ros_domain, *args):
    return ManagedProcess([sys.executable, '-m', 'orchestrator_pkg.cli', 'run', *args],
                          env=ros_domain.env(), stop_timeout_s=20.0)


def test_only_starts_just_the_named_nodes(ros_domain):
    with _cli(ros_domain, '--no-sim', '--only', ' base_driver, ,') as proc:
        assert proc.wait_for_output('[run] no mission given', TIMEOUT_S), proc.output()
        started = re.findall(r'\[runner\] starting \d+ node\(s\): (.*)', proc.output())
        assert started == ['base_driver'], proc.output()
        rclpy.init(domain_id=ros_domain.domain_id)
        try:
            observer = rclpy.create_node('run_only_observer')
            assert spin_until(observer, lambda: 'base_driver' in observer.get_node_names(),
                              TIMEOUT_S), proc.output()
            stack = {node.name for node in load(BRINGUP).nodes}
            assert set(observer.get_node_names()) & stack == {'base_driver'}
            destroy_node_and_waitables(observer)
        finally:
            rclpy.shutdown()
    # Ctrl-C: the robots get zero velocity (rclpy's own SIGINT handler must not shut the
    # CLI's context down first), then the nodes stop; no mission ran, so exit code 1
    out = proc.output()
    assert 'stopped by the user' in out and proc.returncode == 1, out
    assert 'before-shutdown step failed' not in out and 'Traceback' not in out, out


def test_only_with_an_unknown_node_is_one_line_and_starts_nothing(ros_domain):
    with _cli(ros_domain, '--no-sim', '--only', 'base_driver,nosuch') as proc:
        code = proc.wait(TIMEOUT_S)
    out = proc.output()
    assert code == 2, out
    line = next(line for line in out.splitlines() if line.startswith('orchestrator run:'))
    assert 'no node named nosuch' in line and 'base_driver' in line, out
    assert '[runner] starting' not in out

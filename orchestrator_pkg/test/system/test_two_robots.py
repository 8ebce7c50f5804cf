"""System test: two robots in one warehouse, each with its own stack and mission.

Runs ``orchestrator run --robots 2`` as a user would: one sim with two
bodies, and per robot namespace a base driver, planner, controller, behavior
server, navigator and orchestrator (every node real). Each robot gets its own
goal through ``--input robotN:goal=...``. Checked in the sim's ground truth:
both missions succeed, each robot ends at its own goal (so neither was
driven by the other's commands), nobody hit anything, and while they run
every robot topic exists only under a robot namespace. Each robot localizes
with its own amcl, from its own spawn pose (issue 13): its error against the
ground truth stays within the other amcl tests' bounds (p95 0.15 m and 4 degrees).
Each robot's orchestrator and navigator serve Groot2 on ports of their own.
(It ran with ``truth`` while the run recorder, starved among 27 processes,
missed seconds of cmd_vel; with the lockstep sim it passed 4 of 4, two of them
beside two busy processes: p95 0.04-0.07 m, 1.0-2.1 degrees.)
"""
import json
import math
import sys
import time

import pytest
import rclpy

from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.testing.processes import ManagedProcess
from orchestrator_pkg.testing.velocity_oracle import assert_run_within_limits

RUN_TIMEOUT_S = 400.0  # wall; ~15 s of sim time at rtf 0.5, most of it 21 processes starting
GOALS = {'robot1': (-3.0, -2.5), 'robot2': (-3.0, 0.3)}  # from the dock and from start_2
ROOT_TOPICS = ('/cmd_vel', '/cmd_vel_nav', '/scan', '/odom', '/tf', '/battery_state',
               '/plan', '/ground_truth/odom')


def _goal(x, y):
    return f'0;map;{x};{y};0;0;0;0;1'


@pytest.mark.timeout(RUN_TIMEOUT_S + 60)
def test_two_robots_each_reach_their_own_goal_without_cross_talk_or_collisions(
        ros_domain, tmp_path):
    summary_file = tmp_path / 'summary.json'
    cmd = [sys.executable, '-m', 'orchestrator_pkg.cli', 'run', '--world', 'warehouse',
           # rtf 0.5: 21 processes on 2 cores; at rtf 1 a starved controller sent 6 commands
           # a second of sim time and one robot never moved (fresh30)
           '--robots', '2', '--mission', 'go_to', '--localization', 'amcl', '--rtf', '0.5',
           '--timeout-s', '120',
           '--summary-json', str(summary_file), '--run-dir', str(tmp_path / 'run')]
    for ns, (x, y) in GOALS.items():
        cmd += ['--input', f'{ns}:goal={_goal(x, y)}']
    with ManagedProcess(cmd, env=ros_domain.env(), stop_timeout_s=30.0) as run:
        assert run.wait_for_output("[run] robot2: mission 'go_to' sent", RUN_TIMEOUT_S), \
            run.output()[-5000:]
        graph = _topics_while_running(ros_domain.domain_id)
        run.expect_output('summary\n', RUN_TIMEOUT_S)
        run.wait(30.0)
    output = run.output()
    assert run.returncode == 0, output[-5000:]
    assert_run_within_limits(tmp_path / 'run')  # the velocity oracle, both robots
    report = json.loads(summary_file.read_text())
    assert report['succeeded'], report
    for ns, goal in GOALS.items():
        robot = report['robots'][ns]
        assert robot['mission_outcome'] == 'SUCCEEDED', (ns, robot)
        assert robot['collisions'] == 0, (ns, output[-5000:])
        final = robot['final_position']
        assert math.hypot(final[0] - goal[0], final[1] - goal[1]) < 0.5, (ns, final)
        assert robot['distance_m'] > 3.0, (ns, robot)  # each drove its own ~3.6 m
    assert report['localization'] == 'amcl', report
    for ns in GOALS:
        error = report['robots'][ns]['localization_error']
        assert error['poses'] > 10, (ns, error)
        assert error['p95_m'] <= 0.15 and error['heading_p95_deg'] <= 4.0, (ns, error)
    assert 'exited uncleanly' not in output, output[-8000:]
    # each robot's trees are served to Groot2 on ports of their own (bringup.yaml: per_robot)
    logs = tmp_path / 'run' / 'logs'
    for label, port in (('robot1_orchestrator', 1667), ('robot1_bt_navigator', 1669),
                        ('robot2_orchestrator', 1677), ('robot2_bt_navigator', 1679)):
        text = (logs / f'{label}.log').read_text()
        assert f'Groot2 monitor on tcp * port {port} ' in text, (label, text[-3000:])
    for name in ROOT_TOPICS:
        assert name not in graph, f'{name} at the root with two robots: {sorted(graph)}'
    for ns in GOALS:
        for name in ('cmd_vel', 'cmd_vel_nav', 'scan', 'odom', 'tf'):
            assert f'/{ns}/{name}' in graph, (ns, name, sorted(graph))


def _topics_while_running(domain_id):
    """Topic names of the running system, once both stacks' key topics are up (60 s at most)."""
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=domain_id)
    node = rclpy.create_node('two_robot_graph_probe', context=context)
    try:
        end = time.monotonic() + 60.0
        names = set()
        while time.monotonic() < end:
            names = {name for name, _ in node.get_topic_names_and_types()}
            if {f'/{ns}/{name}' for ns in GOALS
                    for name in ('cmd_vel', 'cmd_vel_nav', 'scan', 'odom', 'tf')} <= names:
                break  # discovery reaches each topic in its own time
            time.sleep(0.2)
        return names
    finally:
        destroy_node_and_waitables(node)
        rclpy.shutdown(context=context)

"""System tests: the main job, every node real, checked in the world.

Runs ``orchestrator run --world warehouse --mission deliver`` (sim, base
driver, planner, controller, behavior server, navigator running Nav2's own
tree, orchestrator) as a user would, then checks what happened in the sim's
ground truth: the box is at the drop-off, the robot is back at the dock, and
nothing was hit. The second test kills the planner mid-mission.
"""
import json
import math
import os
import signal
import sys

import pytest

from orchestrator_pkg.places import load_places
from orchestrator_pkg.testing.processes import ManagedProcess

RUN_TIMEOUT_S = 400.0  # wall; the mission takes about 70 s of sim time at rtf 1


def _start_deliver(ros_domain, summary_file):
    cmd = [sys.executable, '-m', 'orchestrator_pkg.cli', 'run', '--world', 'warehouse',
           '--mission', 'deliver', '--rtf', '1', '--timeout-s', '300',
           '--summary-json', str(summary_file)]
    return ManagedProcess(cmd, env=ros_domain.env(), stop_timeout_s=30.0)


def _finish(run, summary_file):
    assert run.wait_for_output('summary\n', RUN_TIMEOUT_S), run.output()[-5000:]
    run.wait(30.0)  # after the summary it writes the JSON and exits by itself
    return json.loads(summary_file.read_text())


def _check_delivered(report, output):
    robot = report['robots']['robot']
    assert report['succeeded'] and robot['mission_outcome'] == 'SUCCEEDED', report
    assert robot['collisions'] == 0, output[-5000:]
    places = load_places('warehouse')
    dropoff, dock = places['dropoff'], places['dock']
    box = robot['objects']['red_box_1']
    assert math.hypot(box[0] - dropoff[0], box[1] - dropoff[1]) < 0.7, box
    assert box[2] < 0.1, 'the box was put down, not still held up'
    assert math.hypot(robot['final_position'][0] - dock[0],
                      robot['final_position'][1] - dock[1]) < 0.5, robot['final_position']
    assert robot['distance_m'] > 20.0  # dock -> pickup -> dropoff -> dock is ~25 m
    # the other objects were not disturbed
    assert robot['objects']['green_box_1'][:2] == pytest.approx([3.0, 1.6], abs=0.01)
    # every node was stopped cleanly (the runner reports unclean exits)
    assert 'exited uncleanly' not in output


def _child_pid(parent_pid, needle):
    """PID of a direct child of ``parent_pid`` whose command line contains ``needle``."""
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat') as f:
                ppid = int(f.read().rsplit(')', 1)[1].split()[1])
            with open(f'/proc/{entry}/cmdline', 'rb') as f:
                cmdline = f.read().replace(b'\0', b' ').decode(errors='replace')
        except (OSError, ValueError, IndexError):
            continue
        if ppid == parent_pid and needle in cmdline:
            return int(entry)
    return None


@pytest.mark.timeout(RUN_TIMEOUT_S + 60)
def test_deliver_moves_the_box_to_the_dropoff_and_returns_to_the_dock(ros_domain, tmp_path):
    summary_file = tmp_path / 'summary.json'
    with _start_deliver(ros_domain, summary_file) as run:
        report = _finish(run, summary_file)
    assert run.returncode == 0, run.output()[-5000:]
    _check_delivered(report, run.output())


@pytest.mark.timeout(RUN_TIMEOUT_S + 60)
def test_killing_the_planner_mid_mission_respawns_it_and_the_mission_completes(
        ros_domain, tmp_path):
    summary_file = tmp_path / 'summary.json'
    with _start_deliver(ros_domain, summary_file) as run:
        # on the way to the drop-off, with the box held
        assert run.wait_for_output('GoToDropoff/LookUpAndNavigate/Navigate - goal accepted',
                                   RUN_TIMEOUT_S), run.output()[-5000:]
        planner = _child_pid(run.pid, 'lib/orchestrator_pkg/planner_server')
        assert planner is not None, 'planner_server is not a child of the runner'
        os.kill(planner, signal.SIGKILL)
        assert run.wait_for_output('respawning planner_server (start 2)', 60.0), \
            run.output()[-5000:]
        report = _finish(run, summary_file)
    assert run.returncode == 0, run.output()[-5000:]
    assert 'planner_server exited with code -9; respawn in 1 s' in run.output()
    _check_delivered(report, run.output())

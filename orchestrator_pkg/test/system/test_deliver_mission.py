"""System test: the main job, every node real, checked in the world.

Runs ``orchestrator run --world warehouse --mission deliver`` (sim, base
driver, planner, controller, behavior server, navigator running Nav2's own
tree, orchestrator) as a user would, then checks what happened in the sim's
ground truth: the box is at the drop-off, the robot is back at the dock, and
nothing was hit.
"""
import json
import math
import sys

import pytest

from orchestrator_pkg.places import load_places
from orchestrator_pkg.testing.processes import ManagedProcess

RUN_TIMEOUT_S = 400.0  # wall; the mission takes about 70 s of sim time at rtf 1


@pytest.mark.timeout(RUN_TIMEOUT_S + 60)
def test_deliver_moves_the_box_to_the_dropoff_and_returns_to_the_dock(ros_domain, tmp_path):
    summary_file = tmp_path / 'summary.json'
    cmd = [sys.executable, '-m', 'orchestrator_pkg.cli', 'run', '--world', 'warehouse',
           '--mission', 'deliver', '--rtf', '1', '--timeout-s', '300',
           '--summary-json', str(summary_file)]
    run = ManagedProcess(cmd, env=ros_domain.env(), stop_timeout_s=30.0)
    with run:
        deadline_ok = run.wait_for_output('summary\n', RUN_TIMEOUT_S)
        assert deadline_ok, run.output()[-5000:]
        run.wait(30.0)  # after the summary it writes the JSON and exits by itself
    output = run.output()
    assert run.returncode == 0, output[-5000:]
    report = json.loads(summary_file.read_text())
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

"""System test (issue 19): the shipped missions no other system test runs, as the README shows.

One ``orchestrator run --world warehouse`` without a mission (the default
bringup: amcl on the static map, every node real) and the missions sent to it
with ``orchestrator submit``, one after another, as a user at a second shell
would (README: ``orchestrator submit hello``):

* ``hello`` (no robot needed), ``relocalize`` where the robot stands,
  ``wait_then_spin`` with ``wait_s=1``;
* the README's ``go_to`` into a shelf: refused by the planner with 206;
* ``go_to`` docs/orchestrator.md's example goal, ``navigate`` back to the dock
  by place name, ``recharge`` there (already charged).

deliver, fetch_and_deliver, patrol, navigate past a low box and two robots'
go_to have system tests of their own. Judged by each command's exit code and
printed outcome, and by the sim's ground truth (run.mcap, summary.json): no
collision over the whole run, the robot at the go_to goal and then at the dock,
and within base_driver's limits.
"""
import json
import math
import subprocess
import sys
import time

import pytest

from orchestrator_pkg.places import load_places
from orchestrator_pkg.testing.processes import ManagedProcess
from orchestrator_pkg.testing.recording import ground_truth_track
from orchestrator_pkg.testing.velocity_oracle import assert_run_within_limits

STARTUP_WAIT_S = 300.0   # wall: the stack comes up (slower under load)
MISSION_WAIT_S = 400.0   # wall: the longest mission, go_to across the warehouse at rtf 1
REACHED_M = 0.35         # NavigateToPose's goal tolerance is 0.25 m (nav.yaml)
SHELF_GOAL = '0;map;-2.0;2.5;0;0;0;0;1'   # README: "Sending the robot into a shelf"
DOCS_GOAL = (2.0, 1.0)  # docs/orchestrator.md's go_to example


def _submit(env, mission, *inputs, timeout_s=MISSION_WAIT_S):
    args = [sys.executable, '-m', 'orchestrator_pkg.cli', 'submit', mission, '--timeout', '60']
    for item in inputs:
        args += ['--input', item]
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout_s)
    return result.returncode, result.stdout + result.stderr


@pytest.mark.timeout(STARTUP_WAIT_S + 6 * MISSION_WAIT_S)
def test_the_shipped_missions_submitted_to_a_running_stack(ros_domain, tmp_path):
    env = ros_domain.env()
    run_dir = tmp_path / 'run'
    cmd = [sys.executable, '-m', 'orchestrator_pkg.cli', 'run', '--world', 'warehouse',
           '--rtf', '1', '--run-dir', str(run_dir)]
    outcomes = {}
    with ManagedProcess(cmd, env=env, stop_timeout_s=60.0) as run:
        # hello needs no robot: the first answer says the orchestrator is up
        deadline = time.monotonic() + STARTUP_WAIT_S
        code, out = _submit(env, 'hello')
        while code != 0 and time.monotonic() < deadline:
            assert run.poll() is None, run.output()[-5000:]
            time.sleep(2.0)
            code, out = _submit(env, 'hello')
        assert code == 0 and 'SUCCEEDED' in out, out
        cases = [('relocalize', ()), ('wait_then_spin', ('wait_s=1',)),
                 ('go_to', (f'goal={SHELF_GOAL}',)),
                 ('go_to', (f'goal=0;map;{DOCS_GOAL[0]};{DOCS_GOAL[1]};0;0;0;0;1',)),
                 ('navigate', ('place=dock',)),
                 ('recharge', ('dock_place=dock', 'resume_threshold=0.5'))]
        for mission, inputs in cases:
            outcomes[(mission, inputs)] = _submit(env, mission, *inputs)
            assert run.poll() is None, run.output()[-5000:]
    output = run.output()
    for (mission, inputs), (code, out) in outcomes.items():
        if inputs == (f'goal={SHELF_GOAL}',):
            # the planner refuses a goal in a shelf at once (map_server's static map)
            assert code == 1 and 'FAILED' in out, out
            assert '206' in out and 'occupied' in out, out
        else:
            assert code == 0 and 'SUCCEEDED' in out, (mission, inputs, out, output[-3000:])
    assert 'Traceback' not in output, output[-5000:]
    report = json.loads((run_dir / 'summary.json').read_text())
    robot = report['robots']['robot']
    assert robot['collisions'] == 0, (robot.get('collision_points'), output[-5000:])
    places = load_places('warehouse')
    track = ground_truth_track(run_dir)
    reached = next((i for i, (_t, x, y) in enumerate(track)
                    if math.hypot(x - DOCS_GOAL[0], y - DOCS_GOAL[1]) < REACHED_M), None)
    assert reached is not None, f'the robot never reached the go_to goal {DOCS_GOAL}'
    dock = places['dock']
    _t, x, y = track[-1]
    assert math.hypot(x - dock[0], y - dock[1]) < REACHED_M, ((x, y), dock)
    assert report['localization'] == 'amcl'
    assert_run_within_limits(run_dir)

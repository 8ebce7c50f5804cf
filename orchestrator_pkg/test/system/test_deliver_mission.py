"""System tests: the main job, every node real, checked in the world.

Runs ``orchestrator run --world warehouse --mission deliver`` (sim, base
driver, planner, controller, behavior server, navigator running Nav2's own
tree, perception, orchestrator) as a user would, then checks what happened in
the sim's ground truth: the box is at the drop-off, the robot is back at the
dock, and nothing was hit. The second test runs ``fetch_and_deliver`` (find
the red box with perception, search, pick, deliver) and kills the planner
mid-mission. The third runs ``fetch_and_deliver`` on a small battery that
starts low: the battery guard preempts the mission, the robot docks and
charges, and the mission resumes and completes.
"""
import json
import math
import os
import signal
import sys

from ament_index_python.packages import get_package_share_directory
import pytest
import yaml

from orchestrator_pkg.places import load_places
from orchestrator_pkg.testing.processes import ManagedProcess

RUN_TIMEOUT_S = 400.0  # wall; the mission takes about 70 s of sim time at rtf 1


def _start(ros_domain, summary_file, mission='deliver', extra=(), timeout_s=300):
    cmd = [sys.executable, '-m', 'orchestrator_pkg.cli', 'run', '--world', 'warehouse',
           '--mission', mission, '--rtf', '1', '--timeout-s', str(timeout_s),
           '--summary-json', str(summary_file), *extra]
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
    # dock -> pickup -> dropoff -> dock is ~25 m (fetch_and_deliver: via search_1, more)
    assert robot['distance_m'] > 20.0
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
    with _start(ros_domain, summary_file) as run:
        report = _finish(run, summary_file)
    assert run.returncode == 0, run.output()[-5000:]
    _check_delivered(report, run.output())


@pytest.mark.timeout(RUN_TIMEOUT_S + 60)
def test_fetch_and_deliver_completes_when_the_planner_is_killed_mid_mission(
        ros_domain, tmp_path):
    summary_file = tmp_path / 'summary.json'
    with _start(ros_domain, summary_file, 'fetch_and_deliver') as run:
        # on the way to the drop-off, with the box held
        assert run.wait_for_output('GoToDropoff/RetryNavigation/LookUpAndNavigate/Navigate'
                                   ' - goal accepted', RUN_TIMEOUT_S), run.output()[-5000:]
        planner = _child_pid(run.pid, 'lib/orchestrator_pkg/planner_server')
        assert planner is not None, 'planner_server is not a child of the runner'
        os.kill(planner, signal.SIGKILL)
        assert run.wait_for_output('respawning planner_server (start 2)', 60.0), \
            run.output()[-5000:]
        report = _finish(run, summary_file)
    assert run.returncode == 0, run.output()[-5000:]
    output = run.output()
    assert 'planner_server exited with code -9; respawn in 1 s' in output
    _check_delivered(report, output)
    # found by perception from the first search place, then approached
    assert 'LookFromSearch1/GoAndLook/LookAround' in output
    assert 'FetchAndDeliverMission/RetryGoToObject/GoToObject - goal accepted' in output


def _small_battery_run(tmp_path):
    """Write a bringup and a robot preset for a battery run: 2 Wh at 30 %, off the dock."""
    share = get_package_share_directory('orchestrator_sim')
    with open(os.path.join(share, 'robots', 'small_indoor.yaml')) as f:
        preset = yaml.safe_load(f)
    # ~20 W while driving: 30 % -> 20 % in about 40 s of sim time, then about 16 s
    # on the dock from 20 % to the resume threshold of 80 %
    preset.update(name='small_battery', battery_capacity_wh=2.0, charge_power_w=300.0)
    robot = tmp_path / 'small_battery.yaml'
    robot.write_text(yaml.safe_dump(preset))
    with open(os.path.join(get_package_share_directory('orchestrator_pkg'), 'config',
                           'bringup.yaml')) as f:
        bringup = yaml.safe_load(f)
    sim = next(n for n in bringup['bringup']['nodes'] if n['name'] == 'sim')
    sim['overrides']['battery_initial_fraction'] = 0.3
    # not on the dock, which would charge it while the stack starts up
    sim['overrides']['spawn'] = '-5.5 -2.5 1.5708'
    path = tmp_path / 'bringup.yaml'
    path.write_text(yaml.safe_dump(bringup))
    return ['--bringup', str(path), '--robot', str(robot)]


@pytest.mark.timeout(RUN_TIMEOUT_S + 60)
def test_a_low_battery_preempts_the_mission_to_recharge_and_it_resumes_and_completes(
        ros_domain, tmp_path):
    summary_file = tmp_path / 'summary.json'
    extra = _small_battery_run(tmp_path)
    with _start(ros_domain, summary_file, 'fetch_and_deliver', extra) as run:
        report = _finish(run, summary_file)
    output = run.output()
    assert run.returncode == 0, output[-5000:]
    _check_delivered(report, output)
    # preempted (the running navigation goal canceled), recharged on the dock, resumed
    assert '% < 20%: mission preempted, recharging (preemption 1)' in output, output[-5000:]
    assert 'Recharge/RechargeAtDock/GoToDock - goal accepted' in output
    assert 'Recharge/RechargeAtDock/Charge - charging:' in output
    assert ': resuming the mission' in output
    assert '(preemption 2)' not in output
    robot = report['robots']['robot']
    assert robot['battery_start'] == pytest.approx(0.3, abs=0.02), robot
    assert robot['battery_end'] > 0.5, robot  # charged to 80 %, then finished the mission

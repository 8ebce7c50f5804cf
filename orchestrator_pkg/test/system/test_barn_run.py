"""System test: ``orchestrator barn`` on one BARN world, every node real, scored in the sim.

The committed fixture (BARN world 20 and its reference path, copied from the
BARN Challenge, MIT) is run as a user would run the benchmark, once with each
FollowPath controller (regulated pure pursuit and MPPI): the stack of
config/barn_bringup.yaml comes up, the goal goes to navigate_to_pose, and the
runner scores the run from the sim's ground truth and collision events.
"""
import json
import os
import shutil
import signal
import sys
import time

import pytest

from orchestrator_pkg.testing.processes import ManagedProcess, child_pid

DATA = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'orchestrator_sim', 'test',
                    'data')
RUN_TIMEOUT_S = 240.0  # wall; the run is about 15-30 s of sim time at rtf 1


@pytest.mark.timeout(RUN_TIMEOUT_S + 60)
@pytest.mark.parametrize('controller', ['rpp', 'mppi'])
def test_barn_world_20_succeeds_without_collision(ros_domain, tmp_path, controller,
                                                  barn_world_20):
    worlds = barn_world_20
    out = tmp_path / 'barn.json'
    cmd = [sys.executable, '-m', 'orchestrator_pkg.cli', 'barn', '--worlds', str(worlds),
           '--indices', '20', '--rtf', '1', '--controller', controller, '--out', str(out)]
    run = ManagedProcess(cmd, env=ros_domain.env(), stop_timeout_s=30.0)
    with run:
        assert run.wait_for_output('wrote ', RUN_TIMEOUT_S), run.output()[-5000:]
        run.wait(30.0)
    output = run.output()
    assert run.returncode == 0, output[-5000:]
    report = json.loads(out.read_text())
    assert report['protocol']['controller'] == controller
    (result,) = report['runs']
    assert result['world'] == 20
    assert result['status'] == 'succeeded', output[-5000:]
    assert 0.0 < result['time_s'] < 100.0
    # the metric follows from the time and the reference path (README formula)
    opt = result['optimal_time_s']
    assert opt > 5.0  # the reference path is at least the 10 m straight line, at 2 m/s
    assert result['metric'] == pytest.approx(
        opt / min(max(result['time_s'], 2 * opt), 8 * opt), abs=1e-3)
    assert report['means']['success'] == 1.0 and report['means']['collision'] == 0.0
    # what the navigation tree ended (controller aborts, recoveries), from its status changes
    assert all(key.endswith((' succeeded', ' failed')) and n > 0
               for key, n in result['tree_counts'].items()), result['tree_counts']
    # the scale is stated; the DWA baseline is compared on its own (2022, 0.25) scale
    assert report['protocol']['metric_scale_max'] == 0.5
    assert report['means']['metric_025'] == pytest.approx(min(result['metric'], 0.25), abs=1e-3)
    assert report['baseline_dwa']['scale_max'] == 0.25
    assert 'metric 0.1693 of 0.25 (2022 rules' in output
    # one table row for the world
    assert any(line.split()[:3] == ['20', '0', 'succeeded'] for line in output.splitlines())


@pytest.mark.timeout(RUN_TIMEOUT_S + 60)
def test_sigterm_mid_run_stops_the_stack_and_keeps_the_output(ros_domain, tmp_path,
                                                             barn_world_20):
    # kill (SIGTERM) as Ctrl-C: the running stack is stopped, the means cover the runs
    # that finished before (none or one, as the machine goes), --out has those; no
    # traceback (rclpy's own handler shut the context down under the run:
    # ExternalShutdownException)
    out = tmp_path / 'barn.json'
    cmd = [sys.executable, '-m', 'orchestrator_pkg.cli', 'barn', '--worlds', str(barn_world_20),
           '--indices', '20', '--runs', '2', '--rtf', '1', '--out', str(out)]
    run = ManagedProcess(cmd, env=ros_domain.env(), stop_timeout_s=30.0)
    with run:
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while child_pid(run.pid, 'orchestrator_sim/sim_node') is None:
            assert time.monotonic() < deadline and run.poll() is None, run.output()[-3000:]
            time.sleep(0.2)
        time.sleep(2.0)  # the stack coming up
        stack = _children(run.pid)
        os.kill(run.pid, signal.SIGTERM)
        run.wait(60.0)
    output = run.output()
    assert run.returncode == 1, output[-5000:]
    assert 'interrupted; the means cover the finished runs' in output, output[-5000:]
    assert 'Traceback' not in output, output[-5000:]
    rows = [line.split()[:3] for line in output.splitlines()
            if line.split()[:1] == ['20'] and len(line.split()) > 3]
    runs = json.loads(out.read_text())['runs']
    assert [[str(r['world']), str(r['run']), r['status']] for r in runs] == rows, output
    assert len(runs) < 2, output  # the run under way when killed has no row
    assert stack, output
    for pid in stack:  # the stack's nodes were stopped
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def _children(pid):
    """Return the direct children of a process (the runner's nodes), from /proc."""
    found = set()
    for entry in os.listdir('/proc'):
        try:
            with open(f'/proc/{entry}/stat') as f:
                if int(f.read().rsplit(')', 1)[1].split()[1]) == pid:
                    found.add(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    return found


def test_missing_worlds_folder_is_one_clear_line(tmp_path):
    missing = tmp_path / 'nowhere'
    run = ManagedProcess([sys.executable, '-m', 'orchestrator_pkg.cli', 'barn', '--worlds',
                          str(missing)])
    with run:
        run.wait(60.0)
    output = run.output()
    assert run.returncode == 2, output
    assert f'{missing}: no such folder of BARN worlds' in output
    assert 'Traceback' not in output


def test_the_test_protocol_chooses_its_own_worlds_and_runs(tmp_path):
    shutil.copy(os.path.join(DATA, 'barn_world_20.world'), tmp_path / 'world_20.world')
    run = ManagedProcess([sys.executable, '-m', 'orchestrator_pkg.cli', 'barn', '--worlds',
                          str(tmp_path), '--protocol', 'test', '--runs', '3'])
    with run:
        run.wait(60.0)
    output = run.output()
    assert run.returncode == 2, output
    assert '--protocol test chooses the worlds and runs itself (50 worlds 0, 6, ..., 294 x 10 ' \
        'runs): drop --indices, --sample and --runs' in output
    assert 'Traceback' not in output


def test_the_test_protocol_names_itself_when_a_world_is_missing(tmp_path):
    shutil.copy(os.path.join(DATA, 'barn_world_20.world'), tmp_path / 'world_0.world')
    run = ManagedProcess([sys.executable, '-m', 'orchestrator_pkg.cli', 'barn', '--worlds',
                          str(tmp_path), '--protocol', 'test'])
    with run:
        run.wait(60.0)
    output = run.output()
    assert run.returncode == 2, output
    # the option given is named, not --indices (which the user did not give)
    assert 'orchestrator barn: --protocol test: no world_6.world in the worlds folder' \
        in output, output
    assert '--indices' not in output and 'Traceback' not in output


@pytest.mark.parametrize('options, said', [
    (['--resume'], '--resume, --stagger-s and --campaign-dir are for a BARN campaign: add '
                   '--workers N or --ray ADDRESS'),
    (['--workers', '2', '--verbose'], '--log and --verbose are for runs in this process; in a '
                                      'campaign each run\'s output is in its folder'),
])
def test_campaign_options_without_a_campaign_and_the_reverse_are_one_clear_line(
        tmp_path, barn_world_20, options, said):
    run = ManagedProcess([sys.executable, '-m', 'orchestrator_pkg.cli', 'barn', '--worlds',
                          str(barn_world_20), '--indices', '20', *options], cwd=str(tmp_path))
    with run:
        run.wait(60.0)
    output = run.output()
    assert run.returncode == 2, output
    assert f'orchestrator barn: {said}' in output, output
    assert not (tmp_path / 'barn_campaign').exists()  # nothing started, nothing written

"""Bad worlds and robots reach the user as one clear line and an exit code, no traceback."""
import subprocess
import sys

import pytest

TIMEOUT_S = 60


def _run(args, env):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True,
                          timeout=TIMEOUT_S, env=env)


@pytest.mark.parametrize('content, suffix, words', [
    ('name: x\nwalls:\n  - {from: [0, 0], to: [1, 0], thickness: oops}\n', '.yaml',
     'walls[0].thickness'),
    ('<sdf version="1.6"><world name="w"><model name="m">\n</world></sdf>', '.world',
     'malformed XML'),
])
def test_sim_node_reports_a_bad_world_file(tmp_path, ros_domain, content, suffix, words):
    path = tmp_path / ('bad' + suffix)
    path.write_text(content)
    result = _run(['-m', 'orchestrator_sim.nodes.sim_node', '--ros-args', '-p',
                   f'world:={path}'], ros_domain.env())
    assert result.returncode == 2
    assert words in result.stderr and str(path) in result.stderr
    assert 'Traceback' not in result.stderr + result.stdout


@pytest.mark.parametrize('param', ["lockstep_heartbeat_topic:=bad topic!",
                                   "lockstep_topics:=['cmd_vel_nav', 'bad topic!']"])
def test_sim_node_reports_a_lockstep_topic_that_is_not_a_topic_name(ros_domain, param):
    result = _run(['-m', 'orchestrator_sim.nodes.sim_node', '--ros-args', '-p',
                   'world:=test_room', '-p', 'max_lead_s:=0.05', '-p', param], ros_domain.env())
    assert result.returncode == 2, result.stderr[-2000:]  # the sim's code for bad input
    name = param.split(':=')[0]
    assert f"{name}: 'bad topic!' is not a topic name" in result.stderr, result.stderr[-2000:]
    assert 'Traceback' not in result.stderr + result.stdout


def test_cli_sim_reports_bad_worlds_robots_and_arguments(tmp_path, ros_domain):
    env = ros_domain.env()
    result = _run(['-m', 'orchestrator_pkg.cli', 'sim', '--world', 'no_such_world'], env)
    assert result.returncode == 2 and 'no_such_world' in result.stderr
    assert 'warehouse' in result.stderr  # it lists the shipped worlds
    result = _run(['-m', 'orchestrator_pkg.cli', 'sim', '--world', 'test_room', '--robot',
                   'hovercraft'], env)
    assert result.returncode == 2 and 'unknown robot preset' in result.stderr
    assert 'jackal' in result.stderr
    result = _run(['-m', 'orchestrator_pkg.cli', 'sim', '--world', 'test_room', '--rtf', '-1'],
                  env)
    assert result.returncode == 2 and '--rtf' in result.stderr
    assert 'Traceback' not in result.stderr


def test_cli_sim_runs_the_world_until_interrupted(ros_domain):
    from orchestrator_pkg.testing.processes import ManagedProcess
    with ManagedProcess([sys.executable, '-m', 'orchestrator_pkg.cli', 'sim', '--world',
                         'warehouse', '--robot', 'jackal', '--rtf', '0', '--seed', '4'],
                        env=ros_domain.env()) as proc:
        assert proc.wait_for_output('sim ready', TIMEOUT_S), proc.output()
        assert "robot 'jackal' at (-6.50, -3.50" in proc.output()
    assert proc.returncode == 0 and not proc.killed, proc.output()

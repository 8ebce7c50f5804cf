"""The ROS sub-commands of `orchestrator` against a real orchestrator process."""
import os
import subprocess
import sys
import time

import pytest

from orchestrator_pkg.testing.processes import ManagedProcess

TIMEOUT_S = 30.0
MISSIONS = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', 'missions'))


def cli(env, *args, timeout=60):
    return subprocess.run([sys.executable, '-m', 'orchestrator_pkg.cli', *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def orchestrator(ros_domain):
    env = ros_domain.env()
    servers = ManagedProcess.python('-m', 'orchestrator_pkg.testing.nav_fixture_servers', env=env)
    node = ManagedProcess.python('-m', 'orchestrator_pkg.nodes.orchestrator_node', '--ros-args',
                                 '-p', f'missions_dir:={MISSIONS}', env=env)
    with servers, node:
        assert servers.wait_for_output('nav fixture ready', TIMEOUT_S), servers.output()
        assert node.wait_for_output('orchestrator ready', TIMEOUT_S), node.output()
        yield env, servers, node
    assert node.returncode == 0, node.output()


def test_submit_by_name_prints_progress_and_succeeds(orchestrator):
    env, _, _ = orchestrator
    result = cli(env, 'submit', 'hello')
    assert result.returncode == 0, result.stderr
    assert 'Hello/SayHello/Pause' in result.stdout
    assert 'SUCCEEDED after' in result.stdout


def test_submit_a_failing_mission_prints_the_reason(orchestrator, tmp_path):
    env, _, _ = orchestrator
    mission = tmp_path / 'fail.xml'
    mission.write_text('<root BTCPP_format="4"><BehaviorTree ID="F"><Sequence name="S">'
                       '<AlwaysSuccess/><AlwaysFailure name="Nope"/></Sequence>'
                       '</BehaviorTree></root>')
    result = cli(env, 'submit', str(mission))
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'FAILED' in result.stdout and 'F/S/Nope' in result.stdout
    bad = cli(env, 'submit', 'nonexistent_mission')
    assert bad.returncode == 2 and 'REJECTED' in bad.stdout


def test_tree_watch_opened_before_any_mission_waits_for_the_first_one(orchestrator):
    env, _, _ = orchestrator
    watch = ManagedProcess([sys.executable, '-m', 'orchestrator_pkg.cli', 'tree', '--watch',
                            '--timeout', '2'], env=env, stop_timeout_s=10.0)
    with watch:
        assert watch.wait_for_output('waiting for the first snapshot on /orchestrator/snapshot',
                                     TIMEOUT_S), watch.output()
        assert cli(env, 'submit', 'hello').returncode == 0
        # the view draws the mission's tree as soon as it runs (then keeps the last one)
        assert watch.wait_for_output('Hello', TIMEOUT_S), watch.output()
        code = watch.stop()  # Ctrl-C
    assert code == 0 and 'Traceback' not in watch.output(), watch.output()


def test_tree_pause_resume_cancel(orchestrator):
    env, servers, _ = orchestrator
    started = cli(env, 'submit', 'wait_then_spin', '--input', 'wait_s=30', '--no-wait')
    assert started.returncode == 0, started.stderr
    deadline = time.monotonic() + TIMEOUT_S
    while 'EVENT wait goal' not in servers.output() and time.monotonic() < deadline:
        time.sleep(0.1)
    view = cli(env, 'tree', '--once')
    assert view.returncode == 0, view.stderr
    assert 'wait_then_spin / WaitThenSpin' in view.stdout
    assert 'WaitOnServer (Wait) [RUNNING]' in view.stdout
    paused = cli(env, 'pause')
    assert paused.returncode == 0 and 'paused at tick' in paused.stdout, paused.stderr
    assert cli(env, 'pause').returncode == 1  # already paused
    resumed = cli(env, 'resume')
    assert resumed.returncode == 0 and 'resumed' in resumed.stdout
    canceled = cli(env, 'cancel')
    assert canceled.returncode == 0 and 'canceling 1 mission' in canceled.stdout
    deadline = time.monotonic() + TIMEOUT_S
    while servers.output().count('EVENT wait cancel ') < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert servers.output().count('EVENT wait cancel ') == 2  # pause, then cancel
    time.sleep(0.5)
    assert cli(env, 'cancel').returncode == 1  # nothing left to cancel


@pytest.mark.parametrize('command, code', [('pause', 1), ('resume', 1), ('cancel', 1),
                                           ('tree', 1), ('submit', 4)])
def test_commands_say_no_orchestrator_runs_without_waiting_out_their_timeout(ros_domain,
                                                                              command, code):
    args = [command, 'hello'] if command == 'submit' else [command]
    started = time.monotonic()
    result = cli(ros_domain.env(), *args, '--timeout', '30')
    took = time.monotonic() - started
    assert result.returncode == code, result.stdout + result.stderr
    assert 'no orchestrator running' in result.stderr and 'Traceback' not in result.stderr
    # alone in its claimed domain with the stack's profile (discovery on 127.0.0.1):
    # nothing could answer, and the command says so without looking in the graph
    domain = ros_domain.domain_id
    assert f'nothing else runs on ROS domain {domain} on this machine' in result.stderr, \
        result.stderr
    assert took < 30, f'{command} waited out its --timeout ({took:.1f} s)'


def test_a_participant_in_the_domain_that_is_no_orchestrator_is_looked_through(ros_domain):
    # another process in the domain (the sim alone, say): the command looks in the
    # ROS graph for the orchestrator, and names what it did not find there
    env = ros_domain.env()
    other = ManagedProcess.python('-c', 'import rclpy, time; rclpy.init(); '
                                  'node = rclpy.create_node("not_an_orchestrator"); '
                                  'print("up", flush=True); time.sleep(120)', env=env)
    with other:
        assert other.wait_for_output('up', TIMEOUT_S), other.output()
        result = cli(env, 'pause', '--timeout', '30')
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'no orchestrator running: service /orchestrator/pause is not in the ROS graph' \
        in result.stderr, result.stderr


def test_tree_works_while_paused(orchestrator):
    env, servers, _ = orchestrator
    assert cli(env, 'submit', 'wait_then_spin', '--input', 'wait_s=30',
               '--no-wait').returncode == 0
    deadline = time.monotonic() + TIMEOUT_S
    while 'EVENT wait goal' not in servers.output() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert cli(env, 'pause').returncode == 0
    view = cli(env, 'tree', '--once', '--timeout', '5')  # no ticks while paused
    assert view.returncode == 0, view.stderr
    assert 'wait_then_spin / WaitThenSpin' in view.stdout
    assert cli(env, 'cancel').returncode == 0


def test_submit_a_file_names_the_file_in_its_errors(orchestrator, tmp_path):
    env, _, _ = orchestrator
    mission = tmp_path / 'mine.xml'
    mission.write_text('<root BTCPP_format="4" main_tree_to_execute="M">\n'
                       '  <BehaviorTree ID="M">\n'
                       '    <Sequence>\n'
                       '      <SetBlackboard value="1" output_key="{target}"/>\n'
                       '      <Sleep msec="{targt}"/>\n'
                       '    </Sequence>\n'
                       '  </BehaviorTree>\n</root>\n')
    result = cli(env, 'submit', str(mission))
    assert result.returncode == 2, result.stdout + result.stderr
    assert f'{mission}:5: error: Sleep: port "msec" reads blackboard key "targt"' in result.stderr
    assert '<inline>' not in result.stdout + result.stderr


def test_ctrl_c_on_submit_cancels_the_mission_and_prints_its_end(orchestrator, tmp_path):
    env, _, _ = orchestrator
    mission = tmp_path / 'long.xml'
    mission.write_text('<root BTCPP_format="4"><BehaviorTree ID="Long"><Sequence name="S">'
                       '<Sleep name="Wait" msec="60000"/></Sequence></BehaviorTree></root>')
    submit = ManagedProcess([sys.executable, '-m', 'orchestrator_pkg.cli', 'submit',
                             str(mission)], env=env, stop_timeout_s=20.0)
    with submit:
        assert submit.wait_for_output('Long/S/Wait', TIMEOUT_S), submit.output()
        code = submit.stop()  # Ctrl-C: the command cancels the mission and waits for its end
    output = submit.output()
    assert 'canceling the mission' in output and 'CANCELED after' in output, output
    assert code == 3 and 'Traceback' not in output, (code, output)
    # the orchestrator is free again: the next mission runs
    assert cli(env, 'submit', 'hello').returncode == 0

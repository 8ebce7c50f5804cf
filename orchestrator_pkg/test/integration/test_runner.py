"""The bringup runner starts real ROS nodes with their --ros-args, respawns, stops in order.

The node is the ExecuteMission fixture server (a real rclpy process); it is
started through a wrapper script standing in for an installed executable.
"""
import os
import signal
import sys
import time

import pytest
import rclpy

from orchestrator_pkg.bringup.description import parse, resolve
from orchestrator_pkg.bringup.runner import Runner
from orchestrator_pkg.ros_edge.main import NODE_TEARDOWN_S, destroy_node_and_waitables

FIXTURE = os.path.join(os.path.dirname(__file__), 'fixtures',
                       'execute_mission_fixture_server.py')
TIMEOUT_S = 20.0

DESCRIPTION = """
bringup:
  nodes:
    - name: mission_fixture
      package: test_pkg
      executable: fixture
      respawn: {respawn}
      respawn_delay_s: 0.2
      respawn_max_retries: 1
      required: {required}
"""


@pytest.fixture
def executable(tmp_path):
    wrapper = tmp_path / 'fixture'
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} {FIXTURE} "$@"\n')
    wrapper.chmod(0o755)

    def find(package, name):
        assert (package, name) == ('test_pkg', 'fixture')
        return str(wrapper)
    return find


@pytest.fixture
def graph(ros_domain):
    rclpy.init(domain_id=ros_domain.domain_id)
    node = rclpy.create_node('runner_test_observer')
    try:
        yield node
    finally:
        destroy_node_and_waitables(node)
        rclpy.shutdown()


def _make(executable, ros_domain, robots=2, respawn='false', required='false'):
    bringup = parse(DESCRIPTION.format(respawn=respawn, required=required), 'test.yaml')
    launches = resolve(bringup, lambda p: '/nonexistent', {}, sim=False, robots=robots)
    lines = []
    runner = Runner(launches, executable, grace_period_s=5.0, env=ros_domain.env(),
                    output=lines.append)
    return runner, lines


def _wait_for(predicate, node, timeout_s=TIMEOUT_S, runner=None):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if runner is not None:
            runner.poll()
        if predicate():
            return True
        rclpy.spin_once(node, timeout_sec=0.05)
    return False


def _state(pid):
    with open(f'/proc/{pid}/stat') as f:
        return f.read().rsplit(')', 1)[1].split()[0]


def _names(node):
    return set(node.get_node_names_and_namespaces())


def test_nodes_get_their_names_namespaces_and_logs(executable, ros_domain, graph):
    runner, lines = _make(executable, ros_domain)
    runner.start()
    try:
        expected = {('mission_fixture', '/robot1'), ('mission_fixture', '/robot2')}
        assert _wait_for(lambda: expected <= _names(graph), graph), _names(graph)
        assert _wait_for(lambda: any(line.startswith('[robot2/mission_fixture] ')
                                     for line in lines), graph), lines
        for managed in runner.nodes:
            pid = managed.process.pid
            # its own process group: Ctrl-C at the terminal reaches the runner only,
            # which stops the nodes in order, and a signal to the node reaches its children
            assert os.getpgid(pid) == pid
            # but the runner's session: the kernel's autogroup scheduler then shares the
            # CPU between the whole stack and a command typed in another terminal, not
            # between each node and that command (docs/bringup.md)
            assert os.getsid(pid) == os.getsid(0)
    finally:
        hook_calls = []
        codes = runner.shutdown(before_shutdown=lambda: hook_calls.append(
            all(n.running() for n in runner.nodes)))
    assert hook_calls == [True], 'the before-shutdown hook runs while the nodes still run'
    assert codes == {'robot1/mission_fixture': 0, 'robot2/mission_fixture': 0}


def test_respawn_then_give_up_after_max_retries(executable, ros_domain, graph):
    runner, lines = _make(executable, ros_domain, robots=1, respawn='true', required='true')
    exits = []
    runner.on_exit = lambda launch, code: exits.append((launch.label, code, runner.nodes[0].starts))
    runner.start()
    try:
        node = runner.nodes[0]
        first_pid = node.process.pid
        node.signal(signal.SIGKILL)
        assert _wait_for(lambda: node.starts == 2 and node.running(), graph, runner=runner)
        assert exits == [('mission_fixture', -9, 1)]  # said once, before the respawn
        assert node.process.pid != first_pid
        assert _wait_for(lambda: ('mission_fixture', '/') in _names(graph), graph,
                         runner=runner)
        node.signal(signal.SIGKILL)  # one retry was allowed: now it is final, and required
        assert _wait_for(lambda: runner.fatal is not None, graph, runner=runner)
        assert runner.fatal == 'required node mission_fixture exited with code -9'
        assert exits == [('mission_fixture', -9, 1), ('mission_fixture', -9, 2)]
        assert node.starts == 2
        assert any('respawn in 0.2 s' in line for line in lines)
    finally:
        runner.shutdown()


def _hanging_node_stopped(tmp_path, ros_domain, grace_period_s, mode='stop'):
    """Run fixtures/hanging_node.py (its shutdown hangs holding the GIL where ``mode`` says).

    Return (exit codes, the runner's lines, the node's lines).
    """
    script = os.path.join(os.path.dirname(__file__), 'fixtures', 'hanging_node.py')
    wrapper = tmp_path / 'hanging'
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} {script} {mode} "$@"\n')
    wrapper.chmod(0o755)
    bringup = parse('bringup:\n  nodes:\n    - {name: hanging_node, package: test_pkg, '
                    'executable: hanging}\n', 'test.yaml')
    launches = resolve(bringup, lambda p: '/nonexistent', {}, sim=False, robots=1)
    lines, node_lines = [], []
    runner = Runner(launches, lambda package, name: str(wrapper),
                    grace_period_s=grace_period_s, env=ros_domain.env(), output=lines.append,
                    node_output=lambda label, line: node_lines.append(line))
    runner.start()
    deadline = time.monotonic() + TIMEOUT_S
    ready = f'hanging node ready ({mode})'
    while ready not in node_lines and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ready in node_lines, node_lines
    return runner.shutdown(), lines, node_lines


def test_a_stalled_node_is_told_apart_from_a_dead_one_with_its_threads_and_stacks(
        executable, ros_domain, graph):
    """What orchestrator run says of a node the lifecycle manager lost on the graph."""
    runner, lines = _make(executable, ros_domain)
    runner.start()
    try:
        expected = {('mission_fixture', '/robot1'), ('mission_fixture', '/robot2')}
        assert _wait_for(lambda: expected <= _names(graph), graph), _names(graph)
        stalled = next(n for n in runner.nodes if n.label == 'robot1/mission_fixture')
        pid = stalled.process.pid
        os.kill(pid, signal.SIGSTOP)
        try:
            # the stop is asynchronous: wait until the kernel has the process stopped
            assert _wait_for(lambda: _state(pid) == 'T', graph), _state(pid)
            time.sleep(0.2)  # every thread of it
            said = runner.look_at_unreachable('robot1', 'mission_fixture')
        finally:
            os.kill(pid, signal.SIGCONT)
        assert said.startswith(f"robot1/mission_fixture's process (pid {pid}) is still "
                               'running, unreachable on the ROS graph (threads: '), said
        threads = said.split('(threads: ', 1)[1].split(')', 1)[0].split(', ')
        assert {t.split(' x')[0].rsplit(' ', 1)[1] for t in threads} == {'T'}, said
        assert any(t.startswith('dds.ev') for t in threads), said  # Fast DDS's own threads
        # SIGUSR1 waited while it was stopped; running again, it prints its stacks
        assert _wait_for(lambda: any('most recent call first' in line for line in lines
                                     if line.startswith('[robot1/mission_fixture] ')),
                         graph), lines[-20:]
        running = runner.look_at_unreachable('robot2', 'mission_fixture')
        assert ' T' not in running.split('(threads: ', 1)[1], running
        assert runner.look_at_unreachable('robot3', 'mission_fixture') == ''  # not ours
    finally:
        runner.shutdown()
    assert runner.look_at_unreachable('robot1', 'mission_fixture') == ''  # exited: not alive


def test_a_node_lost_because_it_exited_is_not_called_stalled_once_respawned(
        executable, ros_domain, graph):
    runner, lines = _make(executable, ros_domain, robots=1, respawn='true')
    runner.start()
    try:
        node = runner.nodes[0]
        assert _wait_for(lambda: ('mission_fixture', '/') in _names(graph), graph)
        first = node.process.pid
        os.kill(first, signal.SIGKILL)
        assert _wait_for(lambda: node.running() and node.process.pid != first, graph,
                         runner=runner), lines
        assert runner.look_at_unreachable('', 'mission_fixture') == ''
    finally:
        runner.shutdown()


def test_a_node_that_does_not_stop_prints_its_stacks_then_is_killed(tmp_path, ros_domain):
    codes, lines, node_lines = _hanging_node_stopped(tmp_path, ros_domain, 1.0)
    assert codes == {'hanging_node': -signal.SIGKILL}, (codes, lines)
    assert any('did not stop within 1 s; killing it (the stacks of its threads are in its log)'
               in line for line in lines), lines
    # faulthandler's dump, through the node's output: the hung frame is named
    dump = '\n'.join(node_lines)
    assert 'most recent call first' in dump and 'in stop_node' in dump, dump
    # and in the runner's own output (all that is kept where only the terminal is)
    shown = [line for line in lines if 'where hanging_node was when killed' in line]
    assert len(shown) == 1 and 'in stop_node' in shown[0], lines


def test_a_node_whose_own_teardown_hangs_holding_the_gil_ends_itself_with_code_1(
        tmp_path, ros_domain):
    # run_node's watchdog is faulthandler's C thread: it runs while the GIL is held
    codes, lines, node_lines = _hanging_node_stopped(tmp_path, ros_domain,
                                                     NODE_TEARDOWN_S + 5.0)
    assert codes == {'hanging_node': 1}, (codes, lines, node_lines)
    assert not any('did not stop' in line for line in lines), lines
    said = '\n'.join(node_lines)
    assert f'Timeout (0:00:0{NODE_TEARDOWN_S:g})!' in said, said
    assert 'in stop_node' in said, said  # where it was stuck


def test_a_stopping_node_is_not_destroyed_so_a_middleware_hang_there_cannot_hold_it(
        tmp_path, ros_domain):
    # destroying this node would hang holding the GIL (as Publisher.destroy did in
    # Fast DDS): the process stops without it and exits 0 before the runner's grace ends
    codes, lines, node_lines = _hanging_node_stopped(tmp_path, ros_domain,
                                                     NODE_TEARDOWN_S + 5.0, mode='destroy')
    assert codes == {'hanging_node': 0}, (codes, lines, node_lines)
    assert not any('did not stop' in line for line in lines), lines


RUNNER_SCRIPT = """
import sys, time
from orchestrator_pkg.bringup.description import parse, resolve
from orchestrator_pkg.bringup.runner import Runner
bringup = parse(sys.argv[2], 'test.yaml')
launches = resolve(bringup, lambda p: '/nonexistent', {}, sim=False, robots=1)
runner = Runner(launches, lambda package, name: sys.argv[1], grace_period_s=5.0,
                output=lambda line: print(line, flush=True))
runner.start()
while True:
    runner.poll()
    time.sleep(0.05)
"""


def _gone(pid):
    try:
        return _state(pid) == 'Z'  # ended, not yet reaped by whoever adopted it
    except FileNotFoundError:
        return True


def test_a_runner_killed_outright_leaves_no_node_running(executable, tmp_path, ros_domain,
                                                         graph):
    """SIGKILL gives the runner no shutdown: its nodes get SIGINT from the kernel instead.

    Without it, a campaign run whose command was killed left its stack (the sim
    stepping at full speed) running for the rest of the campaign.
    """
    import subprocess
    script = tmp_path / 'runner.py'
    script.write_text(RUNNER_SCRIPT)
    runner = subprocess.Popen(
        [sys.executable, str(script), executable('test_pkg', 'fixture'),
         DESCRIPTION.format(respawn='false', required='false')],
        env=ros_domain.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert _wait_for(lambda: ('mission_fixture', '/') in _names(graph), graph), \
            'the node did not come up'
        children = []
        for task in os.listdir(f'/proc/{runner.pid}/task'):
            with open(f'/proc/{runner.pid}/task/{task}/children') as f:
                children += [int(pid) for pid in f.read().split()]
        assert len(children) == 1, children  # the node's process
        runner.kill()
        runner.wait()
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline and not _gone(children[0]):
            time.sleep(0.05)
        assert _gone(children[0]), 'the node outlived its runner'
    finally:
        if runner.poll() is None:
            runner.kill()
        runner.wait()


def test_a_node_still_unreachable_is_killed_for_its_respawn_unless_stopped(
        executable, ros_domain, graph):
    """A running process lost to DDS is restarted by its respawn; a stopped one is left alone."""
    runner, lines = _make(executable, ros_domain, robots=1, respawn='true')
    runner.start()
    try:
        node = runner.nodes[0]
        assert _wait_for(lambda: ('mission_fixture', '/') in _names(graph), graph)
        first = node.process.pid
        # stopped (SIGSTOP): whoever stopped it resumes it; nothing is killed
        os.kill(first, signal.SIGSTOP)
        try:
            assert _wait_for(lambda: _state(first) == 'T', graph), _state(first)
            time.sleep(0.2)  # every thread of it
            assert not runner.restartable('', 'mission_fixture')
            assert runner.restart_unreachable('', 'mission_fixture', 2.0) == ''
        finally:
            os.kill(first, signal.SIGCONT)
        assert node.running() and node.process.pid == first
        # running (as a process whose DDS participant others dropped is): killed, respawned
        assert runner.restartable('', 'mission_fixture')
        said = runner.restart_unreachable('', 'mission_fixture', 2.4)
        assert said == (f"mission_fixture's process (pid {first}) still unreachable on the ROS "
                        'graph 2 s after its loss: killed, for its respawn'), said
        assert _wait_for(lambda: node.running() and node.process.pid != first, graph,
                         runner=runner), lines
        assert node.exit_codes == [-signal.SIGKILL]
        assert _wait_for(lambda: ('mission_fixture', '/') in _names(graph), graph)
        assert runner.restart_unreachable('robot3', 'mission_fixture', 2.0) == ''  # not ours
    finally:
        runner.shutdown()
    assert not runner.restartable('', 'mission_fixture')  # exited

"""A managed node lost while its process runs is restarted; the stack comes back up.

Real processes: the runner starts a managed fixture node and the real
lifecycle_manager; the mission session (``orchestrator run``'s, in this
process) watches the manager's state. SIGUSR2 makes the fixture stop
answering while its process sleeps on (test/integration/fixtures/
lost_managed_node.py). The manager declares it dead; the session finds its
process alive and not stopped, and its own get_state unanswered 2 s later;
the runner kills it, its respawn policy starts it again, and the manager
brings the stack up again. A process whose DDS participant the others dropped
(docs/lifecycle.md) takes the same path from the manager's report on.
"""
import os
import signal
import sys
import threading
import time

import rclpy

from orchestrator_pkg.bringup.description import parse, resolve
from orchestrator_pkg.bringup.mission_session import MissionSession
from orchestrator_pkg.bringup.runner import RECENT_EXIT_S, Runner, ament_executable
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables

FIXTURE = os.path.join(os.path.dirname(__file__), 'fixtures', 'lost_managed_node.py')
TIMEOUT_S = 60.0  # wall: the machine is shared
DESCRIPTION = """
bringup:
  nodes:
    - name: lost_fixture
      package: test_pkg
      executable: lost
      overrides: {autostart: false}
      respawn: true
      respawn_delay_s: 0.2
      respawn_max_retries: 2
    - name: lifecycle_manager_navigation
      package: orchestrator_pkg
      executable: lifecycle_manager
      overrides:
        node_names: [lost_fixture]
        autostart: true
        bond_timeout: 2.0
        bond_respawn_max_duration: 30.0
"""


def _wait_for(lines, text, timeout_s=TIMEOUT_S, after=0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if any(text in line for line in lines[after:]):
            return True
        time.sleep(0.1)
    return False


def test_a_lost_node_whose_process_runs_is_restarted_and_the_stack_comes_back(
        tmp_path, ros_domain, monkeypatch):
    wrapper = tmp_path / 'lost'
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} {FIXTURE} "$@"\n')
    wrapper.chmod(0o755)

    def executable(package, name):
        return str(wrapper) if package == 'test_pkg' else ament_executable(package, name)
    launches = resolve(parse(DESCRIPTION, 'test.yaml'), lambda p: '/nonexistent', {},
                       sim=False, robots=1)
    lines = []
    runner = Runner(launches, executable, grace_period_s=5.0, env=ros_domain.env(),
                    output=lines.append)
    monkeypatch.setenv('ROS_DOMAIN_ID', str(ros_domain.domain_id))  # the session's node
    session = MissionSession([''], '', {}, output=lines.append, wait_for_clock=False,
                             lifecycle_manager=True)
    runner.on_exit = session.announce_exit
    stop = threading.Event()
    ended = []
    thread = threading.Thread(target=lambda: ended.append(session.run(runner, stop.is_set)))
    runner.start()
    thread.start()
    try:
        assert _wait_for(lines, 'managed nodes are active'), '\n'.join(lines)
        fixture = runner.nodes[0]
        first = fixture.process.pid
        fixture.signal(signal.SIGUSR2)
        assert _wait_for(lines, 'no longer answering; the process sleeps on'), lines
        said = (f"[run] robot: lost_fixture's process (pid {first}) still unreachable on the "
                'ROS graph 2 s after its loss: killed, for its respawn')
        assert _wait_for(lines, said), "\n".join(lines)
        lost = next(i for i, line in enumerate(lines) if 'is still running, unreachable' in line)
        assert 'managed node lost_fixture died: it answered no get_state' in '\n'.join(lines[:lost])
        assert _wait_for(lines, '[runner] respawning lost_fixture (start 2)'), lines
        assert fixture.exit_codes == [-signal.SIGKILL], lines
        assert _wait_for(lines, 'all managed nodes active again: e-stop released'), lines
        assert fixture.running() and fixture.process.pid != first
        # lost again, in the same words as the first time: the session must look again
        # (the manager's state said '' in between), past the runner's RECENT_EXIT_S
        second, back = fixture.process.pid, len(lines)
        time.sleep(max(0.0, RECENT_EXIT_S + 0.5 - (time.monotonic() - fixture.exited_at)))
        fixture.signal(signal.SIGUSR2)
        assert _wait_for(lines, f"lost_fixture's process (pid {second}) is still running, "
                         'unreachable', after=back), '\n'.join(lines[back:])
        assert _wait_for(lines, 'all managed nodes active again: e-stop released',
                         after=back), '\n'.join(lines[back:])
    finally:
        stop.set()
        thread.join(10.0)
        runner.shutdown()
        destroy_node_and_waitables(session.node)
        rclpy.try_shutdown()
    assert ended == ['stopped by the user'], (ended, lines[-20:])


def test_the_same_loss_after_the_stack_came_back_is_looked_at_again(ros_domain, monkeypatch):
    """The manager's latched state repeats; a loss in the same words after a recovery is news.

    A node that left the graph twice (a SIGKILL, then a SIGSTOP: "it left the ROS
    graph (process gone or stalled)") gives the same failure text twice, with ''
    (the stack back up) between: the session must say it and look at the process
    again, and must not say a republished state twice.
    """
    from diagnostic_msgs.msg import DiagnosticStatus, KeyValue

    def state(failure, controller):
        return DiagnosticStatus(values=[KeyValue(key='controller_server', value=controller),
                                        KeyValue(key='failure', value=failure)])
    died = ('managed node controller_server died: it left the ROS graph (process gone or '
            'stalled); robot stopped (e-stop)')
    monkeypatch.setenv('ROS_DOMAIN_ID', str(ros_domain.domain_id))
    lines = []
    session = MissionSession([''], '', {}, output=lines.append, wait_for_clock=False,
                             lifecycle_manager=True)
    try:
        for failure, controller in [(died, 'dead'), (died, 'dead'), ('', 'active'),
                                    ('', 'active')]:
            session._on_manager_state('', state(failure, controller))
        # what the runner found of the first loss (a live process) is not the next loss's
        session._unreachable[''] = "controller_server's process (pid 1) is still running"
        session._on_manager_state('', state(died, 'dead'))
        assert '' not in session._unreachable
        assert lines == [f'[run] robot: {died}'] * 2, lines
        assert session._lost == [('', 'controller_server')] * 2
        summary = [line.split(None, 1) for line in session.summary(1.0, '').splitlines()]
        assert ['stack', died] in summary, summary  # the latest failure stays in the summary
    finally:
        destroy_node_and_waitables(session.node)
        rclpy.try_shutdown()

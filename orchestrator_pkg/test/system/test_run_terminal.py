"""What a newcomer sees: ``orchestrator run`` for the demo, in a real terminal (tmux).

The demo's command runs in a tmux pane of its own (a private tmux server, its
own socket), as a user would type it; the test reads the pane's whole
scrollback afterwards. The screen must have whole lines only (no line with a
second ``[label]`` in the middle: two processes' output run together), no
traceback and no ``coroutine ... never awaited``, at most one progress line a
second, and the summary, whose outcome and reason are summary.json's. The
node logs are in the run folder, one file per node, and a normal shutdown put
no traceback there either. Meanwhile ``orchestrator tree --watch`` runs in a
second window, as a user would open it in another terminal: one of its screens
shows a step of the mission running. Skipped, saying why, where tmux is not installed
(scripts/setup.sh installs it on Debian when it can).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from orchestrator_pkg.testing.velocity_oracle import assert_run_within_limits

RUN_TIMEOUT_S = 600.0  # wall: start-up, ~80 s of sim time at rtf 2 (slower under load),
# shutdown, the picture
LABELS = (r'runner|run|mission(?:/robot\d+)?|(?:robot\d+/)?(?:sim|base_driver|planner_server|'
          r'controller_server|behavior_server|bt_navigator|perception_node|orchestrator)')
PREFIX = re.compile(rf'\[(?:{LABELS})\] ')
# a line of `orchestrator tree`: a behaviour two levels or more below the root, RUNNING
# (the battery guard is the root, the mission's tree below it: a step of the mission)
RUNNING_STEP = re.compile(r'^(?:  ){2,}\* .+ \[RUNNING\]', re.M)

pytestmark = pytest.mark.skipif(shutil.which('tmux') is None,
                                reason='tmux is not installed (apt-get install tmux; '
                                       'scripts/setup.sh does it when run as root on Debian)')


def _tmux(socket, *args, env=None, check=True):
    return subprocess.run(['tmux', '-S', str(socket), *args], env=env, capture_output=True,
                          text=True, check=check, timeout=30)


@pytest.mark.timeout(RUN_TIMEOUT_S + 120)
def test_the_demo_in_a_terminal_is_quiet_whole_lined_and_ends_with_the_summary(ros_domain,
                                                                               tmp_path):
    run_dir = tmp_path / 'run'
    socket = tmp_path / 'tmux.sock'
    config = tmp_path / 'tmux.conf'
    config.write_text('set -g history-limit 50000\nset -g remain-on-exit on\n')
    # the demo's command (scripts/demo.sh) at rtf 2; under heavy load the mission may not
    # finish: then it ends at the sim-time limit, FAILED, which the screen must say as well
    command = (f'{sys.executable} -m orchestrator_pkg.cli run --world warehouse '
               f'--mission fetch_and_deliver --rtf 2 --timeout-s 300 --run-dir {run_dir}')
    # tmux runs it through the shell; the shell keeps its exit status (128 + N when a
    # signal N ended it, which tmux's pane_dead_status leaves empty)
    exit_file = tmp_path / 'exit_status'
    command += f'; echo $? > {exit_file}'
    env = {**ros_domain.env(), 'TERM': 'xterm-256color'}
    env.pop('TMUX', None)
    _tmux(socket, '-f', str(config), 'new-session', '-d', '-s', 'demo', '-x', '160', '-y', '50',
          command, env=env)
    watched = []  # screens of the tree view that show a step of the mission running
    watching = False
    try:
        deadline = time.monotonic() + RUN_TIMEOUT_S
        dead = ''
        while time.monotonic() < deadline:
            dead = _tmux(socket, 'display-message', '-p', '-t', 'demo:0',
                         '#{pane_dead}').stdout.split()
            if dead and dead[0] == '1':
                break
            if not watching and "mission 'fetch_and_deliver' sent" in _tmux(
                    socket, 'capture-pane', '-p', '-S', '-', '-t', 'demo:0').stdout:
                # the mission is on: the live tree view, as a user would open it in
                # another terminal, in a second window
                _tmux(socket, 'new-window', '-d', '-t', 'demo', '-n', 'watch',
                      f'{sys.executable} -m orchestrator_pkg.cli tree --watch', env=env)
                watching = True
            elif watching and len(watched) < 3:
                view = _tmux(socket, 'capture-pane', '-p', '-t', 'demo:watch',
                             check=False).stdout
                if RUNNING_STEP.search(view) and 'fetch_and_deliver / ' in view:
                    watched.append(view)
            time.sleep(1.0)
        screen = _tmux(socket, 'capture-pane', '-p', '-J', '-S', '-', '-E', '-',
                       '-t', 'demo:0').stdout
        watch_screen = _tmux(socket, 'capture-pane', '-p', '-J', '-S', '-', '-E', '-',
                             '-t', 'demo:watch', check=False).stdout if watching else ''
    finally:
        if not (dead and dead[0] == '1'):  # Ctrl-C, as a user would: the run stops its nodes
            _tmux(socket, 'send-keys', '-t', 'demo:0', 'C-c', check=False)
            stop_by = time.monotonic() + 60
            while time.monotonic() < stop_by and _tmux(
                    socket, 'display-message', '-p', '-t', 'demo:0',
                    '#{pane_dead}', check=False).stdout.strip() == '0':
                time.sleep(1.0)
        _tmux(socket, 'kill-server', check=False)
    lines = [line.rstrip() for line in screen.splitlines()]
    text = '\n'.join(lines)
    (tmp_path / 'screen.txt').write_text(text)  # for a look after a failure
    assert dead and dead[0] == '1', f'the run did not end within {RUN_TIMEOUT_S:.0f} s:\n{text}'

    assert 'Traceback' not in text and 'never awaited' not in text, text
    # `orchestrator tree --watch`: a screen during the mission showed the running step
    (tmp_path / 'watch.txt').write_text('\n\n'.join(watched) + '\n--- end\n' + watch_screen)
    assert watched, f'no screen of `tree --watch` showed a running step:\n{watch_screen}'
    assert 'Traceback' not in watch_screen, watch_screen
    mixed = [line for line in lines if PREFIX.search(line[1:])]
    assert not mixed, 'lines of two processes run together:\n' + '\n'.join(mixed)

    # the summary, and summary.json saying the same
    assert 'summary' in lines, text
    assert_run_within_limits(run_dir)  # the velocity oracle (rtf 2: the loaded case)
    report = json.loads((run_dir / 'summary.json').read_text())
    outcome_line = next(line for line in lines if line.startswith('  outcome '))
    expected = report['outcome'] + (f' ({report["reason"]})' if report['reason'] else '')
    assert outcome_line.split(None, 1)[1] == expected, (outcome_line, report)
    status = int(exit_file.read_text())
    assert status == (0 if report['outcome'] == 'SUCCEEDED' else 1), \
        f'exit status {status} for {report["outcome"]}' + (
            f' (signal {status - 128})' if status > 128 else '')
    assert any(re.fullmatch(rf'  run folder\s+{re.escape(str(run_dir))}', line)
               for line in lines), text

    # quiet: progress at most once a second (the wall time is the summary's)
    progress = [line for line in lines if line.startswith('[mission] ')]
    assert progress, text
    assert len(progress) <= report['wall_time_s'] + 2, '\n'.join(progress)
    # the nodes' own lines are in their logs, not on the terminal
    logs = run_dir / 'logs'
    names = sorted(os.listdir(logs))
    assert {'sim.log', 'base_driver.log', 'orchestrator.log', 'bt_navigator.log'} <= set(names)
    info = [line for line in lines if '[INFO]' in line]
    assert not info, 'INFO lines on the terminal:\n' + '\n'.join(info)
    for name in names:
        log = (logs / name).read_text()
        assert 'Traceback' not in log and 'never awaited' not in log, f'{name}:\n{log[-3000:]}'

"""The orchestrator command finds its sub-commands and reports the environment."""
import subprocess
import sys

import pytest

from orchestrator_pkg.cli import build_parser, main


def test_info_is_discovered_and_finds_the_interfaces(capsys):
    assert 'info' in build_parser().format_help()
    assert main(['info']) == 0
    out = capsys.readouterr().out
    assert 'orchestrator_interfaces' in out and 'MISSING' not in out


def test_no_command_prints_help_and_exits_2():
    result = subprocess.run([sys.executable, '-m', 'orchestrator_pkg.cli'],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert 'usage: orchestrator' in result.stdout


def test_teleop_keys_stay_inside_the_drivers_limits():
    from orchestrator_pkg.commands.teleop import Teleop, split_keys
    teleop = Teleop(max_vel_x=0.5, min_vel_x=-0.25, max_vel_theta=2.0)
    for key in 'w' * 8:  # more presses than steps: held at the limit
        assert teleop.press(key)
    assert teleop.linear == 0.5
    for key in split_keys('\x1b[B' * 20):  # down arrows: slower, then backwards to min_vel_x
        teleop.press(key)
    assert teleop.linear == -0.25
    teleop.press('a')
    assert teleop.angular == pytest.approx(0.4)
    for key in split_keys('\x1b[C' * 20):
        teleop.press(key)
    assert teleop.angular == -2.0
    assert teleop.press(' ') and (teleop.linear, teleop.angular) == (0.0, 0.0)
    teleop.press('w')
    assert not teleop.press('q') and (teleop.linear, teleop.angular) == (0.0, 0.0)
    assert 'limits -0.25..0.5 m/s' in teleop.status()
    assert split_keys('w\x1b[Aq') == ['w', '\x1b[A', 'q']


def test_teleop_needs_a_terminal(capsys, monkeypatch):
    import io
    monkeypatch.setattr('sys.stdin', io.StringIO(''))
    assert main(['teleop']) == 1
    assert 'run it in a terminal' in capsys.readouterr().err


def test_a_reader_that_goes_away_gets_no_traceback():
    # `orchestrator nodes | head -1`: the pipe closes while the command still writes
    proc = subprocess.Popen([sys.executable, '-m', 'orchestrator_pkg.cli', 'nodes'],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()
    _out, err = proc.communicate(timeout=60)
    assert b'Traceback' not in err and b'BrokenPipeError' not in err, err.decode()
    assert proc.returncode in (0, 141), (proc.returncode, err.decode())

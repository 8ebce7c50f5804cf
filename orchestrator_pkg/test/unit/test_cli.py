"""The orchestrator command finds its sub-commands and reports the environment."""
import subprocess
import sys

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

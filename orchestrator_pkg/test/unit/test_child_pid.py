"""child_pid: a direct child found by its command line (the system tests kill nodes with it)."""
import os
import subprocess
import sys

from orchestrator_pkg.testing.processes import child_pid


def test_a_direct_child_is_found_by_its_command_line_and_others_are_not():
    child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)  # marker-7f3'])
    try:
        assert child_pid(os.getpid(), 'marker-7f3') == child.pid
        assert child_pid(os.getpid(), 'no-such-command-line') is None
        assert child_pid(child.pid, 'marker-7f3') is None  # not its own child
    finally:
        child.kill()
        child.wait()

"""ManagedProcess.expect_output: a process that never prints the line fails with its stacks."""
import sys

import pytest

from orchestrator_pkg.testing.processes import ManagedProcess

HANGS = """
import time
from orchestrator_pkg.ros_edge.main import enable_stack_dumps
assert enable_stack_dumps()
print('started', flush=True)
def tear_down_forever():
    while True:
        time.sleep(0.05)
tear_down_forever()
"""


def test_a_hung_process_fails_with_where_it_hangs(tmp_path):
    script = tmp_path / 'hangs.py'
    script.write_text(HANGS)
    with ManagedProcess([sys.executable, str(script)]) as proc:
        proc.expect_output('started', 20.0)
        with pytest.raises(AssertionError) as failure:
            proc.expect_output('summary\n', 0.5)
    message = str(failure.value)
    assert "'summary\\n' not printed within 0.5 s (still running" in message, message
    assert 'most recent call first' in message and 'in tear_down_forever' in message, message


def test_an_exited_process_fails_with_its_exit_code(tmp_path):
    with ManagedProcess([sys.executable, '-c', 'print("bye"); raise SystemExit(3)']) as proc:
        assert proc.wait(20.0) == 3
        with pytest.raises(AssertionError) as failure:
            proc.expect_output('summary\n', 1.0)
    assert '(exit code 3)' in str(failure.value) and 'bye' in str(failure.value)


SLOW_TEARDOWN = """
import time
from orchestrator_pkg.ros_edge.main import stacks_if_slow
def quick_teardown():
    time.sleep(0.1)
def slow_teardown():
    time.sleep(2.0)
with stacks_if_slow(1.0):
    quick_teardown()
time.sleep(1.5)  # the first block's dump was cancelled: nothing comes now
print('between', flush=True)
with stacks_if_slow(0.5):
    slow_teardown()
print('done', flush=True)
"""


def test_stacks_if_slow_dumps_only_a_block_that_overruns(tmp_path):
    script = tmp_path / 'teardown.py'
    script.write_text(SLOW_TEARDOWN)
    with ManagedProcess([sys.executable, str(script)]) as proc:
        assert proc.wait(30.0) == 0, proc.output()
    before, _, after = proc.output().partition('between')
    assert 'most recent call first' not in before, before
    assert 'in slow_teardown' in after and after.rstrip().endswith('done'), after

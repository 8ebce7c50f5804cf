"""The runner's respawn back-off and its reset, on real processes that exit at once.

The runner's clock is the test's (``now``), so the delays are checked exactly;
the processes are real (``false``, which exits with 1 whatever its arguments).
"""
import re
import shutil

import pytest

from orchestrator_pkg.bringup.description import BringupError, NodeDescription, parse, resolve
from orchestrator_pkg.bringup.runner import Runner, respawn_delay

DESCRIPTION = """
bringup:
  nodes:
    - name: flaky
      package: test_pkg
      executable: flaky
      respawn: true
      respawn_delay_s: 1.0
      respawn_backoff: 2.0
      respawn_max_delay_s: 3.0
      respawn_max_retries: {retries}
      respawn_reset_after_s: 10.0
"""


def test_the_delay_grows_by_the_backoff_up_to_its_cap():
    node = NodeDescription('n', 'p', 'e', respawn_delay_s=0.5, respawn_backoff=2.0,
                           respawn_max_delay_s=3.0)
    assert [respawn_delay(node, i) for i in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    fixed = NodeDescription('n', 'p', 'e', respawn_delay_s=1.0)  # ROS launch's behaviour
    assert [respawn_delay(fixed, i) for i in range(3)] == [1.0, 1.0, 1.0]


@pytest.mark.parametrize('field, value, message', [
    ('respawn_backoff', '0.5', 'respawn_backoff: 0.5 is not in [1, 10]'),
    ('respawn_max_delay_s', '0.5', 'is less than respawn_delay_s'),
    ('respawn_reset_after_s', '-1', '-1 is negative'),
    ('respawn_reset_after_s', '.nan', 'is not a finite number'),
    ('respawn_backoff', 'fast', 'expected a number'),
])
def test_bad_backoff_fields_are_refused_naming_the_field(field, value, message):
    text = DESCRIPTION.format(retries=3).replace(f'{field}: ', f'{field}: {value} #')
    with pytest.raises(BringupError, match=re.escape(message)) as error:
        parse(text, 'b.yaml')
    assert f'b.yaml: bringup.nodes[0] (flaky).{field}' in str(error.value), str(error.value)


def _runner(retries):
    launches = resolve(parse(DESCRIPTION.format(retries=retries), 'b.yaml'),
                       lambda p: '/nonexistent', {}, sim=False)
    now = [0.0]
    lines = []
    runner = Runner(launches, lambda package, name: shutil.which('false'), output=lines.append,
                    clock=lambda: now[0])
    return runner, now, lines


def _exit_then_poll(runner, now, at):
    runner.nodes[0].process.wait(10.0)
    now[0] = at
    return runner.poll()


def test_respawns_back_off_and_a_healthy_run_starts_the_count_over():
    runner, now, lines = _runner(retries=3)
    runner.start()
    node = runner.nodes[0]
    delays = []
    for _ in range(3):
        _exit_then_poll(runner, now, now[0] + 0.1)
        delays.append(node.respawn_at - now[0])
        now[0] = node.respawn_at
        runner.poll()  # due: started again
        assert node.running() or node.process.poll() is not None
    assert delays == pytest.approx([1.0, 2.0, 3.0])
    # this start ran 10 s (healthy): its exit is the first of a new row
    _exit_then_poll(runner, now, now[0] + 10.0)
    assert node.respawn_at - now[0] == pytest.approx(1.0) and not node.finished
    assert node.starts == 4
    runner.shutdown()


def test_a_node_out_of_retries_is_not_started_again_and_the_runner_says_why():
    runner, now, lines = _runner(retries=1)
    runner.start()
    node = runner.nodes[0]
    _exit_then_poll(runner, now, 0.1)
    now[0] = node.respawn_at
    runner.poll()
    _exit_then_poll(runner, now, now[0] + 0.1)  # within 10 s of its start: a second failure
    assert node.finished and node.respawn_at is None and node.starts == 2
    assert any('not respawned: 1 respawn(s) in a row used (respawn_max_retries 1)' in line
               for line in lines), lines
    runner.shutdown()

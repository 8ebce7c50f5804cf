"""``orchestrator validate`` and ``orchestrator export`` as a user runs them."""
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import pytest

from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.trees import validate_file

DATA = os.path.join(os.path.dirname(os.path.dirname(__file__)), 'data', 'nav2_jazzy_trees')

GOOD = '''<root BTCPP_format="4">
  <BehaviorTree ID="Main">
    <Sequence name="s"><Sleep msec="10"/><AlwaysSuccess/></Sequence>
  </BehaviorTree>
</root>
'''
BAD = '''<root BTCPP_format="4">
  <BehaviorTree ID="Main">
    <Sequence>
      <Sleep msec="soon"/>
      <Teleport/>
      <SubTree ID="Missing"/>
    </Sequence>
  </BehaviorTree>
</root>
'''
WARN = '''<root BTCPP_format="4">
  <BehaviorTree ID="Main">
    <Sequence>
      <SetBlackboard value="{b}" output_key="a"/>
      <SetBlackboard value="1" output_key="b"/>
    </Sequence>
  </BehaviorTree>
</root>
'''


def cli(*args):
    return subprocess.run([sys.executable, '-m', 'orchestrator_pkg.cli', *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def files(tmp_path):
    paths = {}
    for name, text in (('good', GOOD), ('bad', BAD), ('warn', WARN)):
        path = tmp_path / f'{name}.xml'
        path.write_text(text)
        paths[name] = str(path)
    return paths


def test_validate_valid_file_exits_0_and_prints_nothing(files):
    result = cli('validate', files['good'])
    assert result.returncode == 0, result.stderr
    assert result.stdout == ''
    assert '1 valid, 0 invalid' in result.stderr


def test_validate_prints_one_line_per_problem_and_exits_1(files):
    result = cli('validate', files['good'], files['bad'])
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    expected = validate_file(files['bad'], default_registry())
    assert len(lines) == len(expected) == 3
    assert lines[0] == (f'{files["bad"]}:4: error: Sleep: port "msec" (int): '
                        '"soon" is not an integer')
    assert lines[1].startswith(f'{files["bad"]}:5: error: unknown node type "Teleport"')
    assert lines[2].startswith(f'{files["bad"]}:6: error: SubTree ID "Missing" names no')


def test_validate_warnings_do_not_fail(files):
    result = cli('validate', files['warn'], '--inputs', 'goal')
    assert result.returncode == 0
    assert result.stdout.count('\n') == 1 and ':4: warning: ' in result.stdout


def test_validate_missing_file_is_a_problem_not_a_traceback(tmp_path):
    result = cli('validate', str(tmp_path / 'nope.xml'))
    assert result.returncode == 1
    assert 'cannot read' in result.stdout and 'Traceback' not in result.stderr


def test_export_dot_to_stdout(files):
    result = cli('export', files['good'], '--format', 'dot')
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('digraph "good.xml" {')
    assert result.stdout.count('->') == 2 and 'Sleep\\nmsec=10' in result.stdout


def test_export_svg_is_drawn_without_graphviz(files, tmp_path):
    out = tmp_path / 'tree.svg'
    result = cli('export', os.path.join(DATA, 'navigate_to_pose_w_replanning_and_recovery.xml'),
                 '--format', 'svg', '-o', str(out), '--builtin-only')
    assert result.returncode == 0, result.stderr
    root = ElementTree.parse(out).getroot()
    rects = root.findall('{http://www.w3.org/2000/svg}rect')
    assert len(rects) == 28  # every node of Nav2's navigate_to_pose tree
    assert 'unknown node type "FollowPath"' in result.stderr  # drawn dashed, reported


def test_export_refuses_a_broken_file(files):
    result = cli('export', files['bad'], '--format', 'dot')
    assert result.returncode == 1 and 'is not an integer' in result.stderr


@pytest.mark.skipif(shutil.which('dot') is not None, reason='Graphviz is installed here')
def test_export_png_without_graphviz_says_so(files):
    result = cli('export', files['good'], '--format', 'png')
    assert result.returncode == 2
    assert 'needs Graphviz\'s "dot" program, which is not installed' in result.stderr

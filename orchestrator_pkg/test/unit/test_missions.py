"""Every shipped mission validates (given its documented inputs) and builds (full registry)."""
import glob
import os

import pytest

from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.cli import main
from orchestrator_pkg.trees.loader import load_file, validate_file

MISSIONS = sorted(glob.glob(os.path.join(os.path.dirname(__file__), '..', '..', 'missions',
                                         '*.xml')))
INPUTS = ['wait_s', 'laps', 'places', 'goal', 'place']


def test_there_are_missions():
    names = {os.path.basename(m) for m in MISSIONS}
    assert {'hello.xml', 'wait_then_spin.xml', 'patrol.xml', 'go_to.xml', 'navigate.xml'} <= names


@pytest.mark.parametrize('path', MISSIONS, ids=os.path.basename)
def test_mission_is_valid(path):
    assert validate_file(path, default_registry(), inputs=INPUTS) == []


@pytest.mark.parametrize('path', MISSIONS, ids=os.path.basename)
def test_mission_builds_without_inputs(path):
    # every input is optional or only read while the tree runs: nothing is needed to build
    built = load_file(path, default_registry()).build()
    assert built.root is not None and len(list(built.behaviours())) > 1


def test_navigate_runs_nav2s_own_tree_unmodified():
    path = [m for m in MISSIONS if m.endswith('navigate.xml')][0]
    built = load_file(path, default_registry()).build()
    types = {built.type_of(b) for b in built.behaviours()}
    assert {'RecoveryNode', 'PipelineSequence', 'ComputePathToPose', 'FollowPath',
            'RoundRobin', 'GoalUpdated'} <= types
    sources = {os.path.basename(built.source_of(b)[0]) for b in built.behaviours()}
    assert 'navigate_to_pose_w_replanning_and_recovery.xml' in sources


def test_validate_command_accepts_them(capsys):
    assert main(['validate', '--inputs', ','.join(INPUTS), *MISSIONS]) == 0


def test_patrol_refuses_laps_that_would_never_end_before_it_runs():
    # issue 12: laps=-1 patrolled for ever; the input is checked against the
    # range of Repeat's num_cycles when the mission's inputs are known
    path = os.path.join(os.path.dirname(MISSIONS[0]), 'patrol.xml')
    registry = default_registry()
    with open(path, encoding='utf-8') as f:  # the line of the Repeat the input feeds
        line = next(n for n, text in enumerate(f, start=1) if 'num_cycles="{laps}"' in text)
    for laps, reason in (('-1', "-1 (forever) may only be written in the tree file; a value "
                                'from the blackboard must be at least 0'),
                         ('-3', '-3 is out of range: must be at least 0, or -1 (forever) '
                                'written in the tree file'),
                         ('two', '"two" is not an integer')):
        [problem] = [p for p in validate_file(path, registry, inputs={'laps': laps})
                     if p.severity == 'error']
        assert (os.path.basename(problem.file), problem.line) == ('patrol.xml', line)
        assert problem.message == (f'Repeat "Laps": port "num_cycles" reads input "laps" = '
                                   f'{laps!r}: {reason}')
    assert validate_file(path, registry, inputs={'laps': '2', 'places': 'dock'}) == []

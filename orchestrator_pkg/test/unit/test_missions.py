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

"""Every shipped mission validates (given its documented inputs) with the full registry."""
import glob
import os

import pytest

from orchestrator_pkg.cli import main
from orchestrator_pkg.trees.loader import validate_file
from orchestrator_pkg.trees.registry import default_registry

MISSIONS = sorted(glob.glob(os.path.join(os.path.dirname(__file__), '..', '..', 'missions',
                                         '*.xml')))
INPUTS = ['wait_s', 'laps', 'side_m', 'goal']


def test_there_are_missions():
    names = {os.path.basename(m) for m in MISSIONS}
    assert {'hello.xml', 'wait_then_spin.xml', 'patrol.xml', 'go_to.xml'} <= names


@pytest.mark.parametrize('path', MISSIONS, ids=os.path.basename)
def test_mission_is_valid(path):
    assert validate_file(path, default_registry(), inputs=INPUTS) == []


def test_validate_command_accepts_them(capsys):
    assert main(['validate', '--inputs', ','.join(INPUTS), *MISSIONS]) == 0

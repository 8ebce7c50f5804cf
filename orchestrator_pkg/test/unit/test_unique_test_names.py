"""Every test module has a basename of its own.

pytest (rootdir mode, no __init__.py) cannot collect two test files of the same
name in different folders, and one such pair fails the whole package's
collection under colcon.
"""
from collections import Counter
from pathlib import Path

TEST_ROOTS = [Path(__file__).resolve().parents[1],
              Path(__file__).resolve().parents[3] / 'orchestrator_sim' / 'test']


def test_no_two_test_modules_of_one_package_share_a_basename():
    for root in TEST_ROOTS:  # colcon runs one pytest session per package
        names = Counter(path.name for path in root.rglob('test_*.py'))
        assert names['test_lint.py'] == 1, root
        assert [name for name, count in names.items() if count > 1] == [], root

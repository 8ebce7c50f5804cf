"""Linters run as tests: ruff (pyflakes, pycodestyle, pep257 docstrings, imports)."""
import os

from orchestrator_pkg.testing.lint import ruff_problems

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_ruff():
    problems = ruff_problems(PACKAGE_DIR)
    assert not problems, 'ruff found problems:\n' + problems

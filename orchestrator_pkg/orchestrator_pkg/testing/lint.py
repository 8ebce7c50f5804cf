"""Run ruff on a package, for the packages' lint tests."""
import os
import shutil
import subprocess
import sys


def ruff_problems(path: str) -> str:
    """Return ruff's report for ``path``; empty when it is clean.

    The configuration is the repository's ruff.toml, found by ruff from
    ``path`` upwards.
    """
    exe = shutil.which('ruff') or os.path.join(os.path.dirname(sys.executable), 'ruff')
    if not os.path.exists(exe):
        return 'ruff is not installed; run `make setup` (requirements/python.txt has it)'
    result = subprocess.run([exe, 'check', '--no-cache', path], capture_output=True, text=True)
    if result.returncode == 0:
        return ''
    return (result.stdout + result.stderr) or f'ruff exited {result.returncode}'

"""The compat interface packages never shadow a distro's own.

Runs CMake's configure step on each compat package, once
with a fake "real" package on AMENT_PREFIX_PATH (it must configure nothing)
and once without (it must generate the interfaces).
"""
import os
import shutil
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
COMPAT = os.path.join(REPO, 'compat')


def _configure(package, build_dir, ament_prefix_path):
    env = dict(os.environ, AMENT_PREFIX_PATH=ament_prefix_path)
    return subprocess.run(
        ['cmake', '-S', os.path.join(COMPAT, package), '-B', str(build_dir),
         f'-DCMAKE_INSTALL_PREFIX={build_dir}/install/{package}'],
        env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture(autouse=True)
def _needs_cmake():
    if shutil.which('cmake') is None:
        pytest.fail('cmake is not on PATH; it is needed to build the workspace anyway')
    if not os.path.isdir(COMPAT):
        pytest.fail(f'{COMPAT} not found; the test expects the repository layout')


@pytest.mark.parametrize('package', ['nav2_msgs', 'tf2_msgs', 'geographic_msgs'])
def test_real_package_on_the_path_wins(tmp_path, package):
    real = tmp_path / 'distro'
    (real / 'share' / package).mkdir(parents=True)
    (real / 'share' / package / 'package.xml').write_text(
        f'<package format="3"><name>{package}</name></package>\n')
    result = _configure(package, tmp_path / 'build',
                        f'{real}:{os.environ.get("AMENT_PREFIX_PATH", "")}')
    assert result.returncode == 0, result.stdout + result.stderr
    assert f'the real package is installed in {real}' in result.stdout
    # nothing generated, nothing to install
    assert 'rosidl' not in (tmp_path / 'build' / 'CMakeCache.txt').read_text().lower()


def test_our_own_install_does_not_count_as_real(tmp_path):
    ours = tmp_path / 'build' / 'install' / 'nav2_msgs'
    (ours / 'share' / 'nav2_msgs').mkdir(parents=True)
    shutil.copy(os.path.join(COMPAT, 'nav2_msgs', 'package.xml'),
                ours / 'share' / 'nav2_msgs' / 'package.xml')
    result = _configure('nav2_msgs', tmp_path / 'build',
                        f'{ours}:{os.environ.get("AMENT_PREFIX_PATH", "")}')
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'the real package is installed' not in result.stdout
    assert 'rosidl' in (tmp_path / 'build' / 'CMakeCache.txt').read_text().lower()

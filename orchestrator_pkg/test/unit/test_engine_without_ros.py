"""The tree engine and the pure node library import, build, tick and test without ROS.

Each check runs in a subprocess where ros_blocker.py makes rclpy and every
``*_msgs`` / ``*_interfaces`` package unimportable (ROS itself stays
installed, so a stray import fails instead of passing unnoticed).
"""
import os
from pathlib import Path
import re
import subprocess
import sys

UNIT_DIR = Path(__file__).resolve().parent
PKG_ROOT = UNIT_DIR.parents[1]
# The engine's unit tests and those of the pure node library.
ENGINE_TESTS = ['test_bt_controls.py', 'test_bt_decorators.py', 'test_bt_engine_api.py',
                'test_bt_loader.py', 'test_bt_loop_queue.py', 'test_bt_nav2_conformance.py',
                'test_bt_plugins.py', 'test_bt_script.py', 'test_battery_guard.py',
                'test_tree_runner.py']
# Tests in those modules that need ROS on purpose: the `orchestrator` command loads
# every sub-command (several are ROS clients); the recharge mission uses ROS node types.
NEED_ROS = ['test_bt_plugins.py::test_validate_cli_reports_a_broken_plugin',
            'test_battery_guard.py::'
            'test_the_shipped_recharge_tree_loads_and_a_missing_one_is_a_clear_error']

IMPORT_AND_TICK = '''
import importlib, pkgutil, sys
import ros_blocker
try:
    import rclpy
except ModuleNotFoundError:
    print('blocked rclpy')
import orchestrator_pkg.trees
from orchestrator_pkg.behaviours import actions, controls, decorators
names = [info.name for package in (orchestrator_pkg.trees, actions, controls, decorators)
         for info in pkgutil.walk_packages(package.__path__, package.__name__ + '.')]
names += ['orchestrator_pkg.behaviours.builtin', 'orchestrator_pkg.behaviours.plugins']
for name in names:
    importlib.import_module(name)
    print('imported', name)
from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.trees import ManualClock, load_string
xml = """<root BTCPP_format="4"><BehaviorTree ID="T"><Sequence>
  <SetBlackboard value="3" output_key="n"/>
  <Repeat num_cycles="{n}"><Script code="count := count + 1"/></Repeat>
  <Sleep msec="100"/>
  <ScriptCondition code="count == 3"/>
</Sequence></BehaviorTree></root>"""
clock = ManualClock()
built = load_string(xml, default_registry(plugins=False), inputs=['count']).build(clock=clock)
built.blackboard.set('count', 0)
statuses = [built.tick().name for _ in range(3)]  # Repeat: one synchronous cycle per tick
clock.advance(0.1)
statuses.append(built.tick().name)
print('ticked', ' '.join(statuses))
print('ros modules', sorted(m for m in sys.modules if ros_blocker.blocked(m)))
'''


def _env():
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join([str(UNIT_DIR)] + [p for p in [
        env.get('PYTHONPATH')] if p])
    env['PYTEST_DISABLE_PLUGIN_AUTOLOAD'] = '1'  # ROS's pytest plugins are not the engine's
    env.pop('PYTEST_ADDOPTS', None)  # the outer run's options (colcon's -k, cache_dir)
    return env


def test_the_engine_and_the_pure_library_import_and_tick_without_ros():
    result = subprocess.run([sys.executable, '-c', IMPORT_AND_TICK], cwd=PKG_ROOT, env=_env(),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert 'blocked rclpy' in out
    for module in ('trees.loader', 'trees.xml_source', 'trees.validate', 'trees.runtime',
                   'trees.registry', 'trees.render', 'trees.runner',
                   'behaviours.controls.battery_guard',
                   'behaviours.decorators.timing', 'behaviours.plugins'):
        assert f'imported orchestrator_pkg.{module}\n' in out
    assert 'ticked RUNNING RUNNING RUNNING SUCCESS' in out
    assert 'ros modules []' in out


def test_the_engine_tests_pass_without_ros():
    command = [sys.executable, '-m', 'pytest', '-q', '-p', 'ros_blocker', '-p', 'pytest_timeout',
               '-p', 'no:cacheprovider', *(f'test/unit/{name}' for name in ENGINE_TESTS)]
    for node_id in NEED_ROS:
        command += ['--deselect', f'test/unit/{node_id}']
    result = subprocess.run(command, cwd=PKG_ROOT, env=_env(), capture_output=True, text=True,
                            timeout=600)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ''
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    passed = re.search(r'(\d+) passed', summary)
    assert passed and int(passed.group(1)) > 100, summary
    assert f'{len(NEED_ROS)} deselected' in summary and 'skipped' not in summary, summary

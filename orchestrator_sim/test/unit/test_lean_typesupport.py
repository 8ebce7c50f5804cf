"""rosidl_generator_py without its code generator: message types work, the generator is lazy.

Each case runs in a fresh interpreter: this test process has long since imported
the package whole.
"""
import json
import os
import subprocess
import sys

import pytest

# Uses message types the way a node does (a publisher and a subscription take
# their type support), then reports which modules are loaded.
_NODE_SCRIPT = r'''
import json, sys
{prelude}
import rclpy
from geometry_msgs.msg import Twist
from std_msgs.msg import String
rclpy.init()
node = rclpy.create_node('lean_typesupport_probe')
node.create_publisher(Twist, 'probe_twist', 1)
node.create_subscription(String, 'probe_string', lambda m: None, 1)
before = sorted(m for m in sys.modules if m.split('.')[0] in ('lark', 'em', 'rosidl_pycommon')
                or m == 'rosidl_generator_py.generate_py_impl')
import rosidl_generator_py
generate_py = rosidl_generator_py.generate_py
report = {{
    'generator_modules_before': before,
    'generate_py': getattr(generate_py, '__module__', None),
    'generator_loaded_after': 'rosidl_generator_py.generate_py_impl' in sys.modules,
    'all': sorted(rosidl_generator_py.__all__),
}}
node.destroy_node()
rclpy.shutdown()
print(json.dumps(report))
'''


def _python(code, env=None) -> str:
    """Run ``code`` in a fresh interpreter; return its stdout (it must exit 0)."""
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          timeout=60, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _run(prelude, env):
    out = _python(_NODE_SCRIPT.format(prelude=prelude), env)
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize('prelude', [
    'import orchestrator_sim',   # the package __init__ calls defer_codegen()
    'import orchestrator_pkg',   # and so does the stack's
])
def test_message_types_work_without_loading_the_generator(prelude, ros_domain):
    report = _run(prelude, {**os.environ, **ros_domain.env()})
    assert report['generator_modules_before'] == []
    # the generator is still there for whoever asks for it
    assert report['generate_py'] == 'rosidl_generator_py.generate_py_impl'
    assert report['generator_loaded_after'] is True
    assert report['all'] == ['generate_py', 'import_type_support']


def test_without_it_the_generator_is_loaded(ros_domain):
    """The baseline the deferral removes: rclpy alone pulls in lark, empy and the generator."""
    report = _run('', {**os.environ, **ros_domain.env()})
    assert 'rosidl_generator_py.generate_py_impl' in report['generator_modules_before']
    assert 'lark' in report['generator_modules_before']


def test_does_nothing_when_the_package_is_already_imported():
    code = ('import rosidl_generator_py as real\n'
            'from orchestrator_sim.lean_typesupport import defer_codegen\n'
            'import sys\n'
            'print(defer_codegen(), sys.modules["rosidl_generator_py"] is real,'
            ' hasattr(real, "__getattr__"))')
    assert _python(code).split() == ['False', 'True', 'False']


def test_an_unknown_attribute_is_an_attribute_error():
    code = ('import orchestrator_sim\n'
            'import rosidl_generator_py\n'
            'assert hasattr(rosidl_generator_py, "__getattr__")\n'
            'try:\n'
            '    rosidl_generator_py.no_such_thing\n'
            'except AttributeError as e:\n'
            '    print("AttributeError", e)\n')
    out = _python(code)
    assert out.startswith('AttributeError')
    assert 'no_such_thing' in out

"""Launch files read the same bringup description as ``orchestrator run``.

``launch``/``launch_ros`` are not on PyPI, so the launch files cannot be
imported here. This test reads their source instead: each must build its
stack nodes with ``node_actions(resolve(...))`` (no hand-written node list
that could drift), and declare every ``${arg}`` the shipped description
uses. ``bringup/launch_actions.py`` imports launch on call, so it is read
as source too.
"""
import ast
import glob
import os
import re

import pytest
import yaml

from orchestrator_pkg.bringup.description import RESOLVE_ARGUMENTS

PKG = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAUNCH_FILES = sorted(glob.glob(os.path.join(PKG, 'launch', '*.launch.py')))
BRINGUP = os.path.join(PKG, 'config', 'bringup.yaml')
LAUNCH_ACTIONS = os.path.join(PKG, 'orchestrator_pkg', 'bringup', 'launch_actions.py')


def _tree(path):
    with open(path, encoding='utf-8') as f:
        return ast.parse(f.read(), filename=path)


def test_there_is_a_bringup_launch_file():
    assert os.path.join(PKG, 'launch', 'bringup.launch.py') in LAUNCH_FILES


@pytest.mark.parametrize('path', LAUNCH_FILES, ids=os.path.basename)
def test_launch_file_builds_nodes_from_the_description(path):
    tree = _tree(path)
    imports = {(node.module, alias.name) for node in ast.walk(tree)
               if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert ('orchestrator_pkg.bringup.description', 'resolve') in imports
    assert ('orchestrator_pkg.bringup.description', 'load') in imports
    assert ('orchestrator_pkg.bringup.launch_actions', 'node_actions') in imports
    assert 'generate_launch_description' in {
        f.name for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}
    # the stack's nodes: node_actions(resolve(...)), once
    stack_calls = [node for node in ast.walk(tree) if _called(node) == 'node_actions']
    assert len(stack_calls) == 1 and _called(stack_calls[0].args[0]) == 'resolve'
    # other nodes (e.g. Gazebo's bridge) must not be stack nodes written out by hand
    with open(BRINGUP, encoding='utf-8') as f:
        stack_packages = {node['package'] for node in yaml.safe_load(f)['bringup']['nodes']}
    for node in ast.walk(tree):
        if _called(node) == 'Node':
            package = next((k.value for k in node.keywords if k.arg == 'package'), None)
            assert isinstance(package, ast.Constant), f'line {node.lineno}: literal package'
            assert package.value not in stack_packages, \
                f'line {node.lineno}: a {package.value} node outside node_actions(resolve())'


def test_node_actions_makes_one_node_per_resolved_launch():
    tree = _tree(LAUNCH_ACTIONS)
    loops = [node for node in ast.walk(tree) if isinstance(node, ast.For)]
    assert len(loops) == 1 and ast.unparse(loops[0].iter) == 'launches'
    nodes = [node for node in ast.walk(tree) if _called(node) == 'Node']
    assert len(nodes) == 1 and nodes[0] in list(ast.walk(loops[0]))
    # a node's own keywords (name, namespace, parameters, remappings) come in a dict,
    # which a composed mode's node_container replaces with its nodes' arguments
    own = [node for node in ast.walk(loops[0]) if _called(node) == 'dict']
    assert len(own) == 2 and ast.unparse(nodes[0].keywords[-1]) == '**own'
    container, separate = own
    assert ast.unparse(container).startswith('dict(arguments=container_arguments(')
    keywords = {k.arg: ast.unparse(k.value) for k in nodes[0].keywords + separate.keywords
                if k.arg is not None}
    # everything the description says about a node reaches launch_ros
    assert keywords['namespace'] == 'launch.namespace or None'
    # the parameter files, re-keyed for any namespace when the node has one (runner.py)
    assert keywords['parameters'] == (
        '[*(any_namespace_parameter_file(path) if launch.namespace else path '
        'for path in launch.parameter_files), launch.overrides]')
    for field in ('package', 'executable', 'name'):
        assert keywords[field] == f'node.{field}'
    assert keywords['respawn'] == 'node.respawn'
    assert keywords['respawn_delay'] == 'node.respawn_delay_s'
    assert keywords['respawn_max_retries'] == 'node.respawn_max_retries'
    assert 'node.remappings' in keywords['remappings']
    assert 'if node.required' in ast.unparse(loops[0]) and 'Shutdown' in ast.unparse(loops[0])


def _called(node):
    """Name of the function a Call node calls, or None."""
    return getattr(node.func, 'id', None) if isinstance(node, ast.Call) else None


def test_launch_arguments_cover_the_description_substitutions():
    tree = _tree(os.path.join(PKG, 'launch', 'bringup.launch.py'))
    arguments = next(node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
                     and any(getattr(t, 'id', '') == 'ARGUMENTS' for t in node.targets))
    declared = {key.value for key in arguments.keys}
    with open(BRINGUP, encoding='utf-8') as f:
        nodes = yaml.safe_load(f)['bringup']['nodes']
    values = ' '.join(str(v) for node in nodes for v in (node.get('overrides') or {}).values())
    used = set(re.findall(r'\$\{([A-Za-z_][A-Za-z0-9_]*)\}', values))
    assert used, 'the shipped description substitutes run arguments'
    used -= set(RESOLVE_ARGUMENTS)  # resolve() supplies these itself
    assert used <= declared, f'not declared in bringup.launch.py: {sorted(used - declared)}'

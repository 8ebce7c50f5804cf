"""Launch files read the same bringup description as ``orchestrator run``.

``launch``/``launch_ros`` are not on PyPI, so the launch files cannot be
imported here. This test reads their source instead: each must build its
nodes from ``orchestrator_pkg.bringup.description`` (no hand-written node
list that could drift), and declare every ``${arg}`` the shipped
description uses.
"""
import ast
import glob
import os
import re

import pytest
import yaml

PKG = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAUNCH_FILES = sorted(glob.glob(os.path.join(PKG, 'launch', '*.launch.py')))
BRINGUP = os.path.join(PKG, 'config', 'bringup.yaml')


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
    calls = [node.func.id for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)]
    assert 'resolve' in calls and 'generate_launch_description' in {
        f.name for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}
    loops = [node for node in ast.walk(tree) if isinstance(node, ast.For)
             and isinstance(node.iter, ast.Call) and getattr(node.iter.func, 'id', '') == 'resolve']
    assert len(loops) == 1
    inside = {id(node) for node in ast.walk(loops[0]) if _is_node_call(node)}
    assert len(inside) == 1, 'one Node(...) inside the loop over resolve()'
    # Other nodes (e.g. Gazebo's bridge) must not be stack nodes written out by hand.
    with open(BRINGUP, encoding='utf-8') as f:
        stack_packages = {node['package'] for node in yaml.safe_load(f)['bringup']['nodes']}
    for node in ast.walk(tree):
        if _is_node_call(node) and id(node) not in inside:
            package = next((k.value for k in node.keywords if k.arg == 'package'), None)
            assert isinstance(package, ast.Constant), f'line {node.lineno}: literal package'
            assert package.value not in stack_packages, \
                f'line {node.lineno}: a {package.value} node outside the loop over resolve()'


def _is_node_call(node):
    return isinstance(node, ast.Call) and getattr(node.func, 'id', '') == 'Node'


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
    assert used <= declared, f'not declared in bringup.launch.py: {sorted(used - declared)}'

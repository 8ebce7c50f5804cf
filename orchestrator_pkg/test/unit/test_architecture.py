"""The rooms of orchestrator_pkg keep their import rules (docs/architecture.md).

- ``trees/`` (the engine) imports only the standard library, py_trees,
  defusedxml, numpy and other ``trees/`` modules: nothing from the library
  (``behaviours/``), the nodes, the ROS edge, bringup or the commands, and
  never rclpy or a message package;
- every room imports only the rooms below it (:data:`ROOMS_BELOW`), and the pure
  algorithm rooms import no ROS;
- no import cycle between modules of orchestrator_pkg (imports inside
  functions count too);
- the sim package does not import orchestrator_pkg;
- no behaviour class is more than two levels below py_trees' classes.

The import checks read the source (``ast``), so they see lazy imports too.
"""
import ast
import importlib
import inspect
from pathlib import Path
import pkgutil
import sys

import py_trees

import orchestrator_pkg

PKG_DIR = Path(__file__).resolve().parents[2] / 'orchestrator_pkg'
SIM_DIR = Path(__file__).resolve().parents[3] / 'orchestrator_sim' / 'orchestrator_sim'
ENGINE = 'orchestrator_pkg.trees'
ENGINE_MAY_IMPORT = {'py_trees', 'defusedxml', 'numpy'} | set(sys.stdlib_module_names)
# room -> the rooms of orchestrator_pkg it may import (besides itself); rooms not named
# here (bringup, commands, cli, cli_ros, testing, benchmark) are the top floor.
ROOMS_BELOW = {
    'trees': set(),
    'planning': set(),
    'drivers': set(),
    'localization': {'planning'},
    'perception': {'planning'},
    'nav2_codes': set(),
    'ros_edge': {'trees', 'planning'},
    'places': {'ros_edge', 'planning', 'trees'},
    'behaviours': {'trees', 'ros_edge', 'planning', 'places', 'nav2_codes'},
    'nodes': {'trees', 'ros_edge', 'planning', 'localization', 'perception', 'drivers',
              'behaviours', 'places', 'nav2_codes'},
}
PURE_ROOMS = ('trees', 'planning', 'drivers', 'localization', 'perception', 'nav2_codes')
ROS_PACKAGES = ('rclpy', 'rosidl_runtime_py', 'ament_index_python', 'orchestrator_interfaces')
MAX_DEPTH = 2
# Classes still deeper than MAX_DEPTH below py_trees (each must leave this list as soon
# as it is flattened: the test says so).
DEEP_ALLOWED = set()


def module_sources(root: Path, package: str) -> dict[str, tuple[Path, str]]:
    """Return {module name: (path, source)} for every .py file under ``root``."""
    modules = {}
    for path in sorted(root.rglob('*.py')):
        parts = path.relative_to(root).with_suffix('').parts
        if parts[-1] == '__init__':
            parts = parts[:-1]
        modules['.'.join((package,) + parts)] = (path, path.read_text())
    return modules


def imports_of(module: str, path: Path, source: str) -> list[tuple[str, list[str], int]]:
    """Return (imported module, imported names, line) for every import, at any depth."""
    package = module if path.name == '__init__.py' else module.rpartition('.')[0]
    found = []
    for node in ast.walk(ast.parse(source, str(path))):
        if isinstance(node, ast.Import):
            found.extend((alias.name, [], node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ''
            if node.level:
                base = package.split('.')[:len(package.split('.')) - node.level + 1]
                target = '.'.join(base + ([node.module] if node.module else []))
            found.append((target, [alias.name for alias in node.names], node.lineno))
    return sorted(found, key=lambda item: item[2])


def import_graph(modules: dict) -> dict[str, dict[str, int]]:
    """Return {module: {imported module of the same package: line}}.

    ``from a.b import c`` is an edge to ``a.b.c`` when that is a module, else
    to ``a.b``; importing a submodule's parent packages is implicit and no edge.
    """
    graph = {}
    for module, (path, source) in modules.items():
        edges = graph.setdefault(module, {})
        for target, names, line in imports_of(module, path, source):
            submodules = [f'{target}.{name}' for name in names if f'{target}.{name}' in modules]
            if len(submodules) < len(names) or not names:
                submodules.append(target)
            for sub in submodules:
                if sub in modules and sub != module:
                    edges.setdefault(sub, line)
    return graph


def cycles(graph: dict[str, dict]) -> list[list[str]]:
    """Return the strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def engine_violations(modules: dict) -> list[str]:
    """Return 'file:line: imports X' for each import of the engine outside its rules."""
    problems = []
    for module, (path, source) in modules.items():
        if not (module == ENGINE or module.startswith(ENGINE + '.')):
            continue
        for target, _, line in imports_of(module, path, source):
            top = target.partition('.')[0]
            inside = target == ENGINE or target.startswith(ENGINE + '.')
            if not inside and top not in ENGINE_MAY_IMPORT:
                problems.append(f'{path.name}:{line}: {module} imports {target}')
    return problems


def test_the_checks_find_what_they_look_for():
    fake = {
        'orchestrator_pkg.trees.bad': (Path('bad.py'), 'import json\ndef f():\n'
                                       '    from rclpy.node import Node\n'
                                       '    from ..behaviours import builtin\n'
                                       'import nav_msgs.msg\n'),
        'orchestrator_pkg.trees.good': (Path('good.py'), 'import numpy\nfrom . import bad\n'),
        'orchestrator_pkg.behaviours': (Path('__init__.py'), ''),
        'orchestrator_pkg.behaviours.builtin': (Path('builtin.py'),
                                                'from orchestrator_pkg.trees import good'),
    }
    assert engine_violations(fake) == [
        'bad.py:3: orchestrator_pkg.trees.bad imports rclpy.node',
        'bad.py:4: orchestrator_pkg.trees.bad imports orchestrator_pkg.behaviours',
        'bad.py:5: orchestrator_pkg.trees.bad imports nav_msgs.msg']
    graph = import_graph(fake)
    assert graph['orchestrator_pkg.trees.bad'] == {'orchestrator_pkg.behaviours.builtin': 4}
    assert cycles(graph) == [['orchestrator_pkg.behaviours.builtin', 'orchestrator_pkg.trees.bad',
                              'orchestrator_pkg.trees.good']]


def test_the_engine_imports_nothing_above_it():
    modules = module_sources(PKG_DIR, 'orchestrator_pkg')
    assert ENGINE + '.loader' in modules
    assert engine_violations(modules) == []


def room_violations(modules: dict) -> list[str]:
    """Return 'file:line: room imports X' for each import against ROOMS_BELOW / PURE_ROOMS."""
    problems = []
    for module, (path, source) in modules.items():
        room = module.split('.')[1] if '.' in module else ''
        if room not in ROOMS_BELOW:
            continue
        for target, _, line in imports_of(module, path, source):
            parts = target.split('.')
            if parts[0] == 'orchestrator_pkg' and len(parts) > 1:
                if parts[1] != room and parts[1] not in ROOMS_BELOW[room]:
                    problems.append(f'{path.name}:{line}: {room} imports {target}')
            elif room in PURE_ROOMS and (parts[0] in ROS_PACKAGES or
                                         parts[0].endswith('_msgs')):
                problems.append(f'{path.name}:{line}: {room} (pure) imports {target}')
    return problems


def test_every_room_imports_only_the_rooms_below_it():
    modules = module_sources(PKG_DIR, 'orchestrator_pkg')
    assert room_violations({'orchestrator_pkg.ros_edge.x': (
        Path('x.py'), 'from orchestrator_pkg.nodes import tree_host\nimport rclpy'),
        'orchestrator_pkg.planning.y': (Path('y.py'), 'import nav_msgs.msg')}) == [
        'x.py:1: ros_edge imports orchestrator_pkg.nodes',
        'y.py:1: planning (pure) imports nav_msgs.msg']
    assert room_violations(modules) == []


def helper_imports(modules: dict) -> list[str]:
    """Return 'file:line: imports X' for each import of the test helpers outside them."""
    testing = 'orchestrator_pkg.testing'
    problems = []
    for module, (path, source) in modules.items():
        if module == testing or module.startswith(testing + '.'):
            continue
        for target, names, line in imports_of(module, path, source):
            if target == 'orchestrator_pkg' and 'testing' in names:
                target = testing
            if target == testing or target.startswith(testing + '.'):
                problems.append(f'{path.name}:{line}: {module} imports {target}')
    return problems


def test_the_shipped_code_does_not_import_the_test_helpers():
    # orchestrator_pkg.testing serves tests and benchmarks; what a command needs at run
    # time (e.g. ros_edge.waiting's bounded waits) lives in the rooms it ships from
    assert helper_imports({'orchestrator_pkg.cli_ros': (
        Path('cli_ros.py'), 'def f():\n    from orchestrator_pkg.testing.waiting import x'),
        'orchestrator_pkg.commands.y': (Path('y.py'), 'from orchestrator_pkg import testing'),
    }) == ['cli_ros.py:2: orchestrator_pkg.cli_ros imports orchestrator_pkg.testing.waiting',
           'y.py:1: orchestrator_pkg.commands.y imports orchestrator_pkg.testing']
    assert helper_imports(module_sources(PKG_DIR, 'orchestrator_pkg')) == []


def test_no_import_cycle_in_orchestrator_pkg():
    graph = import_graph(module_sources(PKG_DIR, 'orchestrator_pkg'))
    assert len(graph) > 50
    assert cycles(graph) == []


def test_the_sim_does_not_import_orchestrator_pkg():
    modules = module_sources(SIM_DIR, 'orchestrator_sim')
    assert 'orchestrator_sim.world' in modules
    offenders = [f'{path.name}:{line}: {target}' for module, (path, source) in modules.items()
                 for target, _, line in imports_of(module, path, source)
                 if target.partition('.')[0] == 'orchestrator_pkg']
    assert offenders == []


def _depth(cls) -> int:
    """Levels below the nearest py_trees class (the longest way up through behaviours)."""
    if cls.__module__.partition('.')[0] == 'py_trees':
        return 0
    return 1 + max(_depth(base) for base in cls.__bases__
                   if issubclass(base, py_trees.behaviour.Behaviour))


def test_no_behaviour_is_more_than_two_levels_below_py_trees():
    behaviours = {}
    for info in pkgutil.walk_packages(orchestrator_pkg.__path__, 'orchestrator_pkg.'):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (cls.__module__ == info.name
                    and issubclass(cls, py_trees.behaviour.Behaviour)):
                behaviours[f'{cls.__module__}.{cls.__qualname__}'] = _depth(cls)
    assert 'orchestrator_pkg.trees.behaviour.BtNode' in behaviours
    too_deep = {name for name, depth in behaviours.items() if depth > MAX_DEPTH}
    assert too_deep - DEEP_ALLOWED == set(), 'use composition (see docs/architecture.md)'
    assert DEEP_ALLOWED - too_deep == set(), 'flattened: remove them from DEEP_ALLOWED'


def _action_server_calls(source: str):
    """Return the ``ActionServer(...)`` calls in a module's source (AST nodes)."""
    import ast
    return [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)
            and getattr(n.func, 'id', getattr(n.func, 'attr', None)) == 'ActionServer']


def test_every_action_server_keeps_ended_goals_for_result_keep_s_only():
    """By default rclpy keeps an ended goal 900 s: at 1 Hz replanning, a leak."""
    calls = {}
    for name, (_path, source) in module_sources(PKG_DIR, 'orchestrator_pkg').items():
        for call in _action_server_calls(source):
            kept = [k.value for k in call.keywords if k.arg == 'result_timeout']
            calls[f'{name}:{call.lineno}'] = (len(kept) == 1 and getattr(kept[0], 'attr', None)
                                              == 'RESULT_KEEP_S')
    assert len(calls) >= 7, calls  # controller, planner x2, behavior, waypoints, tree host...
    assert [where for where, ok in calls.items() if not ok] == []
    # the check sees a call without it
    assert _action_server_calls('ActionServer(node, A, "a", cb)')[0].keywords == []

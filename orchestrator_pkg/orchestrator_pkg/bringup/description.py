"""The bringup description: which nodes run, with which parameters, where.

One YAML file (``config/bringup.yaml``) is the single source of truth. It is
read by ``launch/bringup.launch.py`` on a ROS 2 install and by
``orchestrator run`` where ROS launch is absent, so both start the same
system. This module is pure: it parses and validates, it starts nothing.

Format::

    bringup:
      robots: 1                      # robots started by default
      namespace_prefix: robot        # robot1, robot2, ... when robots > 1
      arguments:                     # run arguments with a default and fixed choices
        localization:
          default: amcl
          choices: [truth, amcl]
          description: where map -> odom comes from
      shutdown:
        zero_velocity_topic: cmd_vel # sent zero Twist before nodes are stopped
        grace_period_s: 5.0          # SIGINT, then SIGKILL after this
      nodes:
        - name: base_driver          # ROS node name (also the log prefix)
          package: orchestrator_pkg
          executable: base_driver
          scope: robot               # robot: once per robot namespace; world: once
          parameters:                # files, "package:relative/path.yaml"; later
            - orchestrator_pkg:config/base_driver.yaml   # files override earlier ones
            - orchestrator_pkg:config/robots/${robot}.yaml
          overrides: {}              # name: value; "${arg}" substitutes a run argument
          remappings: {}             # from: to
          respawn: true
          respawn_delay_s: 1.0
          respawn_max_retries: 3     # -1 (default): forever, as in ROS launch
          respawn_backoff: 2.0       # each consecutive respawn waits this much longer
                                     # (1.0, the default: a fixed delay, as ROS launch)
          respawn_max_delay_s: 8.0   # the longest wait the back-off reaches
          respawn_reset_after_s: 30.0  # a process that ran this long was healthy: its
                                     # retries and back-off start over (0: never)
          required: false            # when it exits for good, stop everything
          sim_only: false            # only when running in simulation
          when: {localization: amcl} # only when each named run argument has that value
                                     # (or one of a list of values)
          composable: false          # composed mode: runs in one of its robot's containers,
          container: node_container  # this one (a process name; node_container by default)

Substitutions are ``${name}`` with ``name`` a run argument (e.g. ``world``,
``mission``); there is no other expression language, nothing is evaluated.
In a parameter file's path a substituted value must be a plain name (letters,
digits, ``_``) and the file must exist: ``config/robots/${robot}.yaml`` picks
the robot preset's parameters, and a robot without such a file is an error
that names the file and the presets there are.
A value that is exactly one ``${name}`` takes the argument's YAML type
(``1.0`` a float, ``3`` an int, ``true`` a bool), so run arguments given as
text (``ros2 launch ... rtf:=2``) set typed parameters.

An override can also pick its value by a run argument's value (a case
mapping; nothing is evaluated)::

    publish_map_to_odom_from_truth: {case: localization, truth: true, amcl: false}

The argument must be one of ``arguments`` (so every choice is known), or the
built-in ``sim`` (``"true"``/``"false"``: whether the run is in simulation,
:func:`resolve`'s ``sim``), and the mapping must give a value for each of its
choices. ``arguments`` declares run
arguments whose value is one of a few ``choices``: :func:`resolve` fills in
the ``default`` when the run does not give one and refuses any other value
with a message that names the choices.

:func:`resolve` adds arguments of its own: ``robot_namespaces``, the list
of robot namespaces of the run (``['']`` for one robot, else ``['robot1',
'robot2', ...]``; the sim takes it to create one body per robot), and, for
robot-scope nodes only, ``namespace``, the node's own robot namespace, and
``robot_index``, its robot's place in that list (0 for the first robot).

Composed mode: when the run argument ``composition`` is ``true`` (declare it
in ``arguments`` with choices ``[false, true]``), each robot's ``composable``
nodes run together in ``node_container`` processes (:mod:`nodes.node_container`),
one per ``container`` name (``node_container`` unless the node names another),
each node with the same name, namespace, parameters and remappings as on its own;
:func:`resolve` returns one launch per container, its ``components`` the
nodes' own launches. Only this package's nodes can be composed
(:data:`nodes.components.COMPONENTS`).

An override of a robot-scope node may be a number per robot:
``{per_robot: BASE, step: STEP}`` gives ``BASE + STEP * robot_index`` (two
integers), e.g. a TCP port that each robot's node must have to itself.
"""
from dataclasses import dataclass, field
import math
import os
import re
from typing import Dict, List, Mapping, Optional, Tuple

import yaml

from orchestrator_pkg.nodes.components import (
    COMPONENTS,
    CONTAINER_EXECUTABLE,
    CONTAINER_PACKAGE,
)

_SUBST = re.compile(r'\$\{([A-Za-z_][A-Za-z0-9_]*)\}')
_NAME = re.compile(r'^[A-Za-z][A-Za-z0-9_]*$')
_PLAIN = re.compile(r'^[A-Za-z0-9_]+$')  # a run argument's value inside a parameter file path
RESOLVE_ARGUMENTS = ('robot_namespaces', 'namespace', 'robot_index')  # added by resolve()
_NODE_KEYS = {'name', 'package', 'executable', 'scope', 'parameters', 'overrides',
              'remappings', 'respawn', 'respawn_delay_s', 'respawn_max_retries',
              'respawn_backoff', 'respawn_max_delay_s', 'respawn_reset_after_s',
              'required', 'sim_only', 'description', 'when', 'composable', 'container'}
_ARGUMENT_KEYS = {'default', 'choices', 'description'}
CASE_KEY = 'case'
COMPOSITION_ARGUMENT = 'composition'  # the run argument that turns composed mode on ('true')
PER_ROBOT_KEY = 'per_robot'
_PER_ROBOT_KEYS = {PER_ROBOT_KEY, 'step'}


class BringupError(ValueError):
    """A bringup description is invalid; the message names the file and field."""


@dataclass(frozen=True)
class NodeDescription:
    """One node of the bringup."""

    name: str
    package: str
    executable: str
    scope: str = 'robot'
    parameters: Tuple[Tuple[str, str], ...] = ()
    overrides: Tuple[Tuple[str, object], ...] = ()
    remappings: Tuple[Tuple[str, str], ...] = ()
    respawn: bool = False
    respawn_delay_s: float = 1.0
    respawn_max_retries: int = -1  # as in ROS launch: -1 retries forever
    respawn_backoff: float = 1.0  # delay factor per consecutive respawn (1: fixed)
    respawn_max_delay_s: float = 60.0  # the back-off's cap
    respawn_reset_after_s: float = 0.0  # uptime after which retries start over (0: never)
    required: bool = False
    sim_only: bool = False
    description: str = ''
    when: Tuple[Tuple[str, Tuple[str, ...]], ...] = ()  # (argument, allowed values)
    composable: bool = False  # joins its robot's container in composed mode
    container: str = CONTAINER_EXECUTABLE  # which container (process) of its robot it joins

    def runs_with(self, args: Mapping[str, object]) -> bool:
        """Whether this node runs with these run arguments (its ``when`` holds)."""
        return all(str(args.get(name)) in values for name, values in self.when)


@dataclass(frozen=True)
class Argument:
    """A run argument with fixed choices (``arguments:`` of the description)."""

    name: str
    default: str
    choices: Tuple[str, ...]
    description: str = ''


# built in: ``{case: sim, "true": ..., "false": ...}`` or ``when: {sim: "false"}`` pick by
# whether the run is in simulation (resolve's ``sim``: --no-sim, use_sim:=false)
SIM_ARGUMENT = Argument('sim', 'true', ('true', 'false'),
                        'whether the run is in simulation (built in)')


@dataclass(frozen=True)
class Bringup:
    """A whole bringup description."""

    source: str
    nodes: Tuple[NodeDescription, ...]
    robots: int = 1
    namespace_prefix: str = 'robot'
    zero_velocity_topic: str = 'cmd_vel'
    grace_period_s: float = 5.0
    arguments: Tuple[Argument, ...] = ()

    def run_arguments(self, args: Mapping[str, object]) -> Dict[str, object]:
        """``args`` with each declared argument's default filled in and its choice checked.

        A missing or empty value takes the default; any other value must be
        one of the choices (BringupError naming them).
        """
        out = dict(args)
        for arg in self.arguments:
            value = out.get(arg.name)
            if value is None or value == '':
                out[arg.name] = arg.default
            elif str(value) not in arg.choices:
                raise BringupError(f'{self.source}: run argument {arg.name}: {value!r} is not '
                                   f'one of {", ".join(arg.choices)}')
            else:
                out[arg.name] = str(value)
        return out

    def namespaces(self, robots: Optional[int] = None) -> List[str]:
        """Robot namespaces: ``['']`` for one robot, else ``['robot1', ...]``."""
        count = self.robots if robots is None else robots
        if count < 1:
            raise BringupError(f'{self.source}: robots must be >= 1, got {count}')
        if count == 1:
            return ['']
        return [f'{self.namespace_prefix}{i}' for i in range(1, count + 1)]


@dataclass(frozen=True)
class NodeLaunch:
    """A node resolved for one run: namespace, parameter files and overrides."""

    node: NodeDescription
    namespace: str
    parameter_files: Tuple[str, ...]
    overrides: Dict[str, object] = field(default_factory=dict)
    # a node_container's (composed mode): the nodes it runs, each resolved as on its own
    components: Tuple['NodeLaunch', ...] = ()

    @property
    def label(self) -> str:
        """Log prefix, e.g. ``robot1/base_driver``."""
        return f'{self.namespace}/{self.node.name}' if self.namespace else self.node.name

    @property
    def node_names(self) -> Tuple[str, ...]:
        """Names of the ROS nodes this process runs (a container's components, else its own)."""
        return tuple(c.node.name for c in self.components) or (self.node.name,)


def _err(source: str, where: str, why: str) -> BringupError:
    return BringupError(f'{source}: {where}: {why}')


def _typed(source, where, value, kind, default):
    if value is None:
        return default
    if kind is bool and not isinstance(value, bool):
        raise _err(source, where, f'expected true or false, got {value!r}')
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise _err(source, where, f'expected an integer, got {value!r}')
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _err(source, where, f'expected a number, got {value!r}')
        return float(value)
    if kind is str and not isinstance(value, str):
        raise _err(source, where, f'expected a string, got {value!r}')
    return value


def _mapping(source, where, value) -> Mapping:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _err(source, where, f'expected a mapping, got {type(value).__name__}')
    return value


def _flatten(source, where, overrides: Mapping, prefix: str = '') -> Dict[str, object]:
    """Nested overrides as ROS parameter names: ``{initial_pose: {x: 1}}`` -> ``initial_pose.x``.

    A mapping with ``case`` (a choice by run argument) or ``per_robot`` (a number
    per robot) is a value, not a namespace, and stays whole.
    """
    flat: Dict[str, object] = {}
    for key, value in overrides.items():
        if not isinstance(key, str) or not key:
            raise _err(source, where, f'{key!r}: a parameter name must be a non-empty string')
        name = f'{prefix}{key}'
        if isinstance(value, dict) and CASE_KEY not in value and PER_ROBOT_KEY not in value:
            if not value:
                raise _err(source, f'{where}.{name}', 'an empty mapping sets no parameter')
            flat.update(_flatten(source, where, value, f'{name}.'))
        else:
            flat[name] = value
    return flat


def _parameter_file(source, where, entry) -> Tuple[str, str]:
    if not isinstance(entry, str) or ':' not in entry:
        raise _err(source, where, f'expected "package:relative/path.yaml", got {entry!r}')
    package, path = entry.split(':', 1)
    if not package or not path or path.startswith('/') or '..' in path.split('/'):
        raise _err(source, where, f'expected "package:relative/path.yaml", got {entry!r}')
    return package, path


def _node(source: str, index: int, raw) -> NodeDescription:
    where = f'bringup.nodes[{index}]'
    if not isinstance(raw, dict):
        raise _err(source, where, 'expected a mapping with name, package, executable')
    unknown = sorted(set(raw) - _NODE_KEYS)
    if isinstance(raw.get('name'), str):
        where = f'{where} ({raw["name"]})'
    if unknown:
        raise _err(source, f'{where}.{unknown[0]}',
                   f'unknown field (known: {", ".join(sorted(_NODE_KEYS))})')
    for key in ('name', 'package', 'executable'):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise _err(source, f'{where}.{key}', 'required, a non-empty string')
    if not _NAME.match(raw['name']):
        raise _err(source, f'{where}.name', f'{raw["name"]!r} is not a valid ROS node name')
    scope = raw.get('scope', 'robot')
    if scope not in ('robot', 'world'):
        raise _err(source, f'{where}.scope', f'expected robot or world, got {scope!r}')
    params = raw.get('parameters') or []
    if not isinstance(params, list):
        raise _err(source, f'{where}.parameters', 'expected a list of "package:path" strings')
    delay = _typed(source, f'{where}.respawn_delay_s', raw.get('respawn_delay_s'), float, 1.0)
    retries = _typed(source, f'{where}.respawn_max_retries', raw.get('respawn_max_retries'),
                     int, -1)
    if delay < 0 or retries < -1:
        raise _err(source, where, 'respawn_delay_s must be >= 0 and respawn_max_retries >= -1')
    backoff = _typed(source, f'{where}.respawn_backoff', raw.get('respawn_backoff'), float, 1.0)
    max_delay = _typed(source, f'{where}.respawn_max_delay_s', raw.get('respawn_max_delay_s'),
                       float, 60.0)
    reset_after = _typed(source, f'{where}.respawn_reset_after_s',
                         raw.get('respawn_reset_after_s'), float, 0.0)
    for key, value in (('respawn_delay_s', delay), ('respawn_max_delay_s', max_delay),
                       ('respawn_reset_after_s', reset_after)):
        if not math.isfinite(value):
            raise _err(source, f'{where}.{key}', f'{value!r} is not a finite number')
    if not 1.0 <= backoff <= 10.0:
        raise _err(source, f'{where}.respawn_backoff', f'{backoff:g} is not in [1, 10]')
    if max_delay < delay:
        raise _err(source, f'{where}.respawn_max_delay_s',
                   f'{max_delay:g} is less than respawn_delay_s ({delay:g})')
    if reset_after < 0:
        raise _err(source, f'{where}.respawn_reset_after_s', f'{reset_after:g} is negative')
    remaps = _mapping(source, f'{where}.remappings', raw.get('remappings'))
    for key, value in remaps.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise _err(source, f'{where}.remappings', f'{key!r}: {value!r} must be strings')
    overrides = _flatten(source, f'{where}.overrides',
                         _mapping(source, f'{where}.overrides', raw.get('overrides')))
    when = _mapping(source, f'{where}.when', raw.get('when'))
    when_values = []
    for key, value in when.items():
        values = value if isinstance(value, list) else [value]
        if not isinstance(key, str) or not values or \
                not all(isinstance(v, (str, int, float, bool)) for v in values):
            raise _err(source, f'{where}.when', f'{key!r}: {value!r}: expected an argument '
                       'name and a value or a list of values')
        when_values.append((key, tuple(str(v) for v in values)))
    composable = _typed(source, f'{where}.composable', raw.get('composable'), bool, False)
    if composable and (raw['package'] != CONTAINER_PACKAGE or raw['executable'] not in COMPONENTS):
        raise _err(source, f'{where}.composable', f'{raw["package"]}/{raw["executable"]} cannot '
                   f'be composed (composable: {CONTAINER_PACKAGE} executables '
                   f'{", ".join(sorted(COMPONENTS))})')
    if composable and scope != 'robot':
        raise _err(source, f'{where}.composable', 'only robot-scope nodes are composed')
    container = _typed(source, f'{where}.container', raw.get('container'), str,
                       CONTAINER_EXECUTABLE)
    if not _NAME.match(container):
        raise _err(source, f'{where}.container', f'{container!r} is not a process name '
                   '(a letter, then letters, digits or _)')
    if 'container' in raw and not composable:
        raise _err(source, f'{where}.container', 'only a composable node joins a container '
                   '(set composable: true)')
    return NodeDescription(
        name=raw['name'], package=raw['package'], executable=raw['executable'],
        scope=scope,
        parameters=tuple(_parameter_file(source, f'{where}.parameters[{i}]', p)
                         for i, p in enumerate(params)),
        overrides=tuple(overrides.items()),
        remappings=tuple(remaps.items()),
        respawn=_typed(source, f'{where}.respawn', raw.get('respawn'), bool, False),
        respawn_delay_s=delay, respawn_max_retries=retries, respawn_backoff=backoff,
        respawn_max_delay_s=max_delay, respawn_reset_after_s=reset_after,
        required=_typed(source, f'{where}.required', raw.get('required'), bool, False),
        sim_only=_typed(source, f'{where}.sim_only', raw.get('sim_only'), bool, False),
        description=_typed(source, f'{where}.description', raw.get('description'), str, ''),
        when=tuple(when_values), composable=composable, container=container)


def _arguments(source: str, raw) -> Tuple[Argument, ...]:
    out = []
    for name, spec in _mapping(source, 'bringup.arguments', raw).items():
        where = f'bringup.arguments.{name}'
        if not isinstance(name, str) or not _NAME.match(name):
            raise _err(source, 'bringup.arguments', f'{name!r} is not a valid argument name')
        if name == SIM_ARGUMENT.name:
            raise _err(source, where, 'sim is built in (whether the run is in simulation)')
        spec = _mapping(source, where, spec)
        unknown = sorted(set(spec) - _ARGUMENT_KEYS)
        if unknown:
            raise _err(source, f'{where}.{unknown[0]}',
                       f'unknown field (known: {", ".join(sorted(_ARGUMENT_KEYS))})')
        choices = spec.get('choices')
        if not isinstance(choices, list) or not choices or \
                not all(isinstance(c, str) and c for c in choices):
            raise _err(source, f'{where}.choices', 'required, a non-empty list of strings')
        default = spec.get('default')
        if default not in choices:
            raise _err(source, f'{where}.default', f'{default!r} is not one of the choices '
                       f'({", ".join(choices)})')
        out.append(Argument(name, default, tuple(choices),
                            _typed(source, f'{where}.description', spec.get('description'),
                                   str, '')))
    return tuple(out)


def _check_cases(source: str, nodes, arguments) -> None:
    """Every ``{case: ARG, ...}`` override names a declared argument and covers its choices."""
    known = {arg.name: arg for arg in (*arguments, SIM_ARGUMENT)}
    for node in nodes:
        for name, _values in node.when:
            if name not in known:
                raise _err(source, f'bringup.nodes ({node.name}).when.{name}',
                           f'not a declared argument (arguments: '
                           f'{", ".join(sorted(known)) or "none"})')
        for key, value in node.overrides:
            if isinstance(value, dict) and PER_ROBOT_KEY in value:
                _check_per_robot(source, node, key, value)
            if not (isinstance(value, dict) and CASE_KEY in value):
                continue
            where = f'bringup.nodes ({node.name}).overrides.{key}'
            arg = known.get(value[CASE_KEY])
            if arg is None:
                raise _err(source, where, f'case {value[CASE_KEY]!r} is not a declared argument '
                           f'(arguments: {", ".join(sorted(known)) or "none"})')
            missing = [c for c in arg.choices if c not in value]
            extra = sorted(str(k) for k in value if k != CASE_KEY and k not in arg.choices)
            if missing or extra:
                raise _err(source, where, f'a case of {arg.name} needs exactly its choices '
                           f'({", ".join(arg.choices)}); missing: {", ".join(missing) or "-"}, '
                           f'unknown: {", ".join(extra) or "-"}')


def _check_per_robot(source: str, node, key: str, value: Mapping) -> None:
    """Check a ``{per_robot: BASE, step: STEP}`` override: two integers, robot-scope node."""
    where = f'bringup.nodes ({node.name}).overrides.{key}'
    if set(value) != _PER_ROBOT_KEYS:
        raise _err(source, where, f'a number per robot is {{per_robot: BASE, step: STEP}}; got '
                   f'the keys {", ".join(sorted(str(k) for k in value))}')
    for name in sorted(_PER_ROBOT_KEYS):
        if isinstance(value[name], bool) or not isinstance(value[name], int):
            raise _err(source, f'{where}.{name}', f'expected an integer, got {value[name]!r}')
    if node.scope != 'robot':
        raise _err(source, where, f'a number per robot needs a robot-scope node; '
                   f'{node.name} is {node.scope}-scope')


def parse(text: str, source: str = '<string>') -> Bringup:
    """Parse and validate a bringup description given as YAML text."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BringupError(f'{source}: not valid YAML: {exc}') from None
    if not isinstance(data, dict) or not isinstance(data.get('bringup'), dict):
        raise BringupError(f'{source}: expected a top-level "bringup:" mapping')
    top = data['bringup']
    known = {'robots', 'namespace_prefix', 'shutdown', 'nodes', 'arguments'}
    unknown = sorted(set(top) - known)
    if unknown:
        raise _err(source, f'bringup.{unknown[0]}',
                   f'unknown field (known: {", ".join(sorted(known))})')
    nodes_raw = top.get('nodes')
    if not isinstance(nodes_raw, list) or not nodes_raw:
        raise _err(source, 'bringup.nodes', 'required, a non-empty list')
    nodes = tuple(_node(source, i, raw) for i, raw in enumerate(nodes_raw))
    arguments = _arguments(source, top.get('arguments'))
    _check_cases(source, nodes, arguments)
    seen = set()
    for node in nodes:
        if node.name in seen:
            raise _err(source, 'bringup.nodes', f'node name {node.name!r} is used twice')
        seen.add(node.name)
    for i, node in enumerate(nodes):
        if node.composable and node.container in seen:
            raise _err(source, f'bringup.nodes[{i}] ({node.name}).container',
                       f'{node.container!r} is the name of a node; a container needs its own')
    robots = _typed(source, 'bringup.robots', top.get('robots'), int, 1)
    if robots < 1:
        raise _err(source, 'bringup.robots', f'must be >= 1, got {robots}')
    prefix = _typed(source, 'bringup.namespace_prefix', top.get('namespace_prefix'), str, 'robot')
    if not _NAME.match(prefix):
        raise _err(source, 'bringup.namespace_prefix', f'{prefix!r} is not a valid namespace')
    shutdown = _mapping(source, 'bringup.shutdown', top.get('shutdown'))
    grace = _typed(source, 'bringup.shutdown.grace_period_s', shutdown.get('grace_period_s'),
                   float, 5.0)
    if grace <= 0:
        raise _err(source, 'bringup.shutdown.grace_period_s', f'must be > 0, got {grace}')
    return Bringup(
        source=source, nodes=nodes, robots=robots, namespace_prefix=prefix,
        zero_velocity_topic=_typed(source, 'bringup.shutdown.zero_velocity_topic',
                                   shutdown.get('zero_velocity_topic'), str, 'cmd_vel'),
        grace_period_s=grace, arguments=arguments)


def load(path: str) -> Bringup:
    """Read and validate a bringup description file."""
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except OSError as exc:
        raise BringupError(f'{path}: cannot read: {exc.strerror}') from None
    return parse(text, source=path)


def substitute(value, args: Mapping[str, str], where: str = 'value'):
    """Replace ``${name}`` in strings (recursively in lists) from ``args``.

    A case mapping (``{case: ARG, VALUE: result, ...}``) becomes the result
    for ``args[ARG]``, itself substituted; a number per robot (``{per_robot:
    BASE, step: STEP}``) becomes ``BASE + STEP * args['robot_index']``.
    """
    if isinstance(value, dict) and CASE_KEY in value:
        name = value[CASE_KEY]
        if name not in args:
            raise BringupError(f'{where}: case {name!r} is not a run argument '
                               f'(known: {", ".join(sorted(args)) or "none"})')
        chosen = str(args[name])
        if chosen not in value:
            raise BringupError(f'{where}: case {name}: no value for {chosen!r} '
                               f'(cases: {", ".join(str(k) for k in value if k != CASE_KEY)})')
        return substitute(value[chosen], args, where)
    if isinstance(value, dict) and PER_ROBOT_KEY in value:
        if RESOLVE_ARGUMENTS[2] not in args:
            raise BringupError(f'{where}: a number per robot needs a robot-scope node')
        return int(value[PER_ROBOT_KEY]) + int(value['step']) * int(args[RESOLVE_ARGUMENTS[2]])
    if isinstance(value, list):
        return [substitute(v, args, where) for v in value]
    if not isinstance(value, str):
        return value
    whole = _SUBST.fullmatch(value)
    if whole is not None and isinstance(args.get(whole.group(1)), (list, tuple)):
        return list(args[whole.group(1)])  # e.g. ${robot_namespaces}: a string array

    def repl(match):
        name = match.group(1)
        if name not in args:
            raise BringupError(f'{where}: ${{{name}}} is not a run argument '
                               f'(known: {", ".join(sorted(args)) or "none"})')
        return str(args[name])
    text = _SUBST.sub(repl, value)
    if whole is None or text == '':
        return text
    # "${rtf}" alone takes the argument's type, as a parameter would from YAML:
    # "1.0" -> 1.0, "3" -> 3, "true" -> True, "warehouse" -> "warehouse".
    try:
        typed = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return typed if isinstance(typed, (bool, int, float, str)) else text


def _parameter_path(source: str, node: NodeDescription, package: str, path: str,
                    args: Mapping[str, object], share_dir) -> str:
    """Return a parameter file's full path; ``${arg}`` in it must give a plain name and a file."""
    if not _SUBST.search(path):
        return f'{share_dir(package)}/{path}'
    where = f'{source}: {node.name}.parameters: {package}:{path}'
    for name in _SUBST.findall(path):
        if name not in args:
            raise BringupError(f'{where}: ${{{name}}} is not a run argument '
                               f'(known: {", ".join(sorted(args)) or "none"})')
        if not _PLAIN.match(str(args[name])):
            raise BringupError(f'{where}: {name} {str(args[name])!r} cannot name a parameter '
                               'file (letters, digits and _ only)')
    text = _SUBST.sub(lambda m: str(args[m.group(1)]), path)
    full = f'{share_dir(package)}/{text}'
    if not os.path.isfile(full):
        folder = os.path.dirname(full)
        there = sorted(f[:-5] for f in os.listdir(folder) if f.endswith('.yaml')) \
            if os.path.isdir(folder) else []
        given = ', '.join(f'{n} {str(args[n])!r}' for n in dict.fromkeys(_SUBST.findall(path)))
        raise BringupError(f'{where}: {given} has no parameter file ({package}:{text} does not '
                           f'exist; there are: {", ".join(there) or "none"})')
    return full


def _file_value(files, node_name: str, name: str):
    """Return ``name``'s value in a node's ROS parameter files (the last that sets it), or None.

    A file's section is the node's name, ``/name`` or ``/**``; ``a.b`` is found
    nested (``a: {b: ...}``) or as one key. A file that cannot be read is skipped:
    the node itself reports it.
    """
    found = None
    for path in files:
        try:
            with open(path) as f:
                data = yaml.safe_load(f)
        except (OSError, yaml.YAMLError):
            continue
        if not isinstance(data, dict):
            continue
        for key in ('/**', node_name, '/' + node_name):
            section = data.get(key)
            values = section.get('ros__parameters') if isinstance(section, dict) else None
            if not isinstance(values, dict):
                continue
            if name in values:
                found = values[name]
                continue
            value = values
            for part in name.split('.'):
                value = value.get(part) if isinstance(value, dict) else None
            if value is not None:
                found = value
    return found


def _typed_like_file(value, files, node_name: str, name: str):
    """Give a ``--param`` value its parameter's type where the node's files show it.

    ROS parameters are typed, and rclpy refuses ``tick_rate_hz:=100`` (an integer)
    for a double: the node exits at start. A whole number given for a double in
    the files becomes a float, and a float with no fraction given for an integer an
    int; anything else is passed as given, for the node to judge.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    known = _file_value(files, node_name, name)
    if isinstance(known, bool):
        return value
    if isinstance(value, int) and isinstance(known, float):
        return float(value)
    if isinstance(value, float) and isinstance(known, int) and value.is_integer():
        return int(value)
    return value


def resolve(bringup: Bringup, share_dir, args: Mapping[str, str], *, sim: bool,
            robots: Optional[int] = None, only=None, params=()) -> List[NodeLaunch]:
    """Expand the description into the node launches of one run.

    ``share_dir(package)`` returns a package's share directory (ament_index in
    real use; a plain function in tests). World-scope nodes come first, then
    each robot's nodes, in file order. ``only``, a collection of node names,
    keeps just those nodes (e.g. the orchestrator alone, on a robot whose
    drivers run elsewhere). Robot-scope nodes get their robot's namespace
    (none for one robot), so their relative topic, action and tf names
    (``scan``, ``follow_path``, ``tf``) become ``/robot1/scan`` and so on.
    ``params``: (node, parameter, value) overrides on top of the node's own
    (``--param``, a campaign's variants), for every robot's copy of the node;
    a node that does not run with these arguments is refused, by name.
    """
    names = {node.name for node in bringup.nodes}
    if only:
        unknown = sorted(set(only) - names)
        if unknown:
            raise BringupError(f'{bringup.source}: no node named {", ".join(unknown)} '
                               f'(nodes: {", ".join(sorted(names))})')
    launches = []
    namespaces = bringup.namespaces(robots)
    run_args = {**bringup.run_arguments(args), RESOLVE_ARGUMENTS[0]: list(namespaces),
                SIM_ARGUMENT.name: 'true' if sim else 'false'}
    for scope, spaces in (('world', ['']), ('robot', namespaces)):
        for index, namespace in enumerate(spaces):
            node_args = {**run_args, RESOLVE_ARGUMENTS[1]: namespace,
                         RESOLVE_ARGUMENTS[2]: index} if scope == 'robot' else run_args
            for node in bringup.nodes:
                if node.scope != scope or (node.sim_only and not sim) \
                        or not node.runs_with(run_args):
                    continue
                if only and node.name not in only:
                    continue
                files = tuple(_parameter_path(bringup.source, node, pkg, path, node_args,
                                              share_dir) for pkg, path in node.parameters)
                overrides = {k: substitute(v, node_args,
                                           f'{bringup.source}: {node.name}.overrides.{k}')
                             for k, v in node.overrides}
                overrides['use_sim_time'] = bool(sim)
                overrides.update((name, _typed_like_file(value, files, node.name, name))
                                 for target, name, value in params if target == node.name)
                launches.append(NodeLaunch(node, namespace, files, overrides))
    running = {launch.node.name for launch in launches}
    for target, name, _ in params:
        if target not in running:
            why = 'does not run with these arguments' if target in names else 'is not a node'
            raise BringupError(f'{bringup.source}: --param {target}.{name}: {target} {why} '
                               f'(nodes: {", ".join(sorted(running))})')
    if str(run_args.get(COMPOSITION_ARGUMENT, 'false')).lower() == 'true':
        launches = _composed(launches)
    return launches


def _composed(launches: List[NodeLaunch]) -> List[NodeLaunch]:
    """Replace each robot's ``composable`` launches with one launch per ``container``.

    Each container (a node_container process named after its ``container``)
    takes the place of its first node. It is respawned only if
    every node in it is (with the first one's policy), and it is required if
    any of them is.
    """
    groups: Dict[Tuple[str, str], List[NodeLaunch]] = {}
    for launch in launches:
        if launch.node.composable:
            groups.setdefault((launch.namespace, launch.node.container), []).append(launch)
    out = []
    for launch in launches:
        group = groups.get((launch.namespace, launch.node.container)) \
            if launch.node.composable else None
        if group is None:
            out.append(launch)
        elif launch is group[0]:
            first = group[0].node
            container = NodeDescription(
                name=first.container, package=CONTAINER_PACKAGE,
                executable=CONTAINER_EXECUTABLE, scope='robot',
                respawn=all(g.node.respawn for g in group),
                respawn_delay_s=first.respawn_delay_s,
                respawn_max_retries=first.respawn_max_retries,
                respawn_backoff=first.respawn_backoff,
                respawn_max_delay_s=first.respawn_max_delay_s,
                respawn_reset_after_s=first.respawn_reset_after_s,
                required=any(g.node.required for g in group),
                description='composed: ' + ', '.join(g.node.name for g in group))
            out.append(NodeLaunch(container, launch.namespace, (), {}, tuple(group)))
    return out

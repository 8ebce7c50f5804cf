"""Port declarations and typed conversion of port values.

A port value in XML is either a blackboard reference ``{key}`` (``{=}`` means
"the key named like the port"; a leading ``@`` names a key of the root
blackboard) or a literal, which is converted to the port's declared type when
the tree is loaded, so a bad literal is a load error, not a runtime surprise.

Port types are named converters, kept by each registry in a :class:`PortTypes`
table. The builtin ones are ``str``, ``int``, ``float``, ``bool``,
``duration_s`` (seconds, float), ``any`` (no conversion) and ``script``
(parsed by :mod:`orchestrator_pkg.trees.script`). A plugin adds more with
``registry.register_port_type``; a type whose values can only come from the
blackboard (a pose, a path) registers a converter that raises ``ValueError``
for every string.
"""
from dataclasses import dataclass
import math
import re
from typing import Any, Callable

DIRECTIONS = ('input', 'output', 'inout')

_REF = re.compile(r'^\{\s*(@?[A-Za-z_][A-Za-z0-9_.\-/]*|=)\s*\}$')


class PortError(RuntimeError):
    """A port could not produce a value (unset or ill-typed blackboard entry, bad literal)."""


def _to_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ('true', '1'):
        return True
    if lowered in ('false', '0'):
        return False
    raise ValueError(f'"{text}" is not a boolean (true/false)')


def _to_int(text: str) -> int:
    stripped = text.strip()
    if not re.fullmatch(r'[+-]?\d+', stripped):
        raise ValueError(f'"{text}" is not an integer')
    return int(stripped)


def _to_float(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError(f'"{text}" is not a number') from None
    if not math.isfinite(value):
        raise ValueError(f'"{text}" is not a finite number')
    return value


def _to_duration(text: str) -> float:
    value = _to_float(text)
    if value < 0:
        raise ValueError(f'"{text}" is a negative duration')
    return value


def _to_script(text: str):
    from orchestrator_pkg.trees.script import ScriptError, parse_script
    try:
        return parse_script(text)
    except ScriptError as exc:
        raise ValueError(f'script "{text}": {exc}') from None


class PortTypes:
    """The named port types of one registry: the builtins and whatever plugins add."""

    def __init__(self):
        self._from_string = {'str': str, 'int': _to_int, 'float': _to_float, 'bool': _to_bool,
                             'duration_s': _to_duration, 'any': lambda text: text,
                             'script': _to_script}
        # Python types a blackboard value of that port type may already have.
        self._native = {'str': (str,), 'int': (int,), 'float': (float, int), 'bool': (bool,),
                        'duration_s': (float, int)}

    def register(self, name: str, from_string: Callable[[str], Any],
                 native: tuple[type, ...] = ()) -> None:
        """Add (or replace) a named port type.

        ``from_string`` converts a literal from XML and raises ``ValueError`` with
        a reason when it cannot. ``native`` optionally lists the Python types a
        blackboard value must already have (empty: anything goes).
        """
        if not name or not name.replace('_', '').isalnum():
            raise ValueError(f'port type name "{name}" must be alphanumeric/underscore')
        self._from_string[name] = from_string
        if native:
            self._native[name] = tuple(native)
        else:
            self._native.pop(name, None)

    def __contains__(self, name: str) -> bool:
        return name in self._from_string

    def names(self) -> tuple[str, ...]:
        """Return the names of every known port type."""
        return tuple(sorted(self._from_string))

    def convert(self, type_name: str, text: str) -> Any:
        """Convert a literal string to ``type_name``; raises ``ValueError`` with a reason."""
        try:
            converter = self._from_string[type_name]
        except KeyError:
            raise ValueError(f'unknown port type "{type_name}"') from None
        return converter(text)

    def check_native(self, type_name: str, value: Any) -> Any:
        """Return ``value`` as ``type_name`` (converting strings); ``ValueError`` if it cannot."""
        if isinstance(value, str) and type_name not in ('str', 'any'):
            return self.convert(type_name, value)
        native = self._native.get(type_name)
        if native is not None and not isinstance(value, native):
            raise ValueError(f'holds a {type(value).__name__}, expected {type_name}')
        if type_name in ('int',) and isinstance(value, bool):
            raise ValueError('holds a bool, expected int')
        if type_name in ('float', 'duration_s') and not isinstance(value, bool):
            return float(value)
        return value


def parse_reference(text: str, port_name: str) -> str | None:
    """Return the blackboard key of ``{key}`` / ``{=}`` values, or None for a literal."""
    match = _REF.match(text)
    if not match:
        return None
    key = match.group(1)
    return port_name if key == '=' else key


def looks_like_reference(text: str) -> bool:
    """Tell whether ``text`` is meant as a reference (starts with ``{``, ends with ``}``)."""
    stripped = text.strip()
    return stripped.startswith('{') and stripped.endswith('}')


@dataclass(frozen=True)
class Range:
    """The values a numeric port accepts: ``lo`` to ``hi`` (None: unbounded).

    The bounds are inclusive unless ``lo_open`` / ``hi_open`` (e.g. a rate
    ``> 0``). ``literal_only`` lists special values that only a literal in the
    tree file may give, ``meaning`` says what they mean: ``num_cycles="-1"``
    (forever) is BehaviorTree.CPP's and allowed when the tree's author wrote
    it, but a value from the blackboard (a mission input, a key set while the
    tree runs) must lie within the bounds, so no input can make a loop endless.
    """

    lo: float | None = None
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = False
    literal_only: tuple = ()
    meaning: str = ''

    def bounds(self) -> str:
        """Say the bounds in words, e.g. ``at least 0``, ``> 0``, ``in [0, 1]``."""
        if self.lo is not None and self.hi is not None:
            return (f'in {"(" if self.lo_open else "["}{self.lo:g}, '
                    f'{self.hi:g}{")" if self.hi_open else "]"}')
        if self.lo is not None:
            return f'> {self.lo:g}' if self.lo_open else f'at least {self.lo:g}'
        if self.hi is not None:
            return f'< {self.hi:g}' if self.hi_open else f'at most {self.hi:g}'
        return 'any number'

    def describe(self) -> str:
        """Say every accepted value in words (the bounds and the literal-only values)."""
        special = ', '.join(f'{value:g}' for value in self.literal_only)
        meaning = f' ({self.meaning})' if self.meaning else ''
        return f'{self.bounds()}' + (f', or {special}{meaning} written in the tree file'
                                     if special else '')

    def _within(self, value) -> bool:
        if self.lo is not None and (value < self.lo or (self.lo_open and value == self.lo)):
            return False
        if self.hi is not None and (value > self.hi or (self.hi_open and value == self.hi)):
            return False
        return True

    def check(self, value, literal: bool) -> str | None:
        """Return why ``value`` is refused, or None; ``literal``: written in the tree file.

        Values that are not numbers are left to the port's type.
        """
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        if not math.isfinite(value):
            return f'{value} is not a finite number'
        if self._within(value) or (literal and value in self.literal_only):
            return None
        if value in self.literal_only:
            meaning = f' ({self.meaning})' if self.meaning else ''
            return (f'{value:g}{meaning} may only be written in the tree file; a value from '
                    f'the blackboard must be {self.bounds()}')
        return f'{value:g} is out of range: must be {self.describe()}'


@dataclass(frozen=True)
class PortSpec:
    """One declared port of a node type (names follow BehaviorTree.CPP).

    ``type`` names a port type of the registry the node type is registered in,
    which checks it at registration. ``range`` (a :class:`Range`, or a
    ``(lo, hi)`` pair with None for an open end) bounds a numeric port: literals
    are checked when the tree is loaded (an error with file and line), mission
    inputs when the mission is validated, and blackboard values each time the
    node reads them (a :class:`PortError`).
    """

    name: str
    direction: str = 'input'
    type: str = 'any'
    required: bool = True
    default: Any = None
    description: str = ''
    range: Range | None = None

    def __post_init__(self):
        if self.direction not in DIRECTIONS:
            raise ValueError(f'port "{self.name}": direction must be one of {DIRECTIONS}, '
                             f'not "{self.direction}"')
        if isinstance(self.range, tuple):
            if len(self.range) != 2:
                raise ValueError(f'port "{self.name}": range must be (lo, hi), '
                                 f'not {self.range!r}')
            object.__setattr__(self, 'range', Range(*self.range))
        elif self.range is not None and not isinstance(self.range, Range):
            raise ValueError(f'port "{self.name}": range must be a Range or (lo, hi), '
                             f'not {self.range!r}')

    def check_range(self, value, literal: bool) -> str | None:
        """Return why ``value`` is out of this port's range, or None (no range: None)."""
        return None if self.range is None else self.range.check(value, literal)


def input_port(name, type='any', required=True, default=None, description='', range=None):
    """Shorthand for an input :class:`PortSpec`."""
    return PortSpec(name, 'input', type, required, default, description, range)


def output_port(name, type='any', required=True, description=''):
    """Shorthand for an output :class:`PortSpec`."""
    return PortSpec(name, 'output', type, required, None, description)


def inout_port(name, type='any', required=True, default=None, description='', range=None):
    """Shorthand for an input/output :class:`PortSpec`."""
    return PortSpec(name, 'inout', type, required, default, description, range)

"""The registry of node types a tree file may use, and what a builder receives.

Every node type is a :class:`NodeSpec`: its category, its declared ports and
a ``build`` callable that turns a :class:`BuildContext` into a py_trees
behaviour. A :class:`Registry` also owns the port types its node types use.
Filling one with the builtins and the plugins is the library's job
(:func:`orchestrator_pkg.behaviours.plugins.default_registry`).
"""
from dataclasses import dataclass, field
from typing import Any, Callable

import py_trees

from orchestrator_pkg.trees.ports import PortError, PortSpec, PortTypes

CATEGORIES = ('action', 'condition', 'control', 'decorator')

_UNSET = object()


class RegistryError(RuntimeError):
    """A node type could not be registered, or a plugin failed to load."""


class Ports:
    """Typed access to one node instance's ports.

    Literals were converted when the tree was loaded; ``{key}`` references are
    read from the blackboard each time :meth:`get` is called, so a behaviour
    sees the current value.
    """

    __slots__ = ('_specs', '_literals', '_refs', '_blackboard', '_types', '_owner')

    def __init__(self, specs: dict[str, PortSpec], literals: dict[str, Any],
                 refs: dict[str, str], blackboard, types: PortTypes, owner: str = ''):
        self._specs = specs
        self._types = types
        self._literals = literals
        self._refs = refs
        self._blackboard = blackboard
        self._owner = owner

    def has(self, name: str) -> bool:
        """Tell whether the port was given in the XML or has a default."""
        return name in self._literals or name in self._refs

    def key(self, name: str) -> str | None:
        """Return the blackboard key a port refers to, or None for a literal/absent port."""
        return self._refs.get(name)

    def get(self, name: str, default: Any = _UNSET) -> Any:
        """Return the port's value, converted to its declared type.

        Raises :class:`PortError` naming the node, port and key when a referenced
        key is unset (and no ``default`` is given) or holds a value of the wrong type.
        """
        literals = self._literals
        if name in literals:
            return literals[name]
        key = self._refs.get(name)
        if key is None:
            if default is not _UNSET:
                return default
            if name not in self._specs:
                raise PortError(f'{self._owner}: no port named "{name}"')
            raise PortError(f'{self._owner}: port "{name}" was not given')
        try:
            value = self._blackboard.get(key)
        except KeyError:
            if default is not _UNSET:
                return default
            raise PortError(f'{self._owner}: port "{name}" reads blackboard key "{key}", '
                            'which is not set') from None
        spec = self._specs[name]
        try:
            value = self._types.check_native(spec.type, value)
        except ValueError as exc:
            raise PortError(f'{self._owner}: port "{name}" (blackboard key "{key}") '
                            f'{exc}') from None
        reason = spec.check_range(value, literal=False)
        if reason:
            raise PortError(f'{self._owner}: port "{name}" (blackboard key "{key}"): {reason}')
        return value

    def set(self, name: str, value: Any) -> None:
        """Write an output port's value to its blackboard key (no-op if not connected)."""
        key = self._refs.get(name)
        if key is None:
            if name not in self._specs:
                raise PortError(f'{self._owner}: no port named "{name}"')
            return
        self._blackboard.set(key, value)


@dataclass
class BuildContext:
    """Everything a builder needs to create one behaviour instance."""

    name: str
    type_name: str
    ports: Ports
    children: list
    clock: Any
    blackboard: Any
    source: tuple[str, int] = ('<unknown>', 0)
    attributes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class NodeSpec:
    """A node type: category, ports, builder and how many children it takes.

    ``forwards`` says which output ports receive an input port's value
    unchanged, as ``(input, output, separator)``: ``''`` passes the value as
    it is (SetBlackboard), a separator passes each element of the value split
    by it (a loop over ``"a;b;c"``). Validation follows literal values
    through them (e.g. place names to the node that looks them up).
    """

    type_name: str
    category: str
    ports: tuple[PortSpec, ...]
    build: Callable[[BuildContext], py_trees.behaviour.Behaviour]
    description: str = ''
    min_children: int = 0
    max_children: int | None = 0
    forwards: tuple[tuple[str, str, str], ...] = ()

    def __post_init__(self):
        if self.category not in CATEGORIES:
            raise RegistryError(f'{self.type_name}: category must be one of {CATEGORIES}, '
                                f'not "{self.category}"')
        if not self.type_name or not self.type_name.replace('_', '').isalnum():
            raise RegistryError(f'node type name "{self.type_name}" must be alphanumeric')
        names = [port.name for port in self.ports]
        if len(names) != len(set(names)):
            raise RegistryError(f'{self.type_name}: duplicate port names in {names}')
        if not callable(self.build):
            raise RegistryError(f'{self.type_name}: build must be callable')
        for source, target, _ in self.forwards:
            if source not in names or target not in names:
                raise RegistryError(f'{self.type_name}: forwards {source} -> {target} '
                                    f'names a port it does not declare ({names})')

    def port(self, name: str) -> PortSpec | None:
        """Return the port named ``name`` or None."""
        for port in self.ports:
            if port.name == name:
                return port
        return None


class Registry:
    """Node types by name, and the port types their ports may use (``port_types``)."""

    def __init__(self):
        self._specs: dict[str, NodeSpec] = {}
        self._origin: dict[str, str] = {}
        self._current_origin = 'code'
        self.port_types = PortTypes()

    def register_port_type(self, name: str, from_string: Callable[[str], Any],
                           native: tuple[type, ...] = ()) -> None:
        """Add (or replace) a port type of this registry; see :meth:`PortTypes.register`."""
        self.port_types.register(name, from_string, native)

    def register(self, spec: NodeSpec, replace: bool = False) -> None:
        """Add a node type; registering a name twice is an error unless ``replace``.

        Every port's type must already be a port type of this registry.
        """
        if not isinstance(spec, NodeSpec):
            raise RegistryError(f'register() needs a NodeSpec, got {type(spec).__name__}')
        for port in spec.ports:
            if port.type not in self.port_types:
                raise RegistryError(f'{spec.type_name}: port "{port.name}": unknown port type '
                                    f'"{port.type}" (known: {", ".join(self.port_types.names())})')
        if spec.type_name in self._specs and not replace:
            raise RegistryError(
                f'node type "{spec.type_name}" is already registered '
                f'(by {self._origin[spec.type_name]}); pass replace=True to override')
        self._specs[spec.type_name] = spec
        self._origin[spec.type_name] = self._current_origin

    def get(self, type_name: str) -> NodeSpec:
        """Return the spec of ``type_name``; ``KeyError`` if unknown."""
        return self._specs[type_name]

    def __contains__(self, type_name: str) -> bool:
        return type_name in self._specs

    def types(self) -> list[str]:
        """Return every registered type name, sorted."""
        return sorted(self._specs)

    def origin(self, type_name: str) -> str:
        """Return who registered ``type_name`` (entry point name or 'code')."""
        return self._origin[type_name]

    def load_plugin(self, name: str, register: Callable[['Registry'], None]) -> None:
        """Call a plugin's ``register(registry)``, recording it as the origin of its types."""
        previous = self._current_origin
        self._current_origin = f'entry point "{name}"'
        try:
            register(self)
        finally:
            self._current_origin = previous

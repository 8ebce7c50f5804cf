"""A per-tree blackboard with SubTree scopes (not py_trees' process-global one).

Each built tree owns one root :class:`Blackboard`. A ``SubTree`` gets a child
scope, as in BehaviorTree.CPP v4:

- a port remapping ``<SubTree ID="X" goal="{target}"/>`` makes the subtree's
  ``goal`` an alias of the parent's ``target`` (reads and writes go there);
- a literal ``<SubTree ID="X" rate="5"/>`` sets ``rate`` in the child scope;
- ``_autoremap="true"`` makes every other key (except ``_private`` ones)
  resolve in the parent scope;
- a key starting with ``@`` always names an entry of the root blackboard.
"""
from typing import Any, Iterator

_MISSING = object()


class Blackboard:
    """Key/value store of one tree, or of one SubTree scope."""

    def __init__(self, parent: 'Blackboard | None' = None, remap: dict | None = None,
                 autoremap: bool = False):
        self._data: dict[str, Any] = {}
        self._parent = parent
        self._remap: dict[str, str] = dict(remap or {})
        self._autoremap = bool(autoremap) and parent is not None
        self.root: Blackboard = parent.root if parent is not None else self

    def scope(self, remap: dict | None = None, autoremap: bool = False) -> 'Blackboard':
        """Return a child scope (a SubTree's blackboard) of this one."""
        return Blackboard(self, remap, autoremap)

    def resolve(self, key: str) -> tuple['Blackboard', str]:
        """Return the blackboard and key where ``key`` of this scope really lives."""
        board = self
        if key.startswith('@'):
            return self.root, key[1:]
        for _ in range(1000):
            if key in board._data:
                return board, key
            if key in board._remap:
                target = board._remap[key]
                if target.startswith('@'):
                    return board.root, target[1:]
                board, key = board._parent, target
                continue
            if board._autoremap and not key.startswith('_'):
                board = board._parent
                continue
            return board, key
        raise RuntimeError(f'blackboard remapping of "{key}" does not terminate')

    def get(self, key: str, default: Any = _MISSING) -> Any:
        """Return the value of ``key``; ``KeyError`` (or ``default``) when unset."""
        board, real = self.resolve(key)
        try:
            return board._data[real]
        except KeyError:
            if default is _MISSING:
                raise KeyError(key) from None
            return default

    def set(self, key: str, value: Any) -> None:
        """Set ``key`` (in the scope it is remapped to)."""
        board, real = self.resolve(key)
        board._data[real] = value

    def set_local(self, key: str, value: Any) -> None:
        """Set ``key`` in this scope itself, ignoring remapping (SubTree literals)."""
        self._data[key] = value

    def has(self, key: str) -> bool:
        """Tell whether ``key`` is set."""
        board, real = self.resolve(key)
        return real in board._data

    def unset(self, key: str) -> None:
        """Remove ``key`` if it is set."""
        board, real = self.resolve(key)
        board._data.pop(real, None)

    def keys(self) -> list[str]:
        """Return the keys stored in this scope itself."""
        return list(self._data)

    def __contains__(self, key: str) -> bool:
        return self.has(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def as_dict(self) -> dict[str, Any]:
        """Return a shallow snapshot of this scope's own entries."""
        return dict(self._data)

"""The node library as a registry: the builtins, then every installed plugin.

A plugin declares an entry point in the group ``orchestrator.behaviours``
naming a callable ``register(registry) -> None``, which adds its node types
(and the port types they use) to the registry it is given.
"""
from importlib import metadata

from orchestrator_pkg.behaviours import builtin
from orchestrator_pkg.trees.registry import Registry, RegistryError

ENTRY_POINT_GROUP = 'orchestrator.behaviours'


def _entry_points():
    return metadata.entry_points(group=ENTRY_POINT_GROUP)


def default_registry(plugins: bool = True) -> Registry:
    """Return a registry with the builtins and every ``orchestrator.behaviours`` plugin.

    A plugin that fails to import or register raises :class:`RegistryError`
    naming the entry point. With ``plugins=False`` only the builtins load.
    """
    registry = Registry()
    loaded_builtin = False
    entry_points = list(_entry_points()) if plugins else []
    for entry_point in sorted(entry_points, key=lambda ep: (ep.name != 'builtin', ep.name)):
        if entry_point.value == f'{builtin.__name__}:register':
            if loaded_builtin:
                continue
            loaded_builtin = True
        try:
            register = entry_point.load()
            registry.load_plugin(entry_point.name, register)
        except RegistryError as exc:
            raise RegistryError(f'behaviour plugin entry point "{entry_point.name} = '
                                f'{entry_point.value}": {exc}') from exc
        except Exception as exc:  # a plugin's own bug: name it, do not crash the caller
            raise RegistryError(
                f'behaviour plugin entry point "{entry_point.name} = {entry_point.value}" '
                f'(group {ENTRY_POINT_GROUP}) failed: {type(exc).__name__}: {exc}') from exc
    if not loaded_builtin:
        registry.load_plugin('builtin', builtin.register)
    return registry

"""World loading: the project's YAML worlds and Gazebo SDF worlds.

:func:`load_world` picks the loader from the file name.
"""
import os

from orchestrator_sim.world.model import (  # noqa: F401 (re-exported)
    Dock,
    PickableObject,
    Place,
    Shape,
    StaticGeom,
    UnsupportedElementError,
    World,
    WorldError,
)

SDF_SUFFIXES = ('.world', '.sdf')
YAML_SUFFIXES = ('.yaml', '.yml')


def load_world(path: str, strict: bool = False) -> World:
    """Load a YAML or SDF world file; raise :class:`WorldError` on any problem."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix in SDF_SUFFIXES:
        from orchestrator_sim.world.sdf_world import load_sdf_world
        return load_sdf_world(path, strict=strict)
    if suffix in YAML_SUFFIXES:
        from orchestrator_sim.world.yaml_world import load_yaml_world
        return load_yaml_world(path, strict=strict)
    raise WorldError(path, 'file name', f'unknown world format {suffix!r}; expected one of '
                     f'{", ".join(YAML_SUFFIXES + SDF_SUFFIXES)}')

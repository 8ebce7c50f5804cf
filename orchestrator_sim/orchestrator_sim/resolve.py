"""Find world files and parse spawn specifications; no ROS."""
import math
import os
from typing import Optional, Tuple

from orchestrator_sim.world import World, WorldError


def worlds_dir() -> str:
    """Folder of the shipped worlds (installed share, else the source tree)."""
    try:
        from ament_index_python.packages import get_package_share_directory
        share = os.path.join(get_package_share_directory('orchestrator_sim'), 'worlds')
        if os.path.isdir(share):
            return share
    except (ImportError, LookupError, ValueError):
        pass
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'worlds')


def resolve_world(name_or_path: str) -> str:
    """Return the path of a world given as a file path or a shipped world's name."""
    if os.path.exists(name_or_path):
        return name_or_path
    if os.path.sep not in name_or_path:
        for suffix in ('', '.yaml', '.world', '.sdf'):
            candidate = os.path.join(worlds_dir(), name_or_path + suffix)
            if os.path.isfile(candidate):
                return candidate
    shipped = sorted(os.path.splitext(f)[0] for f in os.listdir(worlds_dir())) \
        if os.path.isdir(worlds_dir()) else []
    raise WorldError(name_or_path, 'world', 'no such file, and not a shipped world; shipped: '
                     + (', '.join(shipped) or '(none)'))


def parse_spawn(spec: str, world: World) -> Optional[Tuple[float, float, float]]:
    """Parse ``''`` (world default), a place name, or ``'x y [yaw]'``; raise ValueError."""
    spec = spec.strip()
    if not spec:
        spawn = world.spawn
        return (spawn.x, spawn.y, spawn.yaw) if spawn is not None else None
    if spec in world.places:
        place = world.places[spec]
        return place.x, place.y, place.yaw
    parts = spec.replace(',', ' ').split()
    try:
        values = [float(v) for v in parts]
    except ValueError:
        values = []
    if len(values) not in (2, 3) or not all(math.isfinite(v) for v in values):
        raise ValueError(f'spawn {spec!r}: expected a place name '
                         f'({", ".join(sorted(world.places)) or "none in this world"}) '
                         'or "x y [yaw]"')
    return values[0], values[1], values[2] if len(values) == 3 else 0.0


def robot_spawns(world: World, namespaces, spawn: str = '') -> list:
    """Start pose ``(x, y, yaw)`` (or None) of each robot namespace, as the sim places them.

    One robot: ``spawn`` (:func:`parse_spawn`: '' is the world's spawn). Several:
    the world file's ``spawns`` list, in namespace order (``spawn`` must be '').
    The sim and anything that needs the start poses (a localizer's initial
    pose) use this one rule. Raises ValueError with a reason.
    """
    names = tuple(n for n in namespaces if n) or ('',)
    if len(names) == 1:
        return [parse_spawn(spawn, world)]
    if spawn.strip():
        raise ValueError(f"spawn: one pose for several robots; with robots {list(names)} the "
                         "world file's spawns list is used")
    from orchestrator_sim.physics import world_spawns
    return world_spawns(world, len(names))

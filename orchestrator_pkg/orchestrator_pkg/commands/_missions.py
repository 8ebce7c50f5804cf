"""Missions for the commands: find one by name or file, read its inputs, check it first.

``orchestrator run``, ``submit``, ``validate`` and ``missions`` share these, so
a mission is found, described and validated one way: a name is a file
``<name>.xml`` of the installed missions folder; anything ending in ``.xml`` or
holding a path separator is a file of the user's. A file is checked exactly as
the orchestrator will load it (sent inline: no folder to resolve includes
from), but with its own name in every problem, so errors read
``my_mission.xml:19: ...``, not ``<inline>:19``.
"""
from dataclasses import dataclass
import difflib
import os
from typing import Dict, List, Mapping, Optional, Tuple

from orchestrator_pkg.ros_edge import share

MAX_FILE_BYTES = 2 * 1024 * 1024  # the engine's limit (trees/xml_source.py)


class MissionError(ValueError):
    """A mission that cannot be found or read; the message says which and why."""


@dataclass(frozen=True)
class MissionInput:
    """One input of a mission, as its TreeNodesModel declares it."""

    name: str
    default: Optional[str]
    description: str


@dataclass
class MissionInfo:
    """What ``orchestrator missions`` shows of a mission file."""

    name: str
    path: str
    summary: str
    description: str
    main_tree: str
    inputs: List[MissionInput]


def is_file(mission: str) -> bool:
    """Tell whether ``mission`` names a file (``*.xml`` or a path) rather than a shipped name."""
    return mission.endswith('.xml') or os.sep in mission


def names(missions_dir: Optional[str] = None) -> List[str]:
    """Return the mission names of a folder (the installed missions by default)."""
    folder = missions_dir or share.missions_dir()
    if not folder or not os.path.isdir(folder):
        return []
    return sorted(f[:-4] for f in os.listdir(folder) if f.endswith('.xml'))


def resolve(mission: str, missions_dir: Optional[str] = None) -> str:
    """Return the file of a mission name or path; ``MissionError`` naming what is known."""
    if is_file(mission):
        if not os.path.isfile(mission):
            raise MissionError(f'{mission}: no such file')
        return mission
    folder = missions_dir or share.missions_dir()
    known = names(folder)
    if mission in known:
        return os.path.join(folder, mission + '.xml')
    hint = difflib.get_close_matches(mission, known, n=1)
    extra = f'did you mean {hint[0]}? ' if hint else ''
    raise MissionError(f'no mission named {mission!r} ({extra}known: {", ".join(known) or "none"}'
                       '; a file of your own ends in .xml)')


def read(path: str) -> str:
    """Return a mission file's text; ``MissionError`` naming it when it cannot be read."""
    try:
        if os.path.getsize(path) > MAX_FILE_BYTES:
            raise MissionError(f'{path}: larger than {MAX_FILE_BYTES} bytes')
        with open(path, encoding='utf-8') as stream:
            return stream.read()
    except OSError as exc:
        raise MissionError(f'cannot read {path}: {exc.strerror}') from None
    except UnicodeDecodeError as exc:
        raise MissionError(f'{path}: not UTF-8 text ({exc.reason})') from None


def place_names(world: str) -> Dict[str, Tuple[set, str]]:
    """Return validate's ``known_values`` for a world's places; ``MissionError`` if none."""
    from orchestrator_pkg.places import PORT_TYPE, PlacesError, load_places
    try:
        places = load_places(world)
    except PlacesError as exc:
        raise MissionError(str(exc)) from None
    return {PORT_TYPE: (set(places), f'world {os.path.basename(world)}')}


def check(path: str, registry, inputs: Mapping[str, str], known_values=None,
          inline: bool = False) -> list:
    """Validate a mission file with its inputs (and e.g. place names); return the problems.

    ``known_values`` is :func:`place_names`' (or None); ``inline``: check it as the
    orchestrator loads a tree sent in the goal (no includes), under the file's name.
    """
    from orchestrator_pkg.trees import validate_file, validate_string
    if inline:
        return validate_string(read(path), registry, source=path, inputs=dict(inputs),
                               known_values=known_values)
    return validate_file(path, registry, inputs=dict(inputs), known_values=known_values)


def _first_paragraph(text: str) -> str:
    lines = []
    for line in text.strip().splitlines():
        if not line.strip():
            break
        lines.append(line.strip())
    return ' '.join(lines)


def info(path: str) -> MissionInfo:
    """Read a mission's description (its leading comment) and its declared inputs.

    The inputs are the input ports its main tree declares in the file's
    ``<TreeNodesModel>`` (BehaviorTree.CPP 4.4's SubTree models): name, default
    and description.
    """
    from orchestrator_pkg.trees.validate import declared_inputs
    from orchestrator_pkg.trees.xml_source import TreeSource
    source = TreeSource()
    source.load_path(path, top=True)
    main = source.main_tree_id or next(iter(source.trees), '')
    inputs = [MissionInput(p.name, p.default, p.description)
              for p in declared_inputs(source, main)]
    name = os.path.basename(path)[:-4] if path.endswith('.xml') else os.path.basename(path)
    return MissionInfo(name, path, _first_paragraph(source.description), source.description,
                       main, inputs)

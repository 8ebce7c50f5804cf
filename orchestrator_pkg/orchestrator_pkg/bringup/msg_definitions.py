"""Full ROS 2 message definitions, as MCAP's ``ros2msg`` schemas want them.

A ``ros2msg`` schema is the type's own ``.msg`` text followed by the text of
every type it uses, each once, after a separator line and ``MSG: pkg/Name``
(the format rosbag2 writes and Foxglove and ``mcap_ros2`` read). The texts
come from the ``.msg`` and ``.action`` files that rosidl installs under
``share/<package>/``; an action's goal, result and feedback are the sections
of its ``.action`` file, and its feedback topic type ``Name_FeedbackMessage``
is ``goal_id`` plus ``feedback``, as rosidl generates it. rosidl's own name
rules (which ``mcap_ros2`` applies when decoding) reject ``_`` in a message
name, so in a schema those generated parts are spelled without it
(``pkg/action/ExecuteMissionFeedbackMessage``, ``MSG: pkg/ExecuteMissionFeedback``);
:func:`schema_name` gives the name to register. The CDR layout is the same.

Pure: files are read through a ``read(package, kind, name)`` callable, so
this is tested without ROS. :func:`share_reader` is the installed one.
"""
import re
from typing import Callable, Dict, List, Tuple

from orchestrator_pkg.ros_edge.share import share_path

SEPARATOR = '=' * 80
PRIMITIVES = frozenset((
    'bool', 'byte', 'char', 'float32', 'float64', 'int8', 'uint8', 'int16', 'uint16',
    'int32', 'uint32', 'int64', 'uint64', 'string', 'wstring'))
ACTION_PARTS = ('Goal', 'Result', 'Feedback')

Reader = Callable[[str, str, str], str]


class DefinitionError(LookupError):
    """A type's definition cannot be found or parsed; the message names the type."""


def share_reader(package: str, kind: str, name: str) -> str:
    """Read ``share/<package>/<kind>/<name>.<kind>`` of an installed package."""
    path = share_path(package, kind, f'{name}.{kind}')
    if path is None:
        raise DefinitionError(f'{package}/{kind}/{name}: package {package!r} is not '
                              'installed')
    try:
        with open(path, encoding='utf-8') as f:
            return f.read()
    except OSError as exc:
        raise DefinitionError(f'{package}/{kind}/{name}: cannot read {path}: '
                              f'{exc.strerror}') from None


def schema_name(type_name: str) -> str:
    """Return the name to register a type's schema under (no ``_`` in an action part)."""
    package, kind, name = _split_type(type_name)
    if kind == 'action':
        name = name.replace('_', '')
    return '/'.join(p for p in (package, kind, name) if p)


def _split_type(type_name: str) -> Tuple[str, str, str]:
    """Return (package, kind, name) of ``pkg/msg/Name``, ``pkg/action/X_Feedback``, ``pkg/Name``."""
    parts = type_name.split('/')
    if len(parts) == 3 and all(parts):
        return parts[0], parts[1], parts[2]
    if len(parts) == 2 and all(parts):
        return parts[0], '', parts[1]
    raise DefinitionError(f'{type_name!r} is not a ROS type name (pkg/msg/Name)')


def _action_section(text: str, index: int, where: str) -> str:
    sections = re.split(r'^---\s*$', text, flags=re.MULTILINE)
    if len(sections) != 3:
        raise DefinitionError(f'{where}: expected 3 sections separated by ---, '
                              f'found {len(sections)}')
    return sections[index].strip('\n') + '\n'


def own_text(type_name: str, read: Reader) -> str:
    """Return the definition text of one type, without its dependencies."""
    package, kind, name = _split_type(type_name)
    if kind in ('', 'msg'):
        try:
            return read(package, 'msg', name)
        except DefinitionError:
            if kind == 'msg' or not name.endswith(ACTION_PARTS + ('FeedbackMessage',)):
                raise
            kind = 'action'  # a bare pkg/NameFeedback names an action's part
    if kind != 'action':
        raise DefinitionError(f'{type_name}: only messages and action parts are supported')
    if name.endswith('FeedbackMessage'):
        base = name[:-len('FeedbackMessage')].rstrip('_')
        return (f'unique_identifier_msgs/UUID goal_id\n'
                f'{package}/{base}Feedback feedback\n')
    for index, suffix in enumerate(ACTION_PARTS):
        if name.endswith(suffix):
            base = name[:-len(suffix)].rstrip('_')
            return _action_section(read(package, 'action', base), index,
                                   f'{package}/action/{base}.action')
    raise DefinitionError(f'{type_name}: not a part of an action (Goal, Result, Feedback, '
                          'FeedbackMessage)')


def field_types(text: str, package: str) -> List[str]:
    """Return the non-primitive field types of a definition, as ``pkg/Name``, in order."""
    out = []
    for raw in text.splitlines():
        line = raw.split('#', 1)[0].strip()
        if not line:
            continue
        tokens = line.split()
        if len(tokens) < 2 or '=' in tokens[1] or (len(tokens) > 2 and tokens[2].startswith('=')):
            continue  # a constant (TYPE NAME=VALUE) or not a field
        base = re.sub(r'\[.*\]$', '', tokens[0])
        base = re.sub(r'<=\d+$', '', base)
        if base in PRIMITIVES:
            continue
        if base == 'Header':
            full = 'std_msgs/Header'
        elif '/' in base:
            parts = base.split('/')
            full = f'{parts[0]}/{parts[-1]}'
        else:
            full = f'{package}/{base}'
        if full not in out:
            out.append(full)
    return out


def full_definition(type_name: str, read: Reader = share_reader,
                    cache: Dict[str, str] = None) -> str:
    """Return ``type_name``'s concatenated definition (its text, then every dependency once)."""
    cache = {} if cache is None else cache
    package = _split_type(type_name)[0]
    main = own_text(type_name, read)
    blocks, seen = [], {f'{package}/{_split_type(type_name)[2]}'}

    def visit(text: str, pkg: str):
        for dep in field_types(text, pkg):
            if dep in seen:
                continue
            seen.add(dep)
            if dep not in cache:
                cache[dep] = own_text(dep, read)
            blocks.append((dep, cache[dep]))
            visit(cache[dep], dep.split('/')[0])

    visit(main, package)
    parts = [main.rstrip('\n')]
    for dep, text in blocks:
        parts += [SEPARATOR, f'MSG: {dep}', text.rstrip('\n')]
    return '\n'.join(parts) + '\n'

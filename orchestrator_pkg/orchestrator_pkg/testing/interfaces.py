"""Facts about built ROS interfaces: field layouts, constants, defaults and RIHS01 hashes.

One definition of each fact, used by the conformance tests (``test_interfaces.py``,
``test_type_hashes.py``) and by ``scripts/record_jazzy_interfaces.py``, which
records the same facts from a build of the real Jazzy packages.

- :func:`layout` reads a generated Python message class: its fields in order
  with their types, its constants and the default values its definition gives.
- :func:`type_hashes` reads the type description JSON that rosidl installs
  (``share/<pkg>/<msg|srv|action>/<Name>.json``) and computes the REP-2011
  RIHS01 hash of the interface and of each of its parts (``_Goal``,
  ``_Request``, ``_SendGoal_Event``...) from the descriptions in it, with
  rosidl's own implementation of the algorithm.
"""
import importlib
import json
import os

import rosidl_generator_type_description as type_description

# the message classes of each kind of interface, by part name
PARTS = {'msg': ('',), 'srv': ('Request', 'Response'), 'action': ('Goal', 'Result', 'Feedback')}


def split_type(type_name: str) -> tuple[str, str, str]:
    """``'nav2_msgs/action/Spin'`` -> ``('nav2_msgs', 'action', 'Spin')``; ValueError otherwise."""
    parts = type_name.split('/')
    if len(parts) != 3 or parts[1] not in PARTS or not all(parts):
        raise ValueError(f'not a <package>/<msg|srv|action>/<Name> type name: {type_name!r}')
    return parts[0], parts[1], parts[2]


def message_classes(type_name: str) -> dict[str, type]:
    """Return the generated message classes of an interface, keyed by part ('' for a msg)."""
    package, kind, name = split_type(type_name)
    interface = getattr(importlib.import_module(f'{package}.{kind}'), name)
    return {part: getattr(interface, part) if part else interface for part in PARTS[kind]}


def constants(msg_class: type) -> dict[str, object]:
    """Return the constants a message definition declares (name -> value), in order."""
    meta = type(msg_class)
    return dict(getattr(meta, f'_{meta.__name__}__constants'))


def layout(msg_class: type) -> dict:
    """Fields ``[[name, type], ...]`` in order, constants and explicit field defaults."""
    fields = [[name, kind] for name, kind in msg_class.get_fields_and_field_types().items()]
    defaults = {}
    for name, _ in fields:
        marker = f'{name.upper()}__DEFAULT'
        if hasattr(msg_class, marker):
            defaults[name] = getattr(msg_class, marker)
    return {'fields': fields, 'constants': constants(msg_class), 'defaults': defaults}


def description_file(type_name: str, share_dir: str | None = None) -> str:
    """Path of the type description JSON that rosidl installed for ``type_name``.

    ``share_dir`` is the package's share directory; by default it is found
    through the ament index (the package as built in the sourced workspace).
    """
    package, kind, name = split_type(type_name)
    if share_dir is None:
        from ament_index_python.packages import get_package_share_directory
        share_dir = get_package_share_directory(package)
    return os.path.join(share_dir, kind, f'{name}.json')


def type_hashes(type_name: str, share_dir: str | None = None) -> dict[str, dict[str, str]]:
    """RIHS01 hashes of an interface and its parts, computed and as rosidl recorded them.

    Returns ``{'computed': {type: hash}, 'recorded': {type: hash}}`` over the
    interface's own types (the interface and every ``<Name>_*`` part).
    ``computed`` is REP-2011's hash of each type's description (taken from the
    file, its references unrolled); ``recorded`` is the ``type_hashes`` list
    that the generator wrote at build time, which the C type support returns.
    """
    with open(description_file(type_name, share_dir), encoding='utf-8') as stream:
        document = json.load(stream)
    description = document['type_description_msg']
    top = description['type_description']
    if top['type_name'] != type_name:
        raise ValueError(f'{description_file(type_name, share_dir)} describes '
                         f'{top["type_name"]}, not {type_name}')
    type_map = {t['type_name']: t for t in [top] + description['referenced_type_descriptions']}
    own = sorted(n for n in type_map if n == type_name or n.startswith(type_name + '_'))
    computed = {n: type_description.calculate_type_hash(
        type_description.extract_full_type_description(n, type_map)) for n in own}
    recorded = {h['type_name']: h['hash_string'] for h in document['type_hashes']
                if h['type_name'] in computed}
    return {'computed': computed, 'recorded': recorded}

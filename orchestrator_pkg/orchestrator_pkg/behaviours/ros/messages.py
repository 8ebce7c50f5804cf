"""Import ROS interface types by name and read/write message fields from strings.

Only names of the form ``pkg/msg/Type`` (``srv``, ``action``) are accepted,
and a field value is converted by the field's declared type; nothing in a
tree file is evaluated.
"""
import importlib
import re

_TYPE_NAME = re.compile(r'^([A-Za-z][A-Za-z0-9_]*)/(msg|srv|action)/([A-Z][A-Za-z0-9]*)$')
_INT_TYPES = {'byte', 'char', 'octet', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32',
              'int64', 'uint64'}
_FLOAT_TYPES = {'float', 'double', 'float32', 'float64'}


def import_interface(name: str, kind: str = 'msg'):
    """Return the class of ``pkg/<kind>/Type``; ``ValueError`` naming the problem."""
    match = _TYPE_NAME.match(name.strip())
    if not match or match.group(2) != kind:
        raise ValueError(f'"{name}" is not an interface name of the form pkg/{kind}/Type')
    package, _, type_name = match.groups()
    try:
        module = importlib.import_module(f'{package}.{kind}')
    except ImportError:
        raise ValueError(f'interface package "{package}" is not installed '
                         f'(needed for {name})') from None
    try:
        return getattr(module, type_name)
    except AttributeError:
        raise ValueError(f'{package} has no {kind} "{type_name}"') from None


def port_type_of(field_type: str) -> str:
    """Return the engine port type for a ROS field type ('any' for messages and arrays)."""
    if field_type in _INT_TYPES:
        return 'int'
    if field_type in _FLOAT_TYPES:
        return 'float'
    if field_type == 'boolean':
        return 'bool'
    if field_type == 'string' or field_type.startswith('string<'):
        return 'str'
    if field_type == 'builtin_interfaces/Duration':
        return 'duration_s'
    return 'any'


def coerce(message_cls, field: str, value):
    """Return ``value`` converted for ``message_cls.field`` (durations from seconds)."""
    field_type = message_cls.get_fields_and_field_types()[field]
    kind = port_type_of(field_type)
    if kind == 'int':
        return int(value)
    if kind == 'float':
        return float(value)
    if kind == 'bool':
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered not in ('true', 'false', '1', '0'):
                raise ValueError(f'field "{field}": "{value}" is not a boolean')
            return lowered in ('true', '1')
        return bool(value)
    if kind == 'str':
        return str(value)
    if kind == 'duration_s' and isinstance(value, (int, float, str)):
        from orchestrator_pkg.ros_edge.convert import to_duration
        return to_duration(float(value))
    return value


def set_field(message, dotted: str, value) -> None:
    """Set ``message.a.b = value``, converted by the field type; ``ValueError`` if no field."""
    *path, last = dotted.split('.')
    target = message
    for part in path:
        if part not in type(target).get_fields_and_field_types():
            raise ValueError(f'{type(target).__name__} has no field "{part}"')
        target = getattr(target, part)
    if last not in type(target).get_fields_and_field_types():
        raise ValueError(f'{type(target).__name__} has no field "{last}"')
    setattr(target, last, coerce(type(target), last, value))


def get_field(message, dotted: str):
    """Return ``message.a.b``; ``ValueError`` if there is no such field."""
    target = message
    for part in dotted.split('.'):
        if part not in type(target).get_fields_and_field_types():
            raise ValueError(f'{type(target).__name__} has no field "{part}"')
        target = getattr(target, part)
    return target


def parse_assignments(text: str) -> list:
    """Parse ``"a=1; b.c=text"`` into ``[('a', '1'), ('b.c', 'text')]``."""
    pairs = []
    for item in filter(None, (part.strip() for part in text.split(';'))):
        if '=' not in item:
            raise ValueError(f'"{item}" is not of the form field=value')
        key, value = item.split('=', 1)
        if not re.fullmatch(r'[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*', key.strip()):
            raise ValueError(f'"{key.strip()}" is not a field name')
        pairs.append((key.strip(), value.strip()))
    return pairs

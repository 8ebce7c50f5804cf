"""The one parameter helper: every node declares its parameters as :class:`Spec` values.

Each gets a ParameterDescriptor (description, range, read_only); changes out of
range or failing a cross-field check are refused with a reason naming the
field; bad values at start-up raise :class:`ConfigError` (one line, exit code 1
through :mod:`orchestrator_pkg.ros_edge.main`).
"""
from dataclasses import dataclass

from rcl_interfaces.msg import (
    FloatingPointRange,
    IntegerRange,
    ParameterDescriptor,
    SetParametersResult,
)


class ConfigError(ValueError):
    """A node cannot start with its parameters or files; the message says why."""


@dataclass
class Spec:
    """One parameter: default, description, range (lo, hi) or None, read_only."""

    default: object
    description: str
    lo: float = None
    hi: float = None
    read_only: bool = False


def declare(node, specs: dict, check=None) -> dict:
    """Declare every parameter with a descriptor, validate changes; return the values.

    rclpy refuses a change of a read-only parameter, of the wrong type or out of
    range, with a reason naming the field. ``check(values)``, if given, sees all
    values as they would be after a change and returns a reason to refuse it
    (cross-field rules); values that fail it at start-up raise ConfigError.
    """
    for name, spec in specs.items():
        desc = ParameterDescriptor(description=spec.description, read_only=spec.read_only)
        if spec.lo is None or isinstance(spec.default, bool):
            pass
        elif isinstance(spec.default, int):
            desc.integer_range = [IntegerRange(from_value=int(spec.lo), to_value=int(spec.hi),
                                               step=1)]
        elif isinstance(spec.default, float):
            desc.floating_point_range = [FloatingPointRange(
                from_value=float(spec.lo), to_value=float(spec.hi), step=0.0)]
        node.declare_parameter(name, spec.default, desc)
    if check is None:
        return values(node, specs)
    reason = check(values(node, specs))
    if reason:
        raise ConfigError(reason)

    def _check(params):  # rclpy has checked types, ranges and read_only by now
        proposed = values(node, specs)
        proposed.update({p.name: p.value for p in params if p.name in specs})
        reason = check(proposed)
        return SetParametersResult(successful=not reason, reason=reason or '')

    node.add_on_set_parameters_callback(_check)
    return values(node, specs)


def values(node, specs: dict) -> dict:
    """Return the current values of the declared parameters."""
    return {name: node.get_parameter(name).value for name in specs}


def flat_parameters(params: dict, prefix: str = '') -> dict:
    """Return a parameters file's nested blocks as rcl reads them (``{a: {b: 1}}``: ``a.b``)."""
    out = {}
    for key, value in params.items():
        if isinstance(value, dict):
            out.update(flat_parameters(value, f'{prefix}{key}.'))
        else:
            out[f'{prefix}{key}'] = value
    return out

"""Small helpers the navigation nodes share: parameters and start-up.

QoS profiles and message conversions are in :mod:`orchestrator_pkg.ros_edge`.
"""
from dataclasses import dataclass
import sys

from rcl_interfaces.msg import (
    FloatingPointRange,
    IntegerRange,
    ParameterDescriptor,
    SetParametersResult,
)
from rclpy.exceptions import ParameterException
from rclpy.parameter import Parameter

from orchestrator_pkg.node_main import spin_node


class ConfigError(ValueError):
    """A node cannot start with its parameters or files; the message says why."""


def run(node_factory, args=None, executor_factory=None) -> int:
    """Spin a node; a bad parameter or file at start-up is one stderr line and exit code 1."""
    try:
        if executor_factory is not None:
            return spin_node(node_factory, args, executor_factory)
        return spin_node(node_factory, args)
    except (ConfigError, ParameterException) as exc:
        print(f'{getattr(node_factory, "__name__", "node")}: {exc}', file=sys.stderr)
        return 1


@dataclass
class Spec:
    """One parameter: default, description, range (lo, hi) or None, read_only."""

    default: object
    description: str
    lo: float = None
    hi: float = None
    read_only: bool = False


def declare(node, specs: dict, check=None) -> None:
    """Declare every parameter with a descriptor, then validate changes against the ranges.

    Runtime changes of a read-only parameter, or a value outside its range, are
    rejected by an on-set-parameters callback whose reason names the field.
    ``check(values)``, if given, sees all values as they would be after the
    change and returns a reason string to reject it (cross-field rules).
    """
    for name, spec in specs.items():
        desc = ParameterDescriptor(description=spec.description, read_only=spec.read_only)
        if spec.lo is not None:
            if isinstance(spec.default, bool):
                pass
            elif isinstance(spec.default, int):
                desc.integer_range = [IntegerRange(from_value=int(spec.lo), to_value=int(spec.hi),
                                                   step=1)]
            elif isinstance(spec.default, float):
                desc.floating_point_range = [FloatingPointRange(
                    from_value=float(spec.lo), to_value=float(spec.hi), step=0.0)]
        node.declare_parameter(name, spec.default, desc)

    def _check(params):
        for p in params:
            spec = specs.get(p.name)
            if spec is None or p.type_ == Parameter.Type.NOT_SET:
                continue
            if spec.lo is not None and isinstance(p.value, (int, float)) \
                    and not isinstance(p.value, bool) \
                    and not spec.lo <= p.value <= spec.hi:
                return SetParametersResult(
                    successful=False,
                    reason=f'{p.name}={p.value} is outside [{spec.lo}, {spec.hi}]')
        if check is not None:
            proposed = {name: node.get_parameter(name).value for name in specs}
            proposed.update({p.name: p.value for p in params if p.name in specs})
            reason = check(proposed)
            if reason:
                return SetParametersResult(successful=False, reason=reason)
        return SetParametersResult(successful=True)

    node.add_on_set_parameters_callback(_check)


def values(node, specs: dict) -> dict:
    """Return the current values of the declared parameters."""
    return {name: node.get_parameter(name).value for name in specs}

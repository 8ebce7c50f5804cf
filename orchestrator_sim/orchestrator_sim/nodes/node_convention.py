"""The sim's node convention: parameters with descriptors and ranges, and one main helper.

orchestrator_sim imports nothing from orchestrator_pkg, so it keeps this small
helper of its own, following the convention of orchestrator_pkg's nodes: every
parameter is declared with a ParameterDescriptor (description, range,
read_only), so rclpy refuses a change of the wrong type, outside the range or
of a read-only parameter; ``main()`` starts the node through :func:`run_node`.
Its nodes are :class:`QuietNode`: endpoints without rclpy's default QoS event
handlers, as orchestrator_pkg's nodes (``ros_edge.qos_events``).
"""
import contextlib
from dataclasses import dataclass
import faulthandler
import os
import signal
import sys
import time
import traceback

from rcl_interfaces.msg import (
    FloatingPointRange,
    IntegerRange,
    ParameterDescriptor,
    ParameterType,
)
import rclpy
from rclpy._rclpy_pybind11 import RCLError
from rclpy.event_handler import PublisherEventCallbacks, SubscriptionEventCallbacks
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node

CONFIG_EXIT_CODE = 2  # a node that cannot start with its files or parameters
SHUTDOWN_SETTLE_S = 1.0  # how long an error may precede the context's shutdown
TEARDOWN_S = 3.0  # how long the node's own teardown may take (the runner's grace: 5 s)


class QuietNode(Node):
    """A node whose endpoints have none of rclpy's default QoS event handlers.

    rclpy gives each publisher and subscription two (incompatible QoS,
    incompatible type) that only log a warning, and the executor walks each in
    Python on every wake: about 15 µs per handler per wake. orchestrator_pkg's
    nodes drop them too and watch the ROS graph for those problems instead
    (``ros_edge.qos_events.QosWatch``); every topic of the sim has one of them on
    its other side, so a mismatch with the sim is still reported, by that node.
    Callbacks a caller passes are kept as given.
    """

    def create_publisher(self, *args, event_callbacks=None, **kwargs):
        """Create a publisher as rclpy does, without the default event handlers."""
        return super().create_publisher(*args, event_callbacks=event_callbacks or
                                        PublisherEventCallbacks(use_default_callbacks=False),
                                        **kwargs)

    def create_subscription(self, *args, event_callbacks=None, **kwargs):
        """Create a subscription as rclpy does, without the default event handlers."""
        return super().create_subscription(
            *args, event_callbacks=event_callbacks or
            SubscriptionEventCallbacks(use_default_callbacks=False), **kwargs)


class ConfigError(RuntimeError):
    """A node cannot start: a bad world, robot or parameter (the message says which)."""


@dataclass
class Spec:
    """One parameter: default, description, range (lo, hi) or None, read_only."""

    default: object
    description: str
    lo: float = None
    hi: float = None
    read_only: bool = True


def declare(node, specs: dict) -> dict:
    """Declare every parameter with its descriptor; return the values."""
    for name, spec in specs.items():
        desc = ParameterDescriptor(description=spec.description, read_only=spec.read_only)
        if isinstance(spec.default, list):
            desc.type = ParameterType.PARAMETER_STRING_ARRAY
        elif spec.lo is not None and isinstance(spec.default, int):
            desc.integer_range = [IntegerRange(from_value=spec.lo, to_value=spec.hi, step=1)]
        elif spec.lo is not None:
            desc.floating_point_range = [FloatingPointRange(
                from_value=float(spec.lo), to_value=float(spec.hi), step=0.0)]
        node.declare_parameter(name, spec.default, desc)
    return {name: node.get_parameter(name).value for name in specs}


def run_node(node_factory, label: str, args=None,
             executor_factory=SingleThreadedExecutor) -> int:
    """Create the node, spin it until shutdown (Ctrl-C: exit code 0), then end the process.

    A :class:`ConfigError` or a bad parameter value is one stderr line
    ``label: reason`` and exit code 2. An error raised while the context is
    shutting down (SIGINT invalidates the handles an executor is taking from)
    is the shutdown, not a failure. SIGUSR1 prints every thread's stack on
    stderr (faulthandler), as orchestrator_pkg's nodes do, for a node that hangs.

    On the way out the node's own ``stop_node()`` runs (the sim's physics
    thread stops) and the process exits with ``os._exit``, leaving its DDS
    endpoints to the OS, as orchestrator_pkg's nodes do: destroying them has
    hung for good inside Fast DDS holding the GIL (docs/reliability.md).
    faulthandler's watchdog, a C thread, ends a ``stop_node`` that hangs after
    ``TEARDOWN_S`` with every thread's stack on stderr and exit code 1.
    """
    try:
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    except (OSError, ValueError, RuntimeError):
        pass  # stderr is not a file (captured by a test runner): no stack dumps then
    rclpy.init(args=args)
    node = None
    code = 0
    try:
        node = node_factory()
        executor = executor_factory()
        executor.add_node(node)
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except (ConfigError, ParameterException) as exc:
        print(f'{label}: {exc}', file=sys.stderr)
        code = CONFIG_EXIT_CODE
    except Exception:
        deadline = time.monotonic() + SHUTDOWN_SETTLE_S
        while rclpy.ok() and time.monotonic() < deadline:
            time.sleep(0.02)
        if rclpy.ok():
            traceback.print_exc()
            code = 1
    try:
        if node is not None:
            with contextlib.suppress(OSError, ValueError, RuntimeError):
                faulthandler.dump_traceback_later(TEARDOWN_S, exit=True)
            node.stop_node()
    except Exception:  # noqa: BLE001 -- said, and the process still ends
        traceback.print_exc()
        code = code or 1
    finally:
        # SIGINT's handler may be shutting the context down at this very moment:
        # try_shutdown then raises "rcl_shutdown already called"
        with contextlib.suppress(RCLError):
            rclpy.try_shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)

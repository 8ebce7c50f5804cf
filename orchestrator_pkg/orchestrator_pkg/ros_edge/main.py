"""The one ``main()`` helper that every node of the stack starts through.

rclpy 7.1 (Jazzy) has no context-manager ``rclpy.init``, so this is the
equivalent: init, build the node, spin, and on Ctrl-C or an external
shutdown destroy the node and shut down cleanly with exit code 0 (also when
the executor trips over a handle that the shutdown invalidated). A node that
cannot start with its parameters or files (:class:`ConfigError`, or rclpy's
ParameterException) is one stderr line and exit code 1, not a traceback; so is
a managed node (:mod:`lifecycle`) with ``autostart`` that fails to configure.
"""
import sys
import time

import rclpy
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor

from orchestrator_pkg.ros_edge.params import ConfigError

SHUTDOWN_SETTLE_S = 1.0  # how long an error may precede the context's shutdown


def run_node(node_factory, args=None, executor_factory=SingleThreadedExecutor) -> int:
    """Create the node with ``node_factory()``, spin it until shutdown; return the exit code."""
    rclpy.init(args=args)
    node = None
    try:
        node = node_factory()
        start = getattr(node, 'start_managed', None)  # a ManagedNode with autostart
        if start is not None:
            start()
        executor = executor_factory()
        executor.add_node(node)
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except (ConfigError, ParameterException) as exc:
        print(f'{getattr(node_factory, "__name__", "node")}: {exc}', file=sys.stderr)
        return 1
    except Exception:
        # SIGINT shuts the context down from rclpy's signal handler; an
        # executor that was taking a message at that moment raises from the
        # invalidated handle (RuntimeError "Unable to convert call argument
        # '0' to Python object", seen under load). That is the shutdown, not
        # a failure. Anything raised while the context is still ok is. The take
        # can fail a moment before the context reports the shutdown, so a
        # shutdown in progress gets a short while to show.
        deadline = time.monotonic() + SHUTDOWN_SETTLE_S
        while rclpy.ok() and time.monotonic() < deadline:
            time.sleep(0.02)
        if rclpy.ok():
            raise
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
    return 0

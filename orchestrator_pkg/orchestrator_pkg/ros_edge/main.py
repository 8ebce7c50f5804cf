"""The one ``main()`` helper that every node of the stack starts through.

rclpy 7.1 (Jazzy) has no context-manager ``rclpy.init``, so this is the
equivalent: init, build the node, spin, and on Ctrl-C or an external
shutdown run the node's own teardown and exit with code 0 (also when the
executor trips over a handle that the shutdown invalidated), without waiting
on the middleware's (:func:`stop_then_exit`). A node that
cannot start with its parameters or files (:class:`ConfigError`, or rclpy's
ParameterException) is one stderr line and exit code 1, not a traceback; so is
a managed node (:mod:`lifecycle`) with ``autostart`` that fails to configure.
"""
import contextlib
import faulthandler
import os
import signal
import sys
import threading
import time
import traceback
from typing import Optional
import weakref

import rclpy
from rclpy._rclpy_pybind11 import RCLError
from rclpy.exceptions import ParameterException
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.time_source import TimeSource

from orchestrator_pkg.ros_edge.params import ConfigError
from orchestrator_sim.lean_wait import LeanWaits

SHUTDOWN_SETTLE_S = 1.0  # how long an error may precede the context's shutdown


class _SkipsCanceledTimers:
    """An executor that skips a timer canceled between the wait and its call.

    rclpy 7.1 (Jazzy from PyPI) calls a timer the wait set found ready even if
    another callback canceled it since (a lifecycle transition pausing the
    node's timers), and ``call_timer`` raises ``RCLError: timer is canceled``
    out of ``spin``: the node dies (fresh31: planner_server, respawned, during
    its bring-up; ros2/rclpy#1485, fixed upstream after this release by not
    running such a timer). This does the same: a canceled timer is not called.
    """

    def _take_timer(self, tmr):
        try:
            return super()._take_timer(tmr)
        except RCLError as exc:
            if 'timer is canceled' in str(exc):
                return None
            raise


class NodeExecutor(_SkipsCanceledTimers, LeanWaits, SingleThreadedExecutor):
    """The single-threaded executor every node of the stack spins on.

    rclpy's, with its waits kept between calls instead of rebuilt
    (:class:`~orchestrator_sim.lean_wait.LeanWaits`, shared with the sim).
    """


def events_executor():
    """Return rclpy's EventsExecutor (C++, ``rclpy.experimental``) for the nodes it suits.

    It spins the real base_driver, at the stack's message rates, on 0.41x the
    CPU of :class:`NodeExecutor` (``bench/executor_cost.py``, same run). It is
    used only where it was checked to work, because in rclpy 7.1 (Jazzy) it
    does not do everything the default one does:

    - its own ``spin()`` ran base_driver's process at 45-93 % CPU without
      delivering one command, and neither it nor ``spin_until_future_complete``
      returned after SIGINT. The returned executor's ``spin()`` is a loop of
      ``spin_once``, which delivers and costs what the benchmark says. SIGINT
      there only sets a flag, and the loop raises KeyboardInterrupt between
      two ``spin_once`` calls, never inside a callback (``run_node`` handles
      it as for any node; test_base_driver_node.py runs the node's own
      process on it);
    - async service servers fail (ros2/rclpy#1473);
    - :class:`NodeExecutor`'s skip of a timer canceled between wait and call
      (lifecycle transitions, below) is not in it.

    So a node moves to it only when it has no coroutine callbacks and no
    lifecycle, and after its own check.
    """
    from rclpy.experimental import EventsExecutor

    class _SpinsOnce:
        def __init__(self):
            self._executor = EventsExecutor()

        def add_node(self, node):
            return self._executor.add_node(node)

        def spin_once(self, timeout_sec=None):
            return self._executor.spin_once(timeout_sec=timeout_sec)

        def spin(self):
            # SIGINT's KeyboardInterrupt would be raised inside whichever
            # callback is running (logged by the executor as "Exception in
            # 'subscriptions' callback", 1 in 30 stops in
            # test_base_driver_node's probe): here the signal only sets a
            # flag, and the interrupt is raised between two spin_once calls
            # (a thread other than the main one cannot set a handler, and no
            # KeyboardInterrupt is raised in it)
            interrupted = []
            main = threading.current_thread() is threading.main_thread()
            if main:
                previous = signal.signal(signal.SIGINT, lambda *_: interrupted.append(True))
            try:
                while rclpy.ok() and not interrupted:
                    self._executor.spin_once(timeout_sec=EVENTS_SPIN_ONCE_S)
            finally:
                if main:
                    signal.signal(signal.SIGINT, previous)
            if interrupted:
                raise KeyboardInterrupt

        def shutdown(self, timeout_sec=None):
            return self._executor.shutdown(timeout_sec=timeout_sec)
    return _SpinsOnce()


EVENTS_SPIN_ONCE_S = 0.1  # events_executor: how long one spin_once waits for work


# how long a node process's own teardown (``stop_node``) may take before it ends
# regardless, well inside the runner's grace period (5 s) before SIGKILL
NODE_TEARDOWN_S = 3.0


def destroy_node_and_waitables(node) -> None:
    """``node.destroy_node()``, then destroy the node's action servers and clients.

    rclpy's ``Node.destroy_node`` destroys publishers, subscriptions, services,
    clients and timers, not waitables. An action server or client left behind
    keeps the rcl node, and so its DDS endpoints, alive: other processes still
    see its clients, and its finalizer at interpreter exit can block in Fast
    DDS (``rcl_action_client_fini``), so the process never exits. They go after
    ``destroy_node``, so a node's own ``destroy_node`` (a tree host's halt, which
    cancels its goals) still has them.
    """
    node.destroy_node()
    for waitable in list(node.waitables):
        destroy = getattr(waitable, 'destroy', None)
        if destroy is None:
            continue
        try:
            destroy()
        except Exception:  # noqa: BLE001 -- one that the shutdown invalidated already
            pass


def enable_stack_dumps() -> bool:
    """Make SIGUSR1 print every thread's stack on stderr (faulthandler); say whether it does.

    The runner sends SIGUSR1 to a node that does not stop within its grace
    period, before SIGKILL; the system tests send it to an ``orchestrator run``
    that does not finish in time. Where stderr is not a real file (captured by a
    test runner) there are no stack dumps.
    """
    try:
        faulthandler.register(signal.SIGUSR1, all_threads=True)
    except (OSError, ValueError, RuntimeError):  # io.UnsupportedOperation is an OSError
        return False
    return True


@contextlib.contextmanager
def stacks_if_slow(seconds: float):
    """Print every thread's stack on stderr if the block has not ended after ``seconds``.

    For a shutdown that should be quick: if it hangs (in DDS, in a join), the
    stacks say where. Nothing happens where stderr is not a real file.
    """
    try:
        faulthandler.dump_traceback_later(seconds)
        armed = True
    except (OSError, ValueError, RuntimeError):
        armed = False
    try:
        yield
    finally:
        if armed:
            faulthandler.cancel_dump_traceback_later()


def run_node(node_factory, args=None, executor_factory=NodeExecutor, *,
             exit_process: bool = False) -> int:
    """Create the node with ``node_factory()``, spin it until shutdown; return the exit code.

    In a test (``exit_process`` false) the node is destroyed and the code
    returned. A node's executable passes ``exit_process=True``: on shutdown the
    node's own teardown runs (:func:`stop_then_exit`) and the process ends
    there, leaving its DDS endpoints to the OS. SIGUSR1 prints every thread's
    stack (:func:`enable_stack_dumps`).
    """
    return run_nodes([node_factory], args, executor_factory, exit_process=exit_process)


def run_nodes(node_factories, args=None, executor_factory=NodeExecutor, *,
              exit_process: bool = False) -> int:
    """:func:`run_node` for several nodes in one process, on one executor (composed mode).

    The nodes are created in order (each ``factory()``), started (a managed
    node with ``autostart``), spun together, and on shutdown each one's own
    teardown runs, in reverse order. A node that cannot start with its
    parameters is one stderr line naming it, and exit code 1. Several nodes
    share one ``/clock`` subscription (:func:`share_clock`) and one tf listener
    (``ros_edge.tf.TfShare``).
    """
    enable_stack_dumps()
    rclpy.init(args=args)
    nodes = []
    code = 0
    factory = None
    tf_share = None
    if len(node_factories) > 1:  # one tf listener for the process's nodes
        from orchestrator_pkg.ros_edge import tf
        tf_share = tf.share_in_process(rclpy.get_default_context())
    try:
        for factory in node_factories:
            node = factory()
            nodes.append(node)
            start = getattr(node, 'start_managed', None)  # a ManagedNode with autostart
            if start is not None:
                start()
        share_clock(nodes)  # its subscription's callback keeps the shared source alive
        executor = executor_factory()
        for node in nodes:
            executor.add_node(node)
        if tf_share is not None:
            tf_share.spin_on(executor)
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except (ConfigError, ParameterException) as exc:
        print(f'{getattr(factory, "__name__", "node")}: {exc}', file=sys.stderr)
        code = 1
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
            if not exit_process:
                raise
            traceback.print_exc()
            code = 1
    finally:
        if nodes and exit_process:
            stop_then_exit(list(reversed(nodes)), code)
        for node in reversed(nodes):
            destroy_node_and_waitables(node)
        if tf_share is not None:
            shared_node = tf.stop_sharing()
            if shared_node is not None:
                destroy_node_and_waitables(shared_node)
        rclpy.try_shutdown()
    return code


def share_clock(nodes) -> Optional[TimeSource]:
    """Let the nodes of one process that run on sim time share one ``/clock`` subscription.

    rclpy gives every node with ``use_sim_time`` a ``/clock`` subscription of its
    own: in a container of six nodes each clock message is taken, deserialized
    and handled six times. Here one time source of the process, subscribed on
    the first such node, sets all their clocks, and their own sources drop
    their subscriptions; each clock still gets every message. A node's own
    source keeps its clock and its ``use_sim_time`` parameter: turned off, the
    node's clock goes back to the system's; turned on again, the node subscribes
    again on its own. Uses rclpy 7.1's (Jazzy) ``TimeSource`` internals
    (``Node._time_source``, ``_clock_sub``), checked by
    test/integration/test_ros_edge_main.py. Returns the shared source, or None
    when fewer than two nodes run on sim time (nothing to share).
    """
    sources = [node._time_source for node in nodes
               if getattr(node, '_time_source', None) is not None
               and node._time_source.ros_time_is_active
               and node._time_source._clock_sub is not None]
    if len(sources) < 2:
        return None
    shared = TimeSource()
    # attach_clock sets each clock to the source's last time: the latest any node has
    # seen, not zero (a node that spun in its constructor must not go back in time)
    shared._last_time_set = max((s._get_node().get_clock().now() for s in sources),
                                key=lambda t: t.nanoseconds)
    # not attach_node: that would tie every clock to the first node's use_sim_time
    shared._node_weak_ref = weakref.ref(sources[0]._get_node())
    shared.ros_time_is_active = True  # subscribes on that node
    for source in sources:
        node = source._get_node()
        node.destroy_subscription(source._clock_sub)
        source._clock_sub = None
        shared.attach_clock(node.get_clock())
    return shared


def stop_then_exit(nodes, code: int) -> None:
    """End a node's process: its own teardown, then ``os._exit(code)``; never returns.

    ``nodes``: the process's nodes (one, or several in composed mode), each
    stopped in turn. A node's own teardown is its ``stop_node()``, if it has one (a tree host
    halting its mission, which cancels its goals; a planner finishing the plan
    in progress). Destroying the node's DDS endpoints is left to the OS:
    rclpy's ``Publisher.destroy`` has blocked for good inside Fast DDS at
    shutdown (stacks in docs/reliability.md), and it blocks holding the GIL,
    so no Python thread or timeout gets past it; the runner had to SIGKILL the
    node after its grace period. Nothing is lost by leaving: rmw_fastrtps
    publishes synchronously, so whatever the node published (its cancel
    requests too) has been sent, and the others drop its participant when its
    lease ends (1 s with the stack's profile, config/fastdds.xml).

    A teardown of its own that hangs, even holding the GIL, still ends the
    process after :data:`NODE_TEARDOWN_S`: faulthandler's watchdog is a C
    thread; it prints every thread's stack on stderr and exits with code 1.
    """
    with contextlib.suppress(OSError, ValueError, RuntimeError):
        faulthandler.dump_traceback_later(NODE_TEARDOWN_S, exit=True)
    try:
        for node in nodes:
            stop = getattr(node, 'stop_node', None)
            try:
                if stop is not None:
                    stop()
            except Exception:  # noqa: BLE001 -- said; the others still stop, the process ends
                traceback.print_exc()
                code = code or 1
    finally:
        # SIGINT's handler may be shutting the context down at this very moment:
        # try_shutdown then raises "rcl_shutdown already called" (fresh42)
        with contextlib.suppress(RCLError):
            rclpy.try_shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)

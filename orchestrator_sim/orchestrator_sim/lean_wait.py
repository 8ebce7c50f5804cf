"""A cheaper wait for rclpy's single-threaded executor (issue 16, item 3).

rclpy 7.1 (Jazzy) ``SingleThreadedExecutor`` rebuilds everything it waits on,
in Python, every time it waits: it walks each node's entity lists through
filters and generators, enters every handle through an ``ExitStack``, sizes
and allocates a new rcl wait set, and after the wait looks each ready pointer
up in lists. For a node that receives a 50 Hz ``/clock`` and nothing else that
is some 0.3 ms of Python per message, several times what the message itself
costs (``bench/executor_cost.py``). And every callback it runs triggers the
executor's own guard condition twice, so the next wait returns at once with
nothing to do and the whole rebuild runs a second time.

:class:`LeanWaits` does the same waiting with less work:

- the entity lists, their handles and pointers, and the rcl wait set are kept
  between waits and rebuilt only when something changed. rclpy tells the
  executor about every change (a node's ``create_*``/``destroy_*``,
  ``add_node``/``remove_node``) through :meth:`wake`, which here also counts
  the change;
- each wait looks at every entity once: it asks each of rclpy's callback groups
  once whether its entities may run (their answer is the same for all of them),
  enters the handle and adds it to the wait set in one pass; the wait set has
  room for every entity and is made once per change; after the wait only the
  ready entities are looked up, by pointer, in rcl's order. A container's
  wait is some 150 entities, most of them services nobody calls (parameters,
  lifecycle, type descriptions);
- a wait's timeout is passed to rcl's wait, not made into a timer per call;
- a callback run in the spinning thread does not trigger the executor's guard
  condition: the next wait is rebuilt after it anyway. A trigger from any
  other thread still wakes the wait;
- a timer or subscription whose callback is a plain function is called
  directly (:class:`_Direct`), not through a coroutine task: rclpy makes a
  ``Task`` (a future with a lock), a handler coroutine and a work-list entry
  for every callback, only to run it to its end at once.

The stack's nodes spin on it (``orchestrator_pkg.ros_edge.main.NodeExecutor``)
and so does the sim, which cannot import ``orchestrator_pkg``: it lives here for
both, as :mod:`orchestrator_sim.lean_typesupport` does.

What is waited on, and what runs, is rclpy's: the same entities with the same
filter (``Executor.can_execute``: not already taken, and its callback group
free), the same order (waitables, timers, subscriptions, guard conditions,
clients, services; rclpy orders them node by node), the same handlers
(``_make_handler``, or :class:`_Direct` doing its steps, and the ``_take_*``
methods), the same coroutine tasks first, the same exceptions. Only the
single-threaded executor gets this: the multi-threaded one runs callbacks in
other threads, whose triggers must wake the wait.
"""
from inspect import iscoroutinefunction
import threading
import time

from rclpy.callback_groups import MutuallyExclusiveCallbackGroup, ReentrantCallbackGroup
from rclpy.exceptions import InvalidHandle
from rclpy.executors import (
    ConditionReachedException,
    ExternalShutdownException,
    ShutdownException,
    TimeoutException,
    TimeoutObject,
)
from rclpy.impl.implementation_singleton import rclpy_implementation as _rclpy
from rclpy.utilities import timeout_sec_to_nsec

# rclpy's callback groups whose can_execute gives every entity of the group the same answer
_SAME_FOR_ALL = (MutuallyExclusiveCallbackGroup, ReentrantCallbackGroup)


class _OwnThreadQuiet:
    """The executor's guard condition, as handed to a handler run in the spinning thread.

    Its ``trigger`` wakes the wait only when called from another thread.
    """

    __slots__ = ('_guard', '_thread')

    def __init__(self, guard, thread: int):
        self._guard = guard
        self._thread = thread

    def trigger(self) -> None:
        if threading.get_ident() != self._thread:
            self._guard.trigger()


class _Direct:
    """A callback the spinning thread runs at once: rclpy's handler without its Task.

    What rclpy's handler does, in its order: claim the callback group (or let
    the entity be waited on again), take (rclpy's ``_take_*``: the message, or
    the timer's call), then the callback, and free the group, also when the
    callback raises. The exception goes out of ``spin_once`` as from rclpy's
    task. Only for callbacks that are no coroutine functions: their take's
    coroutine ends without awaiting anything.
    """

    __slots__ = ('_executor', '_entity', '_take')

    def __init__(self, executor, entity, take):
        entity._executor_event = True  # not waited on until taken (rclpy's _make_handler)
        self._executor = executor
        self._entity = entity
        self._take = take

    def __call__(self) -> None:
        entity = self._entity
        group = entity.callback_group
        if self._executor._is_shutdown or not group.beginning_execution(entity):
            entity._executor_event = False
            return
        try:
            with self._executor._work_tracker:
                try:
                    call = self._take(entity)
                finally:  # waited on again, also after a take that raised
                    entity._executor_event = False
                if call is not None:
                    coroutine = call()
                    try:
                        coroutine.send(None)
                    except StopIteration:
                        return
                    coroutine.close()
                    raise RuntimeError(f'the callback of {entity!r} awaited: it is not '
                                       'called directly')
        finally:
            group.ending_execution(entity)

    def exception(self):
        """Return None: an exception was raised by the call itself."""
        return None

    def result(self):
        """Return None, as a task of a callback does."""
        return None


class _Entities:
    """What the executor's nodes wait on, as of change number ``changes``."""

    __slots__ = ('changes', 'timers', 'subscriptions', 'clients', 'services',
                 'guards', 'waitables', 'by_pointer', 'sizes', 'wait_set')

    def __init__(self, changes: int, nodes, own_guards: int):
        self.changes = changes
        # (entity, node, handle, pointer) per kind; a waitable has no handle of its own
        self.timers, self.subscriptions, self.clients, self.services = [], [], [], []
        self.guards = []
        self.waitables = []  # (waitable, node, its NumberOfEntities)
        for node in nodes:
            for kind, entities in ((self.timers, node.timers),
                                   (self.subscriptions, node.subscriptions),
                                   (self.clients, node.clients),
                                   (self.services, node.services),
                                   (self.guards, node.guards)):
                for entity in entities:
                    try:
                        pointer = entity.handle.pointer
                    except InvalidHandle:  # destroyed since: its wake() comes
                        continue
                    kind.append((entity, node, entity.handle, pointer))
            for waitable in node.waitables:
                try:
                    count = waitable.get_num_entities()
                except InvalidHandle:
                    continue
                self.waitables.append((waitable, node, count))
        # a ready pointer -> its entry, per kind (a waitable's own entities are in none)
        self.by_pointer = {kind: {entry[3]: entry for entry in entries}
                           for kind, entries in (('timer', self.timers),
                                                 ('subscription', self.subscriptions),
                                                 ('client', self.clients),
                                                 ('service', self.services))}
        # room for every entity: a wait set holds fewer than it was made for when some
        # cannot run now (rcl waits on the ones added), so it is made once per change
        sizes = [len(self.subscriptions), len(self.guards) + own_guards, len(self.timers),
                 len(self.clients), len(self.services), 0]
        for _, _, count in self.waitables:
            sizes[0] += count.num_subscriptions
            sizes[1] += count.num_guard_conditions
            sizes[2] += count.num_timers
            sizes[3] += count.num_clients
            sizes[4] += count.num_services
            sizes[5] += count.num_events
        self.sizes = sizes
        self.wait_set = None


class LeanWaits:
    """Mixin for rclpy's ``SingleThreadedExecutor``: its waits, without rebuilding them."""

    # plain timer and subscription callbacks called without a task (bench/executor_cost.py
    # measures the executor with and without)
    direct_calls = True

    def __init__(self, *args, **kwargs):
        self._changes = 0
        self._entities = None
        self._spin_thread = None
        super().__init__(*args, **kwargs)

    # -- what rclpy calls when the entities change --------------------------------
    def wake(self) -> None:
        """Count a change of the entities (rclpy calls this on each), then wake the wait."""
        self._changes += 1
        super().wake()

    def add_node(self, node) -> bool:
        """Add the node and wait on its entities from the next wait on."""
        added = super().add_node(node)
        self.wake()
        return added

    def remove_node(self, node) -> None:
        """Remove the node and stop waiting on its entities from the next wait on."""
        super().remove_node(node)
        self.wake()

    def _make_handler(self, entity, node, take_from_wait_list):
        # the handler triggers the guard it is given after the take and after the
        # callback (for other threads' waits); the spinning thread's next wait is
        # rebuilt after the callback anyway
        guard = self._guard
        if guard is None or self._spin_thread != threading.get_ident():
            return super()._make_handler(entity, node, take_from_wait_list)
        self._guard = _OwnThreadQuiet(guard, self._spin_thread)
        try:
            return super()._make_handler(entity, node, take_from_wait_list)
        finally:
            self._guard = guard

    def _spin_once_impl(self, *args, **kwargs):
        self._spin_thread = threading.get_ident()
        return super()._spin_once_impl(*args, **kwargs)

    # -- the wait -------------------------------------------------------------------
    def _current_entities(self) -> _Entities:
        entities = self._entities
        changes = self._changes  # read before the lists: a change during the walk shows next time
        if entities is None or entities.changes != changes:
            entities = self._entities = _Entities(changes, self.get_nodes(), own_guards=2)
        return entities

    def _run_tasks(self):
        """Yield the coroutine tasks in progress (rclpy's order: newest first); drop the done."""
        with self._tasks_lock:
            tasks = list(self._tasks)
        nodes = self.get_nodes()
        for task, entity, node in reversed(tasks):
            if not task.executing() and not task.done() and (node is None or node in nodes):
                yield task, entity, node
        with self._tasks_lock:
            self._tasks = [t for t in self._tasks if not t[0].done() and not t[0].cancelled()]

    def _wait_for_ready_callbacks(self, timeout_sec=None, nodes=None, condition=lambda: False):
        if nodes is not None:  # a subset of the nodes: rclpy's own way
            yield from super()._wait_for_ready_callbacks(timeout_sec, nodes, condition)
            return
        timeout_nsec = timeout_sec_to_nsec(
            timeout_sec.timeout if isinstance(timeout_sec, TimeoutObject) else timeout_sec)
        deadline = time.monotonic_ns() + timeout_nsec if timeout_nsec > 0 else None
        yielded_work = False
        while not yielded_work and not self._is_shutdown and not condition():
            finished = False
            if self._tasks:
                for work in self._run_tasks():
                    yielded_work = True
                    yield work
                    finished = finished or work[0].done()
            if deadline is None:
                wait_nsec = timeout_nsec  # -1: for ever, 0: not at all
            else:
                wait_nsec = max(0, deadline - time.monotonic_ns())
            if finished:
                # a task that ended may have completed what another one awaits: look
                # without blocking, then run the tasks again (rclpy's handler wakes the
                # wait when it ends)
                wait_nsec = 0
            ready = self._wait_once(self._current_entities(), wait_nsec)
            for work in ready:
                yielded_work = True
                yield work
            if timeout_nsec == 0 or (deadline is not None and time.monotonic_ns() >= deadline):
                if not yielded_work:
                    raise TimeoutException()
                break
        if self._is_shutdown:
            raise ShutdownException()
        if condition():
            raise ConditionReachedException()

    def _wait_once(self, entities: _Entities, wait_nsec: int):
        """Wait once on what can run now; return a generator of handlers for what is ready."""
        # rclpy's can_execute: not taken yet, and its callback group lets it run. rclpy's
        # two groups answer the same for each of their entities: asked once per group
        answers = {}

        def can_execute(entity) -> bool:
            if entity._executor_event:
                return False
            group = entity.callback_group
            answer = answers.get(group)
            if answer is None:
                answer = group.can_execute(entity)
                if type(group) in _SAME_FOR_ALL:
                    answers[group] = answer
            return answer

        guards = [e for e in entities.guards if can_execute(e[0])]
        for guard in guards:  # one triggered but not handled (its group was busy)
            if guard[0]._executor_triggered:
                guard[0].trigger()
        own_guards = (self._guard, self._sigint_gc)

        entered = []
        enter = entered.append
        waitables = []
        try:
            self._context.handle.__enter__()
            enter(self._context.handle)
            if entities.wait_set is None:
                entities.wait_set = _rclpy.WaitSet(*entities.sizes, self._context.handle)
            wait_set = entities.wait_set
            wait_set.clear_entities()
            # each entity that can run, its handle held while waited on; the order of
            # the kinds here is rcl's business, the handlers run in rclpy's (below)
            for kind, add in ((entities.subscriptions, wait_set.add_subscription),
                              (entities.guards, wait_set.add_guard_condition),
                              (entities.timers, wait_set.add_timer),
                              (entities.clients, wait_set.add_client),
                              (entities.services, wait_set.add_service)):
                for entry in kind:
                    if not can_execute(entry[0]):
                        continue
                    handle = entry[2]
                    try:
                        handle.__enter__()
                    except InvalidHandle:  # destroyed since the lists were made
                        self._changes += 1
                        continue
                    enter(handle)
                    add(handle)
            for guard in own_guards:
                guard.handle.__enter__()
                enter(guard.handle)
                wait_set.add_guard_condition(guard.handle)
            for entry in entities.waitables:
                waitable = entry[0]
                if not can_execute(waitable):
                    continue
                try:
                    waitable.__enter__()
                except InvalidHandle:
                    self._changes += 1
                    continue
                enter(waitable)
                waitables.append(entry)
                waitable.add_to_wait_set(wait_set)

            wait_set.wait(wait_nsec)
            if self._is_shutdown:
                raise ShutdownException()
            if not self._context.ok():
                raise ExternalShutdownException()

            by_pointer = entities.by_pointer
            ready = {}
            for kind in ('timer', 'subscription', 'client', 'service'):
                lookup = by_pointer[kind].get
                # in the order added; a waitable's own entities are not the executor's
                ready[kind] = [entry for entry in map(lookup, wait_set.get_ready_entities(kind))
                               if entry is not None]
            guards_ready = set(wait_set.get_ready_entities('guard_condition'))
            for entry in guards:
                if entry[3] in guards_ready:
                    entry[0]._executor_triggered = True
            for guard in own_guards:
                if guard.handle.pointer in guards_ready:
                    guard._executor_triggered = True
            # waitables are asked while their wait set still holds them
            ready_waitables = [entry for entry in waitables if entry[0].is_ready(wait_set)]
        finally:
            for handle in reversed(entered):
                handle.__exit__(None, None, None)
        return self._handlers(ready_waitables, ready['timer'], ready['subscription'], guards,
                              ready['client'], ready['service'])

    def _handlers(self, ready_waitables, timers, subscriptions, guards, clients, services):
        for waitable, node, _ in ready_waitables:
            if waitable.callback_group.can_execute(waitable):
                yield self._make_handler(waitable, node, self._take_waitable), waitable, node
        direct = self.direct_calls and self._spin_thread == threading.get_ident()
        for timer, node, handle, _ in timers:
            # a timer canceled since the wait is not ready any more (rclpy checks it too)
            if handle.is_timer_ready() and timer.callback_group.can_execute(timer):
                if direct and not iscoroutinefunction(timer.callback):
                    yield _Direct(self, timer, self._take_timer), timer, node
                else:
                    yield self._make_handler(timer, node, self._take_timer), timer, node
        for sub, node, _, _ in subscriptions:
            if sub.callback_group.can_execute(sub):
                if direct and not iscoroutinefunction(sub.callback):
                    yield _Direct(self, sub, self._take_subscription), sub, node
                else:
                    yield self._make_handler(sub, node, self._take_subscription), sub, node
        for guard, node, _, _ in guards:
            if guard._executor_triggered and guard.callback_group.can_execute(guard):
                yield self._make_handler(guard, node, self._take_guard_condition), guard, node
        for client, node, _, _ in clients:
            if client.callback_group.can_execute(client):
                yield self._make_handler(client, node, self._take_client), client, node
        for service, node, _, _ in services:
            if service.callback_group.can_execute(service):
                yield self._make_handler(service, node, self._take_service), service, node

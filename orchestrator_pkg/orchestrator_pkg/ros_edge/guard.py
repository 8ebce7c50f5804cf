"""The edge guard: one bad message or request never raises out of the executor.

Every subscription and server callback of the stack's nodes goes through here:

- :func:`subscribe` checks a message before the callback sees it: a
  non-finite number anywhere in it (except the fields a type allows, e.g. a
  LaserScan's ranges, where inf and NaN mean "no return" by REP-117) drops it
  with a warning naming the field and value. An exception the callback raises
  drops the message the same way.
- :func:`execute` wraps an action server's execute callback: a goal whose
  ``check`` finds a problem is aborted with the action's error code and the
  problem as ``error_msg``; an exception aborts the goal with the action's
  UNKNOWN code instead of killing the node.
- :func:`service` wraps a service callback (an exception answers the default
  response).

Warnings are throttled (:class:`Throttle`): at most one per node and cause
every :data:`WARN_EVERY_S` seconds of wall time, counting the drops between.
"""
import math
import operator
import threading
import time
import traceback
import weakref

import numpy as np

WARN_EVERY_S = 5.0

# message type -> fields where non-finite values are data, not damage
NON_FINITE_OK = {
    'sensor_msgs/msg/LaserScan': ('ranges', 'intensities'),
    'sensor_msgs/msg/BatteryState': ('percentage', 'voltage', 'temperature', 'current',
                                     'charge', 'capacity', 'design_capacity',
                                     'cell_voltage', 'cell_temperature'),
}
_FLOAT_TYPES = ('double', 'float')
_FIELD_CACHE = {}
_CHECK_CACHE = {}  # message class -> _FiniteCheck


class Throttle:
    """At most one log line per key every ``every_s`` seconds, counting what it held back."""

    def __init__(self, log, every_s: float = WARN_EVERY_S):
        self._log = log
        self._every = every_s
        self._lock = threading.Lock()
        self._seen = {}  # key -> [wall time of the last line, held back since]

    def __call__(self, key, text: str) -> bool:
        """Log ``text`` unless ``key`` was logged within the period; whether it was logged."""
        now = time.monotonic()
        with self._lock:
            seen = self._seen.setdefault(key, [None, 0])
            if seen[0] is not None and now - seen[0] < self._every:
                seen[1] += 1
                return False
            more = f' ({seen[1]} more since the last warning)' if seen[1] else ''
            seen[0], seen[1] = now, 0
        self._log(text + more)
        return True


def _type_name(msg) -> str:
    return _class_type_name(type(msg))


def _class_type_name(cls) -> str:
    module = cls.__module__.split('.')
    return f'{module[0]}/{module[1] if len(module) > 1 else "msg"}/{cls.__name__}'


def _fields(msg_class):
    """[(field, 'float' | 'floats' | 'message' | 'messages')] of a message class, cached."""
    fields = _FIELD_CACHE.get(msg_class)
    if fields is None:
        fields = []
        for name, kind in msg_class.get_fields_and_field_types().items():
            base = kind.split('<')[-1].split('[')[0].split(',')[0].rstrip('>')
            many = kind.startswith('sequence') or '[' in kind
            if base in _FLOAT_TYPES:
                fields.append((name, 'floats' if many else 'float'))
            elif '/' in base:
                fields.append((name, 'messages' if many else 'message'))
        _FIELD_CACHE[msg_class] = fields
    return fields


def non_finite_field(msg, prefix: str = ''):
    """Return ``(field path, value)`` of the first non-finite number in ``msg``, or None.

    Walks nested messages and arrays; the fields :data:`NON_FINITE_OK` names
    for a type are skipped. A message whose numbers are all finite (nearly every
    one) is cleared by :func:`_all_finite` without walking it field by field.
    """
    if _all_finite(msg):
        return None
    return _first_non_finite(msg, prefix)


def _first_non_finite(msg, prefix: str):
    allowed = NON_FINITE_OK.get(_type_name(msg), ())
    for name, kind in _fields(type(msg)):
        if name in allowed:
            continue
        value = getattr(msg, name)
        path = f'{prefix}{name}'
        if kind == 'float':
            if not math.isfinite(value):
                return path, value
        elif kind == 'floats':
            array = np.asarray(value, dtype=float)
            bad = np.flatnonzero(~np.isfinite(array))
            if bad.size:
                return f'{path}[{bad[0]}]', float(array[bad[0]])
        elif kind == 'message':
            found = _first_non_finite(value, path + '.')
            if found:
                return found
        else:
            for i, item in enumerate(value):
                found = _first_non_finite(item, f'{path}[{i}].')
                if found:
                    return found
    return None


class _FiniteCheck:
    """One message class's checked numbers, flattened: what :func:`_all_finite` reads.

    ``scalars`` reads every float field of the message and of the messages
    nested in it (not in sequences) at once (``operator.attrgetter`` on the
    dotted paths); ``arrays`` the float arrays and sequences; ``messages`` the
    sequences of messages (checked item by item). The fields
    :data:`NON_FINITE_OK` names for a type are left out, as in the walk.
    """

    def __init__(self, msg_class):
        scalars, arrays, messages = [], [], []

        def collect(cls, prefix):
            allowed = NON_FINITE_OK.get(_class_type_name(cls), ())
            for name, kind in _fields(cls):
                if name in allowed:
                    continue
                path = prefix + name
                if kind == 'float':
                    scalars.append(path)
                elif kind == 'floats':
                    arrays.append(operator.attrgetter(path))
                elif kind == 'message':
                    collect(type(getattr(cls(), name)), path + '.')
                else:
                    messages.append(operator.attrgetter(path))
        collect(msg_class, '')
        # attrgetter of one name returns the value, of several a tuple: always a tuple
        self.scalars = operator.attrgetter(*scalars, scalars[0]) if scalars else None
        self.arrays = tuple(arrays)
        self.messages = tuple(messages)


def _all_finite(msg) -> bool:
    """Whether every checked number of ``msg`` is finite (False: walk it to find which).

    The scalars are summed: a NaN or an infinity makes the sum non-finite. So can
    an overflow of finite values (1e308 + 1e308); the walk then finds nothing.
    """
    check = _CHECK_CACHE.get(type(msg))
    if check is None:
        check = _CHECK_CACHE[type(msg)] = _FiniteCheck(type(msg))
    if check.scalars is not None and not math.isfinite(sum(check.scalars(msg))):
        return False
    for read in check.arrays:
        if not np.isfinite(np.asarray(read(msg), dtype=float)).all():
            return False
    for read in check.messages:
        for item in read(msg):
            if not _all_finite(item):
                return False
    return True


class Edge:
    """One node's guard: its throttled warnings and the wrappers of its callbacks."""

    def __init__(self, node):
        self.node = node
        self.warn = Throttle(node.get_logger().warning)
        self.dropped = {}  # topic -> how many messages were dropped

    def _drop(self, topic: str, why: str) -> None:
        self.dropped[topic] = self.dropped.get(topic, 0) + 1
        self.warn(('drop', topic), f'dropped a message on {topic}: {why}')

    def message_callback(self, topic: str, callback, check_finite: bool = True):
        """Return ``callback`` behind the finite check (unless not) and an exception barrier."""
        def guarded(msg):
            try:
                bad = non_finite_field(msg) if check_finite else None
            except (AttributeError, TypeError, ValueError) as exc:
                bad = ('?', repr(exc))
            if bad is not None:
                self._drop(topic, f'{bad[0]} is {bad[1]!r}')
                return
            try:
                callback(msg)
            except Exception as exc:  # noqa: BLE001 -- the edge: nothing raises further
                if not self.node.context.ok():
                    return
                self._drop(topic, f'{type(exc).__name__}: {exc} '
                                  f'(at {_where(exc)})')
        return guarded


def _where(exc) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return '?'
    last = frames[-1]
    return f'{last.filename.rsplit("/", 1)[-1]}:{last.lineno}'


_EDGES = weakref.WeakKeyDictionary()  # node -> Edge (state.py's caches use this module)
_EDGES_LOCK = threading.Lock()


def edge(node) -> Edge:
    """Return the node's shared :class:`Edge`."""
    with _EDGES_LOCK:
        if node not in _EDGES:
            _EDGES[node] = Edge(node)
        return _EDGES[node]


def subscribe(node, msg_type, topic: str, callback, qos, *, check_finite: bool = True,
              drain: bool = False, **kwargs):
    """``node.create_subscription`` with the edge's checks (see the module docstring).

    ``check_finite=False`` leaves the numbers to a callback that checks them
    field by field itself (base_driver's command limits, localization, perception:
    their own reasons, their own tests); the exception barrier stays.

    ``drain=True`` hands the callback every message queued on the subscription,
    oldest first, each time the executor delivers one. rclpy's executor takes one
    message per subscription per wait, so a node whose timer callback is slow
    (controller_server's MPPI cycle: 20-40 ms) takes a 50 Hz topic slower than it
    comes: the queue fills and every message taken is the oldest one kept (odometry
    up to 1 s stale). Draining keeps the whole history *and* the newest message.
    """
    checked = edge(node).message_callback(topic, callback, check_finite)
    if not drain:
        return node.create_subscription(msg_type, topic, checked, qos, **kwargs)
    from rclpy.exceptions import InvalidHandle
    subscription = None
    depth = qos if isinstance(qos, int) else qos.depth  # a QoSProfile or a depth
    limit = max(1, int(depth or 1))  # never more than the queue could hold

    def drained(msg):
        checked(msg)
        for _ in range(limit):
            try:
                with subscription.handle:
                    taken = subscription.handle.take_message(msg_type, False)
            except InvalidHandle:  # destroyed under us, as rclpy's executor takes it
                return
            if taken is None:
                return
            checked(taken[0])

    subscription = node.create_subscription(msg_type, topic, drained, qos, **kwargs)
    return subscription


# How long an action server keeps an ended goal and its result (rclpy's
# ``result_timeout``; rclpy and rcl default to 900 s). Clients ask for the result
# as soon as the goal is accepted, and the navigation servers get about one goal
# a second (replanning at 1 Hz): 900 s kept every goal's request (a whole path)
# for 15 minutes, +24 MB in controller_server over a 6-minute soak.
RESULT_KEEP_S = 60.0


def execute(node, action_name: str, action_type, callback, *, check=None, codes=None):
    """Wrap an action server's async execute callback (see the module docstring).

    ``check(request)`` returns None or ``(kind, message)``; ``codes`` maps a
    kind to the action's error code (``nav2_codes.BAD_GOAL[action_name]``);
    ``codes['unknown']`` is the code of an exception.
    """
    codes = codes or {}
    logger_warn = edge(node).warn

    def result(code, message):
        out = action_type.Result()
        if hasattr(out, 'error_code'):
            out.error_code = int(code)
        if hasattr(out, 'error_msg'):
            out.error_msg = message
        return out

    def abort(handle):
        try:
            if handle.is_active:
                handle.abort()
        except Exception:  # noqa: BLE001 -- a goal that cannot be aborted any more
            pass

    async def guarded(goal_handle):
        if check is not None:
            try:
                problem = check(goal_handle.request)
            except Exception as exc:  # noqa: BLE001 -- a request the check cannot read
                problem = ('unknown', f'malformed goal: {type(exc).__name__}: {exc}')
            if problem is not None:
                kind, message = problem
                code = codes.get(kind, codes.get('unknown', 0))
                logger_warn(('goal', action_name), f'{action_name} goal refused ({code}): '
                                                   f'{message}')
                abort(goal_handle)
                return result(code, message)
        try:
            return await callback(goal_handle)
        except Exception as exc:  # noqa: BLE001 -- the edge: nothing raises further
            if not node.context.ok():
                return result(codes.get('unknown', 0), 'shutting down')
            message = f'{action_name} failed: {type(exc).__name__}: {exc} (at {_where(exc)})'
            node.get_logger().error(message)
            abort(goal_handle)
            return result(codes.get('unknown', 0), message)
    return guarded


def service(node, name: str, callback):
    """Wrap a service callback: an exception is logged and answers the response as it is."""
    warn = edge(node).warn

    def guarded(request, response):
        try:
            return callback(request, response)
        except Exception as exc:  # noqa: BLE001 -- the edge: nothing raises further
            warn(('service', name), f'{name} failed: {type(exc).__name__}: {exc} '
                                    f'(at {_where(exc)})')
            return response
    return guarded

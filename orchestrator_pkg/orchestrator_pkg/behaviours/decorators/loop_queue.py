"""LoopString, LoopDouble, LoopInt, LoopBool: BehaviorTree.CPP v4's LoopNode<T>.

Ports, as in BehaviorTree.CPP:

- ``queue`` (inout): a literal ``"a;b;c"`` (split on ``;``, converted to the
  element type when the tree is loaded) or a blackboard key holding such a
  string, a list/tuple, or a ``collections.deque``. A deque is popped in
  place (it is shared, like BT.CPP's ``SharedQueue``); a string or list is
  copied when the loop starts.
- ``value`` (output): the element popped for the child's current run.
- ``if_empty`` (input, default SUCCESS): the status returned once the queue
  is empty. SKIPPED is accepted and returns SUCCESS, since py_trees has no
  SKIPPED (as RunOnce does).

Each tick while the child is not RUNNING, the next element is popped into
``value`` and the child is ticked; child FAILURE makes the loop fail, anything
else is RUNNING. When nothing is left to pop, the loop returns ``if_empty``
(so the tick after the last element's SUCCESS returns it, as in BT.CPP).

Difference from BehaviorTree.CPP: a loop that starts again (after it ended or
was halted) reads a string/list ``queue`` from the blackboard again; BT.CPP
keeps the already-emptied copy.
"""
from collections import deque

from orchestrator_pkg.trees.behaviour import FAILURE, RUNNING, SUCCESS, BtNode
from orchestrator_pkg.trees.failure import FailureCode
from orchestrator_pkg.trees.ports import PortError

# element port type of each loop node type
LOOP_TYPES = {'LoopString': 'str', 'LoopDouble': 'float', 'LoopInt': 'int', 'LoopBool': 'bool'}
STATUS_PORT_TYPE = 'bt_status'
_STATUSES = {'SUCCESS': SUCCESS, 'FAILURE': FAILURE, 'SKIPPED': SUCCESS}


def split_queue(text: str) -> list[str]:
    """Split ``"a;b;c"`` as BT.CPP's splitString: '' -> [], a trailing ';' adds nothing."""
    parts = text.split(';')
    if parts and parts[-1] == '':
        parts.pop()
    return parts


def queue_port_type(element_type: str) -> str:
    """Return the name of the port type of a ``queue`` of ``element_type`` elements."""
    return f'queue_{element_type}'


def _status_from_string(text: str):
    try:
        return _STATUSES[text.strip().upper()]
    except KeyError:
        raise ValueError(f'"{text}" is not a status (SUCCESS, FAILURE or SKIPPED)') from None


def _queue_converter(types, element_type: str):
    def from_string(text: str) -> tuple:
        items = []
        for index, part in enumerate(split_queue(text)):
            try:
                items.append(types.convert(element_type, part))
            except ValueError as exc:
                raise ValueError(f'element {index} of "{text}": {exc}') from None
        return tuple(items)
    return from_string


def register_loop_port_types(registry) -> None:
    """Add the ``bt_status`` and ``queue_<type>`` port types to ``registry`` (idempotent)."""
    registry.register_port_type(STATUS_PORT_TYPE, _status_from_string)
    for element_type in LOOP_TYPES.values():
        registry.register_port_type(queue_port_type(element_type),
                                    _queue_converter(registry.port_types, element_type))


class LoopQueue(BtNode):
    """Run the child once per element of ``queue``, the element written to ``value``.

    ``types`` is the registry's :class:`~orchestrator_pkg.trees.ports.PortTypes`.
    """

    def __init__(self, name, child, ports, element_type: str, types):
        super().__init__(name, child)
        self.ports = ports
        self.element_type = element_type
        self.types = types
        self.queue = None
        self.child_running = False
        self.failure = None

    def reset_state(self):
        """Forget the queue being worked on: a restart reads the port again."""
        self.queue = None
        self.child_running = False

    def initialise(self):
        """Start afresh (the loop was not RUNNING)."""
        self.reset_state()
        self.failure = None

    def _current_queue(self):
        """Return the deque to pop from (reading the port when it holds a deque, or at start)."""
        value = self.ports.get('queue')
        if isinstance(value, deque):
            return value  # shared: popped in place, as BT.CPP's SharedQueue
        if self.queue is None:
            if not isinstance(value, (list, tuple)):
                raise PortError(f'{self.name}: port "queue" holds a {type(value).__name__}; '
                                'expected a "a;b;c" string, a list or a deque')
            self.queue = deque(value)
        return self.queue

    def _pop(self) -> bool:
        """Pop the next element into ``value``; False when the queue is empty."""
        queue = self._current_queue()
        if not queue:
            return False
        element = queue.popleft()
        try:
            value = self.types.check_native(self.element_type, element)
        except ValueError as exc:
            raise PortError(f'{self.name}: queue element {element!r}: {exc}') from None
        self.ports.set('value', value)
        self.feedback_message = f'value = {value!r}, {len(queue)} left'
        return True

    def _empty_status(self):
        status = self.ports.get('if_empty')
        if status not in (SUCCESS, FAILURE):
            raise PortError(f'{self.name}: port "if_empty" holds {status!r}; expected '
                            'SUCCESS, FAILURE or SKIPPED')
        self.feedback_message = 'queue empty'
        if status is FAILURE:
            self.fail_on_my_own()
        return status

    def bt_tick(self):
        """Pop the next element and tick the child with it."""
        if not self.child_running:
            try:
                if not self._pop():
                    return self._empty_status()
            except PortError as exc:
                return self.fail(FailureCode.INVALID_INPUT, str(exc))
        status = yield from self.tick_child(0)
        self.child_running = status is RUNNING
        if status is not RUNNING:
            self.halt_child(0)
        if status is FAILURE:
            return FAILURE
        return RUNNING

"""Topic behaviours: a condition on the latest message, wait-for-message, publish.

Subscription callbacks only store the message under a lock; ``update`` reads
it. Nothing waits inside a tick.

ROS interface
-------------
Subscribers
    ``topic`` (TopicCondition, WaitForMessage).
Publishers
    ``topic`` (Publish).
"""
import threading
from typing import Any, Callable, Optional

import py_trees
from py_trees.common import Status
from rclpy.qos import QoSProfile

from orchestrator_pkg.behaviours.ros.clock import RosClock
from orchestrator_pkg.behaviours.ros.errors import INPUT_ERRORS
from orchestrator_pkg.trees.failure import Failure, FailureCode


def _need_node(behaviour, kwargs):
    node = kwargs.get('node')
    if node is None:
        raise KeyError(f'{behaviour.name}: setup() needs node=<rclpy node>')
    return node


class _Subscribed(py_trees.behaviour.Behaviour):
    """Keeps the latest message of a topic, with its arrival time on the clock."""

    def __init__(self, name, msg_type, topic, qos, clock, node_type):
        super().__init__(name)
        self.msg_type = msg_type
        self.topic = topic
        self.qos = qos if qos is not None else QoSProfile(depth=10)
        self.clock = clock
        self.node_type = node_type or type(self).__name__
        self.failure = None
        self.node = None
        self._lock = threading.Lock()
        self._message = None
        self._stamp = None
        self._count = 0
        self._subscription = None

    def setup(self, **kwargs) -> None:
        """Subscribe on ``kwargs['node']``."""
        self.node = _need_node(self, kwargs)
        if self.clock is None:
            self.clock = RosClock(self.node)
        self._subscription = self.node.create_subscription(
            self.msg_type, self.topic, self._on_message, self.qos)

    def shutdown(self) -> None:
        """Unsubscribe."""
        if self._subscription is not None and self.node is not None:
            self.node.destroy_subscription(self._subscription)
            self._subscription = None

    def _on_message(self, message):
        stamp = self.clock.now()
        with self._lock:
            self._message, self._stamp = message, stamp
            self._count += 1

    def _latest(self):
        with self._lock:
            return self._message, self._stamp, self._count

    def _fail(self, code, message):
        self.failure = Failure(node_type=self.node_type, code=int(code),
                                  message=message)
        self.feedback_message = message
        return Status.FAILURE


class TopicCondition(_Subscribed):
    """SUCCESS when the latest message on ``topic`` satisfies ``predicate``, else FAILURE.

    Args:
        predicate: ``predicate(message) -> bool``.
        max_age_s: a message older than this (on the clock) counts as none;
            None accepts any age.
    """

    def __init__(self, name: str, msg_type, topic: str, predicate: Callable[[Any], bool], *,
                 max_age_s: Optional[float] = None, qos=None, clock=None, node_type: str = ''):
        super().__init__(name, msg_type, topic, qos, clock, node_type)
        self.predicate = predicate
        self.max_age_s = max_age_s

    def update(self) -> Status:
        """Check the latest message; a condition never runs."""
        self.failure = None
        message, stamp, _ = self._latest()
        if message is None:
            return self._fail(FailureCode.CONDITION_FAILED, f'no message on {self.topic} yet')
        if self.max_age_s is not None and self.clock.now() - stamp > self.max_age_s:
            return self._fail(FailureCode.CONDITION_FAILED,
                              f'latest message on {self.topic} is older than {self.max_age_s:g} s')
        try:
            ok = bool(self.predicate(message))
        except INPUT_ERRORS as exc:
            return self._fail(FailureCode.INVALID_INPUT,
                              f'cannot check the message on {self.topic}: {exc}')
        if not ok:
            return self._fail(FailureCode.CONDITION_FAILED,
                              f'the condition on {self.topic} is false')
        self.feedback_message = 'condition holds'
        return Status.SUCCESS


class WaitForMessage(_Subscribed):
    """RUNNING until a message arrives after ``initialise`` (and passes ``predicate``).

    Args:
        on_message: ``on_message(message)`` for the message that ended the wait
            (writes the output port).
        predicate: optional filter; None accepts any message.
        timeout_s: FAILURE (code TIMEOUT) after this long on the clock; None waits forever.
    """

    def __init__(self, name: str, msg_type, topic: str, *,
                 on_message: Optional[Callable[[Any], None]] = None,
                 predicate: Optional[Callable[[Any], bool]] = None,
                 timeout_s: Optional[float] = None, qos=None, clock=None, node_type: str = ''):
        super().__init__(name, msg_type, topic, qos, clock, node_type)
        self.on_message = on_message
        self.predicate = predicate
        self.timeout_s = timeout_s
        self._seen = 0
        self._started = 0.0

    def initialise(self) -> None:
        """Only messages from now on count."""
        self.failure = None
        _, _, self._seen = self._latest()
        self._started = self.clock.now()
        self.feedback_message = f'waiting for a message on {self.topic}'

    def update(self) -> Status:
        """SUCCESS on a fresh (matching) message, FAILURE on timeout."""
        message, _, count = self._latest()
        if count > self._seen:
            self._seen = count
            try:
                ok = self.predicate is None or bool(self.predicate(message))
            except INPUT_ERRORS as exc:
                return self._fail(FailureCode.INVALID_INPUT, f'cannot check the message: {exc}')
            if ok:
                if self.on_message is not None:
                    self.on_message(message)
                self.feedback_message = f'message received on {self.topic}'
                return Status.SUCCESS
        if self.timeout_s is not None and self.clock.now() - self._started > self.timeout_s:
            return self._fail(FailureCode.TIMEOUT,
                              f'no message on {self.topic} within {self.timeout_s:g} s')
        return Status.RUNNING


class Publish(py_trees.behaviour.Behaviour):
    """Publish one message built by ``message_factory`` and succeed.

    Args:
        message_factory: builds the message at each run (reads ports); a
            ``ValueError``/``KeyError``/``LookupError`` fails with INVALID_INPUT.
    """

    def __init__(self, name: str, msg_type, topic: str, message_factory: Callable[[], Any], *,
                 qos=None, node_type: str = ''):
        super().__init__(name)
        self.msg_type = msg_type
        self.topic = topic
        self.message_factory = message_factory
        self.qos = qos if qos is not None else QoSProfile(depth=10)
        self.node_type = node_type or type(self).__name__
        self.failure = None
        self.node = None
        self._publisher = None

    def setup(self, **kwargs) -> None:
        """Create the publisher on ``kwargs['node']``."""
        self.node = _need_node(self, kwargs)
        self._publisher = self.node.create_publisher(self.msg_type, self.topic, self.qos)

    def shutdown(self) -> None:
        """Destroy the publisher."""
        if self._publisher is not None and self.node is not None:
            self.node.destroy_publisher(self._publisher)
            self._publisher = None

    def update(self) -> Status:
        """Build and publish; never waits."""
        self.failure = None
        try:
            message = self.message_factory()
        except INPUT_ERRORS as exc:
            self.failure = Failure(node_type=self.node_type,
                                      code=FailureCode.INVALID_INPUT,
                                      message=f'cannot build the message for {self.topic}: {exc}')
            self.feedback_message = self.failure.message
            return Status.FAILURE
        self._publisher.publish(message)
        self.feedback_message = f'published on {self.topic}'
        return Status.SUCCESS

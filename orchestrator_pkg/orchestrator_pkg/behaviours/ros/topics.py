"""Topic behaviours: a condition on the latest message, wait-for-message, publish.

Subscription callbacks only store the message under a lock
(:class:`~orchestrator_pkg.ros_edge.state.LatestMessage`); ``update`` reads
it. Nothing waits inside a tick.

ROS interface
-------------
Subscribers
    ``topic`` (TopicCondition, WaitForMessage).
Publishers
    ``topic`` (Publish).
"""
from typing import Any, Callable, Optional

from py_trees.common import Status
from rclpy.qos import QoSProfile

from orchestrator_pkg.ros_edge.leaf import INPUT_ERRORS, RosLeaf
from orchestrator_pkg.ros_edge.state import LatestMessage
from orchestrator_pkg.trees.failure import FailureCode


def subscribe(leaf: RosLeaf, msg_type, topic: str, qos=None) -> LatestMessage:
    """Return the latest-message cache of ``topic`` on the leaf's node, owned by the leaf."""
    node = leaf.node
    return leaf.own(LatestMessage(node, msg_type, topic, qos or QoSProfile(depth=10), leaf.clock),
                    lambda cache: node.destroy_subscription(cache.subscription))


class TopicCondition(RosLeaf):
    """SUCCESS when the latest message on ``topic`` satisfies ``predicate``, else FAILURE.

    Args:
        predicate: ``predicate(message) -> bool``.
        max_age_s: a message older than this (on the clock) counts as none;
            None accepts any age.
        explain: ``explain(message) -> str``, the failure message when the
            predicate is false (default: "the condition on <topic> is false").
    """

    def __init__(self, name: str, msg_type, topic: str, predicate: Callable[[Any], bool], *,
                 max_age_s: Optional[float] = None, explain=None, qos=None, clock=None,
                 node_type: str = ''):
        super().__init__(name, node_type=node_type, clock=clock)
        self.msg_type, self.topic, self.qos = msg_type, topic, qos
        self.predicate = predicate
        self.max_age_s = max_age_s
        self.explain = explain or (lambda message: f'the condition on {topic} is false')
        self.latest = None

    def connect(self, node) -> None:
        """Subscribe."""
        self.latest = subscribe(self, self.msg_type, self.topic, self.qos)

    def update(self) -> Status:
        """Check the latest message; a condition never runs."""
        message, stamp, _ = self.latest.latest()
        if message is None:
            return self.fail(FailureCode.CONDITION_FAILED, f'no message on {self.topic} yet')
        if self.max_age_s is not None and self.clock.now() - stamp > self.max_age_s:
            return self.fail(FailureCode.CONDITION_FAILED,
                             f'latest message on {self.topic} is older than {self.max_age_s:g} s')
        try:
            ok = bool(self.predicate(message))
        except INPUT_ERRORS as exc:
            return self.fail(FailureCode.INVALID_INPUT,
                             f'cannot check the message on {self.topic}: {exc}')
        if not ok:
            return self.fail(FailureCode.CONDITION_FAILED, self.explain(message))
        self.feedback_message = 'condition holds'
        return Status.SUCCESS


class WaitForMessage(RosLeaf):
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
        super().__init__(name, node_type=node_type, clock=clock)
        self.msg_type, self.topic, self.qos = msg_type, topic, qos
        self.on_message = on_message
        self.predicate = predicate
        self.timeout_s = timeout_s
        self.latest = None
        self._seen = 0

    def connect(self, node) -> None:
        """Subscribe."""
        self.latest = subscribe(self, self.msg_type, self.topic, self.qos)

    def initialise(self) -> None:
        """Only messages from now on count."""
        super().initialise()
        _, _, self._seen = self.latest.latest()
        self.feedback_message = f'waiting for a message on {self.topic}'

    def update(self) -> Status:
        """SUCCESS on a fresh (matching) message, FAILURE on timeout."""
        message, _, count = self.latest.latest()
        if count > self._seen:
            self._seen = count
            try:
                ok = self.predicate is None or bool(self.predicate(message))
            except INPUT_ERRORS as exc:
                return self.fail(FailureCode.INVALID_INPUT, f'cannot check the message: {exc}')
            if ok:
                if self.on_message is not None:
                    self.on_message(message)
                self.feedback_message = f'message received on {self.topic}'
                return Status.SUCCESS
        if self.timed_out(self.timeout_s):
            return self.fail(FailureCode.TIMEOUT,
                             f'no message on {self.topic} within {self.timeout_s:g} s')
        return Status.RUNNING


class Publish(RosLeaf):
    """Publish one message built by ``message_factory`` and succeed.

    Args:
        message_factory: builds the message at each run (reads ports); a
            ``ValueError``/``KeyError``/``LookupError`` fails with INVALID_INPUT.
    """

    def __init__(self, name: str, msg_type, topic: str, message_factory: Callable[[], Any], *,
                 qos=None, node_type: str = ''):
        super().__init__(name, node_type=node_type)
        self.msg_type = msg_type
        self.topic = topic
        self.message_factory = message_factory
        self.qos = qos if qos is not None else QoSProfile(depth=10)
        self._publisher = None

    def connect(self, node) -> None:
        """Create the publisher."""
        self._publisher = self.own(node.create_publisher(self.msg_type, self.topic, self.qos),
                                   node.destroy_publisher)

    def update(self) -> Status:
        """Build and publish; never waits."""
        try:
            message = self.message_factory()
        except INPUT_ERRORS as exc:
            return self.fail(FailureCode.INVALID_INPUT,
                             f'cannot build the message for {self.topic}: {exc}')
        self._publisher.publish(message)
        self.feedback_message = f'published on {self.topic}'
        return Status.SUCCESS

"""Incompatible QoS and type warnings from the ROS graph, not from a waitable per endpoint.

rclpy (Jazzy) gives every publisher and subscription two QoS event handlers
unless told otherwise: "incompatible QoS" and "incompatible type". Both only
log a warning. Each is a waitable, and the default executor walks every
waitable in Python on every pass (counts it, adds it to a new wait set, asks
whether it is ready): about 15 µs per handler per wake on these machines, so
0.6 ms per wake for a node with 20 endpoints, whatever woke it
(``bench/qos_events_cost.py``). Most of our nodes wake 100-200 times per sim
second for the clock, their timers and their messages.

:class:`QuietEvents`, mixed into a node class, creates endpoints without
those two handlers (callbacks the caller passes are kept), and its
:class:`QosWatch` looks for the same two problems in the ROS graph every
:data:`WATCH_PERIOD_S` seconds of steady time instead: for each of the node's
topics, every endpoint of another node on the other side whose QoS cannot
match (``rclpy.qos.qos_check_compatible`` says ERROR) or whose type differs. It
warns once per (topic, endpoint), naming the topic, the other node and the
reason, at most a period after the endpoint appeared.

A look first counts each topic's publishers and subscriptions, and reads the
endpoints (their QoS, types and nodes) only for a topic whose counts changed
since its last read: about 2 ms of a node's executor for 9 topics with every
endpoint read, 0.15 ms counting (docs/performance.md, "Imports and idle
work"). An endpoint that replaces another between two looks leaves the counts
as they were; every :data:`FULL_LOOK_EVERY` looks read all topics, so it is
found within ``FULL_LOOK_EVERY * WATCH_PERIOD_S`` seconds.
"""
from typing import Dict, Iterable, Set, Tuple

from rclpy.clock import Clock, ClockType
from rclpy.event_handler import PublisherEventCallbacks, SubscriptionEventCallbacks
from rclpy.qos import QoSCompatibility, qos_check_compatible
from rclpy.topic_endpoint_info import TopicEndpointTypeEnum

WATCH_PERIOD_S = 2.0
FULL_LOOK_EVERY = 15  # looks: every topic's endpoints are read at least every 30 s


def problems(topic: str, ours, others) -> Iterable[Tuple[tuple, str]]:
    """Yield (endpoint key, warning) for each endpoint of ``others`` that cannot match ``ours``.

    Both are the graph's TopicEndpointInfo of ``topic``: ``ours`` one of this
    node's endpoints, ``others`` those of the other side (subscriptions for a
    publisher of ours, publishers for a subscription), from other nodes. The
    graph's QoS on both sides: a requested profile leaves some policies to the
    middleware, which the graph reports resolved.
    """
    ours_is_publisher = ours.endpoint_type == TopicEndpointTypeEnum.PUBLISHER
    for other in others:
        key = (topic, tuple(other.endpoint_gid))
        where = f"{other.node_namespace.rstrip('/')}/{other.node_name}"
        if other.topic_type != ours.topic_type:
            yield key, (f"incompatible type on topic '{topic}': {where} has "
                        f'{other.topic_type}, this node {ours.topic_type}; no messages pass')
            continue
        pub, sub = (ours, other) if ours_is_publisher else (other, ours)
        compatibility, reason = qos_check_compatible(pub.qos_profile, sub.qos_profile)
        if compatibility == QoSCompatibility.ERROR:
            side = 'subscription' if ours_is_publisher else 'publisher'
            why = reason.strip().removeprefix('ERROR:').strip().rstrip(';')
            yield key, (f"incompatible QoS on topic '{topic}' with the {side} of {where}: "
                        f'{why}; no messages pass')


class QosWatch:
    """Warn about a node's topics whose other side cannot match, from the ROS graph."""

    def __init__(self, node, period_s: float = WATCH_PERIOD_S):
        self.node = node
        self.warned: Set[tuple] = set()
        self.reads = 0  # topics whose endpoints were read, over all looks
        self._counts: Dict[str, Tuple[int, int]] = {}  # topic -> counts at its last read
        self._looks = 0
        self._timer = node.create_timer(period_s, self.check,
                                        clock=Clock(clock_type=ClockType.STEADY_TIME))

    def check(self) -> None:
        """Look at the graph once; warn about each new endpoint that cannot match.

        Reads the endpoints of each topic whose counts changed since its last
        read, and of every topic on each ``FULL_LOOK_EVERY``-th look (the first
        one included).
        """
        node = self.node
        me = (node.get_name(), node.get_namespace())
        topics = set()
        for endpoint in list(node.publishers) + list(node.subscriptions):
            try:
                topics.add(endpoint.topic_name)
            except Exception:  # noqa: BLE001 - destroyed meanwhile
                continue
        full = self._looks % FULL_LOOK_EVERY == 0
        self._looks += 1
        for topic in sorted(topics):
            try:
                counts = (node.count_publishers(topic), node.count_subscribers(topic))
                if not full and self._counts.get(topic) == counts:
                    continue  # the same endpoints as at the last read, most likely
                self._counts[topic] = counts
                self.reads += 1
                publishers = node.get_publishers_info_by_topic(topic)
                subscriptions = node.get_subscriptions_info_by_topic(topic)
            except Exception:  # noqa: BLE001 - the node or the context is going away
                return
            for mine, theirs in ((publishers, subscriptions), (subscriptions, publishers)):
                ours = [e for e in mine if (e.node_name, e.node_namespace) == me]
                if not ours:
                    continue
                others = [e for e in theirs if (e.node_name, e.node_namespace) != me]
                for endpoint, text in problems(topic, ours[0], others):
                    if endpoint not in self.warned:
                        self.warned.add(endpoint)
                        node.get_logger().warning(text)


def quiet_publisher(kwargs: dict) -> dict:
    """Return ``create_publisher``'s keyword arguments, without default event handlers."""
    if kwargs.get('event_callbacks') is None:
        kwargs = dict(kwargs, event_callbacks=PublisherEventCallbacks(use_default_callbacks=False))
    return kwargs


def quiet_subscription(kwargs: dict) -> dict:
    """Return ``create_subscription``'s keyword arguments, without default event handlers."""
    if kwargs.get('event_callbacks') is None:
        kwargs = dict(kwargs,
                      event_callbacks=SubscriptionEventCallbacks(use_default_callbacks=False))
    return kwargs


class QuietEvents:
    """Node mixin: endpoints without rclpy's default QoS event handlers, and a QosWatch.

    Put it before the rclpy node class: ``class MyNode(QuietEvents, Node)``.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.qos_watch = QosWatch(self)

    def create_publisher(self, *args, **kwargs):
        """Create a publisher as rclpy does, without the default event handlers."""
        return super().create_publisher(*args, **quiet_publisher(kwargs))

    def create_subscription(self, *args, **kwargs):
        """Create a subscription as rclpy does, without the default event handlers."""
        return super().create_subscription(*args, **quiet_subscription(kwargs))

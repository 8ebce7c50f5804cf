"""Who is on the other end of an action, from the ROS graph (issue 12).

- :func:`server_node_of`: the node that serves an action, to name it in a
  failure ("controller_server died").
- :class:`OrphanWatch`: an action server's goals whose client left the graph
  are ended by the server (``on_orphan``), so no orphaned goal drives the robot.
  The server's own node is never counted as a client (a goal it sent itself
  is never orphaned).
  A goal's clients are the endpoints (GIDs) subscribed to the action's status
  topic when the watch first saw the goal; the goal is orphaned when none of
  them is left. A GID is one process's endpoint: a client that is killed and
  respawned under the same node name is a new client. Under load nothing
  changes in the graph, so there are no false alarms; how fast a killed
  process leaves the graph is the DDS participant lease (config/fastdds.xml,
  sourced by env.sh: 1 s).
- **Exit reports** make that faster where a parent process sees its children:
  ``orchestrator run`` (its runner) publishes a ``diagnostic_msgs/DiagnosticArray``
  on ``/diagnostics`` the moment a node process exits (:func:`exit_report`: level
  ERROR, name = the node's full name, values ``event: exited`` and ``code``).
  :class:`OrphanWatch` then ends that node's goals at once, and base_driver
  (:func:`subscribe_exit_reports`) drops the commands of a publisher that exited,
  instead of waiting for the lease or its own timeout. ``/diagnostics`` is where
  ROS tools (rqt_robot_monitor, Foxglove) already look. Under ``ros2 launch``
  nobody publishes them, and the lease applies.
"""
from typing import Callable, Dict, List, Optional

from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
import rclpy.action.graph
from rclpy.clock import Clock, ClockType
from rclpy.qos import QoSProfile, ReliabilityPolicy

from orchestrator_pkg.ros_edge import guard

WATCH_PERIOD_S = 0.1  # steady time between two looks at the graph
DIAGNOSTICS_TOPIC = '/diagnostics'
EXIT_QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
EXITED = 'exited'


def full_node_name(namespace: str, name: str) -> str:
    """``/ns/name`` (``/name`` in the root namespace)."""
    return f'{namespace.rstrip("/")}/{name}' if namespace.strip('/') else f'/{name}'


def exit_report(full_name: str, code: int, stamp=None) -> DiagnosticArray:
    """Return the ``/diagnostics`` message saying that node ``full_name``'s process exited."""
    status = DiagnosticStatus(
        level=DiagnosticStatus.ERROR, name=full_name, hardware_id='process',
        message=f'exited with code {code}',
        values=[KeyValue(key='event', value=EXITED), KeyValue(key='code', value=str(code))])
    msg = DiagnosticArray(status=[status])
    if stamp is not None:
        msg.header.stamp = stamp
    return msg


def exited_nodes(msg: DiagnosticArray) -> List[str]:
    """Full names of the nodes an exit report names (other diagnostics are ignored)."""
    return [s.name for s in msg.status
            if s.name.startswith('/') and any(v.key == 'event' and v.value == EXITED
                                              for v in s.values)]


def subscribe_exit_reports(node, callback: Callable[[List[str]], None]):
    """Call ``callback(full_names)`` on each exit report on ``/diagnostics``."""

    def on_diagnostics(msg):
        names = exited_nodes(msg)
        if names:
            callback(names)
    return guard.subscribe(node, DiagnosticArray, DIAGNOSTICS_TOPIC, on_diagnostics, EXIT_QOS,
                           check_finite=False)


def publisher_nodes(node, topic: str) -> List[str]:
    """Full names of the nodes publishing ``topic`` (resolved against ``node``)."""
    resolved = node.resolve_topic_name(topic)
    return [full_node_name(info.node_namespace, info.node_name)
            for info in node.get_publishers_info_by_topic(resolved)]


def full_action_name(node, action_name: str) -> str:
    """``action_name`` resolved against the node's namespace."""
    if action_name.startswith('/'):
        return action_name
    return f'{node.get_namespace().rstrip("/")}/{action_name}'


def server_node_of(node, action_name: str) -> str:
    """Name of the node that serves ``action_name``, or '' when none is in the graph."""
    full = full_action_name(node, action_name)
    for name, namespace in node.get_node_names_and_namespaces():
        try:
            served = rclpy.action.graph.get_action_server_names_and_types_by_node(
                node, name, namespace)
        except Exception:  # noqa: BLE001 -- a node that left between the two calls
            continue
        if any(n == full for n, _ in served):
            return name
    return ''


def client_endpoints(node, action_name: str) -> Dict[bytes, str]:
    """GID -> full node name of the action clients of ``action_name`` (its status topic).

    The server's own node is left out: a node that sends goals to itself (the
    navigator's ``goal_pose``) would otherwise keep every goal's clients alive.
    """
    topic = full_action_name(node, action_name) + '/_action/status'
    me = (node.get_name(), node.get_namespace())
    return {bytes(info.endpoint_gid): full_node_name(info.node_namespace, info.node_name)
            for info in node.get_subscriptions_info_by_topic(topic)
            if (info.node_name, info.node_namespace) != me}


def client_gids(node, action_name: str) -> set:
    """GIDs of the action clients of ``action_name`` (see :func:`client_endpoints`)."""
    return set(client_endpoints(node, action_name))


def goal_clients(known: set, now: set) -> Optional[set]:
    """Return a goal's clients after one look at the graph (``now``); None when all have left.

    ``known`` are the client GIDs remembered for the goal (empty before its
    first look). The first look's clients are the goal's. A client found later,
    while one of the goal's is still there, is the goal's too: a client made
    just before its goal (bt_navigator makes its follow_path client per
    navigation) may reach the server's graph after the goal, and a newly
    respawned server discovers the graph over a while. Without it, a goal
    whose first look held only an older client (one about to be retired) was
    taken for orphaned when that one left (test_faults, a respawned
    controller_server aborted bt_navigator's live goal).
    """
    if not known:
        return set(now)
    if known.isdisjoint(now):
        return None
    return known | now


class OrphanWatch:
    """Ends the goals of ``action_name`` whose clients all left the graph.

    Args:
        node: the server's node.
        action_name: the action it serves.
        active_handles: returns the goal handles in progress (a list, maybe empty).
        on_orphan: ``on_orphan(handle, message)`` ends one orphaned goal (abort and stop).
    """

    def __init__(self, node, action_name: str, active_handles, on_orphan):
        self._node = node
        self._action = action_name
        self._active = active_handles
        self._on_orphan = on_orphan
        self._clients = {}  # goal id bytes -> GIDs of the clients when first seen
        self._dead: set = set()  # GIDs of clients whose process exited (exit reports)
        self._timer = node.create_timer(WATCH_PERIOD_S, self._check,
                                        clock=Clock(clock_type=ClockType.STEADY_TIME))
        self._exits = subscribe_exit_reports(node, self._on_exits)

    def _on_exits(self, names: List[str]) -> None:
        """Clients of these nodes are gone now, though the graph still lists them."""
        try:
            endpoints = client_endpoints(self._node, self._action)
        except Exception:  # noqa: BLE001 -- the context is going away
            return
        gone = {gid for gid, name in endpoints.items() if name in names}
        if gone:
            self._dead |= gone
            self._check()

    def _check(self) -> None:
        handles = [h for h in self._active() if h is not None]
        if not handles:
            self._clients.clear()
            return
        try:
            now = client_gids(self._node, self._action)
        except Exception:  # noqa: BLE001 -- the context is going away
            return
        self._dead &= now  # a dead endpoint leaves the graph with its lease
        now -= self._dead
        live = set()
        for handle in handles:
            key = bytes(handle.goal_id.uuid)
            live.add(key)
            clients = goal_clients(self._clients.get(key, set()), now)
            if clients is None:
                self._clients.pop(key, None)
                self._on_orphan(handle, f'the client of this {self._action} goal left the '
                                        'ROS graph (its node died or was stopped)')
            else:
                self._clients[key] = clients
        for key in list(self._clients):
            if key not in live:
                del self._clients[key]

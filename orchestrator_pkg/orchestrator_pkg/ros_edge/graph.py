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
"""
import rclpy.action.graph
from rclpy.clock import Clock, ClockType

WATCH_PERIOD_S = 0.1  # steady time between two looks at the graph


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


def client_gids(node, action_name: str) -> set:
    """GIDs of the action clients of ``action_name`` (its status topic's subscribers).

    The server's own node is left out: a node that sends goals to itself (the
    navigator's ``goal_pose``) would otherwise keep every goal's clients alive.
    """
    topic = full_action_name(node, action_name) + '/_action/status'
    me = (node.get_name(), node.get_namespace())
    return {bytes(info.endpoint_gid) for info in node.get_subscriptions_info_by_topic(topic)
            if (info.node_name, info.node_namespace) != me}


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
        self._timer = node.create_timer(WATCH_PERIOD_S, self._check,
                                        clock=Clock(clock_type=ClockType.STEADY_TIME))

    def _check(self) -> None:
        handles = [h for h in self._active() if h is not None]
        if not handles:
            self._clients.clear()
            return
        try:
            now = client_gids(self._node, self._action)
        except Exception:  # noqa: BLE001 -- the context is going away
            return
        live = set()
        for handle in handles:
            key = bytes(handle.goal_id.uuid)
            live.add(key)
            known = self._clients.get(key)
            if not known:  # not seen yet, or its client not discovered yet
                self._clients[key] = set(now)
                continue
            if known.isdisjoint(now):
                self._clients.pop(key, None)
                self._on_orphan(handle, f'the client of this {self._action} goal left the '
                                        'ROS graph (its node died or was stopped)')
        for key in list(self._clients):
            if key not in live:
                del self._clients[key]

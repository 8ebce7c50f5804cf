"""A generic, non-blocking action-client behaviour.

The behaviour sends its goal in ``initialise``, polls the goal and result
futures in ``update`` and cancels an outstanding goal in ``terminate`` when
it is halted (RUNNING → INVALID). Nothing in it waits: every future is
completed by the executor that spins the node between ticks, and every wait
(server discovery, goal acceptance) has a timeout on the behaviour's clock,
which is the node's ROS clock unless one is given. How long it waits for the
server is :class:`~orchestrator_pkg.ros_edge.leaf.RosLeaf`'s server wait.

ROS interface
-------------
Actions (client)
    ``action_name`` of type ``action_type``.
"""
import threading
import time
from typing import Any, Callable, Optional

from action_msgs.msg import GoalStatus
from py_trees.common import Status

from orchestrator_pkg.behaviours.ros.feedback_text import describe_feedback
from orchestrator_pkg.ros_edge.graph import server_node_of
from orchestrator_pkg.ros_edge.leaf import INPUT_ERRORS, RosLeaf
from orchestrator_pkg.ros_edge.lifecycle import navigation_stack
from orchestrator_pkg.ros_edge.results import ResultRequest
from orchestrator_pkg.trees.failure import FailureCode

# a server whose action has been gone from the graph this long (wall time) with a
# goal in flight died: the graph can flicker while a busy executor re-announces
SERVER_GONE_GRACE_S = 0.3
# how often (wall time) a goal in flight looks its server up on the graph: a look
# costs 0.15-0.2 ms in the demo's graph (3 µs in a graph of two nodes), about a third
# of a waiting tree's tick, so it is not made once per tick at any tick rate
SERVER_LOOK_S = 0.1
# how long (leaf clock) a goal waits for a navigation stack that is down to come
# back: its manager brings it up again when a respawned node returns (within its
# bond_respawn_max_duration, 10 s, plus the transitions)
STACK_WAIT_S = 30.0


class ActionClientBehaviour(RosLeaf):
    """Send a goal, wait for its result, cancel it when halted.

    Args:
        name: instance name.
        action_type: the generated action class, e.g. ``nav2_msgs.action.Spin``.
        action_name: the server's name, resolved against the node's namespace.
        goal_factory: builds the goal at ``initialise`` (reads ports); may raise
            ``ValueError``/``KeyError``/``LookupError`` for bad input, which fails
            the behaviour with code INVALID_INPUT.
        on_result: ``on_result(result, status)`` for every final result
            (writes output ports such as ``error_code_id``).
        on_feedback: ``on_feedback(feedback)`` for each feedback message.
        server_wait_timeout_s: how long to wait for the server to appear (s);
            None: the node's ``server_wait_timeout_s`` (see RosLeaf).
        goal_response_timeout_s: how long to wait for the goal to be accepted.
        result_timeout_s: how long an accepted goal may take to give a result
            (None: no limit). A server that dies with a goal in flight never
            answers; on expiry the goal is canceled, ``on_result_timeout`` runs,
            and the behaviour fails with TIMEOUT.
        resend_on_goal_change: rebuild the goal on every tick while running and
            send it again when it changed, leaving the server to preempt the old
            goal (Nav2's FollowPath does this when the path is replanned).
        wait_for_stack: the server is part of the navigation stack: send no goal
            while ``lifecycle_manager_navigation`` says the stack is down (a
            managed node died and is being brought back); wait up to
            :data:`STACK_WAIT_S` instead (a respawned server is inactive and
            would refuse the goal).
        node_type: registered node type, for failure reasons.
        clock: an engine clock (``now()`` in seconds); default the node's clock.
    """

    def __init__(self, name: str, action_type, action_name: str,
                 goal_factory: Callable[[], Any], *,
                 on_result: Optional[Callable[[Any, int], None]] = None,
                 on_feedback: Optional[Callable[[Any], None]] = None,
                 server_wait_timeout_s: Optional[float] = None,
                 goal_response_timeout_s: float = 1.0,
                 resend_on_goal_change: bool = False,
                 result_timeout_s: Optional[float] = None,
                 on_result_timeout: Optional[Callable[[], None]] = None,
                 wait_for_stack: bool = False, node_type: str = '', clock=None):
        super().__init__(name, node_type=node_type, clock=clock,
                         server_wait_timeout_s=server_wait_timeout_s)
        self.action_type = action_type
        self.action_name = action_name
        self.goal_factory = goal_factory
        self.on_result = on_result
        self.on_feedback = on_feedback
        self.goal_response_timeout_s = float(goal_response_timeout_s)
        self.resend_on_goal_change = resend_on_goal_change
        self.result_timeout_s = None if result_timeout_s is None else float(result_timeout_s)
        self.on_result_timeout = on_result_timeout
        self.wait_for_stack = wait_for_stack
        self._stack = None
        self.interface = _interface_name(action_type)
        self._server_node = ''  # the node serving the action, once known (for failures)
        self._gone_since = None
        self._next_lookup = 0.0
        self._client = None
        self._lock = threading.Lock()
        self._feedback = None
        self.result_asked_again = 0  # results asked for again (a lost reply, ros_edge.results)
        self._reset()

    # -- lifecycle -----------------------------------------------------------
    def connect(self, node) -> None:
        """Take the node's action client for the action (shared with the node's other leaves)."""
        self._client = self.shared_client(node, 'action', self.action_type, self.action_name)
        if self.wait_for_stack:
            self._stack = navigation_stack(node)

    def initialise(self) -> None:
        """Reset, build the goal and send it if the server is there."""
        super().initialise()
        self._reset()
        try:
            self._goal = self.goal_factory()
        except INPUT_ERRORS as exc:
            self.fail(FailureCode.INVALID_INPUT, f'cannot build the goal: {exc}')
            return
        if self._wait_to_send() is None:
            self._send(self._goal)

    def update(self) -> Status:
        """Advance the goal's state machine by looking at its futures; never waits."""
        if self.failure is not None:
            return Status.FAILURE
        now = self.clock.now()
        if self._state == 'waiting_server':
            waiting = self._wait_to_send()
            if waiting is not None:
                return waiting
            self._send(self._goal)
        if self._state in ('sent', 'active'):
            died = self._server_died()
            if died is not None:
                return died
        if self._state == 'sent':
            if not self._send_future.done():
                if now - self._sent_at > self.goal_response_timeout_s:
                    return self.fail(
                        FailureCode.TIMEOUT, f'{self._server_label()} did not answer the '
                        f'{self.action_name} goal within {self.goal_response_timeout_s:g} s')
                return Status.RUNNING
            handle = self._send_future.result()
            if handle is None or not handle.accepted:
                return self.fail(FailureCode.GOAL_REJECTED,
                                  f'{self._full_name()} rejected the goal')
            self._handle = handle
            self._result = ResultRequest(handle, self._on_ask_again)
            self._state = 'active'
            self._accepted_at = now
            self.feedback_message = 'goal accepted, waiting for result'
        if self._state == 'active':
            if self._result.done():
                return self._finish(self._result.response())
            if self.result_timeout_s is not None and \
                    now - self._accepted_at > self.result_timeout_s:
                self._cancel_outstanding()
                if self.on_result_timeout is not None:
                    self.on_result_timeout()
                return self.fail(
                    FailureCode.TIMEOUT, f'{self._server_label()} did not answer within '
                    f'{self.result_timeout_s:g} s ({self.action_name} goal accepted, no result)')
            with self._lock:
                feedback, self._feedback = self._feedback, None
            if feedback is not None:
                text = describe_feedback(feedback)
                if text:  # the server's progress, for the mission's feedback and viewers
                    self.feedback_message = f'running: {text}'
                if self.on_feedback is not None:
                    self.on_feedback(feedback)
            if self.resend_on_goal_change:
                self._resend_if_changed()
            return Status.RUNNING
        return Status.RUNNING

    def terminate(self, new_status: Status) -> None:
        """Cancel the outstanding goal when halted (RUNNING → INVALID)."""
        super().terminate(new_status)
        if new_status != Status.INVALID:
            return
        self._cancel_outstanding()
        self._reset()

    # -- helpers -------------------------------------------------------------
    def _wait_to_send(self) -> Optional[Status]:
        """None once the goal can go; RUNNING while waiting; FAILURE after the wait."""
        waiting = self.server_wait(self._client.server_is_ready(),
                                   f'action server {self._full_name()}')
        if waiting is not None or self._stack is None:
            return waiting
        down = self._stack.down()
        if down is None:
            return None
        limit = max(STACK_WAIT_S, self.server_wait_timeout_s or 0.0)
        if self.timed_out(limit):
            return self.fail(FailureCode.SERVER_UNAVAILABLE,
                             f'the navigation stack did not come back within '
                             f'{limit:g} s ({down}); no {self.action_name} goal sent')
        self.feedback_message = f'waiting for the navigation stack: {down}'
        return Status.RUNNING

    @property
    def goal_in_flight(self) -> bool:
        """Whether a goal was sent and has no result yet (a failed run has none)."""
        return self.failure is None and self._state in ('sent', 'active')

    def _server_label(self) -> str:
        return self._server_node or f'the {self._full_name()} server'

    def _server_died(self) -> Optional[Status]:
        """FAILURE (SERVER_DIED) once the server of the goal in flight left the graph.

        Looks at the graph at most every ``SERVER_LOOK_S``: a server gone is
        told within ``SERVER_GONE_GRACE_S`` plus that.
        """
        now = time.monotonic()
        if now < self._next_look:
            return None
        self._next_look = now + SERVER_LOOK_S
        if self._client.server_is_ready():
            self._gone_since = None
            if not self._server_node and now >= self._next_lookup:
                # node names arrive after the endpoints: look again now and then
                self._next_lookup = now + 0.5
                self._server_node = server_node_of(self.node, self.action_name)
            return None
        if self._gone_since is None:
            self._gone_since = now
        if now - self._gone_since < SERVER_GONE_GRACE_S:
            return None
        self._state = 'done'  # nothing to cancel: the server is gone
        return self.fail(FailureCode.SERVER_DIED,
                         f'{self._server_label()} died: its {self._full_name()} action server '
                         'left the ROS graph with the goal in flight')

    def _on_ask_again(self, status: int) -> None:
        """Count and say it: the goal ended (status topic) but its result did not come."""
        self.result_asked_again += 1
        self.node.get_logger().warning(
            f'{self.name}: {self._full_name()} ended the goal (status {status}) but its '
            'result did not come: asking again')

    def _reset(self):
        self._gone_since = None
        self._next_look = 0.0  # when the goal in flight next looks its server up
        self._state = 'waiting_server'
        self._goal = None
        self._send_future = None
        self._handle = None
        self._result = None
        self._sent_at = 0.0
        self._accepted_at = 0.0

    def _full_name(self) -> str:
        if self.node is None or self.action_name.startswith('/'):
            return self.action_name
        ns = self.node.get_namespace().rstrip('/')
        return f'{ns}/{self.action_name}'

    def _send(self, goal):
        self._send_future = self._client.send_goal_async(goal, feedback_callback=self._on_feedback)
        self._sent_at = self.clock.now()
        self._state = 'sent'
        self.feedback_message = 'goal sent, waiting for acceptance'

    def _on_feedback(self, message):
        with self._lock:
            self._feedback = message.feedback

    def _resend_if_changed(self):
        try:
            goal = self.goal_factory()
        except INPUT_ERRORS:
            return
        changed = goal != self._goal
        # kept also when equal (new objects, e.g. a replan that gave the same path), so
        # that the next ticks compare an object with itself, not every pose of the path
        self._goal = goal
        if changed:
            # As Nav2's BtActionNode: send the new goal and let the server preempt
            # the old one (no cancel, so the robot does not stop in between).
            self._send(goal)
            self.feedback_message = 'goal changed, sent again'

    def _cancel_outstanding(self):
        if self.failure is not None:  # failed: nothing of this run is outstanding
            return
        if self._state == 'active' and self._handle is not None:
            if not self._result.future.done():
                self._handle.cancel_goal_async()
        elif self._state == 'sent' and self._send_future is not None:
            # Not accepted yet: cancel it as soon as (if) it is accepted.
            def cancel_when_accepted(future):
                handle = future.result()
                if handle is not None and handle.accepted:
                    handle.cancel_goal_async()
            self._send_future.add_done_callback(cancel_when_accepted)

    def _finish(self, response) -> Status:
        status, result = response.status, response.result
        self._state = 'done'
        if self.on_result is not None:
            try:
                self.on_result(result, status)
            except INPUT_ERRORS as exc:
                return self.fail(FailureCode.INVALID_INPUT, f'cannot store the result: {exc}')
        code = int(getattr(result, 'error_code', 0) or 0)
        text = str(getattr(result, 'error_msg', '') or '')
        if status == GoalStatus.STATUS_SUCCEEDED:
            self.feedback_message = 'succeeded'
            return Status.SUCCESS
        if status == GoalStatus.STATUS_CANCELED:
            return self.fail(FailureCode.CANCELED, f'{self._full_name()} canceled the goal',
                             leaf_error_code=code, leaf_interface=self.interface if code else '')
        detail = f': error_code {code}' + (f' ({text})' if text else '') if code or text else ''
        return self.fail(FailureCode.ACTION_FAILED,
                         f'{self._full_name()} aborted the goal{detail}',
                         leaf_error_code=code, leaf_interface=self.interface if code else '')


def _interface_name(action_type) -> str:
    """``nav2_msgs/action/Spin`` for the class ``nav2_msgs.action.Spin``."""
    module = getattr(action_type, '__module__', '')
    package = module.split('.')[0] if module else '?'
    return f'{package}/action/{getattr(action_type, "__name__", "?")}'

"""The one tree-running action server of the orchestrator and the navigator.

In the manner of Nav2's ``BtActionServer<ActionT>``: a node owns a
:class:`TreeHost` and serves its actions through it, each a :class:`TreeAction`
with hooks: ``on_goal(request)`` loads a tree (a MissionRunner) or raises
:class:`GoalRejected`; ``on_loop(runner)`` builds the feedback after a tick
that left the tree RUNNING; ``on_preempt(request, runner, action)`` says
whether a goal arriving while a tree runs continues that tree (True) or
restarts (False; no hook: the goal is refused); ``on_completion(ending)``
builds the result of a goal that ended (:class:`Ending`). One tree runs at a
time. The host owns the rest: the tick timer on the ROS clock, status changes
and snapshots, cancel, pause/resume, retiring finished trees and halting in
``destroy_node``. Acceptance and preemption are decided under one lock in the
goal callbacks; a goal's result is set once and its execute callback only
awaits it, so no callback blocks and no result is lost (docs/orchestrator.md).
"""
from dataclasses import dataclass
import threading
from typing import Callable, Optional

from nav2_msgs.msg import BehaviorTreeLog, BehaviorTreeStatusChange
from py_trees.common import Status
from rclpy.action import ActionServer, CancelResponse, GoalResponse
import rclpy.task
from std_srvs.srv import Trigger

from orchestrator_interfaces.msg import (
    BehaviourStatus,
    BehaviourStatusChange,
    BehaviourStatusChanges,
    BehaviourTreeSnapshot,
    FailureReason,
)
from orchestrator_pkg.nodes import groot2_monitor
from orchestrator_pkg.ros_edge import guard, params
from orchestrator_pkg.ros_edge.clock import RosClock
from orchestrator_pkg.ros_edge.graph import OrphanWatch
from orchestrator_pkg.ros_edge.leaf import (
    DEFAULT_SERVER_WAIT_S,
    SERVER_WAIT_PARAMETER,
    release_shared_clients,
)
from orchestrator_pkg.ros_edge.params import Spec
from orchestrator_pkg.ros_edge.qos import LATCHED_QOS, STATUS_CHANGES_QOS
from orchestrator_pkg.trees import groot2
from orchestrator_pkg.trees.runner import DEFAULT_MAX_VISITS_PER_TICK, MissionRunner

# Keep a finished tree alive this long before its shutdown() (its subscriptions and
# publishers): what it sent in its last tick goes out first. Its leaves' action and
# service clients are shared with the node's other trees (ros_edge.leaf.shared_client):
# the last tree that uses one destroys it.
RETIRE_AFTER_S = 2.0
SPECS = {
    'tick_rate_hz': Spec(100.0, 'How often the tree is ticked, on the ROS clock (Hz).',
                         0.1, 1000.0),
    SERVER_WAIT_PARAMETER: Spec(DEFAULT_SERVER_WAIT_S, 'How long ROS leaves wait for their '
                                'action/service server to appear (s).', 0.0, 600.0),
    'publish_snapshots': Spec(True, 'Publish a BehaviourTreeSnapshot on ~/snapshot (see '
                              'snapshot_period_s).'),
    'snapshot_period_s': Spec(1.0, 'A snapshot is published after every tick that changed '
                              'the tree (a status, a feedback message or the behaviours '
                              'ticked), after the last, and otherwise at least this often '
                              '(s, ROS clock); 0: after every tick.', 0.0, 3600.0),
    'feedback_period_s': Spec(0.05, "The action's feedback is published after every tick that "
                              'changed the tree (as for snapshots), and otherwise at most '
                              'this often (s, ROS clock); 0: after every tick.', 0.0, 3600.0),
    'groot2_port': Spec(0, 'Groot2 monitor: serve the running tree to Groot2 (its ZeroMQ '
                        'protocol, read-only: no breakpoints) on this TCP port and the next; '
                        '0 turns it off.', 0, 65534),
    'groot2_address': Spec('*', 'Groot2 monitor: the interface to serve on: * (every '
                           'interface, as BehaviorTree.CPP binds) or one address of this '
                           'machine, e.g. 127.0.0.1 for local clients only.'),
    'max_node_visits_per_tick': Spec(DEFAULT_MAX_VISITS_PER_TICK, 'Tick budget: a tick that '
                                     'visits more behaviours than this (a node type that loops '
                                     'without yielding) halts the tree, which fails with '
                                     'TICK_BUDGET_EXCEEDED.', 100, 10_000_000),
}
SUCCEEDED, FAILED, CANCELED, REJECTED, PREEMPTED = (
    'SUCCEEDED', 'FAILED', 'CANCELED', 'REJECTED', 'PREEMPTED')
_STATUS = {Status.INVALID: BehaviourStatus.INVALID, Status.RUNNING: BehaviourStatus.RUNNING,
           Status.SUCCESS: BehaviourStatus.SUCCESS, Status.FAILURE: BehaviourStatus.FAILURE}
# BehaviorTree.CPP's names of the statuses (nav2_msgs/BehaviorTreeStatusChange)
_BT_STATUS = {Status.INVALID: 'IDLE', Status.RUNNING: 'RUNNING', Status.SUCCESS: 'SUCCESS',
              Status.FAILURE: 'FAILURE'}


class GoalRejected(Exception):
    """A goal whose tree cannot start; ``code`` is the action's own error code."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


@dataclass
class Ending:
    """How a goal ended (``state``), its tree (None if REJECTED) and why."""

    state: str  # SUCCEEDED, FAILED, CANCELED, REJECTED or PREEMPTED
    runner: Optional[MissionRunner] = None
    code: int = 0  # REJECTED: GoalRejected's code
    message: str = ''  # REJECTED: the reason; PREEMPTED: by what
    cancel_ticks: int = 0  # CANCELED: ticks from the cancel request to the goal's end


@dataclass
class TreeAction:
    """One action served by running a tree, and its hooks (see the module docstring)."""

    action_type: type
    name: str
    on_goal: Callable
    on_loop: Callable
    on_completion: Callable
    on_preempt: Optional[Callable] = None


class _Goal:
    """One accepted goal: its handle, its tree and its (state, Result), set once."""

    def __init__(self, action: TreeAction, handle):
        self.action, self.handle = action, handle
        self.runner = None
        self.cancel_tick = None
        self.halted = False  # halted by the cancel callback; ended by the next tick
        self.orphaned = ''  # why the goal is ended for its client's sake (OrphanWatch)
        self.result = rclpy.task.Future()

    def finish(self, state: str, result) -> None:
        if not self.result.done():
            self.result.set_result((state, result))


def due(now: float, last: Optional[float], period_s: float) -> bool:
    """Tell whether something last done at ``last`` (None: never) is due again at ``now``.

    A clock that went back (a sim restarted under the node) makes it due at once,
    not after the clock has passed ``last`` again.
    """
    return last is None or now < last or now - last >= period_s


def snapshot_msg(runner: MissionRunner, stamp) -> BehaviourTreeSnapshot:
    """Return the BehaviourTreeSnapshot of a runner after its last tick."""
    message = BehaviourTreeSnapshot(mission=runner.mission, tree_id=runner.built.tree_id,
                                    tick=runner.ticks)
    message.header.stamp = stamp
    rows = runner.snapshot()
    message.behaviours = [BehaviourStatus(
        id=row.id, parent_id=row.parent_id, name=row.name, type=row.type, path=row.path,
        status=_STATUS[row.status], feedback_message=row.feedback[:200]) for row in rows]
    message.visited = [row.id for row in rows if row.visited]
    return message


def changes_msg(runner: MissionRunner, changes, stamp) -> BehaviourStatusChanges:
    """Return the BehaviourStatusChanges message of a runner's StatusChange list."""
    message = BehaviourStatusChanges(mission=runner.mission, tree_id=runner.built.tree_id,
                                     tick=runner.ticks)
    message.header.stamp = stamp
    message.changes = [BehaviourStatusChange(
        id=c.id, path=c.path, type=c.type, previous_status=_STATUS[c.previous],
        status=_STATUS[c.status], feedback_message=c.feedback[:500],
        failure_message=c.failure[:1000]) for c in changes]
    return message


def tree_log_msg(changes, stamp):
    """Return Nav2's ``nav2_msgs/BehaviorTreeLog`` of a tick's StatusChange list.

    As Nav2's bt_navigator logs a tick: one BehaviorTreeStatusChange per
    transition, the node's instance name (its ``name``, else its type), the
    statuses as BehaviorTree.CPP names them (INVALID is IDLE) and ``uid`` the
    node's depth-first index in the tree plus one (the root is 1).
    """
    return BehaviorTreeLog(timestamp=stamp, event_log=[BehaviorTreeStatusChange(
        timestamp=stamp, node_name=c.path.rsplit('/', 1)[-1], uid=groot2.uid_of(c.id),
        previous_status=_BT_STATUS[c.previous], current_status=_BT_STATUS[c.status])
        for c in changes])


def failure_msg(failure) -> FailureReason:
    """Convert a pure :class:`~orchestrator_pkg.trees.failure.Failure` into a FailureReason."""
    return FailureReason(code=int(failure.code), node_path=failure.node_path,
                         node_type=failure.node_type,
                         leaf_error_code=int(failure.leaf_error_code),
                         leaf_interface=failure.leaf_interface, message=failure.message)


class TreeHost:
    """Runs one tree at a time for a node's actions; ``what`` names a run in replies."""

    def __init__(self, node, what: str = 'tree', tree_log: bool = False):
        """Host trees for ``node``; ``tree_log``: also publish Nav2's ``behavior_tree_log``."""
        self.node, self.what = node, what
        if not node.has_parameter('tick_rate_hz'):  # a managed node configured again
            params.declare(node, SPECS)
        self.clock = RosClock(node)
        self._lock = threading.RLock()
        self._goal = None  # the goal whose tree runs
        self._pending = 0  # goals accepted, not yet in _on_accepted
        self._accepted = {}  # goal id -> _Goal, until its execute callback takes it
        self._retired = []  # [(shut down at, runner)]
        self._lines = []  # log_later's lines, written by the next timer tick
        self._timer_ticks = 0
        self._servers = []
        self._orphan_watches = []
        # latched: `orchestrator tree` gets the last one at once, also while paused
        self._snapshots = node.create_publisher(BehaviourTreeSnapshot, '~/snapshot',
                                                LATCHED_QOS)
        self._status_changes = node.create_publisher(BehaviourStatusChanges, '~/status_changes',
                                                     STATUS_CHANGES_QOS)
        self._tree_log = None
        if tree_log:  # Nav2's bt_navigator's topic and depth (RViz/Foxglove panels read it)
            self._tree_log = node.create_publisher(BehaviorTreeLog, 'behavior_tree_log', 10)
        node.create_service(Trigger, '~/pause', lambda _, response: self._pause(response, True))
        node.create_service(Trigger, '~/resume', lambda _, response: self._pause(response, False))
        self._timer = None
        self._heartbeat = None  # carry_heartbeat's (timer, beat, period s)
        self._beats_here = False  # the tick timer beats for the heartbeat timer
        self._last_beat = None
        self._start_timer()
        self._snapshot_at = None  # ROS-clock time of the last snapshot
        self._feedback_at = None  # ROS-clock time of the last feedback
        self._read_parameters()
        node.add_post_set_parameters_callback(self._on_parameters)
        self._monitor = groot2_monitor.start(int(node.get_parameter('groot2_port').value),
                                             node.get_logger(),
                                             str(node.get_parameter('groot2_address').value))

    def close(self) -> None:
        """Halt a running tree and stop following parameter changes (a managed node's cleanup).

        The host's publishers, services, servers and timer are the node's to destroy;
        the clients its trees' leaves shared (``ros_edge.leaf.shared_client``) go here.
        """
        self.halt()
        release_shared_clients(self.node)
        self.node.remove_post_set_parameters_callback(self._on_parameters)
        if self._monitor is not None:
            self._monitor.close()
            self._monitor = None

    def serve(self, action: TreeAction, cancel_orphans: bool = False) -> None:
        """Serve ``action`` with this host's tree.

        ``cancel_orphans``: cancel a goal whose clients all left the ROS graph
        (:class:`~orchestrator_pkg.ros_edge.graph.OrphanWatch`); the navigator's
        goals, not missions (``orchestrator submit --no-wait`` leaves by design).
        """
        if cancel_orphans:
            self._orphan_watches.append(OrphanWatch(
                self.node, action.name, lambda: self._handles_of(action), self._orphaned))
        self._servers.append(ActionServer(
            self.node, action.action_type, action.name, execute_callback=self._execute,
            goal_callback=lambda request: self._on_goal(action),
            handle_accepted_callback=lambda handle: self._on_accepted(action, handle),
            cancel_callback=self._on_cancel,
            result_timeout=guard.RESULT_KEEP_S))

    def _handles_of(self, action: TreeAction):
        with self._lock:
            goal = self._goal
            return [goal.handle] if goal is not None and goal.action is action else []

    def _orphaned(self, handle, message: str) -> None:
        with self._lock:
            goal = self._goal
            if goal is None or goal.handle is not handle or goal.orphaned:
                return
            goal.orphaned = message  # the next tick halts the tree and aborts the goal
        self.node.get_logger().warning(f'{message}: halting its tree')

    def halt(self) -> None:
        """Halt a running tree (cancelling its goals); the node calls this in destroy_node.

        Lines still waiting in :meth:`log_later` are written first.
        """
        self._write_lines()
        with self._lock:
            if self._goal is not None:
                self._goal.runner.halt()

    def log_later(self, text: str) -> None:
        """Log ``text`` (INFO) at the next timer tick, after the goal's answer has gone.

        For a goal's start and end lines. rclpy finds the calling source line of
        every log line (0.4-0.5 ms in a tree host), and a goal's round trip would
        wait for it: a mission that ends in its first tick answers in the same
        executor pass. The lines keep their order; they come up to one tick
        late, and :meth:`halt` writes what is left when the node stops.
        """
        with self._lock:
            self._lines.append(text)
            self._wake_timer()

    def _write_lines(self) -> None:
        with self._lock:
            lines, self._lines = self._lines, []
        for text in lines:
            self.node.get_logger().info(text)

    def _on_parameters(self, changed):
        if any(p.name == 'tick_rate_hz' for p in changed):
            self._start_timer()
        self._read_parameters()

    def _read_parameters(self):
        get = self.node.get_parameter
        self._visit_budget = int(get('max_node_visits_per_tick').value)
        self._snapshot_on = bool(get('publish_snapshots').value)
        self._snapshot_period_s = float(get('snapshot_period_s').value)
        self._feedback_period_s = float(get('feedback_period_s').value)

    def _start_timer(self):
        if self._timer is not None:
            self.node.destroy_timer(self._timer)
        self._tick_period_s = 1.0 / float(self.node.get_parameter('tick_rate_hz').value)
        self._timer = self.node.create_timer(self._tick_period_s, self._on_timer)
        self._update_heartbeat()

    @property
    def ticking(self) -> bool:
        """Tell whether the tick timer runs (a tree runs, or a finished one awaits shutdown)."""
        return not self._timer.is_canceled()

    def _wake_timer(self) -> None:
        """Start the tick timer again (a goal was accepted), if no tree had kept it running.

        The timer stops when no tree runs and no finished one waits for its
        shutdown (``_tick``): an idle host does not wake its node at the tick rate.
        """
        if self._timer.is_canceled():
            self._timer.reset()
            self._update_heartbeat()
            executor = self.node.executor
            if executor is not None:  # a multi-threaded executor may be waiting without it
                executor.wake()

    def carry_heartbeat(self, timer, beat: Callable[[], None], rate_hz: float) -> None:
        """Let the tick timer call ``beat`` while it runs at ``rate_hz`` or faster.

        ``timer`` is the node's own heartbeat timer, which calls ``beat`` at
        ``rate_hz``. While a tree ticks at least that often, the tick timer beats
        for it and ``timer`` is canceled: one wake of the node per tick instead of
        two timers'. It is reset when the tick timer stops or runs slower. The
        beats still come from the node's executor, so a stuck executor stops them.
        """
        self._heartbeat = (timer, beat, 1.0 / rate_hz)
        self._update_heartbeat()

    def _update_heartbeat(self) -> None:
        if self._heartbeat is None:
            return
        timer, _, period = self._heartbeat
        carry = not self._timer.is_canceled() and self._tick_period_s <= period
        if carry != self._beats_here:
            self._beats_here = carry
            if carry:
                self._last_beat = None  # the first tick beats at once
                timer.cancel()
            else:
                timer.reset()

    def _beat(self) -> None:
        """Beat from a tick when the heartbeat is due (half a tick early at the latest)."""
        _, beat, period = self._heartbeat
        now = self.clock.now()
        if due(now, self._last_beat, period - self._tick_period_s / 2):
            self._last_beat = now
            beat()

    # -- goals -------------------------------------------------------------------
    def _on_goal(self, action: TreeAction):
        with self._lock:
            if action.on_preempt is None and (self._goal is not None or self._pending):
                self.node.get_logger().warning(
                    f'{action.name} goal rejected: a {self.what} is running')
                return GoalResponse.REJECT
            self._pending += 1
            return GoalResponse.ACCEPT

    def _on_accepted(self, action: TreeAction, handle):
        goal = _Goal(action, handle)
        with self._lock:
            self._pending -= 1
            current = self._goal
            if current is not None:
                if action.on_preempt is not None and \
                        action.on_preempt(handle.request, current.runner, current.action):
                    goal.runner = current.runner
                    self._end(current, Ending(PREEMPTED, current.runner,
                                              message='preempted by a new goal'), retire=False)
                else:
                    self._halt(current.runner)
                    self._end(current, Ending(PREEMPTED, current.runner, message='preempted '
                                              'by a new goal with another behavior tree'))
            if goal.runner is None:
                try:
                    goal.runner = action.on_goal(handle.request)
                    self._goal = goal
                    self._wake_timer()
                except GoalRejected as exc:
                    goal.finish(REJECTED, action.on_completion(
                        Ending(REJECTED, code=exc.code, message=str(exc))))
                except Exception as exc:  # a bug in the hook: abort this goal, keep serving
                    self.node.get_logger().error(
                        f'{action.name}: starting the goal raised {type(exc).__name__}: {exc}')
                    goal.finish(FAILED, action.action_type.Result())
            else:
                self._goal = goal
                self._wake_timer()
            self._accepted[bytes(handle.goal_id.uuid)] = goal
        handle.execute()
        if goal.runner is not None:
            # the first tick now, not up to a tick period later: a mission that ends at
            # once ends within the round trip of the goal, as a bare action server's would
            self._tick()

    async def _execute(self, handle):
        """Wait for the goal's result (set by a tick or a preemption); end the goal with it."""
        with self._lock:
            goal = self._accepted.pop(bytes(handle.goal_id.uuid))
        state, result = await goal.result
        if state == SUCCEEDED:
            handle.succeed()
        elif state == CANCELED:
            handle.canceled()
        else:
            handle.abort()
        return result

    def _on_cancel(self, handle):
        with self._lock:
            goal = self._goal
            if goal is not None and goal.handle == handle and goal.cancel_tick is None:
                goal.cancel_tick = self._timer_ticks
                if goal.runner is not None:
                    # halt now, not at the next tick: the running leaves cancel their
                    # goals at once (a tick period less for the robot to stop); the
                    # next tick ends the goal, once its state is CANCELING
                    self._halt(goal.runner)
                    goal.halted = True
        return CancelResponse.ACCEPT

    def _end(self, goal: _Goal, ending: Ending, retire: bool = True) -> None:
        goal.finish(ending.state, goal.action.on_completion(ending))
        if self._goal is goal:
            self._goal = None
        if retire:
            self._retired.append((self.clock.now() + RETIRE_AFTER_S, ending.runner))

    def _halt(self, runner: MissionRunner) -> None:
        runner.halt()
        self._publish_changes(runner)

    # -- ticking -----------------------------------------------------------------
    def _on_timer(self):
        if self._lines:
            self._write_lines()
        if self._beats_here:
            self._beat()
        with self._lock:
            self._timer_ticks += 1  # the timer's own count: cancels are judged in its ticks
        self._tick()

    def _tick(self):
        with self._lock:
            now = self.clock.now()
            while self._retired and self._retired[0][0] <= now:
                self._retired.pop(0)[1].shutdown()
            goal = self._goal
            if goal is None:
                if not self._retired and not self._lines:  # nothing left to do: sleep
                    self._timer.cancel()
                    self._update_heartbeat()
                return
            runner = goal.runner
            if goal.handle.is_cancel_requested:
                if not goal.halted:
                    self._halt(runner)
                seen = goal.cancel_tick
                ticks = self._timer_ticks - seen if seen is not None else 1
                self._end(goal, Ending(CANCELED, runner, cancel_ticks=ticks))
                return
            if goal.halted:
                return  # halted for a cancel whose state change is still to come
            if goal.orphaned:
                self._halt(runner)
                self._end(goal, Ending(PREEMPTED, runner, message=goal.orphaned))
                return
            if runner.paused:
                return
            runner.max_visits_per_tick = self._visit_budget
            status = runner.tick()
            self._publish_changes(runner)
            changed = runner.view_changed()  # every tick: it remembers this tick's view
            now = self.clock.now()
            self._publish_snapshot(runner, changed, now)
            if status == Status.SUCCESS:
                self._end(goal, Ending(SUCCEEDED, runner))
            elif status == Status.FAILURE:
                self._end(goal, Ending(FAILED, runner))
            elif changed or due(now, self._feedback_at, self._feedback_period_s):
                self._feedback_at = now
                goal.handle.publish_feedback(goal.action.on_loop(runner))

    def _publish_snapshot(self, runner: MissionRunner, changed: bool, now: float) -> None:
        """Publish the tree's snapshot after a tick that changed it, else once a period.

        Building one costs a message per behaviour (0.4 ms for a 77-behaviour
        mission); a tick that only waits for a server's result changes nothing
        but the tick number, so it costs a comparison (``changed``: the runner's
        ``view_changed`` after this tick; a new runner's first look is a change).
        The action's feedback follows the same rule with ``feedback_period_s``.
        """
        if self._snapshot_on and (changed or due(now, self._snapshot_at,
                                                 self._snapshot_period_s)):
            self._snapshot_at = now
            self._snapshots.publish(snapshot_msg(runner, self._stamp()))

    def _stamp(self):
        return self.node.get_clock().now().to_msg()

    def _publish_changes(self, runner: MissionRunner) -> None:
        changes = runner.take_changes()
        if self._monitor is not None:
            self._monitor.update(runner, changes)
        if changes:
            stamp = self._stamp()
            self._status_changes.publish(changes_msg(runner, changes, stamp))
            if self._tree_log is not None:
                self._tree_log.publish(tree_log_msg(changes, stamp))

    def _pause(self, response, pause: bool):
        """Serve ``~/pause`` (``pause``) or ``~/resume``."""
        with self._lock:
            runner = self._goal.runner if self._goal is not None else None
            response.success = runner is not None and runner.paused != pause
            if runner is None:
                response.message = f'no {self.what} is running'
            elif not response.success:
                response.message = f'the {self.what} is {"already" if pause else "not"} paused'
            elif pause:
                halted = runner.pause()
                self._publish_changes(runner)
                response.message = f'paused at tick {runner.ticks}; halted {halted} leaves'
            else:
                runner.resume()
                response.message = f'resumed at tick {runner.ticks}'
            if response.success:
                self.node.get_logger().info(response.message)
        return response

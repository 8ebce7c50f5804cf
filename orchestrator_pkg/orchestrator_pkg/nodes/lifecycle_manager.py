"""lifecycle_manager_navigation: brings the managed navigation nodes up in order and watches them.

Nav2's name and interface. ``node_names`` are the managed nodes, relative
names (so each robot's manager manages its own namespace's nodes).

ROS interface
-------------
Parameters (:data:`SPECS`)
    ``node_names``, ``autostart``, ``bond_timeout``, ``attempt_respawn_reconnection``,
    ``bond_respawn_max_duration``, ``transition_timeout_s``, ``watch_period_s``
Services
    ``~/manage_nodes`` (nav2_msgs/ManageLifecycleNodes: STARTUP, PAUSE, RESUME,
    RESET, SHUTDOWN, CONFIGURE, CLEANUP), ``~/is_active`` (std_srvs/Trigger)
Clients
    ``<node>/get_state``, ``<node>/change_state`` (lifecycle_msgs) of every node
Publishers
    ``e_stop`` (std_msgs/Bool, latched: base_driver's safe stop), ``~/state``
    (diagnostic_msgs/DiagnosticStatus, latched: active/inactive, each node's
    state, the failure)

STARTUP configures every node, then activates every node, in the order of
``node_names`` (PAUSE, RESET, SHUTDOWN go in reverse order). Transitions
already done are skipped, so STARTUP on an active stack just says so.
Commands run one at a time: one that arrives while another runs (a client's
STARTUP during autostart) waits for it, then runs.

The watch (Nav2's bond, made load-robust): while the stack is active, every
``watch_period_s`` (steady time) each node's ``get_state`` server is looked up
(is it matched: DDS endpoint discovery) and asked ``get_state``. A node counts
as dead when its server has been unmatched twice in a row (a killed process
leaves when its DDS lease runs out, config/fastdds.xml), answers ``get_state``
with a state other than active (a respawned process, back faster than the
graph showed it gone), or has answered no ``get_state`` for ``bond_timeout``
seconds. Neither needs a tight periodic
message: discovery is kept by the DDS threads, and a busy node's answer may be
late by up to ``bond_timeout``. A dead node engages the e-stop of base_driver
(``e_stop``: it then holds zero on ``cmd_vel``), sets ``is_active`` false and
reports it on ``~/state`` and in the log. With ``attempt_respawn_reconnection``
a node that comes back (respawned) within ``bond_respawn_max_duration`` is
configured and activated again, and the e-stop is released once every node is
active. All of this is asynchronous: no callback blocks (docs/lifecycle.md).
"""
import time

from diagnostic_msgs.msg import DiagnosticStatus, KeyValue
from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState, GetState
from nav2_msgs.srv import ManageLifecycleNodes
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.clock import Clock, ClockType
from rclpy.node import Node
from rclpy.task import Future
from std_msgs.msg import Bool
from std_srvs.srv import Trigger

from orchestrator_pkg.ros_edge import params, qos
from orchestrator_pkg.ros_edge.lifecycle import ASK_AGAIN_S
from orchestrator_pkg.ros_edge.main import run_node
from orchestrator_pkg.ros_edge.params import Spec
from orchestrator_pkg.ros_edge.qos_events import QuietEvents

NAME = 'lifecycle_manager_navigation'
SPECS = {
    'node_names': Spec(['planner_server', 'controller_server', 'behavior_server',
                        'bt_navigator'], 'Managed nodes, in start-up order (relative names: '
                       'in this manager\'s namespace).', read_only=True),
    'autostart': Spec(False, 'STARTUP the nodes as soon as the manager runs.', read_only=True),
    'bond_timeout': Spec(10.0, 'A node that answered no get_state for this long counts as '
                         'dead (s, steady time; 0 = do not watch). Generous: a node starved '
                         'of CPU answers late, a dead one never.', 0.0, 300.0, read_only=True),
    'attempt_respawn_reconnection': Spec(True, 'Bring a dead node that comes back (respawned) '
                                         'up again, then release the e-stop.', read_only=True),
    'bond_respawn_max_duration': Spec(10.0, 'How long to wait for a dead node to come back '
                                      '(s); after that the stack stays down.', 0.0, 600.0,
                                      read_only=True),
    'transition_timeout_s': Spec(30.0, 'How long one node may take to answer one '
                                 'change_state/get_state request during a command (s).',
                                 0.1, 600.0, read_only=True),
    'watch_period_s': Spec(1.0, 'How often the nodes are looked at (s, steady time).',
                           0.05, 60.0, read_only=True),
}
POLL_TIMEOUT_S = 2.0  # longest wait for one get_state answer of the watch
_STABLE = ('unconfigured', 'inactive', 'active', 'finalized')  # primary states
# the commands, as (transition, from-state that needs it, state it leads to)
_UP = [(Transition.TRANSITION_CONFIGURE, 'unconfigured'),
       (Transition.TRANSITION_ACTIVATE, 'inactive')]
_COMMANDS = {
    ManageLifecycleNodes.Request.STARTUP: ('STARTUP', [_UP[0], _UP[1]], False),
    ManageLifecycleNodes.Request.CONFIGURE: ('CONFIGURE', [_UP[0]], False),
    ManageLifecycleNodes.Request.RESUME: ('RESUME', [_UP[1]], False),
    ManageLifecycleNodes.Request.PAUSE: (
        'PAUSE', [(Transition.TRANSITION_DEACTIVATE, 'active')], True),
    ManageLifecycleNodes.Request.CLEANUP: (
        'CLEANUP', [(Transition.TRANSITION_CLEANUP, 'inactive')], True),
    ManageLifecycleNodes.Request.RESET: (
        'RESET', [(Transition.TRANSITION_DEACTIVATE, 'active'),
                  (Transition.TRANSITION_CLEANUP, 'inactive')], True),
    ManageLifecycleNodes.Request.SHUTDOWN: (
        'SHUTDOWN', [(Transition.TRANSITION_DEACTIVATE, 'active'),
                     (Transition.TRANSITION_CLEANUP, 'inactive'),
                     ('shutdown', 'unconfigured')], True),
}


def _check(v: dict):
    names = list(v['node_names'])
    if not names:
        return 'node_names is empty: nothing to manage'
    if len(set(names)) != len(names):
        return f'node_names has a name twice: {names}'
    return None


class _Watched:
    """What the manager knows about one node."""

    def __init__(self, name: str):
        self.name = name
        self.state = 'unknown'
        self.last_answer = None  # steady time of the last get_state answer
        self.asking = False
        self.absent = 0  # watch rounds in a row its get_state server was unmatched
        self.dead_since = None  # steady time it was declared dead
        self.silence = ''  # why the latest get_state got no state ('' once it answered)


class LifecycleManager(QuietEvents, Node):
    """Nav2's lifecycle manager for our managed nodes: order, watch, safe stop."""

    def __init__(self, **kwargs):
        super().__init__(NAME, **kwargs)
        self.v = params.declare(self, SPECS, _check)
        self._group = ReentrantCallbackGroup()
        self._steady = Clock(clock_type=ClockType.STEADY_TIME)
        self._nodes = [_Watched(name) for name in self.v['node_names']]
        self._get = {w.name: self.create_client(GetState, f'{w.name}/get_state',
                                                callback_group=self._group)
                     for w in self._nodes}
        self._change = {w.name: self.create_client(ChangeState, f'{w.name}/change_state',
                                                   callback_group=self._group)
                        for w in self._nodes}
        self.system_active = False
        self._busy = False  # a command is running
        self._stopped = False  # the e-stop is engaged by this manager
        self.failure = ''
        self._estop = self.create_publisher(Bool, 'e_stop', qos.LATCHED_QOS)
        self._state_pub = self.create_publisher(DiagnosticStatus, '~/state', qos.LATCHED_QOS)
        self.create_service(ManageLifecycleNodes, '~/manage_nodes', self._on_manage,
                            callback_group=self._group)
        self.create_service(Trigger, '~/is_active', self._on_is_active,
                            callback_group=self._group)
        self.create_timer(self.v['watch_period_s'], self._watch, clock=self._steady,
                          callback_group=self._group)
        self._publish_state()
        if self.v['autostart']:
            self._once(0.0, self._autostart)
        self.get_logger().info(f'{NAME} ready: managing {", ".join(self.v["node_names"])}'
                               f'{" (autostart)" if self.v["autostart"] else ""}')

    # -- small async tools -------------------------------------------------------------
    def _once(self, delay_s: float, coroutine_function):
        """Run ``coroutine_function()`` once, ``delay_s`` from now, in this node's executor."""
        async def fire():
            timer.cancel()
            self.destroy_timer(timer)
            await coroutine_function()
        timer = self.create_timer(max(delay_s, 1e-3), fire, clock=self._steady,
                                  callback_group=self._group)

    async def _within(self, future, timeout_s: float):
        """Await ``future`` for at most ``timeout_s`` (steady); its result or None."""
        done = Future()

        def finish(*_):
            if not done.done():
                done.set_result(None)
        future.add_done_callback(finish)
        timer = self.create_timer(timeout_s, finish, clock=self._steady,
                                  callback_group=self._group)
        try:
            await done
        finally:
            try:
                timer.cancel()
                self.destroy_timer(timer)
            except RuntimeError:  # rclpy's InvalidHandle: the node is being destroyed
                pass
        return future.result() if future.done() and not future.cancelled() else None

    async def _ask_state(self, watched: _Watched, timeout_s: float):
        """Ask get_state, again every ASK_AGAIN_S, for at most ``timeout_s``; the label or None."""
        client = self._get[watched.name]
        start = time.monotonic()
        deadline = start + timeout_s
        asked = 0
        while client.service_is_ready():
            wait_s = min(ASK_AGAIN_S, deadline - time.monotonic())
            if wait_s <= 0.0:
                break
            future = client.call_async(GetState.Request())
            asked += 1
            response = await self._within(future, wait_s)
            if response is not None:
                watched.state = response.current_state.label
                watched.last_answer = time.monotonic()
                watched.silence = ''
                return watched.state
            client.remove_pending_request(future)  # a lost reply: ask again
        # said in the failure: a node that never answers, or one whose server left
        watched.silence = (f'no answer to {asked} get_state requests in '
                           f'{time.monotonic() - start:.1f} s'
                           + ('' if client.service_is_ready() else
                              ', and its get_state server is not matched now'))
        return None

    # -- commands ------------------------------------------------------------------------
    async def _autostart(self):
        self.get_logger().info('autostart: STARTUP')
        await self._run_command(ManageLifecycleNodes.Request.STARTUP)

    async def _on_manage(self, request, response):
        if request.command not in _COMMANDS:
            self.get_logger().error(f'manage_nodes: unknown command {request.command}')
            response.success = False
            return response
        response.success = await self._run_command(request.command)
        return response

    async def _run_command(self, command) -> bool:
        label, steps, reverse = _COMMANDS[command]
        while self._busy:  # one command at a time: a STARTUP during autostart waits for it
            await self._sleep(0.1)
        self._busy = True
        try:
            ok = await self._apply(label, steps, reverse)
        finally:
            self._busy = False
        if label in ('STARTUP', 'RESUME') and ok:
            self.system_active = True
            self.failure = ''
            for watched in self._nodes:
                watched.dead_since = None
                watched.absent = 0
            self._release_stop()
            self.get_logger().info('managed nodes are active')
        elif label in ('STARTUP', 'RESUME'):
            self.system_active = False
        else:
            self.system_active = False
        self._publish_state()
        return ok

    async def _apply(self, label, steps, reverse) -> bool:
        order = list(reversed(self._nodes)) if reverse else list(self._nodes)
        timeout_s = self.v['transition_timeout_s']
        if label != 'STARTUP' or not self.system_active:
            self.system_active = False  # no watch while nodes change state
        for transition, needs in steps:
            for watched in order:
                ok = await self._step(watched, transition, needs, timeout_s)
                if not ok:
                    self.failure = (f'{label}: {watched.name} did not reach the next state '
                                    f'(it is {watched.state}'
                                    + (f': {watched.silence})' if watched.silence else ')'))
                    self.get_logger().error(self.failure)
                    return False
        self.get_logger().info(f'{label} done: ' + ', '.join(
            f'{w.name} {w.state}' for w in self._nodes))
        return True

    async def _step(self, watched, transition, needs, timeout_s) -> bool:
        """Apply ``transition`` if the node is in ``needs``; skip it if it is past it."""
        deadline = time.monotonic() + timeout_s
        while not self._get[watched.name].service_is_ready():
            if time.monotonic() > deadline:
                watched.state = 'absent'
                watched.silence = f'its get_state server was not matched for {timeout_s:g} s'
                return False
            await self._sleep(0.1)
        state = await self._ask_state(watched, timeout_s)
        if state is None:
            return False
        if state != needs:
            return self._already_past(state, needs, transition)
        request = ChangeState.Request()
        if isinstance(transition, str):
            request.transition.label = transition
        else:
            request.transition.id = transition
        future = self._change[watched.name].call_async(request)
        while True:
            response = await self._within(future, ASK_AGAIN_S)
            if response is not None:
                await self._ask_state(watched, timeout_s)
                return response.success
            # no answer yet: a slow transition, or its reply was lost (sending the
            # transition again would be refused once it is done): look at the state
            state = await self._ask_state(watched, ASK_AGAIN_S)
            if state is not None and state != needs and state in _STABLE:
                self._change[watched.name].remove_pending_request(future)
                return self._already_past(state, needs, transition)
            if time.monotonic() > deadline:
                self._change[watched.name].remove_pending_request(future)
                return False

    @staticmethod
    def _already_past(state, needs, transition) -> bool:
        rank = {'unconfigured': 0, 'inactive': 1, 'active': 2}
        if state == 'finalized' or state not in rank:
            return transition == 'shutdown' and state == 'finalized'
        going_up = transition in (Transition.TRANSITION_CONFIGURE,
                                  Transition.TRANSITION_ACTIVATE)
        return rank[state] > rank[needs] if going_up else rank[state] < rank[needs]

    async def _sleep(self, seconds: float):
        await self._within(Future(), seconds)

    # -- is_active -------------------------------------------------------------------------
    def _on_is_active(self, request, response):
        response.success = self.system_active
        response.message = 'active' if self.system_active else (
            self.failure or 'the managed nodes are not all active')
        return response

    # -- the watch ---------------------------------------------------------------------------
    def _present(self, watched) -> bool:
        """Whether the node's get_state server is matched (DDS endpoint discovery).

        Not the graph's node list: a process stalled past the DDS lease (SIGSTOP,
        or starved of CPU) is dropped from it and, once running again, never
        listed again (Fast DDS does not resend the node list), while its
        endpoints are rediscovered within one lease announcement.
        """
        return self._get[watched.name].service_is_ready()

    async def _watch(self):
        if self._busy or self.v['bond_timeout'] <= 0.0:
            return
        now = time.monotonic()
        for watched in self._nodes:
            watched.absent = 0 if self._present(watched) else watched.absent + 1
        if self.system_active:
            for watched in self._nodes:
                if not watched.asking:
                    watched.asking = True
                    self._once(0.0, lambda w=watched: self._poll(w))
            for watched in self._nodes:
                silent = now - (watched.last_answer or now)
                if watched.absent >= 2:
                    self._declare_dead(watched, 'it left the ROS graph (process gone or stalled)')
                    break
                if watched.state in ('unconfigured', 'inactive', 'finalized'):
                    # it answered from another process: the bringup respawned it
                    self._declare_dead(watched, f'it restarted (now {watched.state})')
                    break
                if silent > self.v['bond_timeout']:
                    self._declare_dead(watched, f'it answered no get_state for {silent:.1f} s')
                    break
        elif self._stopped and self.v['attempt_respawn_reconnection']:
            await self._try_reconnect(now)

    async def _poll(self, watched):
        try:
            # a short wait: an unanswered ask is asked again next round, and silence is
            # measured from the last answer, so a dead server never holds the poll up
            await self._ask_state(watched, min(self.v['bond_timeout'] or 10.0, POLL_TIMEOUT_S))
        finally:
            watched.asking = False

    def _declare_dead(self, watched, why: str):
        watched.dead_since = time.monotonic()
        watched.state = 'dead'
        self.system_active = False
        self.failure = f'managed node {watched.name} died: {why}; robot stopped (e-stop)'
        self.get_logger().error(self.failure)
        self._engage_stop()
        self._publish_state()

    async def _try_reconnect(self, now):
        dead = [w for w in self._nodes if w.dead_since is not None]
        if not dead:
            return
        if any(now - w.dead_since > self.v['bond_respawn_max_duration'] for w in dead):
            if 'stays down' not in self.failure:
                self.failure += ('; not back within bond_respawn_max_duration: the stack '
                                 'stays down')
                self.get_logger().error(self.failure)
                self._publish_state()
            return
        if all(self._present(w) for w in dead):
            self.get_logger().warning(
                f'{", ".join(w.name for w in dead)} back: bringing the stack up again')
            await self._run_command(ManageLifecycleNodes.Request.STARTUP)

    # -- the safe stop ---------------------------------------------------------------------
    def _engage_stop(self):
        self._stopped = True
        self._estop.publish(Bool(data=True))

    def _release_stop(self):
        if self._stopped:
            self._stopped = False
            self._estop.publish(Bool(data=False))
            self.get_logger().warning('all managed nodes active again: e-stop released')

    def _publish_state(self):
        level = DiagnosticStatus.OK if self.system_active else (
            DiagnosticStatus.ERROR if self.failure else DiagnosticStatus.WARN)
        values = [KeyValue(key=w.name, value=w.state) for w in self._nodes]
        values.append(KeyValue(key='failure', value=self.failure))
        values.append(KeyValue(key='e_stop', value=str(self._stopped).lower()))
        self._state_pub.publish(DiagnosticStatus(
            level=level, name=self.get_fully_qualified_name(), hardware_id='navigation',
            message='active' if self.system_active else (self.failure or 'inactive'),
            values=values))


def main(args=None):
    """Run the lifecycle manager; bad parameters are reported in one line, exit code 1."""
    return run_node(LifecycleManager, args, exit_process=True)


if __name__ == '__main__':
    raise SystemExit(main())

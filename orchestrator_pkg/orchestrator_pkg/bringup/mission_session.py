"""The ROS side of ``orchestrator run``: send missions, show progress, watch the robots.

A thin adapter: it sends an ExecuteMission goal per robot namespace, shows
progress from the feedback (:mod:`progress`: step N/M and the running node's
own progress), and feeds :class:`RobotRunStats` from the sim's topics
(``ground_truth/odom``, ``collisions``, ``battery_state``) and ``/clock``.
With a :class:`~orchestrator_pkg.bringup.recorder.RunRecorder` it waits until
the recorder hears the orchestrators' status changes before sending a
mission, and logs each mission's start and result to ``mission.jsonl``. It
runs in the command's own process, never inside a node's callback, so
spinning here blocks nothing else.
"""
import math
import time
from typing import Callable, Dict, List, Optional

from orchestrator_pkg.bringup.progress import ProgressDisplay, mission_steps
from orchestrator_pkg.bringup.run_stats import (
    STOPPED_BY_USER,
    RobotRunStats,
    format_summary,
    localization_records,
    rtf_hint,
    run_outcome,
)
from orchestrator_pkg.ros_edge import graph
from orchestrator_pkg.ros_edge.convert import quaternion_to_yaw, seconds_of
from orchestrator_pkg.ros_edge.results import ResultRequest
from orchestrator_pkg.ros_edge.share import outcome_name

SERVER_WAIT_S = 120.0  # wall time for the stack to come up (first start compiles nothing)
CANCEL_WAIT_S = 5.0
CLOCK_SETTLE_S = 1.0  # sim seconds of /clock before the mission is sent
E_STOP_TOPIC = 'e_stop'  # base_driver's std_msgs/Bool e-stop (latched), per robot
DRIVER_STATE_TOPIC = 'base_driver/state'  # its safety-stop counts, per robot
FOLLOW_FEEDBACK_TOPIC = 'follow_path/_action/feedback'  # the controller's distance to go
TO_GO_FRESH_S = 1.0  # wall: an older distance to go is not shown (no path followed now)
# wall: a lost node whose process still runs and has not answered our own get_state this
# long after its loss is killed for its respawn (Runner.restart_unreachable). A node starved
# past its DDS lease is found again within a lease announcement (0.2 s) once it runs; a
# respawn (start, then the manager's STARTUP) fits in what is left of
# bond_respawn_max_duration (10 s)
UNREACHABLE_RESTART_S = 2.0
# wall: the node processes are polled for exits (and due respawns) at most this often, not
# after every callback the run's node takes (some 500 a second at --rtf 0: waitpid on each of
# 13 processes every time was a tenth of the runner's CPU)
PROCESS_POLL_S = 0.05


def _topic(namespace: str, name: str) -> str:
    return f'/{namespace}/{name}' if namespace else name


class MissionSession:
    """Missions and monitoring for the robots of one run."""

    def __init__(self, namespaces: List[str], mission: Optional[str], inputs: Dict[str, str],
                 robot_inputs: Optional[Dict[str, Dict[str, str]]] = None,
                 zero_velocity_topic: str = 'cmd_vel', timeout_s: float = 600.0,
                 output: Callable[[str], None] = print, wait_for_clock: bool = True,
                 progress_interval_s: float = 3.0, tree_xml: str = '', rtf: float = 0.0,
                 lifecycle_manager: bool = False):
        """Prepare the run's node; ``tree_xml`` sends a mission file's XML (``mission`` its name).

        ``rtf`` is the real-time factor asked of the sim (0: as fast as possible),
        for the summary's hint when the machine could not keep it. With
        ``lifecycle_manager`` (the bringup runs lifecycle_manager_navigation)
        missions wait until each robot's manager says its stack is active, and
        the manager's state (a managed node that died) shows in the summary.
        """
        from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus
        from geometry_msgs.msg import PoseWithCovarianceStamped, Twist
        from lifecycle_msgs.srv import GetState
        from nav2_msgs.action import FollowPath
        from nav_msgs.msg import Odometry
        import rclpy
        from rclpy.action import ActionClient
        from rclpy.qos import (
            DurabilityPolicy,
            QoSProfile,
            ReliabilityPolicy,
            qos_profile_sensor_data,
        )
        from rosgraph_msgs.msg import Clock
        from sensor_msgs.msg import BatteryState
        from std_msgs.msg import Bool

        from orchestrator_interfaces.action import ExecuteMission
        from orchestrator_interfaces.msg import (
            BehaviourTreeSnapshot,
            CollisionEvent,
            DetectionArray,
        )
        from orchestrator_pkg.cli_ros import tool_node
        from orchestrator_pkg.ros_edge.lifecycle import MANAGER, StackActive
        from orchestrator_pkg.ros_edge.main import NodeExecutor

        self._ExecuteMission = ExecuteMission
        self._Twist = Twist
        self._Bool = Bool
        self._GetState = GetState  # asked of a lost node (_watch_lost)
        self._output = output
        self.mission = mission
        self.tree_xml = tree_xml
        # how the orchestrator names the mission in its snapshots (an inline tree: 'inline')
        self._label = 'inline' if tree_xml else mission
        self.rtf = rtf
        self.inputs = inputs
        self.robot_inputs = robot_inputs or {}  # namespace -> inputs for that robot only
        self.timeout_s = timeout_s
        self.namespaces = namespaces
        self.wait_for_clock = wait_for_clock
        rclpy.init()
        self.node = tool_node('orchestrator_run')
        # the stack's own executor, with the node added once: rclpy.spin_once(node)
        # adds the node to its global executor and removes it again on every call,
        # and each time that executor rebuilds all it waits on, twice
        self._executor = NodeExecutor()
        self._executor.add_node(self.node)
        self.stats = {ns: RobotRunStats(namespace=ns) for ns in namespaces}
        self.results: Dict[str, object] = {}
        self._goal_handles: Dict[str, object] = {}
        self._requests: Dict[str, ResultRequest] = {}  # results not in yet, by robot
        self.recorder = None  # a RunRecorder, set by the caller before run()
        self.run_dir = ''
        self.localization = ''  # the run's localization mode, labelled in the summary
        # hold back the first feedback (a few ticks at most) until the first
        # snapshot gives the tree's shape, so the first line has its step number
        self._progress = {ns: ProgressDisplay('mission' + ('/' + ns if ns else ''),
                                              progress_interval_s, wait_for_steps=10)
                          for ns in namespaces}
        self._shape_subs = {}
        self.objects: Dict[str, Dict[str, tuple]] = {ns: {} for ns in namespaces}
        self._clock_first: Optional[float] = None
        self._clock_last: Optional[float] = None
        self._clock_first_wall: Optional[float] = None  # wall time of the first /clock
        self._clock_last_wall: Optional[float] = None
        self._safety_frozen = False  # the runner's own e-stop at shutdown is not counted
        self._failures: Dict[str, str] = {}  # robot -> failure text
        self._stack_failures: Dict[str, str] = {}  # robot -> the lifecycle manager's failure
        self._said_failure: Dict[str, str] = {}  # robot -> the failure text last said ('': up)
        self._lost: List[tuple] = []  # (robot, node) the manager lost, for the runner to look at
        self._unreachable: Dict[str, str] = {}  # robot -> a lost node whose process still runs
        # (robot, node) lost while its process runs, not stopped -> since when, its
        # get_state client and the request in flight
        self._lost_since: Dict[tuple, dict] = {}
        self._polled_at = -math.inf  # monotonic time of the last runner.poll() (_spin)
        self._to_go: Dict[str, tuple] = {}  # robot -> (wall time, distance to go on its path)
        self._exits = self.node.create_publisher(DiagnosticArray, graph.DIAGNOSTICS_TOPIC,
                                                 graph.EXIT_QOS)
        self.node.create_subscription(Clock, '/clock', self._on_clock, 10)
        # the world's objects are global (one world, however many robots)
        self.node.create_subscription(DetectionArray, '/ground_truth/objects',
                                      self._on_objects, 10)
        self._clients = {}
        self._stack = {}  # robot -> StackActive, with a lifecycle manager
        self._zero = {}
        self._estop = {}
        latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                             durability=DurabilityPolicy.TRANSIENT_LOCAL)
        for ns in namespaces:
            stats = self.stats[ns]
            self.node.create_subscription(
                Odometry, _topic(ns, 'ground_truth/odom'),
                lambda m, s=stats: self._on_truth(s, m), qos_profile_sensor_data)
            # the localizer's estimate (amcl; none with truth localization), judged
            # against the ground truth of the same stamp
            self.node.create_subscription(
                PoseWithCovarianceStamped, _topic(ns, 'amcl_pose'),
                lambda m, s=stats: s.on_estimate(
                    seconds_of(m.header.stamp), m.pose.pose.position.x, m.pose.pose.position.y,
                    quaternion_to_yaw(m.pose.pose.orientation)), 10)
            self.node.create_subscription(
                CollisionEvent, _topic(ns, 'collisions'),
                lambda m, s=stats: s.on_collision(m.count, seconds_of(m.header.stamp),
                                                  m.position.x, m.position.y, m.other), 10)
            self.node.create_subscription(
                DiagnosticStatus, _topic(ns, DRIVER_STATE_TOPIC),
                lambda m, s=stats: self._on_driver_state(s, m), 10)
            self.node.create_subscription(
                FollowPath.Impl.FeedbackMessage, _topic(ns, FOLLOW_FEEDBACK_TOPIC),
                lambda m, ns=ns: self._to_go.__setitem__(
                    ns, (time.monotonic(), float(m.feedback.distance_to_goal))), 10)
            self.node.create_subscription(
                BatteryState, _topic(ns, 'battery_state'),
                lambda m, s=stats: s.on_battery(m.percentage), 10)
            self._clients[ns] = ActionClient(self.node, ExecuteMission,
                                             _topic(ns, 'execute_mission'))
            if lifecycle_manager:
                self._stack[ns] = StackActive(self.node, ns)
                self.node.create_subscription(
                    DiagnosticStatus, _topic(ns, f'{MANAGER}/state'),
                    lambda m, ns=ns: self._on_manager_state(ns, m), latched)
            self._zero[ns] = self.node.create_publisher(Twist, _topic(ns, zero_velocity_topic), 10)
            self._estop[ns] = self.node.create_publisher(Bool, _topic(ns, E_STOP_TOPIC), latched)
            # the tree's shape, for the step numbers: the first snapshot is enough
            self._shape_subs[ns] = self.node.create_subscription(
                BehaviourTreeSnapshot, _topic(ns, 'orchestrator/snapshot'),
                lambda m, ns=ns: self._on_snapshot(ns, m), 10)

    def _on_truth(self, stats: RobotRunStats, msg) -> None:
        p = msg.pose.pose
        stats.on_pose(self.sim_time_s, p.position.x, p.position.y)
        stats.localization.on_truth(seconds_of(msg.header.stamp), p.position.x, p.position.y,
                                    quaternion_to_yaw(p.orientation))

    def _on_driver_state(self, stats: RobotRunStats, msg) -> None:
        if self._safety_frozen:
            return
        values = {kv.key: kv.value for kv in msg.values}
        try:
            stats.on_safety(int(values.get('heartbeat_losses', 0)), int(values.get('estops', 0)),
                            int(values.get('command_timeouts', 0)))
        except ValueError:
            pass  # not base_driver's state: nothing to count

    def _on_manager_state(self, ns: str, msg) -> None:
        """Report a managed node that died, now and in the summary (the manager stopped it)."""
        failure = next((kv.value for kv in msg.values if kv.key == 'failure'), '')
        # the state is latched and republished: say each failure once, but a failure
        # after the stack came back up (failure '') is news, even in the same words
        said = self._said_failure.get(ns, '')
        if failure == said:
            return
        self._said_failure[ns] = failure
        if failure:
            if not said:  # a new loss (the stack was up): an earlier loss's look is stale
                self._unreachable.pop(ns, None)
            self._stack_failures[ns] = failure  # the latest, for the summary
            self._output(f'[run] {ns or "robot"}: {failure}')
            # a node the manager cannot reach (not one that answered from a respawned
            # process, nor the same loss given up on): is its process still there?
            if 'stays down' not in failure and 'it restarted' not in failure:
                self._lost += [(ns, kv.key) for kv in msg.values if kv.value == 'dead']

    def _on_snapshot(self, ns: str, msg) -> None:
        if msg.mission != self._label or ns not in self._shape_subs:
            return  # a snapshot of another mission
        self._progress[ns].set_steps(mission_steps(
            [(b.id, b.parent_id, b.path, b.type) for b in msg.behaviours]))
        self.node.destroy_subscription(self._shape_subs.pop(ns))

    def _on_objects(self, msg) -> None:
        objects = {d.id: (d.pose.position.x, d.pose.position.y, d.pose.position.z)
                   for d in msg.detections}
        for ns in self.namespaces:
            self.objects[ns] = objects

    # ------------------------------------------------------------ clock
    def _on_clock(self, msg) -> None:
        t = seconds_of(msg.clock)
        if self._clock_first is None:
            self._clock_first = t
            self._clock_first_wall = time.monotonic()
        self._clock_last = t
        self._clock_last_wall = time.monotonic()

    @property
    def clock_start_s(self) -> float:
        """The /clock time (s) this run's sim_time_s counts from."""
        return self._clock_first or 0.0

    @property
    def clock_wall_s(self) -> float:
        """Wall time (s) from the first /clock message to the last: the sim's part of the run."""
        if self._clock_first_wall is None:
            return 0.0
        return self._clock_last_wall - self._clock_first_wall

    @property
    def sim_time_s(self) -> float:
        """Sim time since the first /clock message of this run."""
        if self._clock_first is None:
            return 0.0
        return self._clock_last - self._clock_first

    # ------------------------------------------------------------ run
    def _spin(self, runner, seconds: float = 0.05) -> Optional[str]:
        self._executor.spin_once(timeout_sec=seconds)
        for ns, request in list(self._requests.items()):
            if request.done():
                del self._requests[ns]
                self._on_result(ns, request.response().result)
        while self._lost:  # dead, or alive and unreachable? only the runner can tell
            ns, name = self._lost.pop(0)
            alive = runner.look_at_unreachable(ns, name)
            if alive:
                self._unreachable[ns] = alive
                self._output(f'[run] {ns or "robot"}: {alive}')
                if runner.restartable(ns, name):
                    self._watch_lost(ns, name)
        for key, lost in list(self._lost_since.items()):
            lost_for = time.monotonic() - lost['since']
            client, asked = lost['client'], lost['asked']
            if asked is not None and asked.done():  # it answers again: the manager takes it back
                del self._lost_since[key]
                self.node.destroy_client(client)
            elif lost_for >= UNREACHABLE_RESTART_S:
                del self._lost_since[key]
                self.node.destroy_client(client)
                said = runner.restart_unreachable(*key, lost_for)
                if said:
                    self._output(f'[run] {key[0] or "robot"}: {said}')
            elif asked is None and client.service_is_ready():
                lost['asked'] = client.call_async(self._GetState.Request())
        now = time.monotonic()
        if now - self._polled_at < PROCESS_POLL_S:
            return None
        self._polled_at = now
        return runner.poll()

    def _watch_lost(self, ns: str, name: str) -> None:
        """Start timing a lost node's silence; an answer to our own get_state ends it.

        Matched endpoints are not enough: a process that stopped answering can
        stay matched (its DDS participant lives on), as one that left the graph
        is not.
        """
        service = '/' + '/'.join(p for p in (ns.strip('/'), name, 'get_state') if p)
        old = self._lost_since.pop((ns, name), None)
        if old is not None:
            self.node.destroy_client(old['client'])
        self._lost_since[(ns, name)] = {'since': time.monotonic(), 'asked': None,
                                        'client': self.node.create_client(self._GetState, service)}

    def _wait_until(self, runner, should_stop, deadline, ready, timeout_reason) -> str:
        """Spin until ``ready()``; return '' then, or why it stopped waiting."""
        while not ready():
            fatal = self._spin(runner)
            if fatal:
                return fatal
            if should_stop():
                return STOPPED_BY_USER
            if time.monotonic() > deadline:
                return timeout_reason
        return ''

    def run(self, runner, should_stop: Callable[[], bool]) -> str:
        """Drive the run until done; return '' or the reason it ended early."""
        if not self.mission:
            self._output('[run] no mission given: the stack runs until Ctrl-C')
            while not should_stop():
                fatal = self._spin(runner, 0.1)
                if fatal:
                    return fatal
            return STOPPED_BY_USER
        deadline = time.monotonic() + SERVER_WAIT_S
        reason = self._wait_until(
            runner, should_stop, deadline,
            lambda: all(client.server_is_ready() for client in self._clients.values()),
            f'execute_mission server not up within {SERVER_WAIT_S:.0f} s')
        if not reason and self._stack:
            # the navigation servers refuse goals until their manager activated them
            reason = self._wait_until(
                runner, should_stop, deadline,
                lambda: all([stack.poll() for stack in self._stack.values()]),
                'lifecycle_manager_navigation did not report the navigation stack active within '
                f'{SERVER_WAIT_S:.0f} s')
        if not reason and self.recorder is not None:
            # the recorder must hear every status change, from the first tick on
            reason = self._wait_until(
                runner, should_stop, deadline, self.recorder.status_topics_ready,
                f'orchestrator status changes not seen within {SERVER_WAIT_S:.0f} s')
        if not reason and self.wait_for_clock:
            # in sim, start once the clock runs and the sensors have published a while
            reason = self._wait_until(runner, should_stop, deadline,
                                      lambda: self.sim_time_s >= CLOCK_SETTLE_S,
                                      f'/clock not running within {SERVER_WAIT_S:.0f} s')
        if reason:
            return reason
        for ns in self.namespaces:
            self._send(ns)
        while len(self.results) < len(self.namespaces):
            fatal = self._spin(runner)
            if fatal:  # stop the robots first: a dead orchestrator cancels nothing
                self.stop_robots()
                self._cancel_all(runner)
                return fatal
            if should_stop():
                self._cancel_all(runner)
                return STOPPED_BY_USER
            if self.sim_time_s > self.timeout_s:
                self._cancel_all(runner)
                return f'mission timeout after {self.timeout_s:.0f} s sim time'
        return ''

    def _send(self, ns: str) -> None:
        from diagnostic_msgs.msg import KeyValue
        inputs = {**self.inputs, **self.robot_inputs.get(ns, {})}
        goal = self._ExecuteMission.Goal(
            mission_name='' if self.tree_xml else self.mission, tree_xml=self.tree_xml,
            inputs=[KeyValue(key=k, value=v) for k, v in sorted(inputs.items())])
        label = ns or 'robot'
        self._output(f'[run] {label}: mission {self.mission!r} sent')
        self._log({'event': 'mission_start', 'robot': ns, 'mission': self.mission,
                   'inputs': dict(sorted(inputs.items()))})
        future = self._clients[ns].send_goal_async(
            goal, feedback_callback=lambda m, ns=ns: self._on_feedback(ns, m.feedback))
        future.add_done_callback(lambda f, ns=ns: self._on_goal_response(ns, f))

    def _on_goal_response(self, ns: str, future) -> None:
        handle = future.result()
        if not handle.accepted:
            self.results[ns] = None
            self._output(f'[run] {ns or "robot"}: mission rejected')
            return
        self._goal_handles[ns] = handle
        label = ns or 'robot'
        self._requests[ns] = ResultRequest(handle, lambda status, label=label: self._output(
            f'[run] {label}: the mission ended (status {status}) but its result did not '
            'come: asking again'))

    def _log(self, record: dict) -> None:
        if self.recorder is not None:
            t = self._clock_last if self._clock_last is not None else 0.0
            self.recorder.log({'event': record.pop('event'), 't': round(t, 6), **record})

    def log_localization_error(self) -> None:
        """Log each robot's localization error to mission.jsonl, once, at the end of the run.

        :func:`localization_records`: summary.json's figures, none with ``truth``
        localization; call it after the last spin.
        """
        for record in localization_records(self.localization, self.stats):
            self._log(record)

    def _on_feedback(self, ns: str, feedback) -> None:
        seen = self._to_go.get(ns)
        to_go = seen[1] if seen and time.monotonic() - seen[0] < TO_GO_FRESH_S else None
        line = self._progress[ns].update(feedback.active_node_path, feedback.status_text,
                                         feedback.progress, self.sim_time_s, to_go)
        if line is not None:
            self._output(line)

    def _on_result(self, ns: str, result) -> None:
        self.results[ns] = result
        text = outcome_name(result.outcome)
        record = {'event': 'mission_result', 'robot': ns, 'mission': self.mission,
                  'outcome': text, 'ticks': int(result.ticks),
                  'elapsed_s': round(seconds_of(result.elapsed), 6)}
        if result.failure.code:
            record['failure'] = _failure_dict(result.failure)
        self._log(record)
        if result.failure.code:
            f = result.failure
            failure = f'{f.node_path} [{f.node_type}] code {f.code}'
            if f.leaf_error_code:
                failure += f' ({f.leaf_interface} error {f.leaf_error_code})'
            failure += f': {f.message}'
            self._failures[ns] = failure
            text += f': {failure}'
        self._output(f'[run] {ns or "robot"}: mission {text}')

    def _cancel_all(self, runner) -> None:
        for handle in self._goal_handles.values():
            handle.cancel_goal_async()
        deadline = time.monotonic() + CANCEL_WAIT_S
        while len(self.results) < len(self._goal_handles) and time.monotonic() < deadline:
            self._spin(runner)

    # ------------------------------------------------------------ end
    @property
    def succeeded(self) -> bool:
        """Every robot's mission succeeded."""
        return bool(self.results) and all(
            r is not None and r.outcome == self._ExecuteMission.Result.SUCCEEDED
            for r in self.results.values()) and len(self.results) == len(self.namespaces)

    def announce_exit(self, launch, code: int) -> None:
        """Say on /diagnostics that a node's process exited (the runner's ``on_exit``).

        Servers end that node's goals and base_driver drops its commands at once,
        not a DDS lease (1 s) later (ros_edge.graph).
        """
        for node_name in launch.node_names:  # a container's: each node in it
            name = graph.full_node_name(launch.namespace or '', node_name)
            self._exits.publish(graph.exit_report(name, code,
                                                  self.node.get_clock().now().to_msg()))

    def stop_robots(self) -> None:
        """Engage every robot's e-stop and send zero velocity (before nodes are stopped).

        The zero Twist alone would be overwritten by base_driver's next cycle
        while a controller still drives; the e-stop (latched) makes base_driver
        hold zero until it is stopped itself.
        """
        self._safety_frozen = True
        for publisher in self._estop.values():
            publisher.publish(self._Bool(data=True))
        for _ in range(3):
            for publisher in self._zero.values():
                publisher.publish(self._Twist())
            self._executor.spin_once(timeout_sec=0.02)

    def outcome(self, reason: str) -> tuple:
        """Return the run's ``(outcome, reason)`` (the summary's and summary.json's)."""
        outcomes = {ns: (outcome_name(r.outcome) if r is not None else None)
                    for ns, r in self.results.items()}
        return run_outcome(self.mission, outcomes, self._failures, len(self.namespaces), reason)

    def hint(self) -> str:
        """Say so when the machine could not keep the requested real-time factor."""
        import os
        losses = sum(stats.heartbeat_losses for stats in self.stats.values())
        return rtf_hint(self.rtf, self.sim_time_s, self.clock_wall_s, losses, os.getloadavg()[0])

    def summary(self, wall_time_s: float, reason: str) -> str:
        """Render the end-of-run summary."""
        outcome, why = self.outcome(reason)
        extra = [('run folder', self.run_dir)] if self.run_dir else []
        if self.localization:
            extra.append(('localization', localization_label(self.localization)))
        extra += [(f'stack {ns}' if ns else 'stack', text + (
            f'; {self._unreachable[ns]}' if ns in self._unreachable else ''))
                  for ns, text in sorted(self._stack_failures.items())]
        return 'summary\n' + format_summary(outcome, self.sim_time_s, wall_time_s,
                                            list(self.stats.values()), why, extra, self.hint(),
                                            self.clock_wall_s)

    def report(self, wall_time_s: float, reason: str) -> dict:
        """Return the run's outcome as plain data (for ``--summary-json``)."""
        robots = {}
        for ns, stats in self.stats.items():
            result = self.results.get(ns)
            entry = {
                'mission_outcome': outcome_name(result.outcome)
                if result is not None else None,
                'distance_m': round(stats.distance_m, 3),
                'collisions': stats.collisions,
                'collision_points': [[round(t, 3), round(x, 3), round(y, 3), other]
                                     for t, x, y, other in stats.collision_points],
                'safety_stops': {'heartbeat_losses': stats.heartbeat_losses,
                                 'estops': stats.estops,
                                 'command_timeouts': stats.command_timeouts},
                'battery_start': stats.battery_start,
                'battery_end': stats.battery_end,
                'final_position': list(stats.path[-1][1:]) if stats.path else None,
                'objects': {oid: list(pos) for oid, pos in sorted(self.objects[ns].items())},
                # amcl_pose against the ground truth at the same stamp (None: no estimate)
                'localization_error': stats.localization.figures(),
            }
            if result is not None and result.failure.code:
                entry['failure'] = _failure_dict(result.failure)
            robots[ns or 'robot'] = entry
        outcome, why = self.outcome(reason)
        for ns, text in self._stack_failures.items():
            robots[ns or 'robot']['stack_failure'] = text
        for ns, text in self._unreachable.items():
            robots[ns or 'robot']['stack_unreachable'] = text
        return {'mission': self.mission, 'outcome': outcome, 'reason': why,
                'succeeded': outcome == 'SUCCEEDED',
                'sim_time_s': round(self.sim_time_s, 3), 'wall_time_s': round(wall_time_s, 3),
                'rtf': {'requested': self.rtf,
                        'achieved': round(self.sim_time_s / self.clock_wall_s, 3)
                        if self.clock_wall_s > 0 else None},
                'hint': self.hint(), 'run_dir': self.run_dir,
                'localization': self.localization or None, 'robots': robots}

LOCALIZATION_LABELS = {
    'truth': 'truth (ground truth, for debugging)',
    'amcl': 'amcl (estimated from scans and the map)',
}


def localization_label(mode: str) -> str:
    """How the summary names a localization mode (``truth`` says it is for debugging)."""
    return LOCALIZATION_LABELS.get(mode, mode)


def _failure_dict(f) -> dict:
    return {'node_path': f.node_path, 'node_type': f.node_type, 'code': f.code,
            'leaf_error_code': f.leaf_error_code, 'leaf_interface': f.leaf_interface,
            'message': f.message}

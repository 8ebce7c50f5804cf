"""The run recorder of ``orchestrator run``: ``run.mcap`` and ``mission.jsonl``.

It runs in the command's own process, on a node and executor of its own in a
background thread, so recording never waits on the progress display nor the
other way round.

- ``run.mcap``: the key topics of every robot (:data:`KEY_TOPICS`), recorded
  as the serialized CDR bytes that arrive (``raw=True``: nothing is
  deserialized to record it), with ``ros2msg`` schemas holding the full
  concatenated definitions (:mod:`msg_definitions`), so Foxglove and
  ``mcap_ros2`` decode them. A topic is subscribed once it appears in the
  graph with a publisher, with the type and the reliability/durability its
  publishers offer (a topic that only has subscribers yet is left for later).
  Log and publish times are the sim clock (``/clock``) in sim, else wall time;
  what arrives before the first ``/clock`` (a latched ``tf_static``) is kept
  and written with the first clock time. A message's publish time is the sim
  time when its publisher sent it: the last ``/clock`` the sim had sent at
  the message's own source timestamp (:class:`ClockMap`), so a recorder
  that takes messages late (starved under load) still times them where they
  were sent. Each message's ``sequence`` is its
  publisher's sequence number, so the messages the recording missed (a writer
  that keeps 10 overwrites what a starved recorder has not taken yet) show as
  gaps.
- ``mission.jsonl``: one JSON object per line: every status change of the
  orchestrator's and the navigator's trees (``~/status_changes``, published
  reliably with a deep queue, so none is lost), plus the lines
  :meth:`RunRecorder.log` is given (mission start and result, and each
  robot's localization error at the end of the run). Lines are
  written as they come (so a crash keeps them) and put in sim-time order
  when the recorder closes (the trees' changes and the mission's result
  arrive on different connections; equal times keep their arrival order).
  A result's time is the clock when it was received, which can lag the
  tree's last tick; it is raised to that tick's time, which it follows.
- It keeps the planner's paths (``plan``) for ``trajectory.png``.
"""
import bisect
import json
import threading
import time
from typing import Dict, List, Optional, Tuple

from orchestrator_pkg.bringup.msg_definitions import DefinitionError, full_definition, schema_name
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables

# relative topic names; each type comes from the graph
KEY_TOPICS = (
    'odom', 'scan', 'tf', 'tf_static', 'cmd_vel', 'cmd_vel_nav', 'detections',
    'execute_mission/_action/feedback', 'plan', 'ground_truth/odom', 'collisions',
    'battery_state', 'orchestrator/status_changes', 'bt_navigator/status_changes',
    # the trees after each tick and Nav2's tree log, for Foxglove's panels to replay
    'orchestrator/snapshot', 'bt_navigator/snapshot', 'behavior_tree_log',
    # why a robot held still: base_driver's mode and stop reason, the stack's state
    'base_driver/state', 'lifecycle_manager_navigation/state',
    # what perception believed (the costmaps' object layers) and what the gripper held
    'tracked_objects', 'gripper/held')
STATUS_TOPICS = {'orchestrator/status_changes': 'orchestrator',
                 'bt_navigator/status_changes': 'bt_navigator'}
STATUS_NAMES = {0: 'INVALID', 1: 'RUNNING', 2: 'SUCCESS', 3: 'FAILURE'}
DISCOVERY_PERIOD_S = 0.5
MAX_PLANS = 2000
PICTURE_FRAME = 'map'  # trajectory.png's frame: the sim's world frame (ground truth)
MAX_PENDING = 1000  # messages kept until the first /clock
CLOCK_DEPTH = 100  # /clock messages queued for the clock thread: 1 s of sim at 100 Hz
# records that close what came before them at the same sim time: a result after its tree's
# last changes, the run's localization error after everything
LAST_AT_EQUAL_TIME = {'mission_start': -1, 'mission_result': 1, 'localization_error': 2}


class ClockMap:
    """The sim time at a wall-clock instant, from ``/clock`` messages' source timestamps.

    Every process on this machine stamps what it sends with the same wall
    clock (DDS's source timestamp), and the sim sends ``/clock`` after each
    step. The sim time at wall time ``w`` is then the last clock sent at or
    before ``w``: what a node heard as its ROS time when it published, give or
    take one delivery. Kept for the last :attr:`keep` clocks. Thread-safe (the
    recorder adds from its clock thread and reads from its recording thread).
    """

    def __init__(self, keep: int = 512):
        self.keep = keep
        self._walls: List[int] = []
        self._sims: List[int] = []
        self._lock = threading.Lock()

    def add(self, wall_ns: int, sim_ns: int) -> None:
        """One ``/clock`` message: sent at ``wall_ns`` (source timestamp) holding ``sim_ns``."""
        with self._lock:
            if self._walls and wall_ns <= self._walls[-1]:
                return  # out of order (a second clock publisher): the first kept wins
            self._walls.append(wall_ns)
            self._sims.append(sim_ns)
            if len(self._walls) > 2 * self.keep:
                del self._walls[:-self.keep], self._sims[:-self.keep]

    def sim_at(self, wall_ns: int) -> Optional[int]:
        """Return the sim time at ``wall_ns``; None before the earliest clock kept."""
        with self._lock:
            i = bisect.bisect_right(self._walls, wall_ns) - 1
            return self._sims[i] if i >= 0 else None


def topic_name(namespace: str, name: str) -> str:
    """Return the absolute name of a robot's topic."""
    return f'/{namespace}/{name}' if namespace else f'/{name}'


def message_class(type_name: str):
    """Import ``pkg/msg/Name`` or ``pkg/action/Name_FeedbackMessage``."""
    import importlib
    package, kind, name = type_name.split('/')
    module = importlib.import_module(f'{package}.{kind}')
    if kind == 'action':  # the action's parts: Goal, Result, Feedback, FeedbackMessage
        base, _, part = name.rpartition('_')
        action = getattr(module, base)
        return getattr(action.Impl, part) if part == 'FeedbackMessage' else getattr(action, part)
    return getattr(module, name)


def status_records(message, robot: str, tree: str) -> List[dict]:
    """Turn one BehaviourStatusChanges message into mission.jsonl records."""
    t = message.header.stamp.sec + message.header.stamp.nanosec * 1e-9
    out = []
    for c in message.changes:
        record = {'event': 'status', 't': round(t, 6), 'robot': robot, 'tree': tree,
                  'mission': message.mission, 'tick': int(message.tick), 'path': c.path,
                  'type': c.type, 'from': STATUS_NAMES.get(c.previous_status, '?'),
                  'to': STATUS_NAMES.get(c.status, '?')}
        if c.feedback_message:
            record['feedback'] = c.feedback_message
        if c.failure_message:
            record['failure'] = c.failure_message
        out.append(record)
    return out


class RunRecorder:
    """Record the key topics of ``namespaces`` into ``mcap_path`` and status changes to JSONL."""

    def __init__(self, namespaces: List[str], mcap_path: str, jsonl_path: str,
                 use_sim_time: bool = True, topics=KEY_TOPICS):
        from mcap.writer import CompressionType, Writer
        from rosgraph_msgs.msg import Clock

        from orchestrator_pkg.cli_ros import tool_node
        from orchestrator_pkg.ros_edge.main import NodeExecutor

        self._lock = threading.Lock()
        self._use_sim_time = use_sim_time
        self._clock_ns: Optional[int] = None
        self._clock_map = ClockMap()
        self._pending: List[Tuple[str, bytes, int]] = []
        self._file = open(mcap_path, 'wb')
        self._writer = Writer(self._file, compression=CompressionType.ZSTD)
        self._writer.start(profile='ros2', library='orchestrator run')
        self._jsonl = open(jsonl_path, 'w', encoding='utf-8')
        self._schemas: Dict[str, int] = {}
        self._channels: Dict[str, int] = {}
        self._definitions: Dict[str, str] = {}
        self.counts: Dict[str, int] = {}
        self.plans: List[Tuple[str, float, list]] = []  # (robot, t, [(x, y), ...])
        self.problems: List[str] = []
        self._plan_frames_skipped = set()
        self._wanted = {topic_name(ns, t): (ns, t) for ns in namespaces for t in topics}
        self._subscribed = {}
        self.node = tool_node('orchestrator_run_recorder')
        self.node.create_timer(DISCOVERY_PERIOD_S, self._discover,
                               clock=self._wall_clock())
        # /clock on a node and thread of its own: behind the recorded topics' queue (a
        # few hundred messages a second, in Python), the clock fell ~1 s behind under
        # load, and with it every time written (the 2-core CI machine)
        self.clock_node = tool_node('orchestrator_run_recorder_clock')
        self.clock_node.create_subscription(Clock, '/clock', self._on_clock, CLOCK_DEPTH)
        # the stack's executor, one per thread (each thread is the only one spinning it)
        self._executor = NodeExecutor()
        self._executor.add_node(self.node)
        self._clock_executor = NodeExecutor()
        self._clock_executor.add_node(self.clock_node)
        self._closed = False
        self._threads = [
            threading.Thread(target=self._spin, args=(self._executor,), name='run-recorder',
                             daemon=True),
            threading.Thread(target=self._spin, args=(self._clock_executor,),
                             name='run-recorder-clock', daemon=True)]
        for thread in self._threads:
            thread.start()

    def _wall_clock(self):
        from rclpy.clock import Clock, ClockType
        return Clock(clock_type=ClockType.STEADY_TIME)

    def _spin(self, executor):
        try:
            executor.spin()
        except Exception as exc:  # noqa: BLE001 - context shut down under us at exit
            if not self._closed:
                self.problems.append(f'recorder stopped: {type(exc).__name__}: {exc}')

    # ------------------------------------------------------------ time
    def _on_clock(self, msg, info) -> None:
        self._clock_ns = msg.clock.sec * 1_000_000_000 + msg.clock.nanosec
        sent = info.get('source_timestamp')
        if isinstance(sent, int) and sent > 0:
            self._clock_map.add(sent, self._clock_ns)
        if self._pending:
            with self._lock:
                pending, self._pending = self._pending, []
                for name, data, sequence in pending:
                    self._write(name, data, self._clock_ns, sequence, self._clock_ns)

    def _sent_at(self, info: dict, received: int) -> int:
        """When a message was sent: sim time in sim (at most ``received``), else wall time."""
        sent = info.get('source_timestamp')
        if not isinstance(sent, int) or sent <= 0:
            return received
        if not self._use_sim_time:
            return min(sent, received)
        at = self._clock_map.sim_at(sent)
        return received if at is None else min(at, received)

    def now_ns(self) -> Optional[int]:
        """Sim time in sim (None before the first /clock), else wall time."""
        return self._clock_ns if self._use_sim_time else time.time_ns()

    # ------------------------------------------------------------ discovery
    def _discover(self) -> None:
        from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
        if len(self._subscribed) == len(self._wanted):
            return
        types = dict(self.node.get_topic_names_and_types())
        for name, (ns, rel) in self._wanted.items():
            if name in self._subscribed or name not in types or not types[name]:
                continue
            infos = self.node.get_publishers_info_by_topic(name)
            if not infos:
                continue  # only subscribers so far: wait for a publisher and its QoS
            type_name = types[name][0]
            try:
                definition = self._definitions.get(type_name) or full_definition(type_name)
                cls = message_class(type_name)
            except (DefinitionError, ImportError, AttributeError, ValueError) as exc:
                self.problems.append(f'{name}: not recorded: {exc}')
                self._subscribed[name] = None
                continue
            self._definitions[type_name] = definition
            reliable = all(i.qos_profile.reliability == ReliabilityPolicy.RELIABLE
                           for i in infos)
            latched = all(i.qos_profile.durability == DurabilityPolicy.TRANSIENT_LOCAL
                          for i in infos)
            qos = QoSProfile(
                depth=1000 if rel in STATUS_TOPICS else 100,
                reliability=ReliabilityPolicy.RELIABLE if reliable
                else ReliabilityPolicy.BEST_EFFORT,
                durability=DurabilityPolicy.TRANSIENT_LOCAL if latched
                else DurabilityPolicy.VOLATILE)
            with self._lock:
                if type_name not in self._schemas:
                    self._schemas[type_name] = self._writer.register_schema(
                        name=schema_name(type_name), encoding='ros2msg',
                        data=definition.encode())
                self._channels[name] = self._writer.register_channel(
                    topic=name, message_encoding='cdr', schema_id=self._schemas[type_name])
            self.counts[name] = 0
            self._subscribed[name] = self.node.create_subscription(
                cls, name, lambda data, info, n=name, c=cls, ns=ns, r=rel: self._on_raw(
                    n, c, ns, r, data, info),
                qos, raw=True)

    def status_topics_ready(self) -> bool:
        """Whether every robot's orchestrator status changes reach the recorder (matched)."""
        subs = [self._subscribed.get(name) for name, (_, rel) in self._wanted.items()
                if rel == 'orchestrator/status_changes']
        return all(sub is not None and sub.get_publisher_count() > 0 for sub in subs)

    # ------------------------------------------------------------ messages
    def _on_raw(self, name: str, cls, ns: str, rel: str, data: bytes, info: dict) -> None:
        stamp = self.now_ns()
        sequence = info.get('publication_sequence_number')
        with self._lock:
            if self._closed:
                return
            if stamp is None:  # in sim, before the clock runs: written at its first tick
                if len(self._pending) < MAX_PENDING:
                    self._pending.append((name, data, sequence))
                return
            self._write(name, data, stamp, sequence, self._sent_at(info, stamp))
        if rel in STATUS_TOPICS or rel == 'plan':
            from rclpy.serialization import deserialize_message
            message = deserialize_message(data, cls)
            if rel == 'plan':
                frame = message.header.frame_id.lstrip('/')
                if frame not in ('', PICTURE_FRAME):
                    # trajectory.png is drawn in the world (map) frame, as the ground truth
                    if frame not in self._plan_frames_skipped:
                        self._plan_frames_skipped.add(frame)
                        self.problems.append(f'plans in frame {frame!r} are not drawn '
                                             f'(the picture is in {PICTURE_FRAME!r})')
                elif len(self.plans) < MAX_PLANS:
                    self.plans.append((ns, stamp * 1e-9, [(p.pose.position.x, p.pose.position.y)
                                                          for p in message.poses]))
            else:
                for record in status_records(message, ns, STATUS_TOPICS[rel]):
                    self.log(record)

    def _write(self, name: str, data: bytes, stamp: int, sequence: Optional[int],
               sent: int) -> None:
        """Add one message to the MCAP file (the caller holds the lock).

        ``stamp`` is when the recorder took it (log time), ``sent`` when its
        publisher sent it (publish time), both on the run's clock.

        Its ``sequence`` is the publisher's own sequence number (DDS's
        publication sequence number, counted per publisher from 1), so a reader
        sees which messages the recording missed; where the middleware gives
        none, the recorder's count of the topic.
        """
        if not isinstance(sequence, int) or sequence <= 0:
            sequence = self.counts[name] + 1
        self._writer.add_message(channel_id=self._channels[name], log_time=stamp,
                                 publish_time=sent, data=data,
                                 sequence=sequence & 0xFFFFFFFF)
        self.counts[name] += 1

    def log(self, record: dict) -> None:
        """Append one line to mission.jsonl (thread-safe; flushed at once)."""
        line = json.dumps(record, sort_keys=False)
        with self._lock:
            if not self._jsonl.closed:
                self._jsonl.write(line + '\n')
                self._jsonl.flush()

    # ------------------------------------------------------------ end
    def close(self) -> None:
        """Stop recording, finish both files and destroy the recorder's nodes."""
        self.finish()
        for node in (self.node, self.clock_node):
            destroy_node_and_waitables(node)

    def finish(self) -> None:
        """Stop recording and finish both files; the nodes stay (``orchestrator run`` exits)."""
        if self._closed:
            return
        for executor in (self._executor, self._clock_executor):
            executor.shutdown(timeout_sec=2.0)
        for thread in self._threads:
            thread.join(timeout=2.0)
        with self._lock:
            self._closed = True
            self._writer.finish()
            self._file.close()
            self._jsonl.close()
        order_mission_log(self._jsonl.name)


def order_mission_log(path: str) -> None:
    """Put mission.jsonl in sim-time order: each mission between its start and its result.

    A start is stamped with the session's clock when the goal is sent, the
    tree's changes with the orchestrator's own clock (another subscription to
    /clock, which can be a step behind), so the first tick's changes can carry
    an earlier time than the start: the start is lowered to its robot's first
    change, as a result is raised to its tree's last one. At equal times a
    start comes first and a result follows the changes; the localization
    errors (logged at the end of the run) are raised to the last time and come
    last.
    """
    with open(path, encoding='utf-8') as f:
        records = [json.loads(line) for line in f if line.strip()]
    first_change, last_tick = {}, {}
    for r in records:
        if r.get('event') == 'status':
            first_change[r['robot']] = min(first_change.get(r['robot'], r['t']), r['t'])
            if r.get('tree') == 'orchestrator':
                last_tick[r['robot']] = max(last_tick.get(r['robot'], r['t']), r['t'])
    for r in records:
        if r.get('event') == 'mission_start' and r['robot'] in first_change:
            r['t'] = min(r['t'], first_change[r['robot']])
        if r.get('event') == 'mission_result' and r['robot'] in last_tick:
            r['t'] = max(r['t'], last_tick[r['robot']])
    end = max((r.get('t', 0.0) for r in records), default=0.0)
    for r in records:
        if r.get('event') == 'localization_error':  # the run's, at its end
            r['t'] = max(r['t'], end)
    records.sort(key=lambda r: (r.get('t', 0.0), LAST_AT_EQUAL_TIME.get(r.get('event'), 0)))
    with open(path, 'w', encoding='utf-8') as f:
        f.writelines(json.dumps(r) + '\n' for r in records)

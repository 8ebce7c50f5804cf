"""The sim node: the embedded MuJoCo world on the standard topic contract.

The physics steps on its own thread, paced by ``real_time_factor`` against
the wall clock (0: as fast as possible). Every output is scheduled on
simulated time, stamped with it, and published from that thread; the ROS
callbacks (gripper, teleport) only take the lock, change state and return. A
cmd_vel callback does not even take the lock: it leaves the command in its
robot's slot, which the physics thread applies before its next step (a
physics thread that is behind its schedule re-took the lock before a waiting
callback could, so under load the sim drove on stale commands for over a
second of sim time). With the same ``seed`` and the same commands at the same simulated
times, two runs are identical.

With ``robots: [robot1, robot2]`` several robots share the world, each with
all of the per-robot interfaces below under its own namespace (``/robot1/scan``,
``/robot1/tf``, ...); frame ids are not prefixed, since each robot has its own
tf tree on its own ``<ns>/tf`` (Nav2's multi-robot convention). ``/clock`` and
``ground_truth/objects`` stay global. ``robots: ['']`` (the default) is one
un-namespaced robot.

Parameters (all read-only except ``real_time_factor``; see config/sim.yaml)
    world, robot, robots, strict_world, spawn, seed, real_time_factor, physics_timestep_s,
    clock_rate_hz, scan_rate_hz, scan_samples, scan_range_max_m, scan_noise_std_m,
    odom_rate_hz, odom_* noise, camera_rate_hz, battery_rate_hz,
    battery_initial_fraction, cmd_vel_timeout_s, use_stamped, *_frame, publish_tf,
    max_lead_s, lead_wait_timeout_s, lockstep_topics, lockstep_heartbeat_topic,
    lockstep_idle_rtf (lockstep)

Publishers (per robot, except /clock and ground_truth/objects)
    /clock (rosgraph_msgs/Clock), scan (sensor_msgs/LaserScan),
    odom (nav_msgs/Odometry), tf and tf_static (tf2_msgs/TFMessage),
    battery_state (sensor_msgs/BatteryState),
    ground_truth/odom (nav_msgs/Odometry, evaluation only),
    ground_truth/objects (orchestrator_interfaces/DetectionArray, world frame, evaluation only),
    collisions (orchestrator_interfaces/CollisionEvent),
    detections (orchestrator_interfaces/DetectionArray),
    gripper/held (orchestrator_interfaces/DetectionArray, transient local: what the
    gripper holds, posed in the base frame; empty when it holds nothing; sent at
    start and on every change)

Subscribers
    cmd_vel (geometry_msgs/Twist, or TwistStamped with use_stamped)

Actions
    gripper (orchestrator_interfaces/Gripper)

Services
    teleport (orchestrator_interfaces/TeleportRobot)
"""
import array
import collections
import math
import sys
import threading
import time

from builtin_interfaces.msg import Time as TimeMsg
from geometry_msgs.msg import TransformStamped, Twist, TwistStamped
from nav_msgs.msg import Odometry
import numpy as np
from rclpy.action import ActionServer, GoalResponse
from rclpy.exceptions import InvalidTopicNameException
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from rclpy.validate_topic_name import validate_topic_name
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import BatteryState, LaserScan
from std_msgs.msg import Header
from tf2_msgs.msg import TFMessage

from orchestrator_interfaces.action import Gripper
from orchestrator_interfaces.msg import CollisionEvent, Detection, DetectionArray
from orchestrator_interfaces.srv import TeleportRobot
from orchestrator_sim.battery import Battery
from orchestrator_sim.collisions import CollisionCounter
from orchestrator_sim.lean_wait import LeanWaits
from orchestrator_sim.nodes.node_convention import (
    ConfigError,
    QuietNode,
    Spec,
    declare,
    run_node,
)
from orchestrator_sim.noise import DriftingOdometry, OdometryNoise, lidar_noise, map_to_odom
from orchestrator_sim.physics import Physics, wrap_angle
from orchestrator_sim.resolve import resolve_world, robot_spawns
from orchestrator_sim.robots import RobotPresetError, load_robot
from orchestrator_sim.world import WorldError, load_world

ODOM_NOISE_PARAMS = {
    'odom_linear_scale_error': 'std of the per-run relative error of distance travelled',
    'odom_angular_scale_error': 'std of the per-run relative error of angle turned',
    'odom_linear_noise_per_m': 'std of distance error per metre travelled, m/m',
    'odom_angular_noise_per_rad': 'std of heading error per radian turned, rad/rad',
    'odom_angular_noise_per_m': 'std of heading error per metre travelled, rad/m',
}


SPECS = {
    'world': Spec('warehouse', 'world file (.yaml, .world, .sdf) or shipped name'),
    'robot': Spec('small_indoor', 'robot preset name or YAML file'),
    'robots': Spec([''], "robot namespaces, one robot each, all of the robot preset; ['']: "
                   'one robot without a namespace. Several robots start at the world '
                   "file's spawns"),
    'strict_world': Spec(False, 'unsupported world elements are errors'),
    'spawn': Spec('', 'start pose: "" (world spawn), a place name, or "x y yaw"'),
    'seed': Spec(0, 'seed of every random draw (noise)', 0, 2**31 - 1),
    'real_time_factor': Spec(1.0, 'sim seconds per wall second; 0 runs as fast as possible',
                             0.0, 1000.0, read_only=False),
    'physics_timestep_s': Spec(0.005, 'MuJoCo step', 0.0005, 0.02),
    'clock_rate_hz': Spec(50.0, '/clock rate in sim time', 1.0, 1000.0),
    'scan_rate_hz': Spec(0.0, 'scan rate; 0: robot preset', 0.0, 100.0),
    'scan_samples': Spec(0, 'rays per scan; 0: robot preset', 0, 10000),
    'scan_range_max_m': Spec(0.0, 'scan range; 0: robot preset', 0.0, 100.0),
    'scan_noise_std_m': Spec(-1.0, 'range noise std; -1: robot preset', -1.0, 1.0),
    'odom_rate_hz': Spec(50.0, 'odom and tf rate', 1.0, 1000.0),
    **{name: Spec(getattr(OdometryNoise(), name[len('odom_'):]), text, 0.0, 1.0)
       for name, text in ODOM_NOISE_PARAMS.items()},
    'camera_rate_hz': Spec(0.0, 'logical camera rate; 0: robot preset', 0.0, 100.0),
    'battery_rate_hz': Spec(1.0, 'battery_state rate', 0.01, 100.0),
    'ground_truth_objects_rate_hz': Spec(
        1.0, "rate of ground_truth/objects (every object's true pose; evaluation only)",
        0.01, 100.0),
    'battery_initial_fraction': Spec(1.0, 'start charge, 0..1', 0.0, 1.0),
    'cmd_vel_timeout_s': Spec(
        0.5, 'stop when no cmd_vel arrived for this long (sim time); 0 disables', 0.0, 60.0),
    'max_lead_s': Spec(
        0.0, 'lockstep: never run more than this much sim time past the last cmd_vel (of the '
        'robot furthest behind, among those that sent one), so a stack that cannot keep '
        'up slows the sim down; 0: free-running', 0.0, 60.0),
    'lead_wait_timeout_s': Spec(
        2.0, 'wall seconds to wait for cmd_vel in lockstep before running on without it',
        0.01, 600.0),
    'lockstep_topics': Spec(
        ['cmd_vel_nav'], "lockstep keys on these geometry_msgs/Twist topics (in each robot's "
        "namespace): the controller's output, one message per control cycle (base_driver "
        'republishes cmd_vel on its own timer, so cmd_vel does not show that the stack kept '
        'up); [""]: key on cmd_vel'),
    'lockstep_heartbeat_topic': Spec(
        '', "lockstep also keys on this std_msgs/Header topic (in each robot's namespace), "
        "the orchestrator's heartbeat (orchestrator/heartbeat): it beats on the ROS clock "
        'whether or not a goal runs, so the sim never runs more than max_lead_s past the '
        'orchestrator, idle controller or not (lead_wait_timeout_s of wall time without '
        "one: it runs on; base_driver's own heartbeat watchdog then holds the robot). "
        "'': off"),
    'lockstep_idle_rtf': Spec(
        1.0, 'lockstep: the pace while no command flows (lead_wait_timeout_s after the '
        'last: an idle controller), when it is slower than real_time_factor; nothing then '
        'shows that the stack (planner, navigator) keeps up, so racing ahead would shrink '
        'its timeouts. 0: as fast as possible. Before the first command (the stack '
        'starting) the sim runs no faster than real time whatever this is', 0.0, 1000.0),
    'use_stamped': Spec(False, 'cmd_vel is TwistStamped instead of Twist'),
    **{name: Spec(default, f'{name.replace("_", " ")} id')
       for name, default in (('odom_frame', 'odom'), ('base_frame', 'base_link'),
                             ('scan_frame', 'base_scan'), ('camera_frame', 'logical_camera'),
                             ('world_frame', 'map'))},
    'publish_tf': Spec(True, 'publish odom -> base_link on tf'),
    'collision_debounce_s': Spec(
        0.5, 'a contact with the same obstacle within this much sim time of the last one '
        'is the same collision (contact flicker while pushing)', 0.0, 10.0),
    'odom_starts_at_truth': Spec(
        False, 'start odometry at the true pose in the world frame instead of at the origin, '
        'and publish world_frame -> odom as identity on tf_static: a stand-in for '
        'localization (exact at the start, drifting after), for stacks without one'),
    'publish_map_to_odom_from_truth': Spec(
        False, 'publish world_frame -> odom on tf from the ground truth (true pose composed '
        'with the inverse of the odometry pose), with each odom -> base_link at odom_rate_hz '
        'and the same stamp: perfect localization, for debugging and for stacks without a '
        'localizer (not with odom_starts_at_truth)'),
}


def _stamp(t: float) -> TimeMsg:
    sec = int(math.floor(t))
    return TimeMsg(sec=sec, nanosec=min(int(round((t - sec) * 1e9)), 999_999_999))


def _yaw_quat(msg_quat, yaw: float):
    msg_quat.x = 0.0
    msg_quat.y = 0.0
    msg_quat.z = math.sin(yaw / 2.0)
    msg_quat.w = math.cos(yaw / 2.0)
    return msg_quat


class _Every:
    """Fires every ``period`` seconds of simulated time (0 or less: never)."""

    def __init__(self, rate_hz: float, now: float):
        self.period = 1.0 / rate_hz if rate_hz > 0 else math.inf
        self.next = now

    def due(self, now: float) -> bool:
        if now + 1e-9 < self.next:
            return False
        self.next += self.period
        if self.next <= now:  # skipped a period (a big step): resynchronise
            self.next = now + self.period
        return True


class _Robot:
    """One robot's sim-side state and ROS interfaces (publishers filled in by the node)."""

    def __init__(self, index: int, namespace: str, spawn, rng, odom_noise, battery):
        self.index = index
        self.namespace = namespace
        self.label = namespace or 'robot'
        self.spawn = spawn
        self.rng = rng
        self.odometry = DriftingOdometry(odom_noise, rng)
        self.battery = battery
        self.collisions = None
        self.last_cmd_time = -math.inf
        # the newest cmd_vel not applied yet, (linear, angular): set by the callback,
        # taken by the physics thread (deque operations are atomic, no lock needed)
        self.command_slot = collections.deque(maxlen=1)
        self.beat_slot = collections.deque(maxlen=1)
        self.last_beat_time = -math.inf  # sim time of its last message on lockstep_topics
        self.heartbeat_slot = collections.deque(maxlen=1)
        self.last_heartbeat_time = -math.inf  # sim time of its last lockstep_heartbeat_topic
        self.last_odom_t = 0.0
        self.last_battery_t = 0.0
        self.pub = {}


class SimNode(QuietNode):
    """The embedded MuJoCo world as a ROS 2 node (see the module docstring)."""

    def __init__(self, **kwargs):
        # The sim is the clock: every stamp comes from its physics time, and nothing in
        # it reads the ROS clock. use_sim_time (the bringup gives it to every node) would
        # only subscribe the sim to its own /clock: a wake-up per clock message.
        overrides = [*(kwargs.pop('parameter_overrides', None) or []),
                     Parameter('use_sim_time', value=False)]
        super().__init__('sim', parameter_overrides=overrides, **kwargs)
        p = declare(self, SPECS)
        names = tuple(n for n in p['robots'] if n) or ('',)
        try:
            world_path = resolve_world(p['world'])
            self.world = load_world(world_path, strict=p['strict_world'])
            self.robot = load_robot(p['robot'])
            spawns = robot_spawns(self.world, names, p['spawn'])
            self.physics = Physics(self.world, self.robot, p['physics_timestep_s'],
                                   robots=names, spawns=spawns)
        except (WorldError, RobotPresetError, ValueError) as exc:
            raise ConfigError(str(exc)) from None
        for warning in self.world.warnings:
            self.get_logger().warning(warning)
        lidar = self.robot.lidar
        self.scan_rate = p['scan_rate_hz'] or lidar.rate_hz
        self.scan_samples = p['scan_samples'] or lidar.samples
        self.scan_range_max = p['scan_range_max_m'] or lidar.range_max
        self.scan_noise = lidar.noise_std if p['scan_noise_std_m'] < 0 else p['scan_noise_std_m']
        self.odom_noise = OdometryNoise(*(p[k] for k in ODOM_NOISE_PARAMS))
        self.odom_at_truth = p['odom_starts_at_truth']
        self.map_to_odom_from_truth = p['publish_map_to_odom_from_truth']
        if self.odom_at_truth and self.map_to_odom_from_truth:
            raise ConfigError('odom_starts_at_truth and publish_map_to_odom_from_truth both '
                              'publish world_frame -> odom; set one of them')
        # robot 0 draws from seed alone, so one robot is as reproducible as before
        self.robots = [
            _Robot(i, name, spawns[i] or (0.0, 0.0, 0.0),
                   np.random.default_rng(p['seed'] if i == 0 else [p['seed'], i]),
                   self.odom_noise, self._new_battery())
            for i, name in enumerate(names)]
        for robot in self.robots:
            robot.collisions = CollisionCounter(p['collision_debounce_s'])
            self._reset_odometry(robot)
        self.rtf = p['real_time_factor']
        self.cmd_timeout = p['cmd_vel_timeout_s']
        self.max_lead = p['max_lead_s']
        self.lead_wait_timeout = p['lead_wait_timeout_s']
        self.lockstep_topics = [t for t in p['lockstep_topics'] if t]
        self.idle_rtf = p['lockstep_idle_rtf']
        self.heartbeat_topic = p['lockstep_heartbeat_topic']
        for name, topics in (('lockstep_topics', self.lockstep_topics),
                             ('lockstep_heartbeat_topic', [self.heartbeat_topic])):
            for topic in filter(None, topics):
                try:
                    validate_topic_name(topic)
                except InvalidTopicNameException as exc:
                    raise ConfigError(f'{name}: {topic!r} is not a topic name: '
                                      f'{str(exc).splitlines()[0].rstrip(":")}') from None
        self._heartbeat_held_since = None  # wall time the heartbeat key began holding the sim
        self._stack_idle = True  # lockstep: no command flowing (before the first, or timed out)
        # lockstep and no robot's first command yet: the stack is starting (see _pace)
        self._starting = self.max_lead > 0
        self._held_since = None
        self.holds = 0
        self.frames = {k: p[k] for k in ('odom_frame', 'base_frame', 'scan_frame',
                                         'camera_frame', 'world_frame')}
        self.publish_tf = p['publish_tf']
        self._lock = threading.Lock()
        now = self.physics.time
        self._clock_every = _Every(p['clock_rate_hz'], now)
        self._scan_every = _Every(self.scan_rate, now)
        self._odom_every = _Every(p['odom_rate_hz'], now)
        self._camera_every = _Every(p['camera_rate_hz'] or self.robot.camera.rate_hz, now)
        self._battery_every = _Every(p['battery_rate_hz'], now)
        self._objects_every = _Every(p['ground_truth_objects_rate_hz'], now)
        self._make_interfaces(p['use_stamped'])
        self.add_post_set_parameters_callback(self._apply_parameters)
        self._running = True
        self._thread = threading.Thread(target=self._run, name='sim_physics', daemon=True)
        self._thread.start()
        where = ', '.join(
            (f'{r.namespace} ' if r.namespace else '')
            + f'at ({r.spawn[0]:.2f}, {r.spawn[1]:.2f}, {r.spawn[2]:.2f})' for r in self.robots)
        self.get_logger().info(
            f'sim ready: world {self.world.name!r} ({world_path}, {len(self.world.geoms)} '
            f'geoms, {len(self.world.objects)} objects), robot {self.robot.name!r} {where}, '
            f'rtf {self.rtf:g}, seed {p["seed"]}')

    # ------------------------------------------------------------ parameters
    def _apply_parameters(self, parameters):
        """Use a new real_time_factor (the only writable parameter; rclpy checked its range)."""
        for param in parameters:
            if param.name == 'real_time_factor':
                with self._lock:
                    self.rtf = param.value
                    self._pace_reset = True

    def _new_battery(self) -> Battery:
        r = self.robot
        return Battery(r.battery_capacity_wh, r.battery_voltage, r.idle_power_w,
                       r.motion_power_w, r.charge_power_w,
                       self.get_parameter('battery_initial_fraction').value)

    # ------------------------------------------------------------ interfaces
    def _make_interfaces(self, use_stamped: bool):
        reliable = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        self.pub_clock = self.create_publisher(Clock, '/clock', reliable)
        self.pub_true_objects = self.create_publisher(DetectionArray, 'ground_truth/objects',
                                                      reliable)
        # One robot: its interfaces are this node's. Several: each robot gets a
        # node of its own in its namespace (/robot1/sim), spun by the same
        # executor, so every per-robot name stays relative: robot1's 'scan' is
        # /robot1/scan, and remappings work as for one robot.
        self.robot_nodes = []
        for robot in self.robots:
            node = self
            if robot.namespace:
                node = QuietNode('sim', namespace=robot.namespace)
                self.robot_nodes.append(node)
            self._make_robot_interfaces(node, robot, use_stamped)

    def _make_robot_interfaces(self, node: Node, robot: _Robot, use_stamped: bool):
        reliable = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        latched = QoSProfile(depth=10, durability=DurabilityPolicy.TRANSIENT_LOCAL)
        pub = robot.pub
        # Nav2 and the Gazebo plugins publish scans best-effort (SensorDataQoS);
        # reliable here still matches both reliable and best-effort subscribers.
        pub['scan'] = node.create_publisher(LaserScan, 'scan', reliable)
        pub['odom'] = node.create_publisher(Odometry, 'odom', reliable)
        pub['truth'] = node.create_publisher(Odometry, 'ground_truth/odom', reliable)
        pub['tf'] = node.create_publisher(TFMessage, 'tf', QoSProfile(depth=100))
        pub['tf_static'] = node.create_publisher(TFMessage, 'tf_static', latched)
        pub['battery'] = node.create_publisher(BatteryState, 'battery_state', reliable)
        pub['collisions'] = node.create_publisher(CollisionEvent, 'collisions',
                                                  QoSProfile(depth=50))
        pub['detections'] = node.create_publisher(DetectionArray, 'detections', reliable)
        held = QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL)
        pub['held'] = node.create_publisher(DetectionArray, 'gripper/held', held)
        cmd_type = TwistStamped if use_stamped else Twist
        # depth 1: a base applies the newest command; older ones queued under load are stale
        node.create_subscription(cmd_type, 'cmd_vel',
                                 lambda msg: self._on_cmd_vel(robot, msg), 1)
        node.create_service(TeleportRobot, 'teleport',
                            lambda req, res: self._on_teleport(robot, req, res))
        robot.gripper = ActionServer(node, Gripper, 'gripper',
                                     lambda goal: self._on_gripper(robot, goal),
                                     goal_callback=lambda _: GoalResponse.ACCEPT)
        if self.max_lead > 0:  # lockstep's heartbeat: the controller's cycle
            for topic in self.lockstep_topics:
                node.create_subscription(Twist, topic,
                                         lambda _msg: self._on_lockstep_beat(robot), 10)
            if self.heartbeat_topic:  # only its arrival counts: raw, never deserialized
                node.create_subscription(Header, self.heartbeat_topic,
                                         lambda _msg: robot.heartbeat_slot.append(True), 10,
                                         raw=True)
        self._publish_static_tf(robot)
        self._publish_held(robot)

    def _reset_odometry(self, robot: _Robot):
        truth = self.physics.pose(robot.index)
        robot.odometry.reset(truth, start=truth if self.odom_at_truth else (0.0, 0.0, 0.0))

    def _publish_static_tf(self, robot: _Robot):
        lidar, camera = self.robot.lidar, self.robot.camera
        msgs = []
        if self.odom_at_truth:
            t = TransformStamped()
            t.header.stamp = _stamp(self.physics.time)
            t.header.frame_id = self.frames['world_frame']
            t.child_frame_id = self.frames['odom_frame']
            t.transform.rotation.w = 1.0
            msgs.append(t)
        for child, spec in ((self.frames['scan_frame'], lidar),
                            (self.frames['camera_frame'], camera)):
            t = TransformStamped()
            t.header.stamp = _stamp(self.physics.time)
            t.header.frame_id = self.frames['base_frame']
            t.child_frame_id = child
            t.transform.translation.x = spec.x
            t.transform.translation.y = spec.y
            t.transform.translation.z = spec.z
            _yaw_quat(t.transform.rotation, spec.yaw)
            msgs.append(t)
        robot.pub['tf_static'].publish(TFMessage(transforms=msgs))

    # ------------------------------------------------------------ callbacks (short)
    def _on_cmd_vel(self, robot: _Robot, msg):
        twist = msg.twist if isinstance(msg, TwistStamped) else msg
        linear, angular = twist.linear.x, twist.angular.z
        if not (math.isfinite(linear) and math.isfinite(angular)):
            self.get_logger().warning(
                f'{robot.label} cmd_vel rejected: non-finite value (linear.x={linear}, '
                f'angular.z={angular}); robot stopped', throttle_duration_sec=1.0)
            linear = angular = 0.0
        robot.command_slot.append((linear, angular))  # applied before the next step

    def _apply_commands(self):
        """Apply each robot's newest cmd_vel and lockstep beat since the last step (lock held)."""
        for robot in self.robots:
            if robot.beat_slot:
                robot.beat_slot.clear()
                robot.last_beat_time = self.physics.time
            if robot.heartbeat_slot:
                robot.heartbeat_slot.clear()
                robot.last_heartbeat_time = self.physics.time
            try:
                linear, angular = robot.command_slot.popleft()
            except IndexError:
                continue
            self.physics.set_command(linear, angular, robot.index)
            robot.last_cmd_time = self.physics.time

    def _on_lockstep_beat(self, robot: _Robot):
        robot.beat_slot.append(True)  # timed by the physics thread, as commands are

    def _on_teleport(self, robot: _Robot, request, response):
        with self._lock:
            if request.place:
                place = self.world.places.get(request.place)
                if place is None:
                    response.success = False
                    response.message = (f'unknown place {request.place!r}; places: '
                                        f'{", ".join(sorted(self.world.places)) or "(none)"}')
                    return response
                pose = (place.x, place.y, place.yaw)
            else:
                pose = (request.x, request.y, request.yaw)
                if not all(math.isfinite(v) for v in pose):
                    response.success = False
                    response.message = f'non-finite pose {pose}'
                    return response
            self.physics.teleport(*pose, robot=robot.index)
            robot.last_cmd_time = robot.last_beat_time = -math.inf
            robot.command_slot.clear()  # sent before the teleport: not for the new pose
            robot.beat_slot.clear()
            self._stack_idle = True
            if request.reset_world:
                self.physics.reset_objects()
                for each in self.robots:
                    each.battery = self._new_battery()
                    self._reset_odometry(each)
                    each.collisions.reset()
            else:
                robot.odometry.carried(self.physics.pose(robot.index))
            self.physics.step(1)
            touching = [c.other for c in self.physics.contacts(robot.index)]
            if request.reset_world:
                for each in self.robots:
                    self._publish_held(each)
        response.success = True
        response.message = f'robot at ({pose[0]:.3f}, {pose[1]:.3f}, {pose[2]:.3f})' + (
            f'; touching {", ".join(touching)}' if touching else '') + (
            '; world reset' if request.reset_world else '')
        return response

    def _on_gripper(self, robot: _Robot, goal_handle):
        goal = goal_handle.request
        result = Gripper.Result()
        index = robot.index
        with self._lock:
            physics = self.physics
            held = physics.bodies[index].held
            if goal.command == Gripper.Goal.CLOSE:
                if held is not None:
                    result.error_code = Gripper.Result.ALREADY_HOLDING
                    result.error_msg = f'already holding {held!r}'
                else:
                    grasped = physics.grasp(goal.object_id, robot=index)
                    if grasped is None:
                        result.error_code = Gripper.Result.NOTHING_IN_REACH
                        wanted = f'object {goal.object_id!r}' if goal.object_id else 'no object'
                        result.error_msg = f'{wanted} within reach of the gripper'
            elif goal.command == Gripper.Goal.OPEN:
                if held is None:
                    result.error_code = Gripper.Result.NOT_HOLDING
                    result.error_msg = 'gripper already open: holding nothing'
                else:
                    physics.release(robot=index)
            else:
                result.error_code = Gripper.Result.FAILED
                result.error_msg = f'unknown command {goal.command}; OPEN=0, CLOSE=1'
            held = physics.bodies[index].held
            if result.error_code == Gripper.Result.NONE:
                self._publish_held(robot)
        result.holding = held is not None
        result.object_id = held or ''
        result.object_class = self._object_class(held)
        goal_handle.publish_feedback(Gripper.Feedback(opening=0.0 if held else 0.08))
        if result.error_code == Gripper.Result.NONE:
            goal_handle.succeed()
        else:
            goal_handle.abort()
        return result

    def _object_class(self, object_id) -> str:
        obj = self.physics.objects.get(object_id) if object_id else None
        return obj.class_id if obj else ''

    # ------------------------------------------------------------ the physics thread
    def _run(self):
        self._pace_reset = True
        wall0 = sim0 = 0.0
        try:
            while self._running and self.context.ok():
                with self._lock:
                    self._apply_commands()
                    held = self._held_back()
                    if not held:
                        self._advance()
                    rtf = self._pace()
                    if self._pace_reset:
                        wall0, sim0 = time.monotonic(), self.physics.time
                        self._pace_reset = False
                    sim_now = self.physics.time
                if held:
                    time.sleep(0.0005)
                    continue
                if rtf > 0:
                    ahead = (sim_now - sim0) / rtf - (time.monotonic() - wall0)
                    if ahead > 0:
                        time.sleep(ahead)
                    elif ahead < -0.5:  # fell behind (a loaded machine): do not try to catch up
                        wall0, sim0 = time.monotonic(), sim_now
        except Exception as exc:  # the thread must report, not vanish
            if not self._running or not self.context.ok():
                return  # shutting down: publishers may already be gone
            self.get_logger().fatal(f'physics thread stopped: {exc!r}')
            raise

    def _last_command_time(self) -> float:
        """Lockstep's reference: the oldest last command among robots that sent one.

        A robot's command is its last message on ``lockstep_topics`` (its
        controller's cycle), or its cmd_vel when that list is empty; the robot
        whose stack is furthest behind sets the pace.
        """
        times = [r.last_beat_time if self.lockstep_topics else r.last_cmd_time
                 for r in self.robots]
        times = [t for t in times if t != -math.inf]
        return min(times) if times else -math.inf

    def _held_back(self) -> bool:
        """Whether lockstep holds the sim, for the controller or the heartbeat (lock held)."""
        by_controller = self._held_by_controller()  # always: it tracks the idle state
        return self._held_by_heartbeat() or by_controller

    def _held_by_heartbeat(self) -> bool:
        """Whether the sim is ``max_lead_s`` past the last heartbeat of a robot's orchestrator.

        The robot whose orchestrator is furthest behind sets the pace. Without a
        heartbeat for ``lead_wait_timeout_s`` of wall time (an orchestrator gone or
        stalled) the sim runs on: base_driver's heartbeat watchdog holds that robot.
        """
        times = [r.last_heartbeat_time for r in self.robots
                 if r.last_heartbeat_time != -math.inf]
        if self.max_lead <= 0 or not times or self.physics.time - min(times) < self.max_lead:
            self._heartbeat_held_since = None
            return False
        now = time.monotonic()
        if self._heartbeat_held_since is None:
            self._heartbeat_held_since = now
            self._pace_reset = True  # the pace starts again from where the hold ends
        if now - self._heartbeat_held_since > self.lead_wait_timeout:
            self.get_logger().info(  # the orchestrator stalled; base_driver holds the robot
                f'lockstep: no heartbeat on {self.heartbeat_topic} for '
                f'{self.lead_wait_timeout} s of wall time; running on without the orchestrator',
                throttle_duration_sec=10.0)
            return False
        return True

    def _held_by_controller(self) -> bool:
        """Whether lockstep holds the sim: too far past the stack's last command (lock held).

        Before the first command, and ``lead_wait_timeout_s`` of wall time after
        the commands stop (an idle robot), the sim runs on, paced by :meth:`_pace`.
        """
        last = self._last_command_time()
        if self.max_lead <= 0 or last == -math.inf:
            return False
        if self.physics.time - last < self.max_lead:
            self._held_since = None
            if self._stack_idle:  # commands flow (again): lockstep, at real_time_factor
                self._stack_idle = False
                self._pace_reset = True
            return False
        now = time.monotonic()
        if self._held_since is None:
            self._held_since = now
            self.holds += 1
            self._pace_reset = True
        if now - self._held_since > self.lead_wait_timeout:
            if not self._stack_idle:
                self._stack_idle = True
                self._pace_reset = True
            self.get_logger().info(  # normal between goals: the controller is idle
                f'lockstep: nothing on {", ".join(self.lockstep_topics) or "cmd_vel"} for '
                f'{self.lead_wait_timeout} s of wall time; running on without the stack until '
                'a command arrives', throttle_duration_sec=10.0)
            return False
        return True

    def _pace(self) -> float:
        """Return the real-time factor to pace at now (lock held): lockstep_idle_rtf if idle.

        In lockstep, until the first command of any robot (the stack is still
        starting: nothing shows it keeps up), at most real time whatever
        ``lockstep_idle_rtf``: at rtf 0 the sim would burn sim time (the battery,
        the stack's sim-time timeouts) and the CPU the starting nodes need.
        """
        rtf = self.rtf
        if self.max_lead > 0 and self._stack_idle and self.idle_rtf > 0:
            rtf = self.idle_rtf if rtf == 0 else min(rtf, self.idle_rtf)
        if self._starting:
            if self._last_command_time() == -math.inf:
                return 1.0 if rtf == 0 else min(rtf, 1.0)
            self._starting = False
            self._pace_reset = True
            self.get_logger().info(f'lockstep: the first command at {self.physics.time:.2f} s: '
                                   'no longer held to real time')
        return rtf

    def _advance(self):
        """Step to the next scheduled output and publish what is due (lock held)."""
        physics = self.physics
        now = physics.time
        for robot in self.robots:
            if self.cmd_timeout > 0 and now - robot.last_cmd_time > self.cmd_timeout \
                    and physics.bodies[robot.index].command != (0.0, 0.0):
                physics.set_command(0.0, 0.0, robot.index)
        step = physics.timestep
        next_due = min(e.next for e in (self._clock_every, self._scan_every, self._odom_every,
                                        self._camera_every, self._battery_every,
                                        self._objects_every))
        count = max(1, min(int(math.ceil((next_due - now) / step - 1e-6)), 100))
        for _ in range(count):
            physics.step(1)
            if physics.data.ncon:
                for robot in self.robots:
                    self._check_collisions(robot)
        now = physics.time
        if self._clock_every.due(now):
            self.pub_clock.publish(Clock(clock=_stamp(now)))
        for every, publish in ((self._odom_every, self._publish_odom),
                               (self._scan_every, self._publish_scan),
                               (self._camera_every, self._publish_detections),
                               (self._battery_every, self._publish_battery)):
            if every.due(now):
                for robot in self.robots:
                    publish(robot, now)
        if self._objects_every.due(now):
            self._publish_true_objects(now)

    def _check_collisions(self, robot: _Robot):
        contacts = self.physics.contacts(robot.index)
        if not contacts:
            return
        counter = robot.collisions
        onsets = set(counter.update(self.physics.time, [c.other for c in contacts]))
        for contact in contacts:
            if contact.other not in onsets:
                continue
            event = CollisionEvent(other=contact.other, depth=max(contact.depth, 0.0),
                                   count=counter.count)
            event.header.stamp = _stamp(self.physics.time)
            event.header.frame_id = self.frames['world_frame']
            event.position.x, event.position.y, event.position.z = contact.position
            robot.pub['collisions'].publish(event)
            self.get_logger().warning(
                f'{robot.namespace + " " if robot.namespace else ""}collision '
                f'#{counter.count} with {contact.other!r} at '
                f'({contact.position[0]:.2f}, {contact.position[1]:.2f})')

    def _publish_odom(self, robot: _Robot, now: float):
        physics = self.physics
        truth = physics.pose(robot.index)
        vx, vy, wz = physics.velocity(robot.index)
        dt = now - robot.last_odom_t
        robot.last_odom_t = now
        ox, oy, oyaw = robot.odometry.update(truth, dt)
        mvx, mvy, mwz = robot.odometry.twist
        stamp = _stamp(now)
        frames = self.frames
        odom = Odometry()
        odom.header.stamp = stamp
        odom.header.frame_id = frames['odom_frame']
        odom.child_frame_id = frames['base_frame']
        odom.pose.pose.position.x, odom.pose.pose.position.y = ox, oy
        _yaw_quat(odom.pose.pose.orientation, oyaw)
        odom.twist.twist.linear.x, odom.twist.twist.linear.y = mvx, mvy
        odom.twist.twist.angular.z = mwz
        n = self.odom_noise
        cov_xy = max(n.linear_noise_per_m, 1e-4) ** 2
        cov_yaw = max(n.angular_noise_per_rad, 1e-4) ** 2
        odom.pose.covariance[0] = odom.pose.covariance[7] = cov_xy
        odom.pose.covariance[35] = cov_yaw
        odom.twist.covariance[0] = odom.twist.covariance[7] = cov_xy
        odom.twist.covariance[35] = cov_yaw
        robot.pub['odom'].publish(odom)
        if self.publish_tf:
            t = TransformStamped()
            t.header = odom.header
            t.child_frame_id = frames['base_frame']
            t.transform.translation.x, t.transform.translation.y = ox, oy
            t.transform.rotation = odom.pose.pose.orientation
            transforms = [t]
            if self.map_to_odom_from_truth:
                # map -> odom = truth ∘ odom⁻¹, stamped as odom -> base_link, so that
                # map -> base_link is the true pose at every stamp
                mx, my, myaw = map_to_odom(truth, (ox, oy, oyaw))
                m = TransformStamped()
                m.header.stamp = stamp
                m.header.frame_id = frames['world_frame']
                m.child_frame_id = frames['odom_frame']
                m.transform.translation.x, m.transform.translation.y = mx, my
                _yaw_quat(m.transform.rotation, myaw)
                transforms.insert(0, m)
            robot.pub['tf'].publish(TFMessage(transforms=transforms))
        gt = Odometry()
        gt.header.stamp = stamp
        gt.header.frame_id = frames['world_frame']
        gt.child_frame_id = frames['base_frame']
        gt.pose.pose.position.x, gt.pose.pose.position.y = truth[0], truth[1]
        _yaw_quat(gt.pose.pose.orientation, truth[2])
        gt.twist.twist.linear.x, gt.twist.twist.linear.y, gt.twist.twist.angular.z = vx, vy, wz
        robot.pub['truth'].publish(gt)

    def _publish_scan(self, robot: _Robot, now: float):
        lidar = self.robot.lidar
        ranges = self.physics.scan(lidar, self.scan_samples, self.scan_range_max, robot.index)
        ranges = lidar_noise(ranges, self.scan_noise, robot.rng, lidar.range_min,
                             self.scan_range_max)
        msg = LaserScan()
        msg.header.stamp = _stamp(now)
        msg.header.frame_id = self.frames['scan_frame']
        msg.angle_min = lidar.angle_min
        msg.angle_max = lidar.angle_max
        msg.angle_increment = (lidar.angle_max - lidar.angle_min) / max(self.scan_samples - 1, 1)
        msg.scan_time = 1.0 / self.scan_rate
        msg.range_min = lidar.range_min
        msg.range_max = self.scan_range_max
        msg.ranges = array.array('f', ranges.astype(np.float32).tobytes())
        robot.pub['scan'].publish(msg)

    @staticmethod
    def _detection(obj, position, yaw) -> Detection:
        d = Detection(id=obj.object_id, class_id=obj.class_id, color=obj.color, confidence=1.0)
        d.pose.position.x, d.pose.position.y, d.pose.position.z = position
        _yaw_quat(d.pose.orientation, yaw)
        shape = obj.shape
        if shape.kind == 'cylinder':
            d.size.x = d.size.y = 2.0 * shape.size[0]
            d.size.z = shape.size[1]
        else:
            d.size.x, d.size.y, d.size.z = shape.size
        return d

    def _publish_detections(self, robot: _Robot, now: float):
        msg = DetectionArray()
        msg.header.stamp = _stamp(now)
        msg.header.frame_id = self.frames['camera_frame']
        for seen in self.physics.camera_view(self.robot.camera, robot.index):
            msg.detections.append(self._detection(seen.obj, seen.position, seen.yaw))
        robot.pub['detections'].publish(msg)

    def _publish_held(self, robot: _Robot):
        """Say what a robot's gripper holds (gripper/held), posed in its base frame."""
        physics = self.physics
        msg = DetectionArray()
        msg.header.stamp = _stamp(physics.time)
        msg.header.frame_id = self.frames['base_frame']
        oid = physics.bodies[robot.index].held
        if oid is not None:
            x, y, yaw = physics.pose(robot.index)
            ox, oy, oz = physics.object_position(oid)
            dx, dy = ox - x, oy - y
            c, s = math.cos(yaw), math.sin(yaw)
            msg.detections.append(self._detection(
                physics.objects[oid], (c * dx + s * dy, -s * dx + c * dy, oz),
                wrap_angle(physics.object_yaw(oid) - yaw)))
        robot.pub['held'].publish(msg)

    def _publish_true_objects(self, now: float):
        msg = DetectionArray()
        msg.header.stamp = _stamp(now)
        msg.header.frame_id = self.frames['world_frame']
        physics = self.physics
        for oid, obj in physics.objects.items():
            msg.detections.append(self._detection(obj, physics.object_position(oid),
                                                   physics.object_yaw(oid)))
        self.pub_true_objects.publish(msg)

    def _publish_battery(self, robot: _Robot, now: float):
        physics = self.physics
        dt = now - robot.last_battery_t
        robot.last_battery_t = now
        speed = abs(physics.velocity(robot.index)[0])
        dock = self.world.dock
        docked = dock is not None and physics.distance_to_dock(robot.index) <= dock.radius \
            and speed < 0.05
        robot.battery.update(dt, speed / self.robot.max_vel_x, docked)
        r = robot.battery.reading()
        msg = BatteryState()
        msg.header.stamp = _stamp(now)
        msg.header.frame_id = self.frames['base_frame']
        msg.voltage = r.voltage
        msg.current = r.current
        msg.charge = r.charge_ah
        msg.capacity = msg.design_capacity = r.capacity_ah
        msg.percentage = r.percentage
        msg.temperature = math.nan
        msg.power_supply_status = (BatteryState.POWER_SUPPLY_STATUS_CHARGING if r.charging
                                   else BatteryState.POWER_SUPPLY_STATUS_FULL if r.full and docked
                                   else BatteryState.POWER_SUPPLY_STATUS_DISCHARGING)
        msg.power_supply_health = BatteryState.POWER_SUPPLY_HEALTH_GOOD
        msg.power_supply_technology = BatteryState.POWER_SUPPLY_TECHNOLOGY_LION
        msg.present = True
        robot.pub['battery'].publish(msg)

    def stop_node(self):
        """Stop the physics thread (the process is going away)."""
        self._running = False
        thread = getattr(self, '_thread', None)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2.0)

    def destroy_node(self):
        """Stop the physics thread, then destroy the robots' nodes and this one."""
        self.stop_node()
        for node in getattr(self, 'robot_nodes', ()):
            node.destroy_node()
        return super().destroy_node()


class _SimExecutor(LeanWaits, SingleThreadedExecutor):
    """Spins the sim node together with its robots' nodes (several robots).

    rclpy's single-threaded executor with its waits kept (:mod:`orchestrator_sim.lean_wait`,
    as the stack's nodes spin).
    """

    def add_node(self, node):
        added = super().add_node(node)
        for robot_node in getattr(node, 'robot_nodes', ()):
            super().add_node(robot_node)
        return added


def main(args=None) -> int:
    """Run the sim node; a bad world or robot is reported in one line, exit code 2."""
    return run_node(SimNode, 'sim', args, executor_factory=_SimExecutor)


if __name__ == '__main__':
    sys.exit(main())

"""base_driver: the last node before the wheels, ``cmd_vel_nav`` → ``cmd_vel``.

A thin adapter over :class:`orchestrator_pkg.drivers.velocity_limits.BaseDriverCore`:
clamps to velocity and acceleration limits, rejects NaN/Inf with a logged
reason, sends zero when no command arrived within ``timeout_s`` (on the ROS
clock, so sim time under ``use_sim_time``), and holds zero while the e-stop
is engaged. When ``orchestrator run`` reports on ``/diagnostics`` that the
process of a node publishing ``cmd_vel_nav`` exited (a killed controller), the
last command is dropped at once instead of after ``timeout_s``. With
``require_heartbeat`` it also sends zero, and drops commands, while the
orchestrator's heartbeat is missing for longer than ``heartbeat_timeout_s``
(ROS clock): a killed or hung orchestrator stops the robot even though the
navigator's goal may still be running. Once the heartbeat is back the next
command moves the robot again. Runs at ``rate_hz`` and publishes every cycle,
zeros included.

Parameters
    max_vel_x, min_vel_x (m/s), max_vel_theta (rad/s), max_accel_x,
    max_decel_x (m/s^2), max_accel_theta, max_decel_theta (rad/s^2), timeout_s, rate_hz,
    use_stamped (Twist or TwistStamped on both topics), require_heartbeat,
    heartbeat_topic, heartbeat_timeout_s, state_period_s

Subscribers
    cmd_vel_nav (geometry_msgs/Twist[Stamped]), e_stop (std_msgs/Bool: true engages,
    false releases; latched QoS so a late e-stop publisher is still heard),
    heartbeat_topic (std_msgs/Header; only with require_heartbeat),
    /diagnostics (diagnostic_msgs/DiagnosticArray: the runner's exit reports, ros_edge.graph)

Publishers
    cmd_vel (geometry_msgs/Twist[Stamped]),
    ~/state (diagnostic_msgs/DiagnosticStatus: mode IDLE/ACTIVE/TIMEOUT/ESTOP/NO_HEARTBEAT,
    stop_reason, heartbeat state and losses, e-stop state and engagements (estops),
    command_timeouts (a command gone stale while the robot moved on it),
    output, clamping and the last rejection; at once when any of it but the output
    changes, else every state_period_s)
"""
import sys

from diagnostic_msgs.msg import DiagnosticStatus, KeyValue
from geometry_msgs.msg import Twist, TwistStamped
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from std_msgs.msg import Bool, Header

from orchestrator_pkg.drivers.heartbeat import HeartbeatWatchdog
from orchestrator_pkg.drivers.velocity_limits import (
    ACTIVE,
    ESTOP,
    NO_HEARTBEAT,
    TIMEOUT,
    BaseDriverCore,
    VelocityLimits,
)
from orchestrator_pkg.ros_edge import graph, guard, params
from orchestrator_pkg.ros_edge.main import events_executor, run_node
from orchestrator_pkg.ros_edge.params import Spec
from orchestrator_pkg.ros_edge.qos_events import QuietEvents

LIMIT_SPECS = {
    'max_vel_x': Spec(0.5, 'forward speed limit, m/s', 0.0, 20.0),
    'min_vel_x': Spec(-0.25, 'reverse speed limit (<= 0), m/s', -20.0, 0.0),
    'max_vel_theta': Spec(2.0, 'turn rate limit, rad/s', 0.0, 20.0),
    'max_accel_x': Spec(1.0, 'linear acceleration limit, m/s^2', 0.0, 100.0),
    'max_decel_x': Spec(2.0, 'linear deceleration limit, m/s^2', 0.0, 100.0),
    'max_accel_theta': Spec(3.0, 'angular acceleration limit, rad/s^2', 0.0, 100.0),
    'max_decel_theta': Spec(3.0, 'angular deceleration limit (slowing a turn), rad/s^2',
                            0.0, 100.0),
}
SPECS = {
    **LIMIT_SPECS,
    'timeout_s': Spec(0.2, 'zero output when no command arrived for this long (ROS clock), s',
                      0.01, 10.0),
    'rate_hz': Spec(20.0, 'output rate, Hz (ROS clock)', 1.0, 500.0, read_only=True),
    'use_stamped': Spec(False, 'geometry_msgs/TwistStamped instead of Twist on both topics',
                        read_only=True),
    'require_heartbeat': Spec(False, 'hold zero velocity unless heartbeat_topic had a message '
                              'within heartbeat_timeout_s', read_only=True),
    'heartbeat_topic': Spec('orchestrator/heartbeat', 'std_msgs/Header heartbeat to require '
                            '(relative: in the namespace)', read_only=True),
    'heartbeat_timeout_s': Spec(0.2, 'heartbeat missing for longer than this (ROS clock) stops '
                                'the robot, s', 0.01, 10.0),
    'state_period_s': Spec(0.5, '~/state at once when anything but the output changes, else '
                           'at least this often (ROS clock), s; 0: every cycle', 0.0, 60.0),
}
# the ~/state values that change every cycle while the robot moves: they alone do not
# make a state message (the output is on cmd_vel)
_OUTPUT_KEYS = ('linear_x', 'angular_z')


def _limits(values: dict) -> VelocityLimits:
    return VelocityLimits(**{name: values[name] for name in LIMIT_SPECS})


def _check(values: dict):
    return _limits(values).problem() or None


class BaseDriverNode(QuietEvents, Node):
    """Velocity limits, watchdog and e-stop between the controller and the base."""

    def __init__(self, **kwargs):
        super().__init__('base_driver', **kwargs)
        v = params.declare(self, SPECS, _check)
        limits = _limits(v)
        heartbeat = None
        if v['require_heartbeat']:
            topic = self.resolve_topic_name(v['heartbeat_topic'])
            heartbeat = HeartbeatWatchdog(v['heartbeat_timeout_s'], topic)
        # a late timer tick ramps over two periods at most: the output never jumps
        self.core = BaseDriverCore(limits, v['timeout_s'], heartbeat,
                                   max_step_s=2.0 / v['rate_hz'])
        self.stamped = v['use_stamped']
        msg_type = TwistStamped if self.stamped else Twist
        self.pub_cmd = self.create_publisher(msg_type, 'cmd_vel', 10)
        self.pub_state = self.create_publisher(DiagnosticStatus, '~/state', 10)
        # the core rejects non-finite commands with its own counted reason (~/state)
        guard.subscribe(self, msg_type, 'cmd_vel_nav', self._on_command, 10,
                        check_finite=False)
        latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                             durability=DurabilityPolicy.TRANSIENT_LOCAL)
        guard.subscribe(self, Bool, 'e_stop', self._on_estop, latched, check_finite=False)
        if heartbeat is not None:  # best effort: a late beat is a missed beat, never queued
            beats = QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT)
            guard.subscribe(self, Header, heartbeat.source, self._on_heartbeat, beats,
                            check_finite=False)
        graph.subscribe_exit_reports(self, self._on_exits)
        self.add_post_set_parameters_callback(self._apply_parameters)
        self._last_update = None
        self._last_mode = None
        self._losses_logged = 0
        self._state_said = None  # (the state's values but the output, ROS time) last published
        self._state_period = v['state_period_s']
        self.create_timer(1.0 / v['rate_hz'], self._on_timer)
        self.get_logger().info(f'base_driver ready: {limits}, timeout '
                               f'{self.core.timeout_s} s, '
                               f'{"TwistStamped" if self.stamped else "Twist"}'
                               + (f', requires the heartbeat on {heartbeat.source} '
                                  f'(timeout {heartbeat.timeout_s:g} s)' if heartbeat else ''))

    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _apply_parameters(self, _parameters):
        """Use the parameters as changed (declare's callback has checked them)."""
        v = params.values(self, SPECS)
        self.core.limits = _limits(v)
        self.core.timeout_s = v['timeout_s']
        self._state_period = v['state_period_s']
        if self.core.heartbeat is not None:
            self.core.heartbeat.timeout_s = v['heartbeat_timeout_s']

    def _on_command(self, msg):
        twist = msg.twist if self.stamped else msg
        reason = self.core.command(twist.linear.x, twist.angular.z, self._now())
        if reason:
            self.get_logger().warning(f'cmd_vel_nav rejected: {reason}',
                                      throttle_duration_sec=1.0)

    def _on_exits(self, names):
        """Drop the last command when its sender exited: it must not drive on."""
        dead = sorted(set(names) & set(graph.publisher_nodes(self, 'cmd_vel_nav')))
        if not dead:
            return
        moving = self.core.output != (0.0, 0.0)
        self.core.drop_command()
        if moving:
            self.get_logger().warning(f'{", ".join(dead)} exited (reported on /diagnostics): '
                                      'sending zero velocity until a new command')

    def _on_heartbeat(self, msg):
        now = self._now()
        if now == 0.0:  # use_sim_time and no /clock yet: the ROS clock has not started
            return
        watchdog = self.core.heartbeat
        lost_at = watchdog.lost_at
        if watchdog.beat(now):
            self.get_logger().warning(
                f'heartbeat on {watchdog.source} is back after {now - lost_at:.2f} s: '
                f'accepting commands again ({watchdog.losses} losses so far)',
                throttle_duration_sec=1.0)

    def _on_estop(self, msg):
        if msg.data != self.core.estop:
            self.get_logger().warning('e-stop ENGAGED: holding zero velocity' if msg.data
                                      else 'e-stop released: waiting for a new command')
        self.core.set_estop(bool(msg.data))

    def _on_timer(self):
        now = self._now()
        dt = 0.0 if self._last_update is None else now - self._last_update
        self._last_update = now
        v, w = self.core.update(now, dt)
        if self.core.mode != self._last_mode:
            if self.core.mode == TIMEOUT:
                self.get_logger().warning(
                    f'no command for {self.core.timeout_s} s: sending zero velocity')
            elif self.core.mode == NO_HEARTBEAT and self.core.heartbeat.losses == 0:
                # at start-up, before the first beat: expected, not a fault
                self.get_logger().info(f'{self.core.stop_reason}: holding zero velocity')
            self._last_mode = self.core.mode
        beat = self.core.heartbeat
        if beat is not None and beat.losses > self._losses_logged:
            self._losses_logged = beat.losses
            if self.core.estop:  # held still anyway (e.g. the runner stopping the stack)
                self.get_logger().info(f'{beat.last_loss} while the e-stop is engaged',
                                       throttle_duration_sec=1.0)
            else:
                self.get_logger().error(f'{beat.last_loss}: holding zero velocity',
                                        throttle_duration_sec=1.0)
        twist = Twist()
        twist.linear.x, twist.angular.z = v, w
        if self.stamped:
            out = TwistStamped(twist=twist)
            out.header.stamp = self.get_clock().now().to_msg()
            out.header.frame_id = 'base_link'
            self.pub_cmd.publish(out)
        else:
            self.pub_cmd.publish(twist)
        values = self._state_values(v, w)
        said = tuple(value for key, value in values.items() if key not in _OUTPUT_KEYS)
        if (self._state_said is None or said != self._state_said[0]
                or not 0.0 <= now - self._state_said[1] < self._state_period):
            self._state_said = (said, now)
            self.pub_state.publish(self._state(values))

    def _state_values(self, v: float, w: float) -> dict:
        core = self.core
        beat = core.heartbeat
        return {'mode': core.mode, 'stop_reason': core.stop_reason,
                'heartbeat': beat.state if beat else 'not required',
                'heartbeat_losses': str(beat.losses if beat else 0),
                'dropped': str(core.dropped),
                'linear_x': f'{v:.4f}', 'angular_z': f'{w:.4f}',
                'clamped': str(core.clamped).lower(), 'estop': str(core.estop).lower(),
                'estops': str(core.estops),
                'command_timeouts': str(core.timeouts),
                'rejected': str(core.rejected), 'last_reject': core.last_reject}

    def _state(self, values: dict) -> DiagnosticStatus:
        core = self.core
        level = {ACTIVE: DiagnosticStatus.OK, TIMEOUT: DiagnosticStatus.WARN,
                 ESTOP: DiagnosticStatus.ERROR,
                 NO_HEARTBEAT: DiagnosticStatus.ERROR}.get(core.mode, DiagnosticStatus.OK)
        return DiagnosticStatus(
            level=level, name=self.get_fully_qualified_name(), hardware_id='base',
            message=core.mode, values=[KeyValue(key=k, value=val) for k, val in values.items()])


def main(args=None) -> int:
    """Run the base_driver node; bad parameters are reported in one line, exit code 1."""
    # no threads, coroutines or lifecycle here: the cheaper executor (ros_edge.main)
    return run_node(BaseDriverNode, args, executor_factory=events_executor, exit_process=True)


if __name__ == '__main__':
    sys.exit(main())

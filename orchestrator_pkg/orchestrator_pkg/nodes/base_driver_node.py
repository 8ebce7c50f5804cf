"""base_driver: the last node before the wheels, ``cmd_vel_nav`` → ``cmd_vel``.

A thin adapter over :class:`orchestrator_pkg.drivers.velocity_limits.BaseDriverCore`:
clamps to velocity and acceleration limits, rejects NaN/Inf with a logged
reason, sends zero when no command arrived within ``timeout_s`` (on the ROS
clock, so sim time under ``use_sim_time``), and holds zero while the e-stop
is engaged. With ``require_heartbeat`` it also sends zero, and drops
commands, while the orchestrator's heartbeat is missing for longer than
``heartbeat_timeout_s`` (ROS clock): a killed or hung orchestrator stops the
robot even though the navigator's goal may still be running. Once the
heartbeat is back the next command moves the robot again. Runs at
``rate_hz`` and publishes every cycle, zeros included.

Parameters
    max_vel_x, min_vel_x (m/s), max_vel_theta (rad/s), max_accel_x,
    max_decel_x (m/s^2), max_accel_theta (rad/s^2), timeout_s, rate_hz,
    use_stamped (Twist or TwistStamped on both topics), require_heartbeat,
    heartbeat_topic, heartbeat_timeout_s

Subscribers
    cmd_vel_nav (geometry_msgs/Twist[Stamped]), e_stop (std_msgs/Bool: true engages,
    false releases; latched QoS so a late e-stop publisher is still heard),
    heartbeat_topic (std_msgs/Header; only with require_heartbeat)

Publishers
    cmd_vel (geometry_msgs/Twist[Stamped]),
    ~/state (diagnostic_msgs/DiagnosticStatus: mode IDLE/ACTIVE/TIMEOUT/ESTOP/NO_HEARTBEAT,
    stop_reason, heartbeat state and losses, output, clamping and the last rejection)
"""
import math
import sys

from diagnostic_msgs.msg import DiagnosticStatus, KeyValue
from geometry_msgs.msg import Twist, TwistStamped
from rcl_interfaces.msg import FloatingPointRange, ParameterDescriptor, SetParametersResult
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
from orchestrator_pkg.node_main import spin_node

LIMIT_PARAMS = {
    'max_vel_x': (0.5, 'forward speed limit, m/s', 0.0, 20.0),
    'min_vel_x': (-0.25, 'reverse speed limit (<= 0), m/s', -20.0, 0.0),
    'max_vel_theta': (2.0, 'turn rate limit, rad/s', 0.0, 20.0),
    'max_accel_x': (1.0, 'linear acceleration limit, m/s^2', 0.0, 100.0),
    'max_decel_x': (2.0, 'linear deceleration limit, m/s^2', 0.0, 100.0),
    'max_accel_theta': (3.0, 'angular acceleration limit, rad/s^2', 0.0, 100.0),
}


def _range(lo, hi):
    return [FloatingPointRange(from_value=float(lo), to_value=float(hi), step=0.0)]


class BaseDriverNode(Node):
    """Velocity limits, watchdog and e-stop between the controller and the base."""

    def __init__(self, **kwargs):
        super().__init__('base_driver', **kwargs)
        for name, (default, text, lo, hi) in LIMIT_PARAMS.items():
            self.declare_parameter(name, default, ParameterDescriptor(
                description=text, floating_point_range=_range(lo, hi)))
        self.declare_parameter('timeout_s', 0.2, ParameterDescriptor(
            description='zero output when no command arrived for this long (ROS clock), s',
            floating_point_range=_range(0.01, 10.0)))
        self.declare_parameter('rate_hz', 20.0, ParameterDescriptor(
            description='output rate, Hz (ROS clock)', floating_point_range=_range(1.0, 500.0),
            read_only=True))
        self.declare_parameter('use_stamped', False, ParameterDescriptor(
            description='geometry_msgs/TwistStamped instead of Twist on both topics',
            read_only=True))
        self.declare_parameter('require_heartbeat', False, ParameterDescriptor(
            description='hold zero velocity unless heartbeat_topic had a message within '
                        'heartbeat_timeout_s', read_only=True))
        self.declare_parameter('heartbeat_topic', 'orchestrator/heartbeat', ParameterDescriptor(
            description='std_msgs/Header heartbeat to require (relative: in the namespace)',
            read_only=True))
        self.declare_parameter('heartbeat_timeout_s', 0.06, ParameterDescriptor(
            description='heartbeat missing for longer than this (ROS clock) stops the robot, s',
            floating_point_range=_range(0.01, 10.0)))
        limits = self._limits_from({})
        problem = limits.problem()
        if problem:
            raise ValueError(f'base_driver: bad parameters: {problem}')
        heartbeat = None
        if self.get_parameter('require_heartbeat').value:
            topic = self.resolve_topic_name(self.get_parameter('heartbeat_topic').value)
            heartbeat = HeartbeatWatchdog(self.get_parameter('heartbeat_timeout_s').value, topic)
        self.core = BaseDriverCore(limits, self.get_parameter('timeout_s').value, heartbeat)
        self.stamped = self.get_parameter('use_stamped').value
        msg_type = TwistStamped if self.stamped else Twist
        self.pub_cmd = self.create_publisher(msg_type, 'cmd_vel', 10)
        self.pub_state = self.create_publisher(DiagnosticStatus, '~/state', 10)
        self.create_subscription(msg_type, 'cmd_vel_nav', self._on_command, 10)
        latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                             durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self.create_subscription(Bool, 'e_stop', self._on_estop, latched)
        if heartbeat is not None:  # best effort: a late beat is a missed beat, never queued
            beats = QoSProfile(depth=1, reliability=ReliabilityPolicy.BEST_EFFORT)
            self.create_subscription(Header, heartbeat.source, self._on_heartbeat, beats)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self._last_update = None
        self._last_mode = None
        self._losses_logged = 0
        self.create_timer(1.0 / self.get_parameter('rate_hz').value, self._on_timer)
        self.get_logger().info(f'base_driver ready: {limits}, timeout '
                               f'{self.core.timeout_s} s, '
                               f'{"TwistStamped" if self.stamped else "Twist"}'
                               + (f', requires the heartbeat on {heartbeat.source} '
                                  f'(timeout {heartbeat.timeout_s:g} s)' if heartbeat else ''))

    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _limits_from(self, overrides: dict) -> VelocityLimits:
        values = {name: overrides.get(name, self.get_parameter(name).value)
                  for name in LIMIT_PARAMS}
        return VelocityLimits(**values)

    def _on_set_parameters(self, params):
        changes = {p.name: p.value for p in params}
        limits = self._limits_from({k: v for k, v in changes.items() if k in LIMIT_PARAMS})
        problem = limits.problem()
        if problem:
            return SetParametersResult(successful=False, reason=problem)
        timeout = changes.get('timeout_s', self.core.timeout_s)
        if not (isinstance(timeout, float) and math.isfinite(timeout) and timeout > 0):
            return SetParametersResult(successful=False,
                                       reason=f'timeout_s must be > 0, got {timeout!r}')
        beat_timeout = changes.get('heartbeat_timeout_s')
        if beat_timeout is not None and not (isinstance(beat_timeout, float)
                                             and math.isfinite(beat_timeout)
                                             and beat_timeout > 0):
            return SetParametersResult(
                successful=False, reason=f'heartbeat_timeout_s must be > 0, got {beat_timeout!r}')
        self.core.limits = limits
        self.core.timeout_s = timeout
        if beat_timeout is not None and self.core.heartbeat is not None:
            self.core.heartbeat.timeout_s = beat_timeout
        return SetParametersResult(successful=True)

    def _on_command(self, msg):
        twist = msg.twist if self.stamped else msg
        reason = self.core.command(twist.linear.x, twist.angular.z, self._now())
        if reason:
            self.get_logger().warning(f'cmd_vel_nav rejected: {reason}',
                                      throttle_duration_sec=1.0)

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
                self.get_logger().warning(f'{self.core.stop_reason}: holding zero velocity')
            self._last_mode = self.core.mode
        beat = self.core.heartbeat
        if beat is not None and beat.losses > self._losses_logged:
            self._losses_logged = beat.losses
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
        self.pub_state.publish(self._state(v, w))

    def _state(self, v: float, w: float) -> DiagnosticStatus:
        core = self.core
        level = {ACTIVE: DiagnosticStatus.OK, TIMEOUT: DiagnosticStatus.WARN,
                 ESTOP: DiagnosticStatus.ERROR,
                 NO_HEARTBEAT: DiagnosticStatus.ERROR}.get(core.mode, DiagnosticStatus.OK)
        beat = core.heartbeat
        values = {'mode': core.mode, 'stop_reason': core.stop_reason,
                  'heartbeat': beat.state if beat else 'not required',
                  'heartbeat_losses': str(beat.losses if beat else 0),
                  'dropped': str(core.dropped),
                  'linear_x': f'{v:.4f}', 'angular_z': f'{w:.4f}',
                  'clamped': str(core.clamped).lower(), 'estop': str(core.estop).lower(),
                  'rejected': str(core.rejected), 'last_reject': core.last_reject}
        return DiagnosticStatus(
            level=level, name=self.get_fully_qualified_name(), hardware_id='base',
            message=core.mode, values=[KeyValue(key=k, value=val) for k, val in values.items()])


def main(args=None) -> int:
    """Run the base_driver node."""
    return spin_node(BaseDriverNode, args)


if __name__ == '__main__':
    sys.exit(main())

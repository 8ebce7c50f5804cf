"""behavior_server: nav2_msgs Spin, BackUp, DriveOnHeading and Wait, with collision checks.

Spin, BackUp and DriveOnHeading check the robot footprint along the motion they are about to
make (``simulate_ahead_time_s``) against a rolling local costmap fed by
``scan``, and stop with COLLISION_AHEAD instead of driving into an obstacle.
All three run from one timer on the ROS clock; the execute callbacks only
await the result, so nothing blocks. Any end of a goal publishes a zero Twist.

Parameters: see ``config/nav.yaml`` (``behavior_server``) and docs/navigation.md.
Subscribers: ``scan`` (sensor_msgs/LaserScan), ``odom`` (nav_msgs/Odometry).
Publishers: ``cmd_vel_nav`` (geometry_msgs/Twist).
Actions: ``spin`` (nav2_msgs/Spin), ``backup`` (nav2_msgs/BackUp),
``drive_on_heading`` (nav2_msgs/DriveOnHeading), ``wait`` (nav2_msgs/Wait).

``backup`` and ``drive_on_heading`` are one behavior, as in Nav2 (backing up
is driving on the heading backwards): :mod:`orchestrator_pkg.planning.straight_drive`
turns either goal into a distance and a signed speed (INVALID_INPUT otherwise).

A managed node (:class:`~orchestrator_pkg.ros_edge.lifecycle.ManagedNode`): goals
are accepted and the loop runs only while active; deactivation ends a running
behavior with a zero Twist.
"""
import math

from geometry_msgs.msg import Twist
from nav2_msgs.action import BackUp, DriveOnHeading, Spin, Wait
from nav_msgs.msg import Odometry
from rclpy.action import ActionServer, CancelResponse
from rclpy.task import Future
from sensor_msgs.msg import LaserScan

from orchestrator_pkg import nav2_codes
from orchestrator_pkg.nodes.costmap_params import build_costmap, costmap_specs, footprint_from
from orchestrator_pkg.planning.controller import (
    footprint_collides,
    footprint_points,
    simulate_arc,
    wrap_angle,
)
from orchestrator_pkg.planning.frames import PoseHistory
from orchestrator_pkg.planning.straight_drive import drive_goal, drive_step
from orchestrator_pkg.ros_edge import convert, goals, graph, guard, params, qos
from orchestrator_pkg.ros_edge.costmap_services import ODOM_HISTORY_S, StampedScans
from orchestrator_pkg.ros_edge.lifecycle import ManagedNode
from orchestrator_pkg.ros_edge.main import run_node
from orchestrator_pkg.ros_edge.params import Spec

BEHAVIOR_SPECS = {
    'cycle_frequency_hz': Spec(20.0, 'behavior loop rate on the ROS clock', 1.0, 200.0,
                               read_only=True),
    'simulate_ahead_time_s': Spec(1.0, 'collision check horizon for spin, backup and '
                                  'drive_on_heading',
                                  0.1, 10.0),
    'max_rotational_vel': Spec(1.0, 'spin speed limit (rad/s)', 0.01, 10.0),
    'min_rotational_vel': Spec(0.2, 'spin speed floor (rad/s)', 0.0, 10.0),
    'rotational_acc_lim': Spec(3.2, 'spin acceleration limit (rad/s^2)', 0.01, 50.0),
    'odom_timeout_s': Spec(0.5, 'odometry older than this stops the robot and aborts',
                           0.05, 10.0),
}


ACTIONS = {'spin': Spin, 'backup': BackUp, 'drive_on_heading': DriveOnHeading, 'wait': Wait}
STRAIGHT = ('backup', 'drive_on_heading')  # one behavior: planning.straight_drive


class _Run:
    """One running behavior: kind, goal handle, the awaited future and its progress."""

    def __init__(self, kind, handle, start_s, start_pose):
        self.kind = kind
        self.handle = handle
        self.future = Future()
        self.start_s = start_s
        self.start_pose = start_pose
        self.last_yaw = start_pose[2] if start_pose else 0.0
        self.turned = 0.0
        self.drive = None  # a StraightDrive for backup and drive_on_heading


class BehaviorServer(ManagedNode):
    """Spin, back up, drive on heading and wait, each as a nav2_msgs action (a managed node)."""

    def __init__(self, **kwargs):
        super().__init__('behavior_server', **kwargs)
        self._cm_specs = costmap_specs(rolling=True)
        params.declare(self, {**self._cm_specs, **BEHAVIOR_SPECS})
        self._run = None

    def configure_node(self):
        """Create the costmap, topics, the four action servers and the behavior timer."""
        cm = params.values(self, self._cm_specs)
        self._scan_mount = convert.ScanPose(cm['scan_offset_x_m'], cm['scan_offset_y_m'],
                                           cm['scan_offset_yaw'])
        self._costmap = build_costmap(cm, rolling=True)
        self._samples = footprint_points(footprint_from(cm), cm['resolution_m'] * 0.5)
        self._pose = None
        self._pose_time = None
        self._odom = PoseHistory(ODOM_HISTORY_S, 'odometry')  # scans are marked at their stamp
        self._scans = StampedScans(self, self._sensor_pose_at, self._mark_scan)
        self._run = None
        self._cmd_pub = self.create_publisher(Twist, 'cmd_vel_nav', 10)
        guard.subscribe(self, LaserScan, 'scan', self._scans.add, qos.SENSOR_QOS)
        guard.subscribe(self, Odometry, 'odom', self._on_odom, qos.ODOM_HISTORY_QOS,
                        drain=True)
        accept = lambda _: CancelResponse.ACCEPT  # noqa: E731
        self._servers = [
            ActionServer(self, action, kind,
                         guard.execute(self, kind, action, self._exec(kind), check=check,
                                       codes=nav2_codes.BAD_GOAL[kind]),
                         cancel_callback=accept,
                         result_timeout=guard.RESULT_KEEP_S)
            for action, kind, check in ((Spin, 'spin', goals.spin_problem),
                                        (BackUp, 'backup', goals.backup_problem),
                                        (DriveOnHeading, 'drive_on_heading',
                                         goals.drive_on_heading_problem),
                                        (Wait, 'wait', None))]
        self._orphans = [graph.OrphanWatch(
            self, kind, lambda kind=kind: [self._run.handle] if self._run and
            self._run.kind == kind else [], self._orphaned) for kind in ACTIONS]
        self._period = 1.0 / self.get_parameter('cycle_frequency_hz').value
        self.create_timer(self._period, self._cycle)

    def deactivate_node(self):
        """End a running behavior (zero Twist) before the publishers go quiet."""
        if self._run is not None:
            self._end(self._run, 'UNKNOWN', 'behavior_server is deactivating', abort=True)

    def _on_odom(self, msg: Odometry):
        p = msg.pose.pose
        self._pose = (p.position.x, p.position.y, convert.quaternion_to_yaw(p.orientation))
        self._pose_time = self.get_clock().now()
        self._odom.add(convert.seconds_of(msg.header.stamp), self._pose)
        self._scans.retry()  # a scan may have been waiting for this pose

    def _sensor_pose_at(self, t: float):
        """Return the lidar's pose in odom at time ``t`` (odometry interpolated); FrameError."""
        return self._scan_mount.sensor_pose(*self._odom.at(t))

    def _mark_scan(self, msg: LaserScan, sensor_pose):
        self._costmap.update_origin(self._pose[0], self._pose[1])
        # every scan is marked (the layer keeps what it saw); the costs (inflation) are
        # computed when a behavior checks them (_collides), not for each scan while idle
        self._costmap.update_scan(convert.scan_data(msg), *sensor_pose, recompute=False)

    def _orphaned(self, handle, message: str):
        run = self._run
        if run is not None and run.handle is handle:
            self._end(run, 'UNKNOWN', message, abort=True)

    def _now_s(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _exec(self, kind):
        async def execute(goal_handle):
            if self._run is not None:
                self._end(self._run, 'UNKNOWN', 'preempted by another behavior', abort=True)
            needs_pose = kind != 'wait'
            if needs_pose and self._pose is None:
                goal_handle.abort()
                return self._result(kind, 'TF_ERROR', 'no robot pose yet (nothing on odom)', 0.0)
            drive = None
            if kind in STRAIGHT:
                req = goal_handle.request
                drive, problem = drive_goal(kind, (req.target.x, req.target.y, req.target.z),
                                            req.speed)
                if drive is None:
                    goal_handle.abort()
                    self.get_logger().warn(f'{kind} refused (INVALID_INPUT): {problem}')
                    return self._result(kind, 'INVALID_INPUT', problem, 0.0)
            run = _Run(kind, goal_handle, self._now_s(), self._pose)
            run.drive = drive
            self._run = run
            return await run.future
        return execute

    @staticmethod
    def _result(kind, code_name, message, elapsed_s):
        action = ACTIONS[kind]
        result = action.Result()
        result.total_elapsed_time = convert.to_duration(elapsed_s)
        result.error_code = getattr(action.Result, code_name, 0) if code_name else 0
        result.error_msg = message
        return result

    def _publish(self, v: float, w: float):
        if not self.context.ok():  # Ctrl-C shut rclpy down under a goal that is ending
            return
        msg = Twist()
        msg.linear.x = float(v)
        msg.angular.z = float(w)
        self._cmd_pub.publish(msg)

    def _end(self, run, code_name, message, abort=False, canceled=False):
        if run.kind != 'wait':
            self._publish(0.0, 0.0)
        if self._run is run:
            self._run = None
        if canceled:
            run.handle.canceled()
        elif abort:
            run.handle.abort()
            self.get_logger().warn(f'{run.kind} aborted: {message}')
        else:
            run.handle.succeed()
        run.future.set_result(self._result(run.kind, code_name, message,
                                           self._now_s() - run.start_s))

    def _collides(self, v: float, w: float) -> bool:
        x, y, yaw = self._pose
        if self._costmap.dirty:
            self._costmap.update_costs()
        horizon = self.get_parameter('simulate_ahead_time_s').value
        poses = simulate_arc(x, y, yaw, v, w, horizon, self._costmap.master.resolution * 0.5,
                             0.05)
        return bool(len(poses)) and bool(footprint_collides(self._costmap.master, self._samples,
                                                            poses).any())

    def _cycle(self):
        run = self._run
        if run is None:
            return
        if run.handle.is_cancel_requested:
            self._end(run, None, 'canceled', canceled=True)
            return
        elapsed = self._now_s() - run.start_s
        req = run.handle.request
        if run.kind == 'wait':
            left = convert.seconds_of(req.time) - elapsed
            if left <= 0.0:
                self._end(run, None, '')
            else:
                run.handle.publish_feedback(Wait.Feedback(time_left=convert.to_duration(left)))
            return
        if convert.seconds_of(req.time_allowance) > 0.0 and \
                elapsed > convert.seconds_of(req.time_allowance):
            self._end(run, 'TIMEOUT', f'{run.kind} exceeded its time_allowance', abort=True)
            return
        age = (self.get_clock().now() - self._pose_time).nanoseconds * 1e-9
        if age > self.get_parameter('odom_timeout_s').value:
            self._end(run, 'TF_ERROR', 'no fresh odometry', abort=True)
            return
        if run.kind == 'spin':
            self._spin_cycle(run, req)
        else:
            self._drive_cycle(run)

    def _spin_cycle(self, run, req):
        yaw = self._pose[2]
        run.turned += abs(wrap_angle(yaw - run.last_yaw))
        run.last_yaw = yaw
        remaining = abs(req.target_yaw) - run.turned
        if remaining <= 0.0:
            self._end(run, None, '')
            return
        p = {k: self.get_parameter(k).value
             for k in ('max_rotational_vel', 'min_rotational_vel', 'rotational_acc_lim')}
        w = min(p['max_rotational_vel'], math.sqrt(2.0 * p['rotational_acc_lim'] * remaining))
        w = math.copysign(max(w, p['min_rotational_vel']), req.target_yaw)
        if self._collides(0.0, w):
            self._end(run, 'COLLISION_AHEAD', 'spinning would hit an obstacle', abort=True)
            return
        self._publish(0.0, w)
        run.handle.publish_feedback(Spin.Feedback(angular_distance_traveled=float(run.turned)))

    def _drive_cycle(self, run):
        """One step of backup or drive_on_heading (the same behavior, two actions)."""
        travelled, v = drive_step(run.drive, run.start_pose[:2], self._pose[:2])
        if v is None:
            self._end(run, None, '')
            return
        if self._collides(v, 0.0):
            verb = 'backing up' if run.kind == 'backup' else 'driving on heading'
            self._end(run, 'COLLISION_AHEAD', f'{verb} would hit an obstacle', abort=True)
            return
        self._publish(v, 0.0)
        run.handle.publish_feedback(
            ACTIONS[run.kind].Feedback(distance_traveled=float(travelled)))


def main(args=None):
    """Run the behavior server."""
    return run_node(BehaviorServer, args, exit_process=True)


if __name__ == '__main__':
    raise SystemExit(main())

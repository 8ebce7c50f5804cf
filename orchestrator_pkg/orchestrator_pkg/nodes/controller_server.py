"""controller_server: nav2_msgs/FollowPath on a rolling local costmap.

The FollowPath controller is chosen by ``FollowPath.plugin`` with Nav2's class
names: regulated pure pursuit
(``nav2_regulated_pure_pursuit_controller::RegulatedPurePursuitController``,
the default) or MPPI (``nav2_mppi_controller::MPPIController``,
:mod:`orchestrator_pkg.planning.mppi`). Both take the robot's limits and goal
tolerances from the top-level parameters (``max_vel_x``, ``max_linear_accel``,
``desired_linear_vel``, ``xy_goal_tolerance_m``, ...), so switching keeps the
robot the same; MPPI's own parameters are ``FollowPath.<name>`` and
``FollowPath.<Critic>.<name>``, as in Nav2's YAML. MPPI keeps its warm start
across the new paths a replanning tree sends.

The control loop is a timer on the ROS clock (``controller_frequency_hz``); the
action's execute callback only awaits the loop's verdict, so nothing blocks.
Every cycle of an active goal publishes ``cmd_vel_nav``; any end of a goal
(success, abort, cancel, preemption) publishes a zero Twist, and a cancel
publishes it at once, from the cancel callback, not at the next cycle.

Frames: the local costmap, the robot pose (``odom``) and the commands are in
``global_frame`` (``odom``). A path in another frame (the planner's ``map``)
is transformed into ``global_frame`` through tf **every control cycle**, with
the latest ``map → odom``, so a localization correction moves the path under
the robot at once (the progress along the path is kept). Until the transform
is known the robot stands still; after ``transform_timeout_s`` without it the
goal aborts with TF_ERROR naming both frames.

Parameters: see ``config/nav.yaml`` (``controller_server``) and docs/navigation.md.
Subscribers: ``scan`` (sensor_msgs/LaserScan), ``odom`` (nav_msgs/Odometry,
drained: every queued message at each delivery, so the pose is the newest),
``object_topic`` (``tracked_objects``, orchestrator_interfaces/DetectionArray:
the local costmap's object layer, as the planner's; the path's end and a held
object are exempt), ``tf`` and ``tf_static`` (paths in another frame).
Publishers: ``cmd_vel_nav`` (geometry_msgs/Twist); only while someone
subscribes: ``local_plan`` (nav_msgs/Path, the path ahead within the local
costmap, every cycle of a goal) and ``local_costmap/costmap``, ``costmap_raw``
and ``published_footprint`` (:class:`~orchestrator_pkg.ros_edge.costmap_services.CostmapTopics`,
at ``costmap_publish_frequency_hz``).
Actions: ``follow_path`` (nav2_msgs/FollowPath).
Services: under ``local_costmap/``: ``get_costmap``, ``clear_entirely_local_costmap``,
``clear_around_local_costmap``, ``clear_except_local_costmap``
(:mod:`orchestrator_pkg.ros_edge.costmap_services`; the robot is where odom says).

A managed node (:class:`~orchestrator_pkg.ros_edge.lifecycle.ManagedNode`): all
of the above exists from configure on, the control loop runs and goals are
accepted only while active; deactivation aborts a running goal with a zero Twist.
"""
import math

from geometry_msgs.msg import Twist
from nav2_msgs.action import FollowPath
from nav_msgs.msg import Odometry, Path
import numpy as np
from rclpy.action import ActionServer, CancelResponse
from rclpy.task import Future
from sensor_msgs.msg import LaserScan
from std_msgs.msg import Header

from orchestrator_pkg import nav2_codes
from orchestrator_pkg.nodes.costmap_params import (
    build_costmap,
    costmap_specs,
    footprint_from,
    object_specs,
)
from orchestrator_pkg.planning import controller as rpp
from orchestrator_pkg.planning.costmap import footprint_radii
from orchestrator_pkg.planning.frames import FrameError, PoseHistory, transform_points
from orchestrator_pkg.planning.latency import CommandHistory
from orchestrator_pkg.planning.mppi import MPPIController, parameter_specs, params_from_dict
from orchestrator_pkg.ros_edge import convert, goals, graph, guard, params, qos
from orchestrator_pkg.ros_edge.costmap_services import (
    ODOM_HISTORY_S,
    CostmapObjects,
    CostmapServices,
    CostmapTopics,
    StampedScans,
)
from orchestrator_pkg.ros_edge.lifecycle import ManagedNode
from orchestrator_pkg.ros_edge.main import run_node
from orchestrator_pkg.ros_edge.params import Spec
from orchestrator_pkg.ros_edge.tf import tf_listener

R = FollowPath.Result
MAX_AHEAD_S = 0.5  # latency_compensation: never predict further ahead than this
CYCLE_SMOOTHING = 0.2  # weight of the newest cycle in the smoothed cycle time
RPP_PLUGIN = 'nav2_regulated_pure_pursuit_controller::RegulatedPurePursuitController'
MPPI_PLUGIN = 'nav2_mppi_controller::MPPIController'
PLUGINS = (RPP_PLUGIN, MPPI_PLUGIN)
MPPI_PREFIX = 'FollowPath.'
# MPPI's parameters that are the robot's, taken from the top-level ones (both controllers)
MPPI_SHARED = {
    'desired_linear_vel': lambda v: v['desired_linear_vel'],
    'vx_max': lambda v: v['max_vel_x'],
    'wz_max': lambda v: v['max_vel_theta'],
    'ax_max': lambda v: v['max_linear_accel'],
    'ax_min': lambda v: -v['max_linear_decel'],
    'az_max': lambda v: v['max_angular_accel'],
    'xy_goal_tolerance_m': lambda v: v['xy_goal_tolerance_m'],
    # 6.2832 (ignore the heading) is a hair over MPPI's 2 pi bound: the same meaning
    'yaw_goal_tolerance': lambda v: min(v['yaw_goal_tolerance'], 2.0 * math.pi),
}
MPPI_SPECS = {
    f'{MPPI_PREFIX}{spec.name}': Spec(spec.value, f'MPPI: {spec.description}', spec.lo, spec.hi)
    for spec in parameter_specs() if spec.name not in MPPI_SHARED}
CONTROLLER_SPECS = {
    'FollowPath.plugin': Spec(RPP_PLUGIN, 'the FollowPath controller, by its Nav2 class name: '
                              f'{RPP_PLUGIN} or {MPPI_PLUGIN}', read_only=True),
    'controller_frequency_hz': Spec(20.0, 'control loop rate on the ROS clock', 1.0, 200.0,
                                    read_only=True),
    'desired_linear_vel': Spec(1.0, 'cruise speed (m/s)', 0.01, 5.0),
    'max_vel_x': Spec(2.0, 'linear speed limit (m/s; Jackal 2.0)', 0.01, 5.0),
    'max_vel_theta': Spec(2.0, 'angular speed limit (rad/s)', 0.01, 10.0),
    'max_linear_accel': Spec(2.5, 'linear acceleration limit (m/s^2)', 0.01, 20.0),
    'max_linear_decel': Spec(2.5, 'linear deceleration limit (m/s^2)', 0.01, 20.0),
    'max_angular_accel': Spec(3.2, 'angular acceleration limit (rad/s^2)', 0.01, 50.0),
    'lookahead_time_s': Spec(1.2, 'lookahead = speed * this, clamped', 0.0, 10.0),
    'min_lookahead_dist_m': Spec(0.3, 'lookahead lower bound', 0.05, 10.0),
    'max_lookahead_dist_m': Spec(1.2, 'lookahead upper bound', 0.05, 20.0),
    'rotate_to_heading_angular_vel': Spec(1.5, 'in-place rotation speed (rad/s)', 0.01, 10.0),
    'rotate_to_heading_min_angle': Spec(0.785, 'rotate in place beyond this carrot angle (rad)',
                                        0.0, 3.1416),
    'regulated_linear_scaling_min_radius_m': Spec(0.6, 'slow down on arcs tighter than this',
                                                  0.0, 10.0),
    'regulated_linear_scaling_min_speed': Spec(0.15, 'floor of the regulated speed (m/s)',
                                               0.0, 5.0),
    'cost_scaling_dist_m': Spec(0.5, 'slow down closer than this to obstacles', 0.0, 5.0),
    'cost_scaling_gain': Spec(1.0, 'gain of the proximity slow-down', 0.0, 5.0),
    'approach_velocity_scaling_dist_m': Spec(0.6, 'slow down within this of the goal',
                                             0.0, 10.0),
    'min_approach_linear_velocity': Spec(0.05, 'speed floor near the goal (m/s)', 0.0, 1.0),
    'max_allowed_time_to_collision_s': Spec(1.0, 'collision check horizon', 0.1, 10.0),
    'xy_goal_tolerance_m': Spec(0.25, 'goal checker position tolerance', 0.01, 5.0),
    'yaw_goal_tolerance': Spec(6.2832, 'goal checker heading tolerance (rad; 2 pi = ignore)',
                               0.01, 6.2832),
    'required_movement_radius_m': Spec(0.5, 'progress checker: move this far ...', 0.0, 10.0),
    'movement_time_allowance_s': Spec(10.0, '... within this long, or FAILED_TO_MAKE_PROGRESS',
                                      0.1, 600.0),
    'failure_tolerance_s': Spec(0.5, 'how long the controller may see a collision ahead '
                                'before the goal aborts with NO_VALID_CONTROL', 0.0, 60.0),
    'latency_compensation': Spec(False, 'plan from where the robot will be when the command '
                                 'takes effect: the odometry pose driven along the commands '
                                 'already sent, up to the ROS time a cycle takes plus '
                                 'actuation_delay_s past now'),
    'actuation_delay_s': Spec(0.1, 'latency_compensation: time from publishing cmd_vel_nav to '
                              'the base moving at it (the base driver\'s or velocity '
                              'smoother\'s tick and the drive\'s response)', 0.0, 0.5,
                              read_only=True),
    'odom_timeout_s': Spec(0.5, 'odometry older than this stops the robot and aborts',
                           0.05, 10.0),
    'transform_timeout_s': Spec(2.0, 'a path in another frame than global_frame waits this '
                                'long (ROS time, standing still) for its transform on tf, '
                                'then the goal aborts with TF_ERROR', 0.0, 60.0),
    'costmap_publish_frequency_hz': Spec(2.0, 'rate of local_costmap/costmap, costmap_raw and '
                                         'published_footprint (0 = never)',
                                         0.0, 20.0, read_only=True),
    **object_specs(),
    **MPPI_SPECS,
}


def mppi_params(v: dict):
    """MPPI's parameters from the node's values (``FollowPath.*`` and the shared limits)."""
    values = {name[len(MPPI_PREFIX):]: v[name] for name in MPPI_SPECS}
    values.update({name: get(v) for name, get in MPPI_SHARED.items()})
    return params_from_dict(values)


def _check_controller(v: dict):
    """Cross-field rules of the controller parameters; a reason string or None."""
    plugin = v['FollowPath.plugin']
    if plugin not in PLUGINS:
        return f'FollowPath.plugin {plugin!r} is not one of: {", ".join(PLUGINS)}'
    fields = {k: v[k] for k in rpp.ControllerParams.__dataclass_fields__ if k in v}
    try:
        rpp.ControllerParams(**fields).validate()
        if plugin == MPPI_PLUGIN:
            mppi_params(v)
    except ValueError as exc:
        return str(exc)
    return None


class _Active:
    """The goal being executed: its handle and the future its execute callback awaits."""

    def __init__(self, handle, future, frame='', points=None, goal_yaw=None):
        self.handle = handle
        self.future = future
        self.failing_since = None
        self.started = None  # ROS time of the first control cycle
        self.frame = frame  # the path's frame when it is not global_frame, else ''
        self.points = points  # the path in its own frame (N x 2)
        self.goal_yaw = goal_yaw
        self.tf_since = None  # ROS time since when the path's transform is missing


class ControllerServer(ManagedNode):
    """Local rolling costmap plus the FollowPath controller (RPP or MPPI) behind the action."""

    def __init__(self, **kwargs):
        super().__init__('controller_server', **kwargs)
        self._cm_specs = costmap_specs(rolling=True)
        params.declare(self, {**self._cm_specs, **CONTROLLER_SPECS}, check=_check_controller)
        self._active = None

    def configure_node(self):
        """Create the costmap, topics, costmap services, action server and control timer."""
        cm = params.values(self, self._cm_specs)
        self._frame = cm['global_frame']
        self._scan_mount = convert.ScanPose(cm['scan_offset_x_m'], cm['scan_offset_y_m'],
                                           cm['scan_offset_yaw'])
        self._footprint = footprint_from(cm)
        self._costmap = build_costmap(cm, rolling=True)
        self._pose = None
        self._pose_time = None
        self._pose_stamp = 0.0  # the latest odometry's stamp (s)
        self._cycle_s = 0.0  # ROS time a control cycle takes, smoothed
        self._odom = PoseHistory(ODOM_HISTORY_S, 'odometry')  # scans are marked at their stamp
        self._scans = StampedScans(self, self._sensor_pose_at, self._mark_scan)
        self._tf = tf_listener(self)
        self._last_cmd = (0.0, 0.0)
        self._sent = CommandHistory(self.get_parameter('actuation_delay_s').value, MAX_AHEAD_S)
        self._active = None
        self._controller = None
        self._progress = None
        self._cmd_pub = self.create_publisher(Twist, 'cmd_vel_nav', 10)
        self._local_plan_pub = self.create_publisher(Path, 'local_plan', 1)
        guard.subscribe(self, LaserScan, 'scan', self._scans.add, qos.SENSOR_QOS)
        guard.subscribe(self, Odometry, 'odom', self._on_odom, qos.ODOM_HISTORY_QOS,
                        drain=True)
        CostmapObjects(self, self._costmap, self._frame,
                       self.get_parameter('object_topic').value,
                       footprint_radii(self._footprint)[1], exempt=self._object_exemptions)
        CostmapServices(self, 'local_costmap', self._costmap, self._frame, self._robot_xy)
        CostmapTopics(self, 'local_costmap', self._costmap, self._frame, self._robot_pose,
                      self._footprint, self.get_parameter('costmap_publish_frequency_hz').value)
        self._server = ActionServer(
            self, FollowPath, 'follow_path',
            guard.execute(self, 'follow_path', FollowPath, self._execute,
                          check=goals.follow_path_problem,
                          codes=nav2_codes.BAD_GOAL['follow_path']),
            cancel_callback=self._on_cancel,
            result_timeout=guard.RESULT_KEEP_S)
        self._orphans = graph.OrphanWatch(
            self, 'follow_path', lambda: [self._active.handle] if self._active else [],
            self._orphaned)
        self._period = 1.0 / self.get_parameter('controller_frequency_hz').value
        self._plugin = self.get_parameter('FollowPath.plugin').value
        self.create_timer(self._period, self._cycle)
        self.get_logger().info(f'FollowPath: {self._plugin}')

    def deactivate_node(self):
        """End a running goal and stop the robot before the publishers go quiet."""
        if self._active is not None:
            self._finish(R.UNKNOWN, 'controller_server is deactivating', abort=True)
        else:
            self._publish(0.0, 0.0)

    # -- inputs -----------------------------------------------------------------
    def _on_odom(self, msg: Odometry):
        p = msg.pose.pose
        self._pose = (p.position.x, p.position.y, convert.quaternion_to_yaw(p.orientation))
        self._pose_time = self.get_clock().now()
        self._pose_stamp = convert.seconds_of(msg.header.stamp)
        self._odom.add(self._pose_stamp, self._pose)
        self._scans.retry()  # a scan may have been waiting for this pose

    def _sensor_pose_at(self, t: float):
        """Return the lidar's pose in odom at time ``t`` (odometry interpolated); FrameError."""
        return self._scan_mount.sensor_pose(*self._odom.at(t))

    def _mark_scan(self, msg: LaserScan, sensor_pose):
        self._costmap.update_origin(self._pose[0], self._pose[1])
        # every scan is marked; the costs (inflation) are computed when the loop or a
        # costmap service reads them, so objects set since the last scan count too
        self._costmap.update_scan(convert.scan_data(msg), *sensor_pose, recompute=False)

    def _object_exemptions(self):
        """Return the robot's place and the path's end, in global_frame (CostmapObjects)."""
        robot = None if self._pose is None else self._pose[:2]
        active = self._active
        if active is None:
            return robot, []
        end = active.points[-1:]
        if active.frame:
            try:
                end = transform_points(self._tf.lookup(self._frame, active.frame), end)
            except FrameError:
                return robot, []  # the path's end is not known in global_frame yet
        return robot, list(end)

    def _robot_pose(self):
        if self._pose is None:
            raise LookupError('no odometry yet')
        return self._pose

    def _robot_xy(self):
        return self._robot_pose()[:2]

    # -- goals ------------------------------------------------------------------
    def _controller_params(self) -> rpp.ControllerParams:
        v = params.values(self, CONTROLLER_SPECS)
        inscribed, _ = footprint_radii(self._footprint)
        fields = {k: v[k] for k in rpp.ControllerParams.__dataclass_fields__ if k in v}
        return rpp.ControllerParams(**fields, inscribed_radius_m=inscribed,
                                    cost_scaling_factor=self.get_parameter(
                                        'cost_scaling_factor').value)

    def _new_controller(self, preempting: bool):
        """Return the controller for a new path (MPPI keeps its warm start when preempted)."""
        if self._plugin == MPPI_PLUGIN:
            if preempting and isinstance(self._controller, MPPIController):
                return self._controller
            return MPPIController(mppi_params(params.values(self, CONTROLLER_SPECS)),
                                  self._footprint, self._costmap.inflation)
        return rpp.RegulatedPurePursuit(self._controller_params(), self._footprint)

    async def _execute(self, goal_handle):
        preempting = self._active is not None
        if preempting:
            # Nav2 trees replan at 1 Hz and send each new path as a new goal: routine
            self._finish(R.UNKNOWN, 'preempted by a new follow_path goal', abort=True,
                         quiet=True)
        msg = goal_handle.request.path
        future = Future()
        error = None
        frame = msg.header.frame_id.lstrip('/')
        frame = '' if frame == self._frame.lstrip('/') else frame
        if not msg.poses:
            error = 'path has no poses'
        if error is None:
            try:
                ctl = self._new_controller(preempting)
                pts = np.array([(p.pose.position.x, p.pose.position.y) for p in msg.poses])
                goal_yaw = convert.quaternion_to_yaw(msg.poses[-1].pose.orientation)
                ctl.set_path(pts, goal_yaw=goal_yaw)
            except ValueError as exc:
                error = str(exc)
        if error is not None:
            self._publish(0.0, 0.0)
            goal_handle.abort()
            return R(error_code=R.INVALID_PATH, error_msg=error)
        self._controller = ctl
        if not preempting or self._progress is None:
            # a path update keeps the progress checker (as Nav2's controller server
            # does), or replanning every second would hide a robot that is stuck
            self._progress = rpp.ProgressChecker(
                params_value(self, 'required_movement_radius_m'),
                params_value(self, 'movement_time_allowance_s'))
        self._active = _Active(goal_handle, future, frame, pts, goal_yaw)
        return await future

    def _transform_path(self, active: _Active, now) -> bool:
        """Express the path in global_frame with the latest tf; False: not now (or aborted)."""
        try:
            x, y, yaw = self._tf.lookup(self._frame, active.frame)
            points = transform_points((x, y, yaw), active.points)
            self._controller.move_path(points, active.goal_yaw + yaw)
        except FrameError as exc:
            if active.tf_since is None:
                active.tf_since = now
            waited = (now - active.tf_since).nanoseconds * 1e-9
            if waited > self.get_parameter('transform_timeout_s').value:
                self._finish(R.TF_ERROR, f'cannot transform the path from {active.frame!r} '
                             f'into global_frame {self._frame!r}: {exc}', abort=True)
            else:
                self._publish(0.0, 0.0)  # wait for the transform, standing still
            return False
        except ValueError as exc:
            self._finish(R.INVALID_PATH, f'path in {active.frame!r}: {exc}', abort=True)
            return False
        active.tf_since = None
        return True

    def _finish(self, code: int, message: str, abort: bool = False, canceled: bool = False,
                quiet: bool = False):
        """End the active goal; stop the robot unless a new goal takes over (``quiet``)."""
        if not quiet:
            self._publish(0.0, 0.0)
        active, self._active = self._active, None
        if active is None:
            return
        if canceled:
            active.handle.canceled()
        elif abort:
            active.handle.abort()
            log = self.get_logger().debug if quiet else self.get_logger().warn
            log(f'follow_path aborted ({code}): {message}')
        else:
            active.handle.succeed()
        active.future.set_result(R(error_code=code, error_msg=message))

    def _on_cancel(self, handle):
        """Accept; a cancel of the running goal stops the robot now, not at the next cycle."""
        if self._active is not None and self._active.handle is handle:
            self._publish(0.0, 0.0)  # the next cycle ends the goal (then CANCELING)
        return CancelResponse.ACCEPT

    def _orphaned(self, handle, message: str):
        if self._active is not None and self._active.handle is handle:
            self._finish(R.UNKNOWN, message, abort=True)

    def _publish(self, v: float, w: float):
        self._last_cmd = (v, w)
        if not self.context.ok():  # Ctrl-C shut rclpy down under a goal that is ending
            return
        self._sent.sent(self.get_clock().now().nanoseconds * 1e-9, v, w)
        msg = Twist()
        msg.linear.x = float(v)
        msg.angular.z = float(w)
        self._cmd_pub.publish(msg)

    def _cycle(self):
        active = self._active
        if active is None:
            return
        if active.handle.is_cancel_requested:
            self._finish(R.NONE, 'canceled', canceled=True)
            return
        now = self.get_clock().now()
        if active.started is None:
            active.started = now
        timeout_s = self.get_parameter('odom_timeout_s').value
        if self._pose is None or (now - self._pose_time).nanoseconds * 1e-9 > timeout_s:
            # a goal that arrives with the first odometry still in flight (start-up,
            # the sim clock just started) waits up to odom_timeout_s for it, standing
            # still, as Nav2's controller waits for its transform
            if (now - active.started).nanoseconds * 1e-9 <= timeout_s:
                self._publish(0.0, 0.0)
                return
            self._finish(R.TF_ERROR, 'no fresh odometry: the robot pose is unknown', abort=True)
            return
        if active.frame and not self._transform_path(active, now):
            return
        x, y, yaw = self._pose
        if not self._progress.check(x, y, now.nanoseconds * 1e-9):  # where it is, measured
            self._finish(R.FAILED_TO_MAKE_PROGRESS, 'the robot did not move '
                         f'{self._progress.radius} m in {self._progress.allowance} s', abort=True)
            return
        if self.get_parameter('latency_compensation').value:
            x, y, yaw = self._sent.predict((x, y, yaw), self._pose_stamp,
                                           now.nanoseconds * 1e-9 + self._cycle_s
                                           + self._sent.actuation_delay_s)
        if self._costmap.dirty:
            self._costmap.update_costs()
        try:
            cmd = self._controller.compute(x, y, yaw, *self._last_cmd, self._period,
                                           self._costmap.master)
        except (ValueError, ArithmeticError, IndexError) as exc:
            # a robot stops when something goes wrong
            self._finish(R.UNKNOWN, f'controller failed: {exc!r}', abort=True)
            return
        if self._local_plan_pub.get_subscription_count():
            # the path ahead within the local costmap, in its frame, as Nav2's RPP shows it
            grid = self._costmap.master
            ahead = self._controller.remaining_path(
                0.5 * min(grid.width, grid.height) * grid.resolution)
            self._local_plan_pub.publish(Path(header=Header(
                frame_id=self._frame, stamp=now.to_msg()),
                poses=convert.path_poses(ahead, self._frame, now.to_msg())))
        if cmd.status == rpp.GOAL_REACHED:
            self._finish(R.NONE, '')
            return
        if cmd.status == rpp.COLLISION_AHEAD:
            now_s = now.nanoseconds * 1e-9
            if active.failing_since is None:
                active.failing_since = now_s
            if now_s - active.failing_since > self.get_parameter('failure_tolerance_s').value:
                self._finish(R.NO_VALID_CONTROL, 'collision ahead on the path', abort=True)
                return
        else:
            active.failing_since = None
        self._publish(cmd.linear_x, cmd.angular_z)
        spent = (self.get_clock().now() - now).nanoseconds * 1e-9
        self._cycle_s += CYCLE_SMOOTHING * (min(max(spent, 0.0), MAX_AHEAD_S) - self._cycle_s)
        fb = FollowPath.Feedback(distance_to_goal=float(cmd.distance_to_goal),
                                 speed=float(abs(cmd.linear_x)))
        active.handle.publish_feedback(fb)


def params_value(node, name):
    """Return the current value of one parameter."""
    return node.get_parameter(name).value


def main(args=None):
    """Run the controller server."""
    return run_node(ControllerServer, args, exit_process=True)


if __name__ == '__main__':
    raise SystemExit(main())

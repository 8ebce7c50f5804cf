"""planner_server: nav2_msgs/ComputePathToPose on a global costmap.

The costmap's layers: static map, scan obstacles, objects, inflation.

Parameters: see ``config/nav.yaml`` (``planner_server``) and docs/navigation.md.
Subscribers: ``map`` (nav_msgs/OccupancyGrid, transient local), ``scan``
(sensor_msgs/LaserScan), ``object_topic`` (orchestrator_interfaces/DetectionArray,
perception's ``tracked_objects``: the object layer marks their rectangles, the
things below the lidar plane, as lethal; not the ones within
``object_clearance_m`` of the robot's footprint or of a goal's, which the robot
holds or is sent to reach), ``tf`` and ``tf_static``: the robot pose is
``global_frame → robot_base_frame`` on tf (``map → odom → base_link`` with
localization), and goals in another frame are transformed into
``global_frame``; TF_ERROR naming both frames when they cannot be.
Publishers: ``plan`` (nav_msgs/Path); only while someone subscribes:
``global_costmap/costmap``, ``costmap_raw`` and ``published_footprint``
(:class:`~orchestrator_pkg.ros_edge.costmap_services.CostmapTopics`, at
``costmap_publish_frequency_hz``).
Actions: ``compute_path_to_pose`` (nav2_msgs/ComputePathToPose),
``compute_path_through_poses`` (nav2_msgs/ComputePathThroughPoses: the legs
planned one after the other, one path).
Services: ``is_path_valid`` (nav2_msgs/IsPathValid), and under
``global_costmap/``: ``get_costmap``, ``clear_entirely_global_costmap``,
``clear_around_global_costmap``, ``clear_except_global_costmap``
(:mod:`orchestrator_pkg.ros_edge.costmap_services`).

A managed node (:class:`~orchestrator_pkg.ros_edge.lifecycle.ManagedNode`):
the costmap, topics, service and action server exist from configure on; goals
are refused unless it is active.

Threads: the node spins on the stack's single-threaded executor, and a plan's
search runs on a thread of its own (one search at a time, in the order the
goals came), so scans, odometry, tf and the services keep being served while a
plan is searched; the goal's execute callback awaits the search and answers
in the executor's thread. The costmap is shared under a lock: a plan copies it
(after inflation) and searches the copy; the search grid (``planner.Planner``)
is kept between plans, used by the search thread only.
"""
from concurrent.futures import ThreadPoolExecutor
import threading
import time

from nav2_msgs.action import ComputePathThroughPoses, ComputePathToPose
from nav2_msgs.srv import IsPathValid
from nav_msgs.msg import OccupancyGrid, Path
import numpy as np
from rclpy.action import ActionServer
from rclpy.clock import Clock, ClockType
from rclpy.task import Future
from sensor_msgs.msg import LaserScan

from orchestrator_pkg import nav2_codes
from orchestrator_pkg.nodes.costmap_params import (
    build_costmap,
    costmap_specs,
    footprint_from,
    object_specs,
)
from orchestrator_pkg.planning import planner
from orchestrator_pkg.planning.costmap import (
    CostmapError,
    footprint_radii,
    invalid_path_poses,
    static_layer_from_occupancy,
)
from orchestrator_pkg.planning.frames import FrameError, transform_points
from orchestrator_pkg.ros_edge import convert, goals, guard, params, qos
from orchestrator_pkg.ros_edge.costmap_services import (
    CostmapObjects,
    CostmapServices,
    CostmapTopics,
    StampedScans,
)
from orchestrator_pkg.ros_edge.lifecycle import ManagedNode
from orchestrator_pkg.ros_edge.main import run_node
from orchestrator_pkg.ros_edge.params import Spec
from orchestrator_pkg.ros_edge.tf import tf_listener

MAP_FRAME_TOLERANCE_M = 1e-3  # a map frame this close to global_frame counts as the same
MAP_FRAME_TOLERANCE_RAD = 1e-4

PLANNER_SPECS = {
    'cost_weight': Spec(3.0, 'how strongly paths avoid inflated cost (0 = shortest)', 0.0, 50.0),
    'allow_unknown': Spec(True, 'plan through NO_INFORMATION cells'),
    'timeout_s': Spec(1.0, 'search time limit; TIMEOUT (207) beyond it', 0.01, 60.0),
    'smooth_path': Spec(True, 'shortcut the grid path where the line stays as cheap'),
    'transform_timeout_s': Spec(2.0, 'how long a goal waits (steady time) for the transform '
                                'into global_frame and for the robot pose on tf before '
                                'TF_ERROR (202); covers start-up', 0.0, 60.0),
    'costmap_publish_frequency_hz': Spec(1.0, 'rate of global_costmap/costmap, costmap_raw '
                                         'and published_footprint (0 = never)',
                                         0.0, 10.0, read_only=True),
    'robot_base_frame': Spec('base_link', "the robot's frame: its pose is global_frame -> "
                             'robot_base_frame on tf', read_only=True),
    **object_specs(),
}


class PlannerServer(ManagedNode):
    """Global costmap plus A* behind the ComputePathToPose action (a managed node)."""

    def __init__(self, **kwargs):
        super().__init__('planner_server', **kwargs)
        self._cm_specs = costmap_specs(rolling=False)
        params.declare(self, {**self._cm_specs, **PLANNER_SPECS})
        # the searches, one at a time in their order; stop_node waits for the one running
        self._search_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix='plan_search')
        self._closing = False
        self._steady = Clock(clock_type=ClockType.STEADY_TIME)
        self._warn = guard.edge(self).warn

    def configure_node(self):
        """Create the costmap, planner, topics, the services and the action servers."""
        cm = params.values(self, self._cm_specs)
        self._frame = cm['global_frame']
        self._scan_mount = convert.ScanPose(cm['scan_offset_x_m'], cm['scan_offset_y_m'],
                                           cm['scan_offset_yaw'])
        self._costmap = build_costmap(cm, rolling=False)
        # the costmap (the search thread reads a copy); held by the callbacks that touch it
        self._costmap_lock = threading.Lock()
        self._planner = planner.Planner()  # used by the search thread only
        self._base_frame = self.get_parameter('robot_base_frame').value
        self._pending_map = None  # a received map waiting for its frame on tf
        self._map_frame_error = None
        self._tf = tf_listener(self)
        self.create_timer(0.2, self._apply_pending_map)
        self._path_pub = self.create_publisher(Path, 'plan', 1)
        guard.subscribe(self, OccupancyGrid, 'map', self._on_map, qos.LATCHED_QOS)
        self._scans = StampedScans(self, self._sensor_pose_at, self._mark_scan)
        guard.subscribe(self, LaserScan, 'scan', self._scans.add, qos.SENSOR_QOS)
        self._goals_xy = []  # the last plan's goals: exempt from the object layer
        # exemptions are set when a plan (or is_path_valid) needs them, from its start
        self._objects = CostmapObjects(self, self._costmap, self._frame,
                                       self.get_parameter('object_topic').value,
                                       footprint_radii(footprint_from(cm))[1],
                                       lock=self._costmap_lock)
        CostmapServices(self, 'global_costmap', self._costmap, self._frame,
                        lambda: self._robot_pose()[:2], lock=self._costmap_lock)
        CostmapTopics(self, 'global_costmap', self._costmap, self._frame, self._robot_pose,
                      footprint_from(cm),
                      self.get_parameter('costmap_publish_frequency_hz').value,
                      lock=self._costmap_lock)
        self.create_service(IsPathValid, 'is_path_valid',
                            guard.service(self, 'is_path_valid', self._on_is_path_valid))
        self._server = ActionServer(
            self, ComputePathToPose, 'compute_path_to_pose',
            guard.execute(self, 'compute_path_to_pose', ComputePathToPose, self._execute,
                          check=goals.compute_path_problem,
                          codes=nav2_codes.BAD_GOAL['compute_path_to_pose']),
            result_timeout=guard.RESULT_KEEP_S)
        self._through_server = ActionServer(
            self, ComputePathThroughPoses, 'compute_path_through_poses',
            guard.execute(self, 'compute_path_through_poses', ComputePathThroughPoses,
                          self._execute_through,
                          check=goals.compute_path_through_poses_problem,
                          codes=nav2_codes.BAD_GOAL['compute_path_through_poses']),
            result_timeout=guard.RESULT_KEEP_S)

    def _on_map(self, msg: OccupancyGrid):
        with self._costmap_lock:
            self._pending_map = msg
        self._map_frame_error = None
        self._apply_pending_map()

    def _apply_pending_map(self):
        """Use the received map once its frame is known to coincide with global_frame.

        The static layer is an axis-aligned grid in global_frame. A map in
        another frame (``map`` while planning in ``odom``) is used when tf says
        the two frames coincide (the sim's identity ``map -> odom`` when odometry
        starts at the true pose); until tf has the transform the map waits (a
        timer retries), and a transform that is not the identity is refused with
        an error naming it: plan in the map's frame then (global_frame: map).
        """
        with self._costmap_lock:
            msg = self._pending_map
        if msg is None:
            return
        frame = msg.header.frame_id or self._frame
        if frame.lstrip('/') != self._frame.lstrip('/'):
            try:
                x, y, yaw = self._tf.lookup(self._frame, frame)
            except FrameError:
                return  # not on tf yet: the retry timer tries again
            if max(abs(x), abs(y)) > MAP_FRAME_TOLERANCE_M or abs(yaw) > MAP_FRAME_TOLERANCE_RAD:
                error = (f'map in frame {frame!r} not used: {frame} -> {self._frame} is '
                         f'({x:.3f}, {y:.3f}, {yaw:.3f}), not the identity; set global_frame: '
                         f'{frame} to plan in the map frame')
                if error != self._map_frame_error:
                    self._map_frame_error = error
                    self.get_logger().error(error)
                return
        info = msg.info
        try:
            occ = np.asarray(msg.data, dtype=np.int8).reshape(info.height, info.width)
            static = static_layer_from_occupancy(
                occ, track_unknown=self.get_parameter('track_unknown_space').value)
            with self._costmap_lock:
                self._costmap.set_static(static, info.origin.position.x, info.origin.position.y,
                                         info.resolution)
                if self._pending_map is msg:
                    self._pending_map = None
        except (ValueError, CostmapError) as exc:
            self.get_logger().error(f'map rejected: {exc}')
            with self._costmap_lock:
                if self._pending_map is msg:
                    self._pending_map = None
            return
        self.get_logger().info(f'map received: {info.width} x {info.height} cells at '
                               f'{info.resolution} m in {frame!r}')

    def _robot_pose(self):
        """Return the robot pose ``(x, y, yaw)`` in global_frame from tf; raise FrameError."""
        return self._tf.lookup(self._frame, self._base_frame)

    def _sensor_pose_at(self, t: float):
        """Return the lidar's pose in global_frame at time ``t`` (tf at its stamp); FrameError."""
        return self._scan_mount.sensor_pose(*self._tf.lookup(self._frame, self._base_frame, at=t))

    def _mark_scan(self, msg: LaserScan, sensor_pose):
        scan = convert.scan_data(msg)
        # inflation of the whole global map waits until a plan needs it
        with self._costmap_lock:
            self._costmap.update_scan(scan, *sensor_pose, recompute=False)

    def _exempt_objects(self, start_xy, goals_xy) -> None:
        """Exempt what the robot holds (at start_xy) and goes to reach (goals); lock held."""
        self._costmap.set_object_exemptions([start_xy] + list(goals_xy),
                                            self._objects.exempt_radius())

    def _on_is_path_valid(self, request, response):
        """Nav2's is_path_valid: lethal, off-map (unknown when tracked) poses ahead of the robot."""
        path = request.path
        response.is_valid = False
        if not path.poses:
            self._warn(('is_path_valid', 'empty'), 'is_path_valid: the path has no poses')
            return response
        problem = goals.path_poses_problem(path)
        if problem is not None:  # still answered: such a pose is invalid
            self._warn(('is_path_valid', 'pose'), f'is_path_valid: {problem[1]}')
        points = np.array([(p.pose.position.x, p.pose.position.y) for p in path.poses],
                          dtype=float)
        frame = path.header.frame_id
        if frame not in ('', self._frame):
            try:
                points = transform_points(self._tf.lookup(self._frame, frame), points)
            except FrameError as exc:
                self._warn(('is_path_valid', 'frame'), f'is_path_valid: path in frame {frame!r} '
                                                       f'cannot be expressed in global_frame '
                                                       f'{self._frame!r}: {exc}')
                return response
        try:
            robot = self._robot_pose()[:2]
        except FrameError:
            robot = None  # no robot pose: the whole path is judged
        with self._costmap_lock:
            if robot is not None:
                self._exempt_objects(robot, self._goals_xy)
            if self._costmap.dirty:
                self._costmap.update_costs()
            invalid = invalid_path_poses(
                self._costmap.master, points,
                unknown_is_invalid=self.get_parameter('track_unknown_space').value,
                robot_xy=robot)
        response.is_valid = not invalid.size
        response.invalid_pose_indices = invalid.astype(np.int32).tolist()
        return response

    def _params(self) -> planner.PlannerParams:
        v = params.values(self, PLANNER_SPECS)
        return planner.PlannerParams(cost_weight=v['cost_weight'],
                                     allow_unknown=v['allow_unknown'],
                                     timeout_s=v['timeout_s'], smooth=v['smooth_path'])

    def _in_global_frame(self, pose_stamped):
        """``(x, y, yaw)`` of a PoseStamped in global_frame ('' means global_frame)."""
        p = pose_stamped.pose
        pose = (p.position.x, p.position.y, convert.quaternion_to_yaw(p.orientation))
        frame = pose_stamped.header.frame_id
        if frame in ('', self._frame):
            return pose
        return self._tf.transform_pose(pose, frame, self._frame)

    def _sleep_steady(self, seconds: float):
        """Return a future done after ``seconds`` of steady time (works before /clock flows)."""
        future = Future()

        def fire():
            timer.cancel()
            self.destroy_timer(timer)
            if not future.done():
                future.set_result(True)
        timer = self.create_timer(seconds, fire, clock=self._steady)
        return future

    def _inputs(self, goal, targets):
        """Targets and start in global_frame: ``([(x, y, yaw)], (x, y))``.

        ``targets`` is ``[(PoseStamped, field name)]``; the start is the goal's
        ``start`` with ``use_start``, else the robot pose on tf. Raises
        FrameError (or LookupError) naming the field and its frame.
        """
        out = []
        for ps, what in targets + ([(goal.start, 'start')] if goal.use_start else []):
            try:
                out.append(self._in_global_frame(ps))
            except FrameError as exc:
                raise FrameError(f'{what} in frame {ps.header.frame_id!r} cannot be '
                                 f'expressed in global_frame {self._frame!r}: {exc}') from None
        if goal.use_start:
            return out[:-1], out[-1][:2]
        try:
            return out, self._robot_pose()[:2]
        except FrameError as exc:
            raise FrameError(f'no robot pose: {self._base_frame!r} cannot be expressed in '
                             f'global_frame {self._frame!r}: {exc}; or set use_start') from None

    async def _execute(self, goal_handle):
        goal = goal_handle.request
        return await self._execute_plan(
            goal_handle, ComputePathToPose.Result, [(goal.goal, 'goal')],
            lambda master, start, poses: self._planner.plan(master, start, poses[0][:2],
                                                            self._params()))

    async def _execute_through(self, goal_handle):
        goal = goal_handle.request
        return await self._execute_plan(
            goal_handle, ComputePathThroughPoses.Result,
            [(ps, f'goals[{i}]') for i, ps in enumerate(goal.goals)],
            lambda master, start, poses: planner.plan_through(
                self._planner, master, start, [p[:2] for p in poses], self._params()))

    async def _execute_plan(self, goal_handle, result_type, targets, plan):
        """Wait for the poses on tf, then ``plan(master, start, poses)`` and answer.

        ``result_type`` is the action's Result (its codes by Nav2's names);
        ``targets`` as in :meth:`_inputs`.
        """
        goal = goal_handle.request
        result = result_type()
        t0 = time.monotonic()
        timeout_s = self.get_parameter('transform_timeout_s').value
        while True:
            try:
                poses, start = self._inputs(goal, targets)
                break
            except (FrameError, LookupError) as exc:
                # at start-up the goal can arrive before tf_static or odom: wait a while
                if time.monotonic() - t0 >= timeout_s or goal_handle.is_cancel_requested:
                    result.error_code = result_type.TF_ERROR
                    result.error_msg = str(exc)
                    goal_handle.abort()
                    return result
                await self._sleep_steady(0.05)
        if self._closing:
            result.error_code = result_type.UNKNOWN
            result.error_msg = 'planner_server is shutting down'
            goal_handle.abort()
            return result
        return await self._plan_and_answer(goal_handle, result, start, poses, plan)

    def stop_node(self):
        """Wait for a search in progress (bounded by timeout_s); no new one starts."""
        self._closing = True
        self._search_pool.shutdown(wait=True, cancel_futures=True)

    def destroy_node(self):
        """Wait for a search in progress (bounded by timeout_s), then destroy the node."""
        self.stop_node()
        super().destroy_node()

    async def _plan_and_answer(self, goal_handle, result, start, poses, plan):
        t0 = time.monotonic()  # planning time, not the wait above
        with self._costmap_lock:
            self._goals_xy = [p[:2] for p in poses]
            self._exempt_objects(start, self._goals_xy)
            if self._costmap.dirty:
                self._costmap.update_costs()
            master = self._costmap.master.copy()
        search = await self._searched(plan, master, start, poses)
        res = search.result()  # the search's own exception is raised here (guard: UNKNOWN)
        try:
            return self._answer(goal_handle, result, res, poses[-1][2], t0)
        except Exception:
            if self.context.ok():
                raise
            # Ctrl-C shut rclpy down while this plan was answered: nothing can be
            # published or answered any more
            return result

    def _searched(self, fn, *args) -> Future:
        """Run ``fn(*args)`` on the search thread; return a Future of its concurrent future.

        The Future is done when the search is, and its done callback (scheduled
        on this node's executor from the search thread) wakes the executor, which
        then resumes the coroutine awaiting it.
        """
        done = Future(executor=self.executor)
        done.add_done_callback(lambda _: None)  # scheduling it wakes the executor
        self._search_pool.submit(fn, *args).add_done_callback(done.set_result)
        return done

    def _answer(self, goal_handle, result, res, gyaw, t0):
        """Publish the path and end the goal with the planner's result ``res``."""
        if not self.context.ok():
            return result
        result.planning_time = convert.to_duration(time.monotonic() - t0)
        # the planner's code by its Nav2 name, in this action's values
        result.error_code = getattr(type(result), planner.CODE_NAMES[res.error_code])
        result.error_msg = res.message
        if not res.ok:
            self.get_logger().warn(f'planning failed ({res.error_code}): {res.message}')
            goal_handle.abort()
            return result
        result.path.header.frame_id = self._frame
        result.path.header.stamp = self.get_clock().now().to_msg()
        result.path.poses = convert.path_poses(res.path, self._frame, result.path.header.stamp,
                                              gyaw)
        self._path_pub.publish(result.path)
        goal_handle.succeed()
        return result


def main(args=None):
    """Run the planner server."""
    return run_node(PlannerServer, args, exit_process=True)


if __name__ == '__main__':
    raise SystemExit(main())

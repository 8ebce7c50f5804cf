"""Nav2's costmap services and topics, the same for the global and the local costmap.

For a costmap named ``name`` (``global_costmap`` on planner_server,
``local_costmap`` on controller_server), under ``<name>/`` as Nav2's
costmap_2d serves them:

- ``get_costmap`` (nav2_msgs/GetCostmap): the master costmap, raw costs
  (:func:`~orchestrator_pkg.ros_edge.convert.costmap_to_msg`); the request's
  ``specs`` are ignored, as Nav2 does;
- ``clear_entirely_<name>`` (ClearEntireCostmap): every obstacle observation;
- ``clear_around_<name>`` (ClearCostmapAroundRobot): the observations in the
  square of side ``reset_distance`` centred on the robot;
- ``clear_except_<name>`` (ClearCostmapExceptRegion): those outside it;
- ``clear_around_pose_<name>`` (ClearCostmapAroundPose): those in the square of
  side ``reset_distance`` centred on the request's pose, which tf brings into the
  costmap's frame (an empty ``frame_id`` is the costmap's own).

The static map always stays. The clearing is the pure costmap's
(:meth:`~orchestrator_pkg.planning.costmap.LayeredCostmap.clear_around`). A
request that cannot be served (a non-finite or negative ``reset_distance``, no
robot pose, a pose in a frame tf cannot bring over) clears nothing and logs a
warning naming the value; the services answer anyway (their responses are
empty, as Nav2's on Jazzy). Every callback goes through the edge guard.

:class:`CostmapTopics` publishes, on one timer, what RViz shows of a costmap
under Nav2's names: ``<name>/costmap`` (nav_msgs/OccupancyGrid, Nav2's cost
translation), ``<name>/costmap_raw`` (nav2_msgs/Costmap, raw costs) and
``<name>/published_footprint`` (geometry_msgs/PolygonStamped, the footprint at
the robot pose). Each is built only while it has a subscriber.

:class:`CostmapObjects` is the object layer's input, the same for both costmaps:
perception's tracked objects (orchestrator_interfaces/DetectionArray), brought
into the costmap's frame through tf, replace the layer's objects. Things below
the lidar plane (a box on the floor) are in no scan: only this layer holds them.

:class:`StampedScans` marks each scan from the robot pose at the scan's own
stamp, not the latest one: on a loaded machine a scan is handled a few tenths
of a second late, and marking it from where the robot is by then put phantom
obstacles (a turning robot's shelves swept across the aisle, onto a goal).
"""
import contextlib
import math

from geometry_msgs.msg import Point32, PolygonStamped
from nav2_msgs.msg import Costmap
from nav2_msgs.srv import (
    ClearCostmapAroundPose,
    ClearCostmapAroundRobot,
    ClearCostmapExceptRegion,
    ClearEntireCostmap,
    GetCostmap,
)
from nav_msgs.msg import OccupancyGrid
import numpy as np

from orchestrator_interfaces.msg import DetectionArray
from orchestrator_pkg.planning.costmap import CostmapError
from orchestrator_pkg.planning.frames import (
    Backlog,
    ExtrapolationError,
    FrameError,
    transform_points,
)
from orchestrator_pkg.ros_edge import convert, guard, qos
from orchestrator_pkg.ros_edge.tf import tf_listener


class CostmapServices:
    """The services of one node's costmap (see the module docstring).

    ``costmap`` is the node's LayeredCostmap, ``lock`` guards it (None: one
    thread uses it), ``frame`` is its frame and ``robot_xy()`` returns the
    robot position in that frame or raises FrameError / LookupError.
    """

    def __init__(self, node, name: str, costmap, frame: str, robot_xy, lock=None):
        self._node = node
        self._name = name
        self._costmap = costmap
        self._frame = frame
        self._robot_xy = robot_xy
        self._lock = lock if lock is not None else contextlib.nullcontext()
        self._warn = guard.edge(node).warn
        services = (
            (GetCostmap, 'get_costmap', self._on_get),
            (ClearEntireCostmap, f'clear_entirely_{name}', self._on_clear_entirely),
            (ClearCostmapAroundRobot, f'clear_around_{name}', self._on_clear_around),
            (ClearCostmapExceptRegion, f'clear_except_{name}', self._on_clear_except),
            (ClearCostmapAroundPose, f'clear_around_pose_{name}', self._on_clear_around_pose),
        )
        for srv_type, service, callback in services:
            node.create_service(srv_type, f'{name}/{service}',
                                guard.service(node, service, callback))

    def _on_get(self, request, response):
        with self._lock:
            if self._costmap.dirty:
                self._costmap.update_costs()
            master = self._costmap.master.copy()
        response.map = convert.costmap_to_msg(master, self._frame,
                                              self._node.get_clock().now().to_msg())
        return response

    def _on_clear_entirely(self, request, response):
        with self._lock:
            self._costmap.clear_entirely()
        self._node.get_logger().info(f'{self._name} cleared')
        return response

    def _on_clear_around(self, request, response):
        self._clear(f'clear_around_{self._name}', request.reset_distance, inside=True)
        return response

    def _on_clear_except(self, request, response):
        self._clear(f'clear_except_{self._name}', request.reset_distance, inside=False)
        return response

    def _on_clear_around_pose(self, request, response):
        service = f'clear_around_pose_{self._name}'
        frame = request.pose.header.frame_id.lstrip('/') or self._frame
        p = request.pose.pose
        pose = (p.position.x, p.position.y, convert.quaternion_to_yaw(p.orientation))
        try:
            x, y, _ = tf_listener(self._node).transform_pose(pose, frame, self._frame)
        except FrameError as exc:
            self._warn((service, 'frame'), f'{service}: nothing cleared: pose in {frame!r} '
                                           f'not expressible in {self._frame!r}: {exc}')
            return response
        self._clear(service, request.reset_distance, inside=True, at=(x, y),
                    what=f'the pose given in {frame!r}')
        return response

    def _clear(self, service: str, reset_distance: float, inside: bool, at=None,
               what='the robot'):
        try:
            x, y = self._robot_xy() if at is None else at
        except (FrameError, LookupError) as exc:
            self._warn((service, 'pose'), f'{service}: nothing cleared: no robot pose in '
                                          f'{self._frame!r}: {exc}')
            return
        try:
            with self._lock:
                clear = self._costmap.clear_around if inside else self._costmap.clear_except
                cleared = clear(x, y, reset_distance)
        except CostmapError as exc:
            self._warn((service, 'request'), f'{service}: {exc}')
            return
        where = 'within' if inside else 'outside'
        self._node.get_logger().info(
            f'{self._name}: {cleared} cells cleared {where} the {reset_distance:g} m square '
            f'around {what} at ({x:.2f}, {y:.2f})')


class CostmapTopics:
    """The topics of one node's costmap (see the module docstring), every ``1 / rate_hz`` s.

    ``robot_pose()`` returns the robot pose ``(x, y, yaw)`` in ``frame`` or
    raises FrameError / LookupError (then no footprint is published);
    ``footprint`` is the polygon (N x 2) in the robot's frame.
    """

    def __init__(self, node, name: str, costmap, frame: str, robot_pose, footprint,
                 rate_hz: float, lock=None):
        self._node = node
        self._costmap = costmap
        self._frame = frame
        self._robot_pose = robot_pose
        self._footprint = [(float(x), float(y)) for x, y in footprint]
        self._lock = lock if lock is not None else contextlib.nullcontext()
        self._grid = node.create_publisher(OccupancyGrid, f'{name}/costmap', 1)
        self._raw = node.create_publisher(Costmap, f'{name}/costmap_raw', 1)
        self._footprint_pub = node.create_publisher(PolygonStamped,
                                                    f'{name}/published_footprint', 1)
        if rate_hz > 0.0:
            node.create_timer(1.0 / rate_hz, self.publish)

    def publish(self) -> None:
        """Publish each topic that has a subscriber."""
        grid = self._grid.get_subscription_count() > 0
        raw = self._raw.get_subscription_count() > 0
        stamp = self._node.get_clock().now().to_msg()
        if grid or raw:
            with self._lock:
                if self._costmap.dirty:
                    self._costmap.update_costs()
                master = self._costmap.master.copy()
            if grid:
                self._grid.publish(convert.costmap_to_grid(master, self._frame, stamp))
            if raw:
                self._raw.publish(convert.costmap_to_msg(master, self._frame, stamp))
        if self._footprint_pub.get_subscription_count() > 0:
            try:
                x, y, yaw = self._robot_pose()
            except (FrameError, LookupError):
                return  # no robot pose yet
            c, s = math.cos(yaw), math.sin(yaw)
            msg = PolygonStamped()
            msg.header.frame_id = self._frame
            msg.header.stamp = stamp
            msg.polygon.points = [Point32(x=x + c * px - s * py, y=y + s * px + c * py, z=0.0)
                                  for px, py in self._footprint]
            self._footprint_pub.publish(msg)


ODOM_HISTORY_S = 2.0  # odometry kept by a rolling costmap's node to place scans at their stamps


class StampedScans:
    """Scans marked with the robot pose at their stamp (a planar tf2 message filter).

    ``pose_at(t)`` returns the sensor's pose at time ``t`` in the costmap's
    frame or raises FrameError; ``mark(msg, pose)`` marks one scan. A scan
    whose pose has not arrived yet waits (at most ``max_wait_s`` behind the
    newest scan) and is marked by a later :meth:`add` or :meth:`retry`, e.g.
    when the next odometry comes. A scan that waited too long is dropped with
    a throttled warning naming the stamps; one from before any pose (start-up)
    is dropped quietly, as before there is a robot pose.
    """

    def __init__(self, node, pose_at, mark, max_wait_s: float = 0.5):
        self._backlog = Backlog(max_wait_s)
        self._pose_at = pose_at
        self._mark = mark
        self._warn = guard.edge(node).warn

    def add(self, msg) -> None:
        """Take a scan (the subscription's callback); mark what can be marked."""
        self._backlog.push(convert.seconds_of(msg.header.stamp), msg)
        self.retry()

    def retry(self) -> None:
        """Mark the waiting scans whose poses have come; drop those that waited too long."""
        if not len(self._backlog):
            return
        ready, dropped = self._backlog.take(lambda t, _msg: self._pose_at(t))
        for msg, exc in dropped:
            if isinstance(exc, ExtrapolationError) and exc.ahead:
                stamp = convert.seconds_of(msg.header.stamp)
                self._warn(('scan', 'late pose'), f'scan at t={stamp:.3f} s not marked: {exc}')
        for msg, pose in ready:
            self._mark(msg, pose)


class CostmapObjects:
    """The object layer's input: perception's tracks replace the costmap's objects.

    Subscribes to ``topic`` (``''``: no object layer, nothing subscribed). Each
    message's detections, in ``frame`` through tf when they are in another
    (perception's ``map``), become the layer's objects; a size below the node's
    ``object_min_size_m`` is marked that big. ``exempt()``, when given, is asked
    at each message for ``(robot_xy or None, goal points)`` in ``frame``: an
    object within the robot's circumscribed radius of the robot (one it holds:
    carried just ahead of its front) or within that plus ``object_clearance_m``
    of a goal (one it is sent to reach) is not marked. Objects in a frame tf
    cannot bring over, and rows with a non-finite value or a negative size, are
    not marked, with a throttled warning naming them.
    """

    def __init__(self, node, costmap, frame: str, topic: str, circumscribed_m: float,
                 exempt=None, lock=None):
        self._node = node
        self._costmap = costmap
        self._frame = frame
        self._topic = topic
        self._circumscribed = circumscribed_m
        self._exempt = exempt
        self._lock = lock if lock is not None else contextlib.nullcontext()
        self._warn = guard.edge(node).warn
        self._tf = tf_listener(node)
        if topic:
            guard.subscribe(node, DetectionArray, topic, self._on_objects, qos.SENSOR_QOS)

    def exempt_radius(self) -> float:
        """Objects this close to a goal are not marked (m)."""
        return self._circumscribed + self._node.get_parameter('object_clearance_m').value

    def _exemptions(self):
        robot, goals = self._exempt()
        points = [tuple(p) for p in goals]
        radii = [self.exempt_radius()] * len(points)
        if robot is not None:
            points.append(tuple(robot))
            radii.append(self._circumscribed)
        return points, radii

    def _on_objects(self, msg) -> None:
        rows = [(d.pose.position.x, d.pose.position.y,
                 convert.quaternion_to_yaw(d.pose.orientation), d.size.x, d.size.y)
                for d in msg.detections]
        frame = msg.header.frame_id or self._frame
        if rows and frame.lstrip('/') != self._frame.lstrip('/'):
            try:
                tf = self._tf.lookup(self._frame, frame)
            except FrameError as exc:
                self._warn(('objects', 'frame'), f'{self._topic}: objects in frame '
                           f'{frame!r} not used: {exc}')
                return
            xy = transform_points(tf, np.array([r[:2] for r in rows]))
            rows = [(x, y, r[2] + tf[2], r[3], r[4]) for (x, y), r in zip(xy, rows, strict=True)]
        exemptions = self._exemptions() if self._exempt is not None else None
        with self._lock:
            dropped = self._costmap.set_objects(
                rows, self._node.get_parameter('object_min_size_m').value)
            if exemptions is not None:
                self._costmap.set_object_exemptions(*exemptions)
        if dropped:
            self._warn(('objects', 'bad'), f'{self._topic}: {dropped} of {len(rows)} '
                       'objects not marked (negative size)')

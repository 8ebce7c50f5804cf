"""perception_node: logical-camera detections → tracked objects in the map frame.

A thin adapter around :class:`orchestrator_pkg.perception.tracker.Tracker`.
Each ``detections`` message (frame of the camera) is expressed in
``global_frame_id`` through tf (the camera mount from ``tf_static``, the robot
pose from ``map → odom`` (localization) and ``odom → base_link``), associated
with the tracks, and the tracks are published at once.

Parameters: see ``config/perception.yaml`` (``perception_node``) and docs/perception.md.
Subscribers: ``detections`` (orchestrator_interfaces/DetectionArray), ``held_topic``
(``gripper/held``, orchestrator_interfaces/DetectionArray, transient local: what the
gripper holds; the tracks of held objects are dropped, see
:meth:`~orchestrator_pkg.perception.tracker.Tracker.set_held`), ``tf``, ``tf_static``.
Publishers: ``tracked_objects`` (orchestrator_interfaces/DetectionArray, frame map; the
track id in ``id``, confidence 1 while seen, falling while missed),
``tracked_objects/markers`` (visualization_msgs/MarkerArray).
The query "nearest object of class X" is the ``FindObject`` tree node, which reads
``tracked_objects`` (docs/perception.md).
"""
import math

from geometry_msgs.msg import Vector3
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy, QoSProfile
from std_msgs.msg import ColorRGBA
from visualization_msgs.msg import Marker, MarkerArray

from orchestrator_interfaces.msg import Detection, DetectionArray
from orchestrator_pkg.perception.tracker import CameraModel, Observation, Tracker, TrackerError
from orchestrator_pkg.planning.frames import Backlog, FrameError, compose
from orchestrator_pkg.ros_edge import convert, guard, params
from orchestrator_pkg.ros_edge.main import run_node
from orchestrator_pkg.ros_edge.params import Spec
from orchestrator_pkg.ros_edge.qos_events import QuietEvents
from orchestrator_pkg.ros_edge.tf import tf_listener

SPECS = {
    'global_frame_id': Spec('map', 'frame of the tracked objects', read_only=True),
    'gate_m': Spec(0.5, 'a detection farther than this from a track starts a new one', 0.01,
                   10.0),
    'forget_after_s': Spec(2.0, 'drop a track missed this long while it should be in view',
                           0.1, 600.0),
    'position_smoothing': Spec(0.5, 'weight of a new detection in the track position', 0.01,
                               1.0),
    'camera_horizontal_fov': Spec(1.2, 'horizontal field of view of the camera (rad)', 0.01,
                                  6.2832),
    'camera_near_m': Spec(0.05, 'nearest detectable depth', 0.0, 100.0),
    'camera_far_m': Spec(3.0, 'farthest detectable depth', 0.01, 100.0),
    'view_margin_m': Spec(0.3, 'shrink the view by this when deciding what should be seen',
                          0.0, 5.0),
    'min_view_depth_m': Spec(0.5, 'objects closer than this are not expected to be seen: floor '
                             'objects fall below the vertical FOV (small_indoor: camera 0.25 m '
                             'up, vertical FOV 0.9 rad, about 0.42 m)', 0.0, 100.0),
    'held_topic': Spec('gripper/held', "what the gripper holds (DetectionArray): a held "
                       "object's track is dropped and its detections ignored until it is "
                       "released; '' = no gripper", read_only=True),
}
_COLORS = {'red': (0.9, 0.1, 0.1), 'green': (0.1, 0.8, 0.1), 'blue': (0.1, 0.3, 0.9),
           'yellow': (0.9, 0.9, 0.1), 'orange': (1.0, 0.5, 0.0), 'white': (1.0, 1.0, 1.0),
           'black': (0.1, 0.1, 0.1)}


def _check(v: dict):
    if v['camera_near_m'] >= v['camera_far_m']:
        return f'camera_near_m={v["camera_near_m"]} >= camera_far_m={v["camera_far_m"]}'
    return None


class PerceptionNode(QuietEvents, Node):
    """Track detected objects in the map frame; publish them and their markers."""

    def __init__(self, **kwargs):
        super().__init__('perception_node', **kwargs)
        v = params.declare(self, SPECS, _check)
        self._frame = v['global_frame_id']
        self.tracker = Tracker(self._camera(), v['gate_m'], v['forget_after_s'],
                               v['position_smoothing'])
        self._tf = tf_listener(self)
        self._warned = set()
        self._pending = Backlog()  # detections waiting for the camera pose at their stamp
        guard.subscribe(self, DetectionArray, 'detections', self._on_detections,
                        QoSProfile(depth=10), check_finite=False)  # checks each detection
        self._pub = self.create_publisher(DetectionArray, 'tracked_objects', 10)
        self._markers = self.create_publisher(MarkerArray, 'tracked_objects/markers', 10)
        if v['held_topic']:
            guard.subscribe(self, DetectionArray, v['held_topic'], self._on_held,
                            QoSProfile(depth=1, durability=DurabilityPolicy.TRANSIENT_LOCAL),
                            check_finite=False)  # an id is enough; checked where it is not
        self.get_logger().info('perception_node ready')

    def _camera(self) -> CameraModel:
        v = params.values(self, SPECS)
        margin = v['view_margin_m']
        near = max(v['camera_near_m'] + margin, v['min_view_depth_m'])
        return CameraModel(v['camera_horizontal_fov'], near,
                           max(v['camera_far_m'] - margin, near))

    def _sync_params(self) -> None:
        v = params.values(self, SPECS)
        t = self.tracker
        t.camera = self._camera()
        t.gate_m, t.forget_after_s, t.alpha = (v['gate_m'], v['forget_after_s'],
                                               v['position_smoothing'])

    def _on_detections(self, msg: DetectionArray) -> None:
        # each frame is placed with the camera pose at its stamp (it may wait for it)
        self._pending.push(convert.seconds_of(msg.header.stamp), msg)
        ready, dropped = self._pending.take(
            lambda t, frame_msg: self._tf.transform_pose(
                (0.0, 0.0, 0.0), frame_msg.header.frame_id, self._frame, at=t))
        for _, exc in dropped:
            if 'tf' not in self._warned:
                self._warned.add('tf')
                self.get_logger().warning(f'detections skipped until tf is complete: {exc}')
        for frame_msg, camera in ready:
            self._warned.discard('tf')
            self._track(frame_msg, camera)

    def _on_held(self, msg: DetectionArray) -> None:
        held = []
        for i, d in enumerate(msg.detections):
            obs = Observation(d.class_id, d.color, math.nan, math.nan, source_id=d.id)
            if not d.id:  # no id: the track is found by where the object is
                p = d.pose.position
                if not (math.isfinite(p.x) and math.isfinite(p.y)):
                    self.get_logger().warning(f'held[{i}] ({d.class_id!r}): no id and a '
                                              f'non-finite position; ignored',
                                              throttle_duration_sec=5.0)
                    continue
                try:
                    obs.x, obs.y, _ = self._tf.transform_pose(
                        (p.x, p.y, 0.0), msg.header.frame_id, self._frame)
                except FrameError as exc:
                    self.get_logger().warning(f'held[{i}] ({d.class_id!r}): not placed in '
                                              f'{self._frame!r}: {exc}; its track is kept',
                                              throttle_duration_sec=5.0)
                    continue
            held.append(obs)
        try:
            dropped = self.tracker.set_held(held)
        except TrackerError as exc:
            self.get_logger().warning(f'{exc}; held objects ignored', throttle_duration_sec=5.0)
            return
        for tid in dropped:
            self.get_logger().info(f'dropped {tid}: the gripper holds it')
        if dropped:
            now = self.get_clock().now()
            self._publish(now.to_msg(), now.nanoseconds * 1e-9)

    def _track(self, msg: DetectionArray, camera) -> None:
        observations = []
        for i, d in enumerate(msg.detections):
            p = d.pose.position
            yaw = convert.quaternion_to_yaw(d.pose.orientation)
            if not all(math.isfinite(x) for x in (p.x, p.y, p.z, yaw)):
                self.get_logger().warning(
                    f'detections[{i}] ({d.class_id!r}, {d.id!r}): non-finite pose; ignored',
                    throttle_duration_sec=5.0)
                continue
            x, y, th = compose(camera, (p.x, p.y, yaw))
            observations.append(Observation(d.class_id, d.color, x, y, 0.0, th,
                                            (d.size.x, d.size.y, d.size.z), d.id))
        self._sync_params()
        now = convert.seconds_of(msg.header.stamp)
        try:
            dropped = self.tracker.update(observations, camera, now)
        except TrackerError as exc:
            self.get_logger().warning(f'{exc}; frame ignored', throttle_duration_sec=5.0)
            return
        for tid in dropped:
            self.get_logger().info(f'forgot {tid}: not seen where it should be for '
                                   f'{self.tracker.forget_after_s} s')
        self._publish(msg.header.stamp, now)

    def _publish(self, stamp, now: float) -> None:
        out = DetectionArray()
        out.header.frame_id = self._frame
        out.header.stamp = stamp
        markers = MarkerArray()
        markers.markers.append(Marker(action=Marker.DELETEALL))
        for i, t in enumerate(sorted(self.tracker.tracks.values(), key=lambda t: t.track_id)):
            d = Detection()
            d.id, d.class_id, d.color = t.track_id, t.class_id, t.color
            d.pose.position.x, d.pose.position.y, d.pose.position.z = t.x, t.y, t.z
            d.pose.orientation = convert.yaw_to_quaternion(t.yaw)
            d.size = Vector3(x=float(t.size[0]), y=float(t.size[1]), z=float(t.size[2]))
            d.confidence = float(t.confidence(now, self.tracker.forget_after_s))
            out.detections.append(d)
            rgb = _COLORS.get(t.color, (0.7, 0.7, 0.7))
            box = Marker(type=Marker.CUBE, action=Marker.ADD, ns='tracked_objects', id=2 * i)
            box.header = out.header
            box.pose = d.pose
            box.scale = Vector3(x=max(t.size[0], 0.05), y=max(t.size[1] or t.size[0], 0.05),
                                z=max(t.size[2] or t.size[1], 0.05))
            box.color = ColorRGBA(r=rgb[0], g=rgb[1], b=rgb[2], a=0.4 + 0.6 * d.confidence)
            label = Marker(type=Marker.TEXT_VIEW_FACING, action=Marker.ADD,
                           ns='tracked_objects/labels', id=2 * i + 1, text=t.track_id)
            label.header = out.header
            label.pose.position.x, label.pose.position.y = t.x, t.y
            label.pose.position.z = 0.3
            label.scale.z = 0.12
            label.color = ColorRGBA(r=1.0, g=1.0, b=1.0, a=1.0)
            markers.markers += [box, label]
        self._pub.publish(out)
        self._markers.publish(markers)


def main(args=None):
    """Run the perception node; bad parameters are reported in one line, exit code 1."""
    return run_node(PerceptionNode, args, exit_process=True)


if __name__ == '__main__':
    raise SystemExit(main())

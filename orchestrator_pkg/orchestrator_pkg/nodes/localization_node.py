"""localization_node, node name ``amcl`` (Nav2's): AMCL-style Monte Carlo localization.

A thin adapter around :mod:`orchestrator_pkg.localization.particle_filter`.
On each scan, once the robot has moved ``update_min_d`` / ``update_min_a`` in
odometry since the last update, the particles move by the odometry delta, are
weighed against the map with the scan, and are resampled when the effective
sample size is low (every ``resample_interval`` updates at most). The mean pose
gives ``map → odom``, broadcast on every scan (stamped scan time +
``transform_tolerance``, as AMCL does).

Parameters: see ``config/localization.yaml`` (``amcl``) and
docs/localization.md; AMCL's names where the meaning is the same.
Subscribers: ``map`` (nav_msgs/OccupancyGrid, transient local), ``scan``
(sensor_msgs/LaserScan), ``odom`` (nav_msgs/Odometry), ``initialpose``
(geometry_msgs/PoseWithCovarianceStamped), ``tf``/``tf_static`` (scanner mount).
Publishers: ``amcl_pose`` (geometry_msgs/PoseWithCovarianceStamped), ``tf``
(``map → odom``), ``particle_cloud`` (geometry_msgs/PoseArray, only with subscribers),
``~/scan_match`` (std_msgs/Float32, transient local; ours, AMCL has none).

``~/scan_match`` (``amcl/scan_match``) is the fraction of the update's beams
whose end point, cast from the new estimate, lies within ``scan_match_hit_dist``
of the map's obstacles (:meth:`ParticleFilter.scan_match`), published with
every ``amcl_pose``. The covariance cannot see a kidnap (the cloud stays tight
around the old place); this number can. A plain Float32 under the node's
namespace, latched like ``amcl_pose``, so a tree condition reads the latest
value with one subscription (``/diagnostics`` would mean parsing key-value
strings at 1 Hz, aggregated with every other node's).
Services: ``reinitialize_global_localization`` (std_srvs/Empty): the particles
are spread uniformly at once, as AMCL does; with ``global_search`` on (ours,
the default) the next scan is then matched against every pose of a grid over
the map (:func:`~orchestrator_pkg.localization.particle_filter.scan_search`,
in a worker thread: about 0.5 s on the warehouse map, and the callbacks go on
meanwhile), and the particles are drawn around the best poses. The robot's
odometry since that scan is applied before the next update.

A managed node (:class:`~orchestrator_pkg.ros_edge.lifecycle.ManagedNode`): the
filter and its topics exist from configure on; ``amcl_pose`` and ``tf`` are
published only while active (a map and ``initialpose`` received while inactive
are used).
"""
from concurrent.futures import ThreadPoolExecutor
import math
import time

from geometry_msgs.msg import Pose, PoseArray, PoseWithCovarianceStamped, TransformStamped
from nav_msgs.msg import OccupancyGrid, Odometry
import numpy as np
from rclpy.duration import Duration
from rclpy.qos import QoSProfile
from rclpy.time import Time
from sensor_msgs.msg import LaserScan
from std_msgs.msg import Float32
from std_srvs.srv import Empty
from tf2_msgs.msg import TFMessage

from orchestrator_pkg.localization.particle_filter import (
    FilterParams,
    LocalizationError,
    ParticleFilter,
    SearchParams,
    scan_search,
)
from orchestrator_pkg.planning.frames import FrameError, PoseHistory, compose, invert
from orchestrator_pkg.planning.world_map import WorldFileError, world_spawn
from orchestrator_pkg.ros_edge import convert, guard, params, qos
from orchestrator_pkg.ros_edge.lifecycle import ManagedNode
from orchestrator_pkg.ros_edge.main import run_node
from orchestrator_pkg.ros_edge.params import Spec
from orchestrator_pkg.ros_edge.tf import tf_listener

SPECS = {
    'min_particles': Spec(500, 'lower bound of the KLD-adapted particle count', 10, 100000),
    'max_particles': Spec(2000, 'upper bound of the particle count', 10, 100000),
    'global_localization_particles': Spec(
        5000, 'particles spread over the map by reinitialize_global_localization (resampling '
        'then brings them within max_particles)', 10, 100000),
    'global_search': Spec(
        True, 'ours: after reinitialize_global_localization, match the next scan against a '
        'grid of poses over the whole map and draw the particles around the best ones (false: '
        "AMCL's uniform spread only)"),
    'global_search_step_m': Spec(0.2, 'global search: spacing of the position grid (m)',
                                 0.05, 2.0),
    'global_search_yaw_bins': Spec(72, 'global search: headings tried at each position',
                                   4, 720),
    'global_search_temperature': Spec(
        0.1, 'global search: a pose gets particles in proportion to exp((score - best) / '
        'this); small values trust the best match', 0.001, 100.0),
    'alpha1': Spec(0.2, 'rotation noise from rotation (odometry motion model)', 0.0, 10.0),
    'alpha2': Spec(0.2, 'rotation noise from translation', 0.0, 10.0),
    'alpha3': Spec(0.2, 'translation noise from translation', 0.0, 10.0),
    'alpha4': Spec(0.2, 'translation noise from rotation', 0.0, 10.0),
    'alpha5': Spec(0.2, 'sideways noise (omni robots only; unused by the diff model)', 0.0, 10.0),
    'laser_max_beams': Spec(60, 'beams used per scan update (evenly thinned)', 1, 10000),
    'laser_likelihood_max_dist': Spec(2.0, 'likelihood field cap: distance to obstacles (m)',
                                      0.1, 20.0, read_only=True),
    'z_hit': Spec(0.5, 'weight of the Gaussian hit part of the beam likelihood', 0.0, 1.0),
    'z_rand': Spec(0.5, 'weight of the uniform random part of the beam likelihood', 0.0, 1.0),
    'sigma_hit': Spec(0.2, 'std dev of the hit part (m)', 0.001, 5.0),
    'pf_err': Spec(0.01, 'KLD sampling: maximum error', 0.0001, 1.0),
    'pf_z': Spec(0.99, 'KLD sampling: upper standard normal quantile', 0.5, 0.99999),
    'resample_neff_ratio': Spec(0.5, 'resample when N_eff < this * particles', 0.0, 1.0),
    'scan_match_hit_dist': Spec(0.2, 'scan match (~/scan_match): a beam end this close to a '
                                'map obstacle matches (m)', 0.01, 2.0),
    'update_min_d': Spec(0.1, 'translation (m) needed before a filter update', 0.0, 10.0),
    'update_min_a': Spec(0.2, 'rotation (rad) needed before a filter update', 0.0, 6.3),
    'resample_interval': Spec(1, 'filter updates between resampling checks', 1, 100),
    'transform_tolerance': Spec(1.0, 'map -> odom is stamped this far in the future (s)',
                                0.0, 10.0),
    'global_frame_id': Spec('map', 'frame of the map and of amcl_pose', read_only=True),
    'odom_frame_id': Spec('odom', 'odometry frame', read_only=True),
    'base_frame_id': Spec('base_link', 'robot base frame', read_only=True),
    'tf_broadcast': Spec(True, 'publish map -> odom on tf'),
    'set_initial_pose': Spec(False, 'start at initial_pose.* once the map arrives',
                             read_only=True),
    'initial_pose_from_world': Spec(
        '', "start at this robot's spawn in this world (shipped name or file), as the sim "
        "places it, once the map arrives; '' = off. Takes precedence over set_initial_pose",
        read_only=True),
    'robot_namespaces': Spec(
        [''], "every robot of the run, in order (with initial_pose_from_world: this node's "
        "namespace picks its spawn among the world's spawns); [''] = one robot", read_only=True),
    'initial_pose.x': Spec(0.0, 'initial x (m) with set_initial_pose', -1e4, 1e4,
                           read_only=True),
    'initial_pose.y': Spec(0.0, 'initial y (m) with set_initial_pose', -1e4, 1e4,
                           read_only=True),
    'initial_pose.yaw': Spec(0.0, 'initial yaw (rad) with set_initial_pose', -6.3, 6.3,
                             read_only=True),
    'initial_cov_xx': Spec(0.25, 'initial x variance (m^2) with set_initial_pose', 0.0, 100.0,
                           read_only=True),
    'initial_cov_yy': Spec(0.25, 'initial y variance (m^2) with set_initial_pose', 0.0, 100.0,
                           read_only=True),
    'initial_cov_aa': Spec(0.0685, 'initial yaw variance (rad^2) with set_initial_pose',
                           0.0, 40.0, read_only=True),
    'seed': Spec(0, 'random seed of the filter', 0, 2 ** 31 - 1, read_only=True),
}
_FILTER_FIELDS = [f for f in FilterParams.__dataclass_fields__ if f in SPECS]
ODOM_HISTORY_S = 2.0


def _check(v: dict):
    if v['min_particles'] > v['max_particles']:
        return f'min_particles={v["min_particles"]} > max_particles={v["max_particles"]}'
    if v['z_hit'] + v['z_rand'] <= 0.0:
        return 'z_hit + z_rand must be > 0'
    return None


class LocalizationNode(ManagedNode):
    """Particle filter localization: scan + odom + map -> map -> odom and amcl_pose."""

    def __init__(self, **kwargs):
        super().__init__('amcl', **kwargs)
        params.declare(self, SPECS, _check)

    def configure_node(self):
        """Create the filter, its topics and the global localization service."""
        v = params.values(self, SPECS)
        self._frames = (v['global_frame_id'], v['odom_frame_id'], v['base_frame_id'])
        self.pf = ParticleFilter(self._filter_params(), seed=v['seed'])
        self._tf = tf_listener(self)
        self._odom = PoseHistory(ODOM_HISTORY_S, 'odometry')  # odom poses, to place scans
        self._last_update_odom = None   # odom pose of the last filter update
        self._force_update = False
        self._updates = 0
        self._map_to_odom = None
        self._warned = set()
        self._search_wanted = False   # a global search waits for the next scan
        self._search = None           # (future, odom pose of its scan, start time)
        self._search_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix='scan_search')
        cov = (v['initial_cov_xx'], v['initial_cov_yy'], v['initial_cov_aa'])
        self._pending_initial = None
        if v['initial_pose_from_world']:
            try:
                spawn = world_spawn(v['initial_pose_from_world'], v['robot_namespaces'],
                                    self.get_namespace())
            except WorldFileError as exc:
                raise params.ConfigError(f'initial_pose_from_world: {exc}') from None
            self._pending_initial = (spawn, cov)
            self.get_logger().info(f'initial pose: the spawn in {v["initial_pose_from_world"]} '
                                   f'({spawn[0]:.2f}, {spawn[1]:.2f}, {spawn[2]:.2f})')
        elif v['set_initial_pose']:
            self._pending_initial = ((v['initial_pose.x'], v['initial_pose.y'],
                                      v['initial_pose.yaw']), cov)
        # the callbacks check their inputs field by field (test_loc_bad_inputs); the guard
        # keeps an exception from leaving the executor
        guard.subscribe(self, OccupancyGrid, 'map', self._on_map, qos.LATCHED_QOS,
                        check_finite=False)
        guard.subscribe(self, LaserScan, 'scan', self._on_scan, qos.SENSOR_QOS,
                        check_finite=False)
        guard.subscribe(self, Odometry, 'odom', self._on_odom, qos.ODOM_HISTORY_QOS,
                        check_finite=False, drain=True)
        guard.subscribe(self, PoseWithCovarianceStamped, 'initialpose', self._on_initial_pose,
                        10, check_finite=False)
        self._pose_pub = self.create_publisher(PoseWithCovarianceStamped, 'amcl_pose',
                                               qos.LATCHED_QOS)
        self._cloud_pub = self.create_publisher(PoseArray, 'particle_cloud', 2)
        self._match_pub = self.create_publisher(Float32, '~/scan_match', qos.LATCHED_QOS)
        self._tf_pub = self.create_publisher(TFMessage, 'tf', QoSProfile(depth=100))
        self.create_service(Empty, 'reinitialize_global_localization', self._on_global)

    def activate_node(self):
        """Update on the next scan (publishing happens only while active); say what it waits for.

        An estimate made while inactive (the spawn pose, taken at configure) was
        never published: without this, a robot standing still would get no
        amcl_pose until it moved, and a mission that first checks its
        localization would wait for ever.
        """
        self._force_update = True
        if self.pf.field is None:
            self.get_logger().info('amcl waiting for the map')

    def cleanup_node(self):
        """Drop a global search still running (its result would seed a filter that is gone)."""
        self._search_wanted = False
        self._search = None
        self._search_pool.shutdown(wait=False, cancel_futures=True)

    # -------------------------------------------------------------- helpers
    def _filter_params(self) -> FilterParams:
        v = params.values(self, SPECS)
        return FilterParams(**{k: v[k] for k in _FILTER_FIELDS})

    def _warn_once(self, key, text):
        if key not in self._warned:
            self._warned.add(key)
            self.get_logger().warning(text)

    def _odom_at(self, t: float):
        """Odometry pose at time ``t`` (interpolated; the end sample outside), None before any."""
        if not len(self._odom):
            return None
        return self._odom.at(t, clamp=True)

    def _reset_motion(self):
        self._last_update_odom = None
        self._force_update = True

    # ------------------------------------------------------------ callbacks
    def _on_map(self, msg: OccupancyGrid) -> None:
        info = msg.info
        try:
            if msg.header.frame_id and msg.header.frame_id != self._frames[0]:
                raise LocalizationError(f'map: frame_id {msg.header.frame_id!r}, expected '
                                        f'{self._frames[0]!r} (global_frame_id)')
            if len(msg.data) != info.width * info.height:
                raise LocalizationError(f'map: {len(msg.data)} cells for {info.width} x '
                                        f'{info.height}')
            yaw = convert.quaternion_to_yaw(info.origin.orientation)
            if abs(yaw) > 1e-6:
                raise LocalizationError(f'map: rotated origin (yaw {yaw:.3f}) is not supported')
            grid = np.asarray(msg.data, dtype=np.int8).reshape(info.height, info.width)
            self.pf.set_map(grid, info.resolution, info.origin.position.x,
                            info.origin.position.y)
        except LocalizationError as exc:
            self.get_logger().error(f'{exc}; waiting for a usable map')
            return
        self.get_logger().info(f'map received: {info.width} x {info.height} cells at '
                               f'{info.resolution} m')
        if self._pending_initial is not None:
            pose, cov = self._pending_initial
            self._pending_initial = None
            self._initialize(pose, cov)

    def _initialize(self, pose, cov) -> bool:
        try:
            self.pf.initialize(pose, *cov)
        except LocalizationError as exc:
            self.get_logger().error(f'initial pose rejected: {exc}')
            return False
        self._reset_motion()
        self.get_logger().info(f'initial pose set: ({pose[0]:.2f}, {pose[1]:.2f}, '
                               f'{pose[2]:.2f}), {len(self.pf.particles)} particles')
        return True

    def _on_initial_pose(self, msg: PoseWithCovarianceStamped) -> None:
        if msg.header.frame_id and msg.header.frame_id.lstrip('/') != self._frames[0]:
            self.get_logger().error(f'initialpose: frame_id {msg.header.frame_id!r}, expected '
                                    f'{self._frames[0]!r}; ignored')
            return
        if self.pf.field is None:
            self.get_logger().error('initialpose: no map received yet; ignored')
            return
        p = msg.pose.pose
        c = msg.pose.covariance
        pose = (p.position.x, p.position.y, convert.quaternion_to_yaw(p.orientation))
        self._initialize(pose, (c[0], c[7], c[35]))

    def _on_global(self, request, response):
        try:
            self.pf.global_localization()
        except LocalizationError as exc:
            self.get_logger().error(f'global localization refused: {exc}')
            return response
        self._reset_motion()
        self._search = None  # a search still running was for the old request
        self._search_wanted = bool(self.get_parameter('global_search').value)
        self.get_logger().info(f'global localization: {len(self.pf.particles)} particles '
                               'spread over the free space' +
                               ('; the next scan searches the map' if self._search_wanted
                                else ''))
        return response

    def _start_search(self, msg: LaserScan, odom_pose, mount) -> None:
        """Hand the scan to the worker thread; the callbacks go on meanwhile."""
        self._search_wanted = False
        beams, angles = self.pf.select_beams(msg.ranges, msg.angle_min, msg.angle_increment,
                                             msg.range_min, msg.range_max)
        v = params.values(self, SPECS)
        search = SearchParams(step_m=v['global_search_step_m'],
                              yaw_bins=v['global_search_yaw_bins'])
        future = self._search_pool.submit(scan_search, self.pf.field, beams, angles,
                                          msg.range_max, self.pf.params, search, mount)
        self._search = (future, odom_pose, time.monotonic(), search)

    def _finish_search(self) -> None:
        """Seed the particles from a finished search; its scan's odometry is the last update's."""
        future, odom_pose, started, search = self._search
        self._search = None
        try:
            poses, scores = future.result()
            self.pf.seed(poses, scores, self.get_parameter('global_search_temperature').value,
                         search.step_m / 2.0, math.pi / search.yaw_bins)
        except LocalizationError as exc:
            self.get_logger().error(f'global search failed: {exc}; the uniform spread stays')
            return
        self._last_update_odom = odom_pose  # the motion since that scan comes next
        self._force_update = True
        x, y, yaw = poses[0]
        self.get_logger().info(
            f'global search: best of the map ({x:.2f}, {y:.2f}, {yaw:.2f}), score '
            f'{scores[0]:.2f} (next {scores[min(1, len(scores) - 1)]:.2f}), in '
            f'{time.monotonic() - started:.2f} s; {len(self.pf.particles)} particles drawn '
            'around the best poses')

    def _on_odom(self, msg: Odometry) -> None:
        p = msg.pose.pose
        pose = (p.position.x, p.position.y, convert.quaternion_to_yaw(p.orientation))
        if not all(math.isfinite(x) for x in pose):
            self._warn_once('odom_nan', f'odom: non-finite pose {pose} ignored')
            return
        t = convert.seconds_of(msg.header.stamp)
        self._odom.add(t, pose)  # a time far back (sim reset) starts the history again

    def _on_scan(self, msg: LaserScan) -> None:
        if self.pf.field is None or not self.pf.initialized:
            return
        t = convert.seconds_of(msg.header.stamp)
        odom_pose = self._odom_at(t)
        if odom_pose is None:
            self._warn_once('no_odom', 'no odometry yet; scans are skipped')
            return
        try:
            mount = self._tf.transform_pose((0.0, 0.0, 0.0), msg.header.frame_id,
                                            self._frames[2])
        except FrameError as exc:
            self._warn_once('mount', f'scan: no transform {self._frames[2]} -> '
                                     f'{msg.header.frame_id} yet ({exc}); scans are skipped')
            return
        if self._search is not None and self._search[0].done():
            self._finish_search()
        if self._search_wanted and self._search is None:
            try:
                self._start_search(msg, odom_pose, mount)
            except LocalizationError as exc:
                self.get_logger().warning(f'{exc}; the global search waits for the next scan',
                                          throttle_duration_sec=5.0)
        if self._should_update(odom_pose):
            try:
                self._filter_update(msg, odom_pose, mount)
            except LocalizationError as exc:
                self.get_logger().warning(f'{exc}; scan skipped', throttle_duration_sec=5.0)
                return
        self._publish_tf(msg.header.stamp)

    def _should_update(self, odom_pose) -> bool:
        if self._force_update or self._last_update_odom is None:
            return True
        last = self._last_update_odom
        d = math.hypot(odom_pose[0] - last[0], odom_pose[1] - last[1])
        a = abs(math.atan2(math.sin(odom_pose[2] - last[2]), math.cos(odom_pose[2] - last[2])))
        return d >= self.get_parameter('update_min_d').value or \
            a >= self.get_parameter('update_min_a').value

    def _filter_update(self, msg: LaserScan, odom_pose, mount) -> None:
        ranges = np.asarray(msg.ranges, dtype=float)
        bad = int(np.count_nonzero(np.isnan(ranges)))
        if bad:
            self.get_logger().warning(f'scan: {bad} of {len(ranges)} ranges are NaN; ignored',
                                      throttle_duration_sec=5.0)
        self.pf.params = self._filter_params()
        beams, angles = self.pf.select_beams(ranges, msg.angle_min, msg.angle_increment,
                                             msg.range_min, msg.range_max)
        if self._last_update_odom is not None:
            self.pf.predict(self._last_update_odom, odom_pose)
        self.pf.update(beams, angles, msg.range_max, mount)
        self._updates += 1
        if self._updates % self.get_parameter('resample_interval').value == 0:
            self.pf.resample_if_needed()
        self._last_update_odom = odom_pose
        self._force_update = False
        (x, y, yaw), cov = self.pf.estimate()
        self._map_to_odom = compose((x, y, yaw), invert(odom_pose))
        self._publish_pose(msg.header.stamp, (x, y, yaw), cov)
        self._match_pub.publish(Float32(data=self.pf.scan_match((x, y, yaw), beams, angles,
                                                                 mount)))
        if self._cloud_pub.get_subscription_count():
            self._publish_cloud(msg.header.stamp)

    # ------------------------------------------------------------ publishers
    def _publish_pose(self, stamp, pose, cov) -> None:
        out = PoseWithCovarianceStamped()
        out.header.frame_id = self._frames[0]
        out.header.stamp = stamp
        out.pose.pose.position.x, out.pose.pose.position.y = float(pose[0]), float(pose[1])
        out.pose.pose.orientation = convert.yaw_to_quaternion(pose[2])
        c = np.zeros(36)
        c[0], c[1], c[6], c[7] = cov[0, 0], cov[0, 1], cov[1, 0], cov[1, 1]
        c[5], c[11], c[30], c[31] = cov[0, 2], cov[1, 2], cov[2, 0], cov[2, 1]
        c[35] = cov[2, 2]
        out.pose.covariance = [float(x) for x in c]
        self._pose_pub.publish(out)

    def _publish_cloud(self, stamp) -> None:
        out = PoseArray()
        out.header.frame_id = self._frames[0]
        out.header.stamp = stamp
        for x, y, yaw in self.pf.particles[:500]:
            p = Pose()
            p.position.x, p.position.y = float(x), float(y)
            p.orientation = convert.yaw_to_quaternion(float(yaw))
            out.poses.append(p)
        self._cloud_pub.publish(out)

    def _publish_tf(self, stamp) -> None:
        if self._map_to_odom is None or not self.get_parameter('tf_broadcast').value:
            return
        t = TransformStamped()
        future = Time.from_msg(stamp) + Duration(
            seconds=self.get_parameter('transform_tolerance').value)
        t.header.stamp = future.to_msg()
        t.header.frame_id, t.child_frame_id = self._frames[0], self._frames[1]
        x, y, yaw = self._map_to_odom
        t.transform.translation.x, t.transform.translation.y = float(x), float(y)
        t.transform.rotation = convert.yaw_to_quaternion(yaw)
        self._tf_pub.publish(TFMessage(transforms=[t]))


def main(args=None):
    """Run the localization node; bad parameters are reported in one line, exit code 1."""
    return run_node(LocalizationNode, args, exit_process=True)


if __name__ == '__main__':
    raise SystemExit(main())

"""Localization with the real sim: a long noisy drive, and a kidnap recovered globally.

The sim's odometry starts at the origin (``odom_starts_at_truth`` false), so
``map → odom`` is only known through the localization node. Errors are measured
against ``ground_truth/odom`` at the stamps of ``amcl_pose``.
"""
import math
import sys

from geometry_msgs.msg import PoseWithCovarianceStamped
from loc_helpers import (
    WAIT_S,
    Listener,
    node_process,
    sim_process,
    stamp_s,
    watch_truth,
    world_map,
    wrap,
    yaw_of,
)
from nav_msgs.msg import Odometry
import pytest
import rclpy
from std_msgs.msg import Float32
from std_srvs.srv import Empty

from orchestrator_interfaces.srv import TeleportRobot
from orchestrator_pkg.testing.processes import ManagedProcess

# noisier than the sim defaults: the odometry must drift visibly
ODOM_NOISE = ('odom_linear_scale_error:=0.03', 'odom_angular_scale_error:=0.05',
              'odom_linear_noise_per_m:=0.02', 'odom_angular_noise_per_rad:=0.02')
SPAWN = (-1.0, -1.5, 0.0)


@pytest.fixture
def loc_stack(ros_domain, tmp_path, request):
    """Sim (test_room, noisy odometry), map_server, localization_node; yield a listener."""
    extra = getattr(request, 'param', ())
    rtf = 1.0 if extra else 2.0  # global localization (5,000 particles) at real time
    map_yaml = world_map('test_room', str(tmp_path / 'test_room.yaml'))
    env = ros_domain.env()
    sim = sim_process(env, *ODOM_NOISE, f'spawn:={SPAWN[0]} {SPAWN[1]} {SPAWN[2]}', 'seed:=7',
                      rtf=rtf)
    maps = ManagedProcess([sys.executable, '-m', 'orchestrator_pkg.nodes.map_server',
                           '--ros-args', '-p', f'yaml_filename:={map_yaml}',
                           '-p', 'use_sim_time:=true'], env=env)
    loc = node_process(env, 'localization_node', 'localization.yaml',
                       'set_initial_pose:=true', f'initial_pose.x:={SPAWN[0] + 0.15}',
                       f'initial_pose.y:={SPAWN[1] - 0.1}', f'initial_pose.yaw:={SPAWN[2] + 0.1}',
                       *extra)
    with sim, maps, loc:
        assert sim.wait_for_output('sim ready', WAIT_S), sim.output()
        assert loc.wait_for_output('initial pose set', WAIT_S), loc.output()
        rclpy.init(domain_id=ros_domain.domain_id)
        listener = Listener()
        try:
            watch_truth(listener)
            listener.watch(Odometry, 'odom', keep=20000)
            listener.watch(PoseWithCovarianceStamped, 'amcl_pose', latched=True)
            listener.watch(Float32, 'amcl/scan_match', latched=True)
            yield listener, loc
        finally:
            listener.stop()
            listener.destroy()
            rclpy.shutdown()
    for proc in (sim, maps, loc):
        assert proc.returncode == 0 and 'Traceback' not in proc.output(), proc.output()


def pose_error(listener, msg):
    """Position and heading error of an amcl_pose message against the truth at its stamp."""
    p = msg.pose.pose
    tx, ty, tyaw = listener.truth_at(stamp_s(msg.header.stamp))
    return math.hypot(p.position.x - tx, p.position.y - ty), abs(wrap(yaw_of(p.orientation) - tyaw))


def odom_error(listener, msg):
    """Raw odometry error: odom (anchored at the spawn pose) against the truth at its stamp."""
    p = msg.pose.pose
    c, s = math.cos(SPAWN[2]), math.sin(SPAWN[2])
    x = SPAWN[0] + c * p.position.x - s * p.position.y
    y = SPAWN[1] + s * p.position.x + c * p.position.y
    tx, ty, tyaw = listener.truth_at(stamp_s(msg.header.stamp))
    return math.hypot(x - tx, y - ty), abs(wrap(SPAWN[2] + yaw_of(p.orientation) - tyaw))


def test_long_noisy_drive_stays_within_10cm_and_5deg(loc_stack):
    listener, loc = loc_stack
    listener.wait_for(lambda: listener.truth() is not None, what='ground truth')
    # a lap around the room's free space, past the inner wall
    lap = [(-1.0, 1.5), (0.8, 1.8), (0.8, -1.8), (-2.0, -1.8), (-2.0, 1.0), (-1.0, -1.5)]
    t_start = listener.sim_time()
    for x, y in lap:
        listener.go_to(x, y)
    t_end = listener.sim_time()
    listener.drive_for(0.0, 0.0, 0.5)  # take in what is still on its way
    poses = [m for m in listener.messages['amcl_pose']
             if stamp_s(m.header.stamp) >= t_start + 5.0]
    assert len(poses) > 50, f'only {len(poses)} filter updates'
    errors = [pose_error(listener, m) for m in poses]
    odoms = [m for m in listener.messages['odom'] if stamp_s(m.header.stamp) >= t_start]
    odom_errors = [odom_error(listener, m) for m in odoms]
    dist = sum(math.hypot(b.pose.pose.position.x - a.pose.pose.position.x,
                          b.pose.pose.position.y - a.pose.pose.position.y)
               for a, b in zip(odoms[:-1], odoms[1:], strict=True))
    max_e, max_a = max(e for e, _ in errors), max(a for _, a in errors)
    print(f'\nlong drive: {dist:.1f} m in {t_end - t_start:.0f} s sim, {len(poses)} updates; '
          f'filter max error {max_e:.3f} m / {math.degrees(max_a):.2f} deg, final '
          f'{errors[-1][0]:.3f} m / {math.degrees(errors[-1][1]):.2f} deg; raw odometry final '
          f'{odom_errors[-1][0]:.3f} m / {math.degrees(odom_errors[-1][1]):.2f} deg, max '
          f'{max(e for e, _ in odom_errors):.3f} m')
    assert dist > 14.0
    assert max_e <= 0.10 and max_a <= math.radians(5.0), (max_e, math.degrees(max_a))
    # the odometry alone drifted well beyond that
    assert odom_errors[-1][0] > 2 * max_e


@pytest.mark.parametrize('loc_stack', [('max_particles:=5000',)], indirect=True)
def test_kidnapped_robot_relocalizes_through_global_localization(loc_stack):
    listener, loc = loc_stack
    listener.wait_for(lambda: listener.truth() is not None, what='ground truth')
    listener.drive_for(0.0, 0.6, 3.0)  # localized at the spawn first
    listener.wait_for(lambda: listener.latest('amcl_pose') is not None and
                      pose_error(listener, listener.latest('amcl_pose'))[0] < 0.1,
                      what='localized before the kidnap')  # 5,000 particles: updates come late
    match_before = listener.latest('amcl/scan_match').data
    teleport = listener.node.create_client(TeleportRobot, 'teleport')
    assert teleport.wait_for_service(timeout_sec=WAIT_S)
    future = teleport.call_async(TeleportRobot.Request(x=1.0, y=1.8, yaw=-2.0))
    listener.wait_for(future.done, what='teleport')
    assert future.result().success, future.result().message
    t_kidnap = listener.sim_time()
    listener.drive_for(0.0, 0.6, 2.0)
    kidnapped = pose_error(listener, listener.latest('amcl_pose'))
    assert kidnapped[0] > 1.0  # the filter still believes the old place
    # ... and the covariance cannot tell, but the scan match can (amcl/scan_match)
    kidnap_cov = listener.latest('amcl_pose').pose.covariance
    match_kidnapped = listener.latest('amcl/scan_match').data
    glob = listener.node.create_client(Empty, 'reinitialize_global_localization')
    assert glob.wait_for_service(timeout_sec=WAIT_S)
    future = glob.call_async(Empty.Request())
    listener.wait_for(future.done, what='global localization')
    assert loc.wait_for_output('spread over the free space', WAIT_S)
    # look around and move a little: the particles converge on the true pose
    listener.drive_for(0.0, 0.6, 11.0)
    listener.go_to(0.0, 1.0)
    # then it settles while it drives straight legs (turning adds yaw noise)

    def settled():
        c = listener.latest('amcl_pose').pose.covariance
        return c[0] < 0.05 and c[7] < 0.05 and c[35] < 0.03
    for x, y in [(-1.5, 1.0), (-1.0, -1.5), (0.0, 1.0), (-1.5, 1.0)]:
        listener.go_to(x, y)
        if settled():
            break
    assert settled(), listener.latest('amcl_pose').pose.covariance
    t_done = listener.sim_time()
    msg = listener.latest('amcl_pose')
    e, a = pose_error(listener, msg)
    cov = msg.pose.covariance
    match_after = listener.latest('amcl/scan_match').data
    print(f'\nkidnap: error before global localization {kidnapped[0]:.2f} m, after '
          f'{e:.3f} m / {math.degrees(a):.2f} deg, {t_done - t_kidnap:.0f} s sim; '
          f'cov xx {cov[0]:.4f} yy {cov[7]:.4f} aa {cov[35]:.4f}; scan match before the '
          f'kidnap {match_before:.2f}, kidnapped {match_kidnapped:.2f} (cov xx '
          f'{kidnap_cov[0]:.4f}), after {match_after:.2f}')
    assert match_before >= 0.8 and match_after >= 0.8, (match_before, match_after)
    assert match_kidnapped <= 0.5, match_kidnapped
    assert e < 0.15 and a < math.radians(8.0), (e, math.degrees(a))

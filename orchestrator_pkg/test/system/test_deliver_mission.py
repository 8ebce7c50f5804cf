"""System tests: the main job, every node real, checked in the world.

The reference run (a module fixture) is ``orchestrator run --world warehouse
--mission deliver`` on the demo's bringup (make demo runs fetch_and_deliver on
it): sim, base driver, amcl, planner,
controller, behavior server, navigator running Nav2's own tree, perception,
orchestrator. Its tests check what happened in the sim's ground truth (the box
is at the drop-off, the robot back at the dock, nothing hit), the run folder
(mission.jsonl, run.mcap, trajectory.png), and amcl: the test's own listener
keeps ``amcl_pose`` and ``ground_truth/odom``, and once amcl runs it publishes
one ``/initialpose`` at the true pose (the amcl log must show it taken); the
estimate against the ground truth at the same stamp must stay within bounds and
match the summary's own figures. The other tests each run a variant and judge
it the same way: as fast as possible (``--rtf 0``), composed mode,
``fetch_and_deliver`` with the planner killed mid-mission, and a small battery
that starts low (the battery guard preempts the mission, the robot docks and
charges, and the mission resumes and completes).
"""
import json
import math
import os
import re
import signal
import sys
import time

from ament_index_python.packages import get_package_share_directory
from geometry_msgs.msg import PoseWithCovarianceStamped
import matplotlib.colors
import matplotlib.image
from nav_msgs.msg import Odometry
import numpy as np
import pytest
import rclpy
from rclpy.qos import DurabilityPolicy, QoSProfile
import yaml

from orchestrator_interfaces.msg import DetectionArray
from orchestrator_pkg.bringup import run_folder, run_report
from orchestrator_pkg.places import load_places
from orchestrator_pkg.ros_edge.convert import quaternion_to_yaw
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.testing.processes import ManagedProcess, child_pid
from orchestrator_pkg.testing.ros_domain import claim_domain
from orchestrator_pkg.testing.velocity_oracle import assert_run_within_limits

RUN_TIMEOUT_S = 400.0  # wall; the mission takes about 70 s of sim time at rtf 1


def _start(ros_domain, summary_file=None, mission='deliver', extra=(), timeout_s=300,
           run_dir=None, rtf=1):
    cmd = [sys.executable, '-m', 'orchestrator_pkg.cli', 'run', '--world', 'warehouse',
           '--mission', mission, '--rtf', str(rtf), '--timeout-s', str(timeout_s), *extra]
    if summary_file is not None:
        cmd += ['--summary-json', str(summary_file)]
    if run_dir is not None:
        cmd += ['--run-dir', str(run_dir)]
    return ManagedProcess(cmd, env=ros_domain.env(), stop_timeout_s=30.0)


def _wait_for_line(run, pattern, timeout_s):
    """Wait until a line of the output matches ``pattern`` (a regex)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and run.poll() is None:
        if re.search(pattern, run.output(), flags=re.MULTILINE):
            return True
        time.sleep(0.2)
    return bool(re.search(pattern, run.output(), flags=re.MULTILINE))


def _finish(run, summary_file):
    run.expect_output('summary\n', RUN_TIMEOUT_S)
    run.wait(30.0)  # after the summary it writes the JSON and exits by itself
    return json.loads(summary_file.read_text())


def _check_delivered(report, output):
    robot = report['robots']['robot']
    assert report['succeeded'] and robot['mission_outcome'] == 'SUCCEEDED', report
    assert robot['collisions'] == 0, output[-5000:]
    places = load_places('warehouse')
    dropoff, dock = places['dropoff'], places['dock']
    box = robot['objects']['red_box_1']
    assert math.hypot(box[0] - dropoff[0], box[1] - dropoff[1]) < 0.7, box
    assert box[2] < 0.1, 'the box was put down, not still held up'
    assert math.hypot(robot['final_position'][0] - dock[0],
                      robot['final_position'][1] - dock[1]) < 0.5, robot['final_position']
    # dock -> pickup -> dropoff -> dock is ~25 m (fetch_and_deliver: via search_1, more)
    assert robot['distance_m'] > 20.0
    # the other objects were not disturbed
    assert robot['objects']['green_box_1'][:2] == pytest.approx([3.0, 1.6], abs=0.01)
    # every node was stopped cleanly (the runner reports unclean exits)
    assert 'exited uncleanly' not in output, output[-6000:]


def _status_changes(run_dir):
    """(path, new status) of every tree status change the run recorded in mission.jsonl."""
    records = [json.loads(line) for line in (run_dir / 'mission.jsonl').read_text().splitlines()]
    return {(r['path'], r['to']) for r in records if r['event'] == 'status'}


def _check_mission_log(path):
    records = [json.loads(line) for line in path.read_text().splitlines()]
    # with amcl the log ends with the localization error (one record per robot)
    assert records[-1]['event'] == 'localization_error', records[-1]
    assert records[-1]['localization_error']['poses'] > 100, records[-1]
    records = [r for r in records if r['event'] != 'localization_error']
    events = [r['event'] for r in records]
    assert events[0] == 'mission_start' and events[-1] == 'mission_result', events[:3]
    assert records[-1]['outcome'] == 'SUCCEEDED'
    status = [r for r in records if r['event'] == 'status']
    for tree in ('orchestrator', 'bt_navigator'):  # both trees, each in sim-time order
        times = [r['t'] for r in status if r['tree'] == tree]
        assert times and times == sorted(times), tree
    assert records[0]['t'] <= status[0]['t'] and status[-1]['t'] <= records[-1]['t']
    gripper = [(r['path'].rsplit('/', 1)[-1], r['from'], r['to']) for r in status
               if r['type'] == 'Gripper']
    assert gripper == [('Pick', 'INVALID', 'RUNNING'), ('Pick', 'RUNNING', 'SUCCESS'),
                       ('Place', 'INVALID', 'RUNNING'), ('Place', 'RUNNING', 'SUCCESS')]
    # every step of the mission was seen to start and to succeed
    steps = ('GoToPickup', 'Pick', 'GoToDropoff', 'Place', 'BackAway', 'ReturnToDock')
    top = 'Deliver/LocalizedMission/DeliverMission'  # the steps run under StayLocalized
    for step in steps:
        seen = {r['to'] for r in status if r['path'] == f'{top}/{step}'}
        assert {'RUNNING', 'SUCCESS'} <= seen, (step, seen)


KEY_TOPICS = ('/odom', '/scan', '/tf', '/tf_static', '/cmd_vel', '/cmd_vel_nav', '/detections',
              '/execute_mission/_action/feedback', '/plan', '/ground_truth/odom',
              '/battery_state', '/orchestrator/status_changes', '/orchestrator/snapshot',
              '/bt_navigator/snapshot', '/behavior_tree_log', '/tracked_objects',
              '/gripper/held')


def _check_recording(path, decode_per_topic=20):
    """Every key topic has messages; the first ones of each decode with mcap_ros2."""
    from mcap.reader import make_reader
    from mcap_ros2.decoder import DecoderFactory
    factory, counts, first = DecoderFactory(), {}, {}
    with open(path, 'rb') as f:
        for schema, channel, message in make_reader(f).iter_messages():
            n = counts[channel.topic] = counts.get(channel.topic, 0) + 1
            if n <= decode_per_topic:
                assert schema.encoding == 'ros2msg' and channel.message_encoding == 'cdr'
                decoded = factory.decoder_for('cdr', schema)(message.data)
                first.setdefault(channel.topic, decoded)
    missing = [t for t in KEY_TOPICS if not counts.get(t)]
    assert not missing, (missing, counts)
    assert first['/scan'].ranges and first['/odom'].header.frame_id
    assert first['/execute_mission/_action/feedback'].feedback.active_node_path
    assert counts['/odom'] > 100 and counts['/plan'] >= 3
    # the trees, tick by tick, and Nav2's tree log (issue 18: replayable in Foxglove)
    snapshot = first['/orchestrator/snapshot']
    assert snapshot.behaviours and snapshot.tick >= 1, snapshot
    assert first['/bt_navigator/snapshot'].behaviours
    assert first['/behavior_tree_log'].event_log[0].node_name


def _check_picture(path):
    assert path.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert matplotlib.image.imread(str(path)).shape[:2] == (1000, 1600)


class Watch:
    """amcl_pose and the ground truth, heard by the test itself; publishes /initialpose once."""

    def __init__(self, node):
        self.amcl, self.truth = [], []
        node.create_subscription(PoseWithCovarianceStamped, 'amcl_pose', self.amcl.append,
                                 QoSProfile(depth=50, durability=DurabilityPolicy.TRANSIENT_LOCAL))
        node.create_subscription(Odometry, 'ground_truth/odom', self.truth.append,
                                 QoSProfile(depth=100))
        self.initial = node.create_publisher(PoseWithCovarianceStamped, 'initialpose', 10)
        self.sent_initial = None
        self.tracked = []  # perception's tracked_objects
        node.create_subscription(DetectionArray, 'tracked_objects', self.tracked.append,
                                 QoSProfile(depth=50))

    def send_initial_pose_at_truth(self):
        true = self.truth[-1]
        msg = PoseWithCovarianceStamped()
        msg.header.frame_id = 'map'
        msg.header.stamp = true.header.stamp
        msg.pose.pose = true.pose.pose
        msg.pose.covariance[0] = msg.pose.covariance[7] = msg.pose.covariance[35] = 0.01
        self.initial.publish(msg)
        self.sent_initial = (true.pose.pose.position.x, true.pose.pose.position.y)

    def errors(self):
        """(position error m, heading error deg) of each amcl_pose against the truth."""
        t_truth = np.array([_stamp(m) for m in self.truth])
        out = []
        for m in self.amcl:
            i = int(np.argmin(np.abs(t_truth - _stamp(m))))
            if abs(t_truth[i] - _stamp(m)) > 0.05:
                continue
            a, g = m.pose.pose, self.truth[i].pose.pose
            d = math.hypot(a.position.x - g.position.x, a.position.y - g.position.y)
            dyaw = quaternion_to_yaw(a.orientation) - quaternion_to_yaw(g.orientation)
            out.append((d, abs(math.degrees(math.atan2(math.sin(dyaw), math.cos(dyaw))))))
        return np.array(out).reshape(-1, 2)


def _stamp(msg):
    return msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9


@pytest.fixture(scope='module')
def reference_run(tmp_path_factory):
    """Run deliver on the demo's bringup (rtf 1, amcl), heard by the test.

    The test's own listener keeps ``amcl_pose`` and ``ground_truth/odom`` and,
    once amcl runs, publishes one ``/initialpose`` at the true pose, as a user
    sets a robot's pose in RViz. Yields (summary.json, output, the Watch, the run
    folder).
    """
    folder = tmp_path_factory.mktemp('reference_run')
    run_dir = folder / 'run'
    with claim_domain() as claim:
        cmd = [sys.executable, '-m', 'orchestrator_pkg.cli', 'run', '--world', 'warehouse',
               '--mission', 'deliver', '--rtf', '1', '--timeout-s', '300',
               '--run-dir', str(run_dir)]
        with ManagedProcess(cmd, env=claim.env(), stop_timeout_s=30.0) as run:
            rclpy.init(domain_id=claim.domain_id)
            node = rclpy.create_node('reference_run_test')
            watch = Watch(node)
            try:
                deadline = time.monotonic() + RUN_TIMEOUT_S
                while 'summary\n' not in run.output() and run.poll() is None \
                        and time.monotonic() < deadline:
                    rclpy.spin_once(node, timeout_sec=0.05)
                    if watch.sent_initial is None and watch.amcl and watch.truth:
                        watch.send_initial_pose_at_truth()
                assert 'summary\n' in run.output(), run.output()[-5000:]
                # take what is still queued: one message per spin can trail the stack by
                # seconds under load (13 amcl_pose, about 4 s, in one CI-like run)
                drain_until = time.monotonic() + 3.0
                while time.monotonic() < drain_until:
                    rclpy.spin_once(node, timeout_sec=0.05)
                run.wait(30.0)  # after the summary it writes the JSON and exits by itself
            finally:
                destroy_node_and_waitables(node)
                rclpy.shutdown()
    assert run.returncode == 0, run.output()[-5000:]
    yield json.loads((run_dir / 'summary.json').read_text()), run.output(), watch, run_dir


@pytest.mark.timeout(RUN_TIMEOUT_S + 120)
def test_deliver_moves_the_box_to_the_dropoff_and_returns_to_the_dock(reference_run):
    report, output, _, run_dir = reference_run
    _check_delivered(report, output)
    assert_run_within_limits(run_dir)  # the velocity oracle
    # the progress display: steps with the running node's own progress
    assert re.search(r'^\[mission\] step 3/6 GoToDropoff .* m to go', output,
                     flags=re.MULTILINE), output[-3000:]
    assert report['run_dir'] == str(run_dir)
    assert report['localization'] == 'amcl'  # the default: the odometry drifts under it
    assert re.search(r'^\s*localization\s+amcl \(estimated from scans and the map\)$',
                     output, flags=re.MULTILINE), output[-2000:]
    _check_mission_log(run_dir / 'mission.jsonl')
    _check_recording(run_dir / 'run.mcap')
    _check_picture(run_dir / 'trajectory.png')


def test_the_carried_box_has_no_track_left_behind(reference_run):
    # perception drops the track of what the gripper holds (gripper/held): it used to
    # stay where the box was last seen, an obstacle in both costmaps all the way to the
    # drop-off (the controller once stood 20 s of sim time in front of it)
    _, _, watch, run_dir = reference_run
    records = [json.loads(line) for line in (run_dir / 'mission.jsonl').read_text().splitlines()]
    gripper = {(r['path'].rsplit('/', 1)[-1], r['to']): r['t'] for r in records
               if r['event'] == 'status' and r['type'] == 'Gripper'}
    picked, placing = gripper[('Pick', 'SUCCESS')], gripper[('Place', 'RUNNING')]

    def red_boxes(msg):
        return [d for d in msg.detections if (d.class_id, d.color) == ('box', 'red')]
    before = [m for m in watch.tracked if _stamp(m) < picked and red_boxes(m)]
    assert before, 'the camera never saw the red box on the way in'
    carried = [m for m in watch.tracked if picked + 0.5 < _stamp(m) < placing]
    assert len(carried) > 5 * 0.5 * (placing - picked), (len(carried), picked, placing)
    left = [(_stamp(m), d.id, d.pose.position.x, d.pose.position.y)
            for m in carried for d in red_boxes(m)]
    assert not left, left[:5]


# amcl against the ground truth: issue #13 asks p95 <= 0.10 m and 3 deg of the demo;
# one run gives about 0.045 m mean, 0.08 m p95 and 1.8 deg, so these bounds leave room
# for a loaded machine (docs/localization.md)
MAX_MEAN_M, MAX_P95_M, MAX_P95_DEG = 0.12, 0.15, 4.0


def test_amcl_pose_stays_close_to_ground_truth(reference_run):
    report, output, watch, _ = reference_run
    errors = watch.errors()
    assert len(errors) > 100, f'only {len(errors)} amcl_pose messages matched the ground truth'
    d, deg = errors[:, 0], errors[:, 1]
    figures = (f'amcl vs ground truth over {len(d)} poses: mean {d.mean():.3f} m, '
               f'p95 {np.percentile(d, 95):.3f} m, max {d.max():.3f} m; heading mean '
               f'{deg.mean():.2f} deg, p95 {np.percentile(deg, 95):.2f} deg, max {deg.max():.2f}')
    print(figures)
    assert d.mean() <= MAX_MEAN_M, figures
    assert np.percentile(d, 95) <= MAX_P95_M, figures
    assert np.percentile(deg, 95) <= MAX_P95_DEG, figures
    # the run's own summary measures the same thing the same way
    own = report['robots']['robot']['localization_error']
    assert own is not None and own['poses'] > 100, own
    assert own['mean_m'] == pytest.approx(d.mean(), abs=0.01), (own, figures)
    assert own['p95_m'] == pytest.approx(np.percentile(d, 95), abs=0.02), (own, figures)
    assert re.search(rf"localization error\s+{own['mean_m']:.3f} m mean, {own['p95_m']:.3f} m "
                     r'p95', output), output[-2000:]


def test_amcl_started_at_the_spawn_and_took_the_initialpose(reference_run):
    _, _, watch, run_dir = reference_run
    log = (run_dir / 'logs' / 'amcl.log').read_text()
    taken = re.findall(r'initial pose set: \((-?[\d.]+), (-?[\d.]+), (-?[\d.]+)\)', log)
    assert 'initial pose: the spawn in warehouse (-6.50, -3.50, 0.00)' in log, log[-3000:]
    # the spawn at configure, then the test's /initialpose at the true pose
    assert len(taken) >= 2, log[-3000:]
    assert watch.sent_initial is not None
    x, y = (float(v) for v in taken[1][:2])
    assert math.hypot(x - watch.sent_initial[0], y - watch.sent_initial[1]) < 0.02, taken


def test_the_run_folder_has_the_error_in_mission_log_and_the_estimate_in_the_picture(
        reference_run):
    report, output, watch, run_dir = reference_run
    own = report['robots']['robot']['localization_error']
    assert own is not None, output[-2000:]
    records = run_folder.read_mission_log(str(run_dir / run_folder.MISSION_LOG))
    ends = [r for r in records if r['event'] == 'localization_error']
    assert [(r['robot'], r['localization']) for r in ends] == [('', 'amcl')], ends
    assert ends[0]['localization_error'] == own  # the same figures as summary.json
    assert records[-1] == ends[0]  # logged at the end of the run, after the result
    # trajectory.png: every amcl_pose the run heard (the matched ones and the rest)
    drawn = re.search(r'\[run\] trajectory\.png: (\d+) estimated poses \(amcl\) beside the '
                      r'ground truth', output)
    assert drawn, output[-3000:]
    poses = int(drawn.group(1))
    print(f'trajectory.png: {poses} estimated poses drawn; the test heard {len(watch.amcl)} '
          f'amcl_pose, {own["poses"]} matched the ground truth')
    assert own['poses'] <= poses
    # the test's own listener heard the same topic (until the summary, a little longer)
    assert 0.9 * len(watch.amcl) <= poses <= len(watch.amcl), (poses, len(watch.amcl))
    image = matplotlib.image.imread(str(run_dir / run_folder.PICTURE))[..., :3]
    magenta = matplotlib.colors.to_rgb(run_report.ESTIMATED_COLOURS[0])
    assert (np.abs(image - magenta).max(axis=-1) < 0.05).sum() > 100  # the dashed estimate


def _mission_sim_s(run_dir):
    """Sim seconds from the mission's start to its result (the run's mission.jsonl)."""
    records = run_folder.read_mission_log(str(run_dir / run_folder.MISSION_LOG))
    start = next(r['t'] for r in records if r['event'] == 'mission_start')
    return next(r['t'] for r in records if r['event'] == 'mission_result') - start


@pytest.mark.timeout(RUN_TIMEOUT_S + 60)
def test_deliver_as_fast_as_possible_has_the_outcome_of_real_time(reference_run, ros_domain,
                                                                   tmp_path):
    # --rtf 0: the sim waits for the stack (lockstep on the controller's cycle and the
    # orchestrator's heartbeat), so the run judged in the world is the one at rtf 1
    # (the reference run): box at the drop-off, robot at the dock, nothing hit, within
    # limits, and about the same drive in sim time and distance
    run_dir = tmp_path / 'run'
    with _start(ros_domain, run_dir=run_dir, rtf=0) as run:
        report = _finish(run, run_dir / 'summary.json')
    assert run.returncode == 0, run.output()[-5000:]
    assert report['rtf']['requested'] == 0.0, report['rtf']
    _check_delivered(report, run.output())
    assert_run_within_limits(run_dir)
    _check_like_the_reference(report, run_dir, reference_run, '--rtf 0')


def _check_like_the_reference(report, run_dir, reference_run, label):
    """Check that an as-fast-as-possible run drove as the rtf 1 reference run, no lapse."""
    reference, _, _, reference_dir = reference_run
    # the sim waits for the orchestrator's heartbeat: base_driver never lost it
    safety = report['robots']['robot']['safety_stops']
    assert safety['heartbeat_losses'] == 0, safety
    fast, real = _mission_sim_s(run_dir), _mission_sim_s(reference_dir)
    distance = (report['robots']['robot']['distance_m'],
                reference['robots']['robot']['distance_m'])
    print(f'{label}: {report["sim_time_s"]} sim s in {report["wall_time_s"]} wall s, '
          f'safety stops {safety}; the mission {fast:.1f} sim s and {distance[0]:.2f} m '
          f'against {real:.1f} sim s and {distance[1]:.2f} m at rtf 1')
    # base_driver's stops on late commands cost 10 sim s of 72 (docs/reliability.md)
    assert abs(fast - real) <= 0.12 * real, (fast, real)
    assert abs(distance[0] - distance[1]) <= 0.1 * distance[1], distance


@pytest.mark.timeout(RUN_TIMEOUT_S + 60)
def test_deliver_composed_as_fast_as_possible_has_the_outcome_of_separate_processes(
        reference_run, ros_domain, tmp_path):
    # --composition: the bringup's composable nodes in two containers, control_container
    # (amcl, planner, controller, orchestrator) and node_container (the rest but the sim
    # and base_driver); at --rtf 0, judged in the world as the reference run (a process
    # per node, rtf 1), and held to its drive as the separate-process rtf 0 run is
    run_dir = tmp_path / 'run'
    with _start(ros_domain, run_dir=run_dir, extra=['--composition'], rtf=0) as run:
        report = _finish(run, run_dir / 'summary.json')
    assert run.returncode == 0, run.output()[-5000:]
    assert report['rtf']['requested'] == 0.0, report['rtf']
    started = re.findall(r'\[runner\] starting \d+ node\(s\): (.*)', run.output())
    assert started and started[0].split(', ') == [
        'sim', 'base_driver', 'node_container', 'control_container'], run.output()[:3000]
    _check_delivered(report, run.output())
    assert_run_within_limits(run_dir)
    # one log per container, each line naming its node; the manager brought each up
    for container, names in (
            ('node_container', ('map_server', 'behavior_server', 'bt_navigator',
                                'waypoint_follower', 'lifecycle_manager_navigation',
                                'perception_node')),
            ('control_container', ('amcl', 'planner_server', 'controller_server',
                                   'orchestrator'))):
        log = (run_dir / 'logs' / f'{container}.log').read_text()
        for name in names:
            assert f'] [{name}]: ' in log, (container, name, log[-3000:])
    _check_like_the_reference(report, run_dir, reference_run, 'composed, --rtf 0')


@pytest.mark.timeout(RUN_TIMEOUT_S + 60)
def test_fetch_and_deliver_completes_when_the_planner_is_killed_mid_mission(
        ros_domain, tmp_path):
    run_dir = tmp_path / 'run'
    summary_file = run_dir / 'summary.json'
    with _start(ros_domain, mission='fetch_and_deliver', run_dir=run_dir) as run:
        # on the way to the drop-off, with the box held
        assert _wait_for_line(run, r'^\[mission\] step \d+/\d+ GoToDropoff .* m to go',
                              RUN_TIMEOUT_S), run.output()[-5000:]
        planner = child_pid(run.pid, 'lib/orchestrator_pkg/planner_server')
        assert planner is not None, 'planner_server is not a child of the runner'
        os.kill(planner, signal.SIGKILL)
        assert run.wait_for_output('respawning planner_server (start 2)', 60.0), \
            run.output()[-5000:]
        report = _finish(run, summary_file)
    assert run.returncode == 0, run.output()[-5000:]
    output = run.output()
    assert 'planner_server exited with code -9; respawn in 1 s' in output
    _check_delivered(report, output)
    assert_run_within_limits(run_dir)  # the velocity oracle
    # found by perception from the first search place, then approached
    changes = _status_changes(run_dir)
    top = 'FetchAndDeliver/LocalizedMission/FetchAndDeliverMission'
    assert (f'{top}/FindTheObject/FindOrSearch/LookFromSearch1/GoAndLook/LookAround',
            'SUCCESS') in changes, sorted(p for p, _ in changes if 'Search' in p)
    assert (f'{top}/RetryGoToObject/GoToObject', 'SUCCESS') in changes


def _small_battery_run(tmp_path):
    """Write a bringup and a robot preset for a battery run: 2 Wh at 30 %, off the dock."""
    share = get_package_share_directory('orchestrator_sim')
    with open(os.path.join(share, 'robots', 'small_indoor.yaml')) as f:
        preset = yaml.safe_load(f)
    # ~20 W while driving: 30 % -> 20 % in about 40 s of sim time, then about 16 s
    # on the dock from 20 % to the resume threshold of 80 %
    preset.update(name='small_battery', battery_capacity_wh=2.0, charge_power_w=300.0)
    robot = tmp_path / 'small_battery.yaml'
    robot.write_text(yaml.safe_dump(preset))
    with open(os.path.join(get_package_share_directory('orchestrator_pkg'), 'config',
                           'bringup.yaml')) as f:
        bringup = yaml.safe_load(f)
    sim = next(n for n in bringup['bringup']['nodes'] if n['name'] == 'sim')
    # the sim's body from the preset file; the nodes keep small_indoor's parameters
    # (config/robots/small_indoor.yaml: the same footprint and limits)
    sim['overrides']['robot'] = str(robot)
    sim['overrides']['battery_initial_fraction'] = 0.3
    # not on the dock, which would charge it while the stack starts up; amcl starts
    # where the sim puts the robot, as a user sets a robot's initial pose
    sim['overrides']['spawn'] = '-5.5 -2.5 1.5708'
    amcl = next(n for n in bringup['bringup']['nodes'] if n['name'] == 'amcl')
    amcl['overrides'].update(initial_pose_from_world='', set_initial_pose=True,
                             initial_pose={'x': -5.5, 'y': -2.5, 'yaw': 1.5708})
    path = tmp_path / 'bringup.yaml'
    path.write_text(yaml.safe_dump(bringup))
    return ['--bringup', str(path), '--robot', 'small_indoor']


@pytest.mark.timeout(RUN_TIMEOUT_S + 60)
def test_a_low_battery_preempts_the_mission_to_recharge_and_it_resumes_and_completes(
        ros_domain, tmp_path):
    run_dir = tmp_path / 'run'
    summary_file = run_dir / 'summary.json'
    extra = _small_battery_run(tmp_path)
    # --rtf 0: about 165 s of sim time, in lockstep with the stack (as the fast deliver
    # test above), judged in the world the same way: 78 s of wall time instead of 165+
    with _start(ros_domain, None, 'fetch_and_deliver', extra, run_dir=run_dir, rtf=0) as run:
        report = _finish(run, summary_file)
    output = run.output()
    assert run.returncode == 0, output[-5000:]
    _check_delivered(report, output)
    assert_run_within_limits(run_dir)  # the velocity oracle
    # preempted (the running navigation goal canceled), recharged on the dock, resumed
    assert '% < 20%: mission preempted, recharging (preemption 1)' in output, output[-5000:]
    changes = _status_changes(run_dir)
    assert ('Recharge/RechargeAtDock/GoToDock', 'SUCCESS') in changes, \
        sorted(c for c in changes if c[0].startswith('Recharge'))
    assert ('Recharge/RechargeAtDock/Charge', 'SUCCESS') in changes
    assert ': resuming the mission' in output
    assert '(preemption 2)' not in output
    robot = report['robots']['robot']
    assert robot['battery_start'] == pytest.approx(0.3, abs=0.02), robot
    assert robot['battery_end'] > 0.5, robot  # charged to 80 %, then finished the mission

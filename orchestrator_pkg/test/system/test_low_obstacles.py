"""System test (issue 19): a box below the lidar plane is planned around, not hit.

The warehouse's boxes are 0.12 m tall; the lidar scans at 0.18 m and the
static map is rasterized at that plane, so neither sees them. The soak found
the leg from ``pickup_b`` to ``office`` planned straight over ``red_box_1``
and the robot drove into it. Here ``orchestrator run`` (every node real)
starts the robot at ``pickup_b`` (a copy of the warehouse with that spawn)
and runs ``navigate`` to ``office``. Judged in the recording and the sim's
ground truth: a plan made before the camera had seen the box went over it,
the robot's body stayed clear of it, the box did not move, nothing was hit.
"""
import json
import math
import sys

from ament_index_python.packages import get_package_share_directory
import pytest
import yaml

from orchestrator_pkg.places import load_places
from orchestrator_pkg.testing.processes import ManagedProcess
from orchestrator_pkg.testing.velocity_oracle import assert_run_within_limits

RUN_TIMEOUT_S = 400.0  # wall; about 30 s of sim time at rtf 1
BOX = 'red_box_1'
HALF_WIDTH_M = 0.215  # the footprint's half width (nav.yaml, robot_width_m 0.43)


def _box_distance(points, box, half_size):
    """Distance (m) from each point to the axis-aligned square box."""
    return [math.hypot(max(abs(x - box[0]) - half_size, 0.0),
                       max(abs(y - box[1]) - half_size, 0.0)) for x, y in points]


def _plans_and_track(run_dir):
    """Return the ``/plan`` messages' points and the ground-truth positions (run.mcap)."""
    from mcap.reader import make_reader
    from mcap_ros2.decoder import DecoderFactory
    plans, track = [], []
    with open(run_dir / 'run.mcap', 'rb') as f:
        reader = make_reader(f, decoder_factories=[DecoderFactory()])
        for _s, channel, _m, msg in reader.iter_decoded_messages(
                topics=['/plan', '/ground_truth/odom']):
            if channel.topic == '/plan':
                plans.append([(p.pose.position.x, p.pose.position.y) for p in msg.poses])
            else:
                track.append((msg.pose.pose.position.x, msg.pose.pose.position.y))
    return plans, track


@pytest.mark.timeout(RUN_TIMEOUT_S + 60)
def test_navigate_past_a_box_below_the_lidar_plane_goes_around_it(ros_domain, tmp_path):
    world_file = get_package_share_directory('orchestrator_sim') + '/worlds/warehouse.yaml'
    with open(world_file) as f:
        world = yaml.safe_load(f)
    world['spawn'] = 'pickup_b'
    (tmp_path / 'warehouse_from_pickup_b.yaml').write_text(yaml.safe_dump(world))
    box_spec = next(o for o in world['objects'] if o['id'] == BOX)
    box, half = box_spec['position'][:2], box_spec['size'][0] / 2.0
    run_dir = tmp_path / 'run'
    cmd = [sys.executable, '-m', 'orchestrator_pkg.cli', 'run',
           '--world', str(tmp_path / 'warehouse_from_pickup_b.yaml'), '--mission', 'navigate',
           '--input', 'place=office', '--rtf', '1', '--timeout-s', '150',
           '--run-dir', str(run_dir), '--summary-json', str(run_dir / 'summary.json')]
    with ManagedProcess(cmd, env=ros_domain.env(), stop_timeout_s=30.0) as run:
        run.expect_output('summary\n', RUN_TIMEOUT_S)
        run.wait(30.0)
    output = run.output()
    assert run.returncode == 0, output[-5000:]
    report = json.loads((run_dir / 'summary.json').read_text())
    robot = report['robots']['robot']
    assert robot['mission_outcome'] == 'SUCCEEDED', output[-5000:]
    assert robot['collisions'] == 0, output[-5000:]
    office = load_places('warehouse')['office']
    assert math.hypot(robot['final_position'][0] - office[0],
                      robot['final_position'][1] - office[1]) < 0.5, robot['final_position']
    assert robot['objects'][BOX][:2] == pytest.approx(box, abs=0.01), 'the box was pushed'
    plans, track = _plans_and_track(run_dir)
    # the scenario: before the camera saw the box, a plan went over it
    assert plans and min(min(_box_distance(p, box, half)) for p in plans) < HALF_WIDTH_M, \
        'no plan came near the box: the test does not test the object layer'
    # the robot's body (its centre at least the half width away) stayed clear of it
    closest_plan = min(min(_box_distance(p, box, half)) for p in plans)
    closest_robot = min(_box_distance(track, box, half))
    print(f'closest plan {closest_plan:.3f} m, robot {closest_robot:.3f} m, {len(plans)} plans')
    assert track and min(_box_distance(track, box, half)) > HALF_WIDTH_M
    assert_run_within_limits(run_dir)  # the velocity oracle

"""The edge guard's checks (issue 12): non-finite fields, goal poses, throttled warnings."""
import math
import random

from geometry_msgs.msg import PoseStamped, Quaternion
from nav2_msgs.action import (
    BackUp,
    ComputePathToPose,
    DriveOnHeading,
    FollowPath,
    FollowWaypoints,
    Spin,
)
from nav_msgs.msg import Odometry, Path
import pytest
from sensor_msgs.msg import LaserScan

from orchestrator_pkg import nav2_codes
from orchestrator_pkg.ros_edge import goals, guard


def test_non_finite_field_names_the_first_bad_field_and_value():
    odom = Odometry()
    odom.pose.pose.orientation.w = 1.0
    assert guard.non_finite_field(odom) is None
    odom.pose.pose.position.y = math.nan
    field, value = guard.non_finite_field(odom)
    assert field == 'pose.pose.position.y' and math.isnan(value)
    odom.pose.pose.position.y = 0.0
    odom.twist.covariance[7] = -math.inf
    assert guard.non_finite_field(odom) == ('twist.covariance[7]', -math.inf)


def test_a_scans_ranges_may_be_inf_or_nan_but_its_angles_may_not():
    scan = LaserScan(angle_increment=0.01, range_max=10.0, ranges=[1.0, math.inf, math.nan])
    assert guard.non_finite_field(scan) is None
    scan.angle_min = math.nan
    assert guard.non_finite_field(scan)[0] == 'angle_min'


def test_nested_sequences_are_walked():
    path = Path()
    path.poses = [PoseStamped(), PoseStamped()]
    path.poses[1].pose.orientation.z = math.inf
    assert guard.non_finite_field(path) == ('poses[1].pose.orientation.z', math.inf)


def test_finite_sums_that_overflow_are_not_called_non_finite():
    odom = Odometry()
    odom.pose.pose.position.x = odom.pose.pose.position.y = 1e308  # the sum overflows
    assert guard.non_finite_field(odom) is None


def test_a_types_allowed_fields_are_allowed_where_it_is_nested(monkeypatch):
    monkeypatch.setitem(guard.NON_FINITE_OK, 'geometry_msgs/msg/Point', ('x',))
    monkeypatch.setattr(guard, '_CHECK_CACHE', {})  # the checks were built without it
    path = Path()
    path.poses = [PoseStamped()]
    path.poses[0].pose.position.x = math.nan
    assert guard.non_finite_field(path) is None
    path.poses[0].pose.position.y = math.inf
    assert guard.non_finite_field(path) == ('poses[0].pose.position.y', math.inf)


@pytest.mark.parametrize('seed', range(5))
def test_the_quick_check_and_the_walk_agree_on_every_field(seed):
    """Each float field, array element and sequence item made NaN or inf in turn is found."""
    rng = random.Random(seed)
    for cls in (Odometry, Path, LaserScan, FollowPath.Goal, FollowWaypoints.Goal):
        for _ in range(40):
            msg = cls()
            if hasattr(msg, 'poses'):
                msg.poses = [PoseStamped() for _ in range(rng.randint(0, 3))]
            if isinstance(msg, FollowPath.Goal):
                msg.path.poses = [PoseStamped() for _ in range(rng.randint(0, 3))]
            slots = _float_slots(msg)
            assert guard.non_finite_field(msg) is None
            if not slots:
                continue
            path, setter = rng.choice(slots)
            bad = rng.choice([math.nan, math.inf, -math.inf])
            setter(bad)
            found = guard.non_finite_field(msg)
            allowed = isinstance(msg, LaserScan) and path.startswith(('ranges', 'intensities'))
            if allowed:
                assert found is None
            else:
                assert found is not None and found[0] == path, (cls, path, found)


def _float_slots(msg, prefix=''):
    """[(field path, set it)] of every float scalar and float array element in ``msg``."""
    slots = []
    for name, kind in msg.get_fields_and_field_types().items():
        value = getattr(msg, name)
        path = prefix + name
        if kind in ('double', 'float'):
            slots.append((path, lambda v, m=msg, n=name: setattr(m, n, v)))
        elif kind.startswith(('double[', 'float[')) and len(value):
            slots.append((f'{path}[0]', lambda v, a=value: a.__setitem__(0, v)))
        elif kind.startswith('sequence<') and '/' in kind:
            for i, item in enumerate(value):
                slots += _float_slots(item, f'{path}[{i}].')
        elif '/' in kind and '[' not in kind and not kind.startswith('sequence'):
            slots += _float_slots(value, path + '.')
    return slots


def test_throttle_logs_once_per_period_and_counts_what_it_held_back():
    lines = []
    throttle = guard.Throttle(lines.append, every_s=60.0)
    assert throttle('a', 'first')
    assert not throttle('a', 'second')
    assert throttle('b', 'other key')
    assert lines == ['first', 'other key']
    throttle._seen['a'][0] -= 61.0
    assert throttle('a', 'third')
    assert lines[-1] == 'third (1 more since the last warning)'


def _pose(frame='map', x=1.0, q=(0.0, 0.0, 0.0, 1.0)):
    pose = PoseStamped()
    pose.header.frame_id = frame
    pose.pose.position.x = x
    pose.pose.orientation = Quaternion(x=q[0], y=q[1], z=q[2], w=q[3])
    return pose


@pytest.mark.parametrize('pose, kind, text', [
    (_pose(x=math.nan), 'position', 'goal.pose.position.x is nan'),
    (_pose(q=(0.0, 0.0, math.inf, 1.0)), 'orientation', 'goal.pose.orientation.z is inf'),
    (_pose(q=(0.0, 0.0, 0.0, 0.0)), 'orientation', 'has norm 0'),
    (_pose(q=(0.0, 0.0, 0.5, 0.5)), 'orientation', 'has norm 0.707107'),
    (_pose(frame=''), 'frame', 'goal.header.frame_id is empty'),
])
def test_bad_goal_poses_are_named(pose, kind, text):
    problem = goals.compute_path_problem(ComputePathToPose.Goal(goal=pose))
    assert problem[0] == kind and text in problem[1]


def test_good_goals_pass_and_a_nearly_unit_quaternion_is_unit():
    s = math.sqrt(0.5)
    assert goals.compute_path_problem(ComputePathToPose.Goal(goal=_pose(q=(0, 0, s, s)))) is None
    assert goals.compute_path_problem(
        ComputePathToPose.Goal(goal=_pose(q=(0, 0, 0, 1.0 + goals.QUATERNION_TOLERANCE / 2)))
    ) is None
    # the start only counts with use_start
    goal = ComputePathToPose.Goal(goal=_pose(), start=_pose(x=math.inf))
    assert goals.compute_path_problem(goal) is None
    goal.use_start = True
    assert goals.compute_path_problem(goal)[0] == 'start_position'


def test_follow_path_spin_and_backup_goals():
    goal = FollowPath.Goal()
    goal.path.header.frame_id = 'odom'
    goal.path.poses = [_pose(frame=''), _pose(q=(0, 0, 0, 0))]
    assert goals.follow_path_problem(goal) == (
        'orientation', 'path.poses[1].pose.orientation (0, 0, 0, 0) has norm 0, not 1 '
        '(within 0.001)')
    goal.path.header.frame_id = ''
    assert goals.follow_path_problem(goal)[0] == 'frame'
    assert goals.spin_problem(Spin.Goal(target_yaw=math.nan)) == ('number', 'target_yaw is nan')
    assert goals.spin_problem(Spin.Goal(target_yaw=1.0)) is None
    bad = BackUp.Goal(speed=0.1)
    bad.target.x = -math.inf
    assert goals.backup_problem(bad) == ('number', 'target.x is -inf')


def test_every_kind_of_every_action_has_a_nav2_code():
    for action, codes in nav2_codes.BAD_GOAL.items():
        assert 'unknown' in codes, action
    assert nav2_codes.BAD_GOAL['compute_path_to_pose']['position'] == \
        ComputePathToPose.Result.GOAL_OUTSIDE_MAP
    assert nav2_codes.BAD_GOAL['compute_path_to_pose']['frame'] == ComputePathToPose.Result.TF_ERROR
    assert nav2_codes.BAD_GOAL['follow_path']['orientation'] == FollowPath.Result.INVALID_PATH
    assert nav2_codes.BAD_GOAL['backup']['number'] == BackUp.Result.INVALID_INPUT
    assert nav2_codes.BAD_GOAL['spin']['unknown'] == Spin.Result.UNKNOWN
    assert nav2_codes.BAD_GOAL['drive_on_heading']['number'] == \
        DriveOnHeading.Result.INVALID_INPUT
    assert nav2_codes.BAD_GOAL['drive_on_heading']['unknown'] == DriveOnHeading.Result.UNKNOWN
    assert set(nav2_codes.BAD_GOAL['follow_waypoints'].values()) == \
        {FollowWaypoints.Result.UNKNOWN}


def test_drive_on_heading_and_follow_waypoints_goals():
    bad = DriveOnHeading.Goal(speed=math.nan)
    bad.target.x = 1.0
    assert goals.drive_on_heading_problem(bad) == ('number', 'speed is nan')
    assert goals.follow_waypoints_problem(FollowWaypoints.Goal()) == \
        ('number', 'poses is empty (no waypoint to follow)')
    goal = FollowWaypoints.Goal(poses=[_pose(), _pose(frame='')])
    assert goals.follow_waypoints_problem(goal) == ('frame', 'poses[1].header.frame_id is empty')
    goal = FollowWaypoints.Goal(poses=[_pose(), _pose()], goal_index=2)
    assert goals.follow_waypoints_problem(goal) == \
        ('number', 'goal_index is 2, past the last of the 2 poses')
    goal.goal_index = 1
    assert goals.follow_waypoints_problem(goal) is None


def test_compute_path_through_poses_goals():
    from nav2_msgs.action import ComputePathThroughPoses
    goal = ComputePathThroughPoses.Goal()
    assert goals.compute_path_through_poses_problem(goal) == (
        'empty', 'goals is empty: no pose to plan through')
    goal.goals = [_pose(), _pose(q=(0, 0, math.nan, 1))]
    assert goals.compute_path_through_poses_problem(goal) == (
        'orientation', 'goals[1].pose.orientation.z is nan')
    goal.goals = [_pose(), _pose(frame='')]
    assert goals.compute_path_through_poses_problem(goal) == (
        'frame', 'goals[1].header.frame_id is empty')
    goal.goals = [_pose()]
    assert goals.compute_path_through_poses_problem(goal) is None
    goal.use_start = True  # the start is judged only then; its default is no pose
    assert goals.compute_path_through_poses_problem(goal)[1] == 'start.header.frame_id is empty'
    # the codes are ComputePathThroughPoses' own
    r = ComputePathThroughPoses.Result
    codes = nav2_codes.BAD_GOAL['compute_path_through_poses']
    assert (codes['empty'], codes['frame'], codes['position'], codes['start_position'],
            codes['orientation'], codes['unknown']) == (
        r.NO_VIAPOINTS_GIVEN, r.TF_ERROR, r.GOAL_OUTSIDE_MAP, r.START_OUTSIDE_MAP, r.UNKNOWN,
        r.UNKNOWN)

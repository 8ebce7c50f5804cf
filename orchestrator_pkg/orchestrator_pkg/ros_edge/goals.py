"""Checks of goal poses at the edge of the servers, one rule each (no ROS imports).

Each check returns None or ``(kind, message)``; the message names the field
and the value. Kinds: ``frame`` (empty frame_id), ``position`` and
``start_position`` (a non-finite coordinate), ``orientation`` (non-finite,
zero or non-unit quaternion), ``number`` (another non-finite number),
``empty`` (a list of goals with none).
``nav2_codes.BAD_GOAL`` maps a kind to each action's Nav2 error code.
"""
import math

# a quaternion whose norm is further than this from 1 is refused (rounding in
# clients that normalise in float32 stays well inside it)
QUATERNION_TOLERANCE = 1e-3


def quaternion_problem(q, field: str):
    """Return the problem with a geometry_msgs/Quaternion-like ``q`` (x, y, z, w), or None."""
    values = (q.x, q.y, q.z, q.w)
    for name, value in zip('xyzw', values, strict=True):
        if not math.isfinite(value):
            return 'orientation', f'{field}.{name} is {value!r}'
    norm = math.sqrt(sum(v * v for v in values))
    if abs(norm - 1.0) > QUATERNION_TOLERANCE:
        shown = ', '.join(f'{v:g}' for v in values)
        return 'orientation', (f'{field} ({shown}) has norm {norm:g}, not 1 '
                               f'(within {QUATERNION_TOLERANCE:g})')
    return None


def pose_problem(pose_stamped, field: str, position_kind: str = 'position',
                 require_frame: bool = True):
    """Return the problem with a geometry_msgs/PoseStamped-like value, or None."""
    if require_frame and not pose_stamped.header.frame_id:
        return 'frame', f'{field}.header.frame_id is empty'
    p = pose_stamped.pose.position
    for name in 'xyz':
        value = getattr(p, name)
        if not math.isfinite(value):
            return position_kind, f'{field}.pose.position.{name} is {value!r}'
    return quaternion_problem(pose_stamped.pose.orientation, f'{field}.pose.orientation')


def number_problem(value: float, field: str):
    """Return the problem with one number (non-finite), or None."""
    if not math.isfinite(value):
        return 'number', f'{field} is {value!r}'
    return None


def first_problem(*problems):
    """Return the first of ``problems`` that is not None."""
    return next((p for p in problems if p is not None), None)


def compute_path_problem(goal):
    """Return the problem with a ComputePathToPose goal."""
    return first_problem(
        pose_problem(goal.goal, 'goal'),
        pose_problem(goal.start, 'start', 'start_position') if goal.use_start else None)


def compute_path_through_poses_problem(goal):
    """Return the problem with a ComputePathThroughPoses goal (kind ``empty``: no goals)."""
    if not goal.goals:
        return 'empty', 'goals is empty: no pose to plan through'
    return first_problem(
        *(pose_problem(pose, f'goals[{i}]') for i, pose in enumerate(goal.goals)),
        pose_problem(goal.start, 'start', 'start_position') if goal.use_start else None)


def path_poses_problem(path, field: str = 'path'):
    """Return the problem with the poses of a nav_msgs/Path-like value (frames not needed)."""
    for i, pose in enumerate(path.poses):
        problem = pose_problem(pose, f'{field}.poses[{i}]', require_frame=False)
        if problem is not None:
            return problem
    return None


def follow_path_problem(goal):
    """Return the problem with a FollowPath goal (the path's header and every pose)."""
    path = goal.path
    if not path.header.frame_id:
        return 'frame', 'path.header.frame_id is empty'
    return path_poses_problem(path)


def navigate_to_pose_problem(goal):
    """Return the problem with a NavigateToPose goal."""
    return pose_problem(goal.pose, 'pose')


def navigate_through_poses_problem(goal):
    """Return the problem with a NavigateThroughPoses goal."""
    for i, pose in enumerate(goal.poses):
        problem = pose_problem(pose, f'poses[{i}]')
        if problem is not None:
            return problem
    return None


def spin_problem(goal):
    """Return the problem with a Spin goal."""
    return first_problem(number_problem(goal.target_yaw, 'target_yaw'),
                         _duration_problem(goal.time_allowance, 'time_allowance'))


def backup_problem(goal):
    """Return the problem with a BackUp goal."""
    t = goal.target
    return first_problem(*(number_problem(getattr(t, n), f'target.{n}') for n in 'xyz'),
                         number_problem(goal.speed, 'speed'),
                         _duration_problem(goal.time_allowance, 'time_allowance'))


def drive_on_heading_problem(goal):
    """Return the problem with a DriveOnHeading goal (BackUp's fields)."""
    return backup_problem(goal)


def follow_waypoints_problem(goal):
    """Return the problem with a FollowWaypoints goal (every pose, goal_index in range)."""
    if not goal.poses:
        return 'number', 'poses is empty (no waypoint to follow)'
    for i, pose in enumerate(goal.poses):
        problem = pose_problem(pose, f'poses[{i}]')
        if problem is not None:
            return problem
    if goal.goal_index >= len(goal.poses):
        return 'number', (f'goal_index is {goal.goal_index}, past the last of the '
                          f'{len(goal.poses)} poses')
    return None


def _duration_problem(duration, field):
    if duration.sec < 0:
        return 'number', f'{field} is negative ({duration.sec} s)'
    return None

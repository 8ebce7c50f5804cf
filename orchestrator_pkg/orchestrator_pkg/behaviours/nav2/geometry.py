"""Pure path and pose arithmetic for the Nav2 node types (numpy, no ROS).

Paths and goal lists are ``(N, 2)`` arrays of x, y in metres.
"""
import numpy as np


def xy_of_poses(poses) -> np.ndarray:
    """Return the ``(N, 2)`` x, y of PoseStamped-like objects (``.pose.position``)."""
    return np.array([[p.pose.position.x, p.pose.position.y] for p in poses]).reshape(-1, 2)


def path_length(xy) -> float:
    """Return the length of a polyline (0 for fewer than two points)."""
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if len(xy) < 2:
        return 0.0
    return float(np.sum(np.linalg.norm(np.diff(xy, axis=0), axis=1)))


def remaining_length(xy, robot_xy) -> float:
    """Return the path's length from its point nearest ``robot_xy`` to its end (0 if empty).

    Nav2's ``distance_remaining`` of a navigation's feedback: the first of equally
    near points counts.
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if len(xy) == 0:
        return 0.0
    robot = np.asarray(robot_xy, dtype=float).reshape(-1)[:2]
    nearest = int(np.argmin(np.sum((xy - robot) ** 2, axis=1)))
    return path_length(xy[nearest:])


def truncate_end(xy, distance: float) -> int:
    """Return how many leading points to keep so the path ends ``distance`` before its end.

    Distance is measured along the path from its last point backwards, as
    Nav2's TruncatePath does. At least the first point is always kept.
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    if len(xy) == 0:
        return 0
    if distance <= 0:
        return len(xy)
    travelled = 0.0
    for i in range(len(xy) - 1, 0, -1):
        travelled += float(np.linalg.norm(xy[i] - xy[i - 1]))
        if travelled >= distance:
            return i
    return 1


def passed_goals(goals_xy, robot_xy, radius: float) -> int:
    """Return how many leading goals the robot has reached (within ``radius``).

    Goals are removed in order: the robot must be within ``radius`` of the
    first remaining one. The last goal is never removed (navigation ends there).
    """
    goals_xy = np.asarray(goals_xy, dtype=float).reshape(-1, 2)
    robot = np.asarray(robot_xy, dtype=float).reshape(2)
    removed = 0
    while removed < len(goals_xy) - 1 and \
            float(np.linalg.norm(goals_xy[removed] - robot)) < radius:
        removed += 1
    return removed


def rate_for_speed(speed: float, min_rate: float, max_rate: float,
                   min_speed: float, max_speed: float) -> float:
    """Map a speed linearly onto [min_rate, max_rate] (Nav2 SpeedController), clamped."""
    if max_speed <= min_speed:
        return max_rate
    fraction = (speed - min_speed) / (max_speed - min_speed)
    fraction = min(max(fraction, 0.0), 1.0)
    return min_rate + fraction * (max_rate - min_rate)


def new_path_is_much_longer(new_xy, old_xy, length_factor: float) -> bool:
    """Whether the new path is more than ``length_factor`` times the old one."""
    return path_length(new_xy) > length_factor * path_length(old_xy)

"""Where to stand to pick up an object: a pose short of it, facing it (pure, no ROS)."""
import math
from typing import Tuple

Pose2D = Tuple[float, float, float]


def approach_pose(target: Tuple[float, float], start: Tuple[float, float],
                  distance: float) -> Pose2D:
    """Return ``(x, y, yaw)`` ``distance`` metres short of ``target`` on the line from ``start``.

    The robot comes from ``start`` (where it saw the object, so the line of
    sight is free) and ends facing the object. Raises ValueError for
    non-finite input, a negative distance, or a start on the target.
    """
    values = (*target, *start, distance)
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f'approach_pose: non-finite input {values}')
    if distance < 0.0:
        raise ValueError(f'approach_pose: distance must be >= 0, got {distance}')
    dx, dy = target[0] - start[0], target[1] - start[1]
    length = math.hypot(dx, dy)
    if length < 1e-6:
        raise ValueError(f'approach_pose: the robot is at the target ({target[0]:.2f}, '
                         f'{target[1]:.2f}); no approach direction')
    yaw = math.atan2(dy, dx)
    reach = min(distance, length)  # never behind the start
    return (target[0] - reach * dx / length, target[1] - reach * dy / length, yaw)

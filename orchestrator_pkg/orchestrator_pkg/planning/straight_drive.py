"""Driving straight along the heading: the motion of ``drive_on_heading`` and ``backup``.

Nav2's behavior server serves both with one behavior (BackUp is DriveOnHeading
driven backwards); so does ours: :func:`drive_goal` turns either goal into a
:class:`StraightDrive` (or the reason it is invalid input) and
:func:`drive_step` says, from the start and the current pose, how far the
robot has gone and the speed to command next (None once it is there).

Pure: no ROS imports.
"""
import math
from typing import NamedTuple, Optional, Tuple


class StraightDrive(NamedTuple):
    """A straight drive: ``distance`` (m, > 0) at ``velocity`` (m/s, signed: < 0 backwards)."""

    distance: float
    velocity: float


def drive_goal(kind: str, target: Tuple[float, float, float],
               speed: float) -> Tuple[Optional[StraightDrive], str]:
    """Return ``(drive, '')`` for a goal, or ``(None, reason)`` when it is invalid input.

    ``kind`` is ``'drive_on_heading'`` (drive ``target.x`` metres at ``speed``:
    both positive forwards, both negative backwards, as Nav2) or ``'backup'``
    (always backwards, ``|target.x|`` metres at ``speed`` > 0). Both move in x
    only: a non-zero ``target.y`` or ``target.z`` is refused, as in Nav2.
    """
    x, y, z = (float(v) for v in target)
    speed = float(speed)
    for name, value in (('target.x', x), ('target.y', y), ('target.z', z), ('speed', speed)):
        if not math.isfinite(value):
            return None, f'{name} is {value!r}'
    if y != 0.0 or z != 0.0:
        return None, (f'{kind} moves along x only: target.y is {y:g} and target.z is {z:g} '
                      '(both must be 0)')
    if x == 0.0:
        return None, f'{kind} needs target.x != 0 (the distance to drive)'
    if kind == 'backup':
        if speed <= 0.0:
            return None, f'backup needs speed > 0 (got {speed:g})'
        return StraightDrive(abs(x), -speed), ''
    if speed == 0.0 or (x > 0.0) != (speed > 0.0):
        return None, (f'{kind} needs target.x and speed of the same sign, non-zero '
                      f'(got target.x {x:g}, speed {speed:g})')
    return StraightDrive(abs(x), speed), ''


def drive_step(drive: StraightDrive, start_xy: Tuple[float, float],
               pose_xy: Tuple[float, float]) -> Tuple[float, Optional[float]]:
    """Return ``(travelled, velocity)``: metres from ``start_xy``; velocity None when done."""
    travelled = math.hypot(pose_xy[0] - start_xy[0], pose_xy[1] - start_xy[1])
    if travelled >= drive.distance:
        return travelled, None
    return travelled, drive.velocity

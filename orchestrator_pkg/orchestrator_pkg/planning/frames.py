"""A small 2D transform tree: the part of tf that planar navigation needs.

There is no tf2_ros on PyPI. The navigation servers only need planar
transforms between a few frames (``map → odom``, sometimes a static one), so
this keeps the latest transform of each parent → child edge and composes
them along the tree. Stamps are not interpolated: the latest transform is
used, which is exact for static transforms and for slowly-changing ones such
as ``map → odom``. Pure: no ROS.
"""
import math
from typing import Dict, List, Optional, Tuple

import numpy as np

Pose2D = Tuple[float, float, float]  # x, y, yaw
POSE_FORMAT = 'stamp_ns;frame_id;x;y;z;qx;qy;qz;qw'  # Nav2's pose string (bt_conversions)


class FrameError(LookupError):
    """No transform is known between two frames; the message names them."""


def compose(a: Pose2D, b: Pose2D) -> Pose2D:
    """Return ``a ∘ b``: ``b`` expressed in ``a``'s parent frame."""
    ax, ay, ath = a
    bx, by, bth = b
    c, s = math.cos(ath), math.sin(ath)
    return (ax + c * bx - s * by, ay + s * bx + c * by,
            math.atan2(math.sin(ath + bth), math.cos(ath + bth)))


def invert(a: Pose2D) -> Pose2D:
    """Return the inverse transform of ``a``."""
    x, y, th = a
    c, s = math.cos(th), math.sin(th)
    return (-(c * x + s * y), s * x - c * y, -th)


def transform_points(transform: Pose2D, points) -> np.ndarray:
    """Express ``N x 2`` points of a child frame in its parent (``transform``: the child's pose)."""
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    x, y, th = transform
    c, s = math.cos(th), math.sin(th)
    return np.column_stack((x + c * pts[:, 0] - s * pts[:, 1], y + s * pts[:, 0] + c * pts[:, 1]))


def yaw_of(qx: float, qy: float, qz: float, qw: float) -> float:
    """Yaw of a quaternion (REP-103, rotation about z)."""
    return math.atan2(2.0 * (qw * qz + qx * qy), 1.0 - 2.0 * (qy * qy + qz * qz))


class FrameTree2D:
    """Latest planar transforms, parent → child, composed along the tree."""

    def __init__(self):
        self._parent: Dict[str, Tuple[str, Pose2D]] = {}

    def set_transform(self, parent: str, child: str, transform: Pose2D) -> None:
        """Record ``child``'s pose in ``parent`` (a tf edge)."""
        parent, child = parent.lstrip('/'), child.lstrip('/')
        if not parent or not child or parent == child:
            raise FrameError(f'invalid transform {parent!r} -> {child!r}')
        if not all(math.isfinite(v) for v in transform):
            raise FrameError(f'non-finite transform {parent!r} -> {child!r}: {transform}')
        self._parent[child] = (parent, tuple(float(v) for v in transform))

    def _chain(self, frame: str) -> List[Tuple[str, Pose2D]]:
        """Frames from ``frame`` up to its root, with each frame's pose in the root."""
        chain = [(frame, (0.0, 0.0, 0.0))]
        seen = {frame}
        edges = []
        while frame in self._parent:
            parent, transform = self._parent[frame]
            if parent in seen:
                raise FrameError(f'transform loop through {parent!r}')
            edges.append(transform)
            seen.add(parent)
            frame = parent
            chain.append((frame, None))
        # pose of each chain frame in the root
        pose = (0.0, 0.0, 0.0)
        poses = [pose]
        for transform in reversed(edges):
            pose = compose(pose, transform)
            poses.append(pose)
        poses.reverse()
        return [(name, poses[i]) for i, (name, _) in enumerate(chain)]

    def lookup(self, target: str, source: str) -> Pose2D:
        """Return the pose of ``source`` in ``target`` (maps source points into target)."""
        target, source = target.lstrip('/'), source.lstrip('/')
        if target == source:
            return (0.0, 0.0, 0.0)
        source_chain, target_chain = self._chain(source), self._chain(target)
        # connected frames share the root; both poses are expressed in it
        if source_chain[-1][0] != target_chain[-1][0]:
            raise FrameError(f'no transform between {target!r} and {source!r} '
                             f'(known frames: {", ".join(sorted(self.frames())) or "none"})')
        return compose(invert(target_chain[0][1]), source_chain[0][1])

    def transform_pose(self, pose: Pose2D, source: str, target: str) -> Pose2D:
        """Express ``pose`` (given in ``source``) in ``target``."""
        return compose(self.lookup(target, source), pose)

    def frames(self) -> set:
        """Every frame named by a transform."""
        names = set(self._parent)
        names.update(parent for parent, _ in self._parent.values())
        return names

    def can_transform(self, target: str, source: str) -> Optional[str]:
        """Return None when ``source`` → ``target`` is known, else the reason."""
        try:
            self.lookup(target, source)
        except FrameError as exc:
            return str(exc)
        return None


def parse_pose_string(text: str) -> Tuple[int, str, Tuple[float, ...]]:
    """Parse Nav2's pose string ``stamp_ns;frame_id;x;y;z;qx;qy;qz;qw``.

    Returns ``(stamp_ns, frame_id, (x, y, z, qx, qy, qz, qw))``; ``ValueError``
    with a reason for anything else.
    """
    parts = [part.strip() for part in text.split(';')]
    if len(parts) != 9:
        raise ValueError(f'"{text}" is not a pose: expected 9 fields "{POSE_FORMAT}" '
                         f'(got {len(parts)}), or a blackboard reference such as {{goal}}')
    try:
        stamp_ns = int(parts[0])
        numbers = tuple(float(part) for part in parts[2:])
    except ValueError:
        raise ValueError(f'"{text}" is not a pose: stamp must be an integer and x..qw '
                         f'numbers ("{POSE_FORMAT}")') from None
    if not all(math.isfinite(n) for n in numbers) or stamp_ns < 0:
        raise ValueError(f'"{text}" is not a pose: non-finite number or negative stamp')
    return stamp_ns, parts[1], numbers

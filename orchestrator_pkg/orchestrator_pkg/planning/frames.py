"""A small 2D transform tree: the part of tf that planar navigation needs.

There is no tf2_ros on PyPI. The navigation servers only need planar
transforms between a few frames (``map → odom``, sometimes a static one), so
this keeps the transforms of each parent → child edge and composes them
along the tree: a static edge (``tf_static``) holds one transform for all
times; a moving edge (``tf``) keeps the last :data:`HISTORY_S` seconds, as
tf2's buffer does, so a lookup can ask for the latest transforms or for the
transforms at a stamp (linear interpolation between the two samples around
it). A sensor reading must be placed with the pose at its own stamp: on a
loaded machine it is handled late, and a robot turning at 1.5 rad/s has
turned 20 degrees in a quarter of a second. :class:`Backlog` holds readings
whose transform has not arrived yet, as tf2's message filter does.
Pure: no ROS.
"""
import bisect
import math
from typing import Callable, Dict, List, Optional, Tuple, Union

import numpy as np

Pose2D = Tuple[float, float, float]  # x, y, yaw
POSE_FORMAT = 'stamp_ns;frame_id;x;y;z;qx;qy;qz;qw'  # Nav2's pose string (bt_conversions)


HISTORY_S = 10.0  # how long a moving edge keeps its samples (tf2's default cache time)


class FrameError(LookupError):
    """No transform is known between two frames; the message names them."""


class ExtrapolationError(FrameError):
    """Transforms are known, but not at the time asked for.

    ``ahead`` is True when the time is newer than the newest sample: the
    transform may still arrive. False when it is older than the history.
    """

    def __init__(self, message: str, ahead: bool):
        super().__init__(message)
        self.ahead = ahead


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


def interpolate(a: Pose2D, b: Pose2D, f: float) -> Pose2D:
    """Return the pose a fraction ``f`` of the way from ``a`` to ``b`` (yaw the short way)."""
    dyaw = math.atan2(math.sin(b[2] - a[2]), math.cos(b[2] - a[2]))
    yaw = a[2] + f * dyaw
    return (a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]),
            math.atan2(math.sin(yaw), math.cos(yaw)))


class PoseHistory:
    """Stamped poses of one moving frame over the last ``span_s`` seconds.

    :meth:`at` interpolates between the samples around a time. A sample much
    older than the newest (time went back: a sim reset, a bag looped) starts
    the history again.
    """

    def __init__(self, span_s: float = HISTORY_S, name: str = 'pose'):
        self.span_s = float(span_s)
        self.name = name
        self._t: List[float] = []
        self._p: List[Pose2D] = []

    def __len__(self) -> int:
        return len(self._t)

    def add(self, t: float, pose: Pose2D) -> None:
        """Record ``pose`` at time ``t`` (seconds); samples may come slightly out of order."""
        if not math.isfinite(t) or not all(math.isfinite(v) for v in pose):
            raise FrameError(f'{self.name}: non-finite sample at t={t}: {pose}')
        pose = tuple(float(v) for v in pose)
        if self._t and t < self._t[-1] - self.span_s:
            self.clear()  # time went back
        i = bisect.bisect_left(self._t, t)
        if i < len(self._t) and self._t[i] == t:
            self._p[i] = pose
        else:
            self._t.insert(i, t)
            self._p.insert(i, pose)
        old = bisect.bisect_left(self._t, self._t[-1] - self.span_s)
        if old:
            del self._t[:old], self._p[:old]

    def clear(self) -> None:
        """Forget every sample."""
        self._t.clear()
        self._p.clear()

    def latest(self) -> Pose2D:
        """Return the newest pose; FrameError when there is none."""
        if not self._p:
            raise FrameError(f'{self.name}: no sample yet')
        return self._p[-1]

    def at(self, t: float, clamp: bool = False) -> Pose2D:
        """Return the pose at time ``t``, interpolated; the end sample when ``clamp``.

        Without ``clamp`` a time outside the samples raises
        :class:`ExtrapolationError` (``ahead`` when newer than the newest).
        """
        if not self._t:
            raise FrameError(f'{self.name}: no sample yet')
        first, last = self._t[0], self._t[-1]
        if t >= last or t <= first:
            if t == last or (clamp and t > last):
                return self._p[-1]
            if t == first or clamp:
                return self._p[0]
            ahead = t > last
            which = 'after the newest' if ahead else 'before the oldest'
            raise ExtrapolationError(f'{self.name} at t={t:.3f} s is {which} sample '
                                     f'(t={last if ahead else first:.3f} s)', ahead=ahead)
        i = bisect.bisect_right(self._t, t)
        t0, t1 = self._t[i - 1], self._t[i]
        return interpolate(self._p[i - 1], self._p[i], (t - t0) / (t1 - t0))


Edge = Union[Pose2D, PoseHistory]  # static transform, or a moving edge's samples


class FrameTree2D:
    """Planar transforms, parent → child, composed along the tree (latest or at a time)."""

    def __init__(self, history_s: float = HISTORY_S):
        self._history_s = history_s
        self._parent: Dict[str, Tuple[str, Edge]] = {}

    def set_transform(self, parent: str, child: str, transform: Pose2D,
                      stamp: Optional[float] = None) -> None:
        """Record ``child``'s pose in ``parent`` (a tf edge).

        Without ``stamp`` the edge is static; with it, this is one sample of a
        moving edge at ``stamp`` (seconds).
        """
        parent, child = parent.lstrip('/'), child.lstrip('/')
        if not parent or not child or parent == child:
            raise FrameError(f'invalid transform {parent!r} -> {child!r}')
        if not all(math.isfinite(v) for v in transform):
            raise FrameError(f'non-finite transform {parent!r} -> {child!r}: {transform}')
        if stamp is None:
            self._parent[child] = (parent, tuple(float(v) for v in transform))
            return
        if not math.isfinite(stamp):
            raise FrameError(f'non-finite stamp of {parent!r} -> {child!r}: {stamp}')
        old = self._parent.get(child)
        if old is None or old[0] != parent or not isinstance(old[1], PoseHistory):
            old = (parent, PoseHistory(self._history_s, f'transform {parent} -> {child}'))
            self._parent[child] = old
        old[1].add(stamp, transform)

    def _chain(self, frame: str, at: Optional[float] = None) -> List[Tuple[str, Pose2D]]:
        """Frames from ``frame`` up to its root, with each frame's pose in the root."""
        chain = [(frame, (0.0, 0.0, 0.0))]
        seen = {frame}
        edges = []
        while frame in self._parent:
            parent, edge = self._parent[frame]
            if parent in seen:
                raise FrameError(f'transform loop through {parent!r}')
            if isinstance(edge, PoseHistory):
                edge = edge.latest() if at is None else edge.at(at)
            edges.append(edge)
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

    def lookup(self, target: str, source: str, at: Optional[float] = None) -> Pose2D:
        """Return the pose of ``source`` in ``target`` (maps source points into target).

        ``at`` (seconds): the transforms at that time, else the latest ones.
        """
        target, source = target.lstrip('/'), source.lstrip('/')
        if target == source:
            return (0.0, 0.0, 0.0)
        source_chain, target_chain = self._chain(source, at), self._chain(target, at)
        # connected frames share the root; both poses are expressed in it
        if source_chain[-1][0] != target_chain[-1][0]:
            raise FrameError(f'no transform between {target!r} and {source!r} '
                             f'(known frames: {", ".join(sorted(self.frames())) or "none"})')
        return compose(invert(target_chain[0][1]), source_chain[0][1])

    def transform_pose(self, pose: Pose2D, source: str, target: str,
                       at: Optional[float] = None) -> Pose2D:
        """Express ``pose`` (given in ``source``) in ``target``."""
        return compose(self.lookup(target, source, at), pose)

    def frames(self) -> set:
        """Every frame named by a transform."""
        names = set(self._parent)
        names.update(parent for parent, _ in self._parent.values())
        return names

    def can_transform(self, target: str, source: str,
                      at: Optional[float] = None) -> Optional[str]:
        """Return None when ``source`` → ``target`` is known (at ``at``), else the reason."""
        try:
            self.lookup(target, source, at)
        except FrameError as exc:
            return str(exc)
        return None


class Backlog:
    """Readings waiting for the transform at their own stamp (tf2's message filter).

    :meth:`push` a reading with its stamp; :meth:`take` returns those whose
    pose can now be had, oldest first. A reading whose transform is *ahead*
    (not arrived yet) waits while it is at most ``max_wait_s`` older than the
    newest reading pushed; one that can never be placed, or waited too long,
    or overflowed ``max_len``, is returned as dropped with its error.
    """

    def __init__(self, max_wait_s: float = 0.5, max_len: int = 10):
        self.max_wait_s = float(max_wait_s)
        self.max_len = int(max_len)
        self._items: List[Tuple[float, object]] = []
        self._newest = -math.inf

    def __len__(self) -> int:
        return len(self._items)

    def push(self, stamp: float, item) -> None:
        """Add a reading stamped ``stamp`` (seconds)."""
        bisect.insort(self._items, (stamp, item), key=lambda e: e[0])
        self._newest = max(self._newest, stamp)

    def take(self, pose_at: Callable[[float, object], Pose2D]):
        """``(ready, dropped)``: ``[(item, pose)]`` and ``[(item, FrameError)]``, oldest first.

        ``pose_at(stamp, item)`` returns the pose the item needs, or raises FrameError.

        A reading dropped for waiting too long (or overflowing) carries an
        :class:`ExtrapolationError` with ``ahead`` set; one that can never be
        placed carries the lookup's own error.
        """
        ready, dropped, waiting = [], [], []
        for stamp, item in self._items:
            try:
                ready.append((item, pose_at(stamp, item)))
            except ExtrapolationError as exc:
                late = self._newest - stamp
                if exc.ahead and late <= self.max_wait_s:
                    waiting.append((stamp, item))
                elif exc.ahead:
                    dropped.append((item, ExtrapolationError(
                        f'{exc}, still after waiting {late:.2f} s', ahead=True)))
                else:
                    dropped.append((item, exc))
            except FrameError as exc:
                dropped.append((item, exc))
        while len(waiting) > self.max_len:
            dropped.append((waiting.pop(0)[1], ExtrapolationError(
                f'more than {self.max_len} readings waiting for their transforms', ahead=True)))
        self._items = waiting
        return ready, dropped


def advance(pose: Pose2D, v: float, w: float, dt: float) -> Pose2D:
    """Return where a unicycle at ``pose`` is after ``dt`` s at speed ``v`` and turn rate ``w``.

    Exact for constant (v, w): along the arc, or the straight line when w is 0.
    """
    x, y, yaw = pose
    turn = w * dt
    if abs(turn) < 1e-9:
        return (x + v * dt * math.cos(yaw), y + v * dt * math.sin(yaw), yaw)
    chord = 2.0 * v / w * math.sin(0.5 * turn)
    mid = yaw + 0.5 * turn
    return (x + chord * math.cos(mid), y + chord * math.sin(mid), yaw + turn)


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

"""Object tracking in the map frame from a camera's robot-frame detections.

* **Association**: gated nearest neighbour. A detection may only match a track
  of the same class (and the same colour when both know it) within
  ``gate_m``; pairs are taken greedily in order of distance, so each track
  and each detection is used at most once per frame.
* **Persistence**: a matched track's position is smoothed
  (``position_smoothing``); its id never changes. An unmatched detection
  starts a new track with a new id (``<class>_<n>``).
* **Forgetting**: a track that should be in view (its position within the
  camera's horizontal FOV and ``[near, far]`` range in this frame) but is not
  matched starts a miss timer; once it has been missed for ``forget_after_s``
  it is dropped. Tracks out of view are kept: not seeing what you cannot see
  is no evidence. Occlusion is not modelled: an object hidden behind a wall
  inside the view cone is forgotten too.
* **Held objects**: an object the robot's gripper holds moves with the robot,
  so its track (where it was last seen, often too close to be in view, so
  never forgotten) no longer says where it is, and would stay behind as an
  obstacle in the costmaps. ``set_held`` drops the tracks of what is held and
  ignores the detections of it until it is released; once put down, it starts
  a new track when the camera sees it.

Pure: no ROS.
"""
from dataclasses import dataclass, field
import math
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np


class TrackerError(ValueError):
    """A bad detection or parameter; the message names the field and the value."""


@dataclass
class CameraModel:
    """The logical camera's horizontal FOV (rad) and depth range (m)."""

    horizontal_fov: float = 1.2
    near: float = 0.05
    far: float = 3.0

    def sees(self, camera_pose: Tuple[float, float, float], xs: np.ndarray,
             ys: np.ndarray) -> np.ndarray:
        """Whether map points lie in the camera's view (2D: FOV cone and depth)."""
        cx, cy, cyaw = camera_pose
        dx, dy = xs - cx, ys - cy
        c, s = math.cos(cyaw), math.sin(cyaw)
        depth = c * dx + s * dy
        lateral = -s * dx + c * dy
        bearing = np.arctan2(lateral, depth)
        return (depth >= self.near) & (depth <= self.far) & \
            (np.abs(bearing) <= self.horizontal_fov / 2.0)


@dataclass
class Observation:
    """One detection already expressed in the map frame."""

    class_id: str
    color: str
    x: float
    y: float
    z: float = 0.0
    yaw: float = 0.0
    size: Tuple[float, float, float] = (0.0, 0.0, 0.0)
    source_id: str = ''


@dataclass
class Track:
    """A tracked object: stable id, class, colour, smoothed map pose."""

    track_id: str
    class_id: str
    color: str
    x: float
    y: float
    z: float
    yaw: float
    size: Tuple[float, float, float]
    first_seen: float
    last_seen: float
    hits: int = 1
    missed_since: Optional[float] = None
    source_ids: set = field(default_factory=set)

    def confidence(self, now: float, forget_after_s: float) -> float:
        """1 while seen; falls linearly to 0 over the miss window."""
        if self.missed_since is None:
            return 1.0
        return max(0.0, 1.0 - (now - self.missed_since) / forget_after_s)


class Tracker:
    """Keeps tracks of objects in the map frame; ``update`` once per detection frame."""

    def __init__(self, camera: CameraModel, gate_m: float = 0.5, forget_after_s: float = 2.0,
                 position_smoothing: float = 0.5):
        if not gate_m > 0.0:
            raise TrackerError(f'gate_m must be > 0, got {gate_m}')
        if not forget_after_s > 0.0:
            raise TrackerError(f'forget_after_s must be > 0, got {forget_after_s}')
        if not 0.0 < position_smoothing <= 1.0:
            raise TrackerError(f'position_smoothing must be in (0, 1], got {position_smoothing}')
        self.camera = camera
        self.gate_m = gate_m
        self.forget_after_s = forget_after_s
        self.alpha = position_smoothing
        self.tracks: Dict[str, Track] = {}
        self._next: Dict[str, int] = {}
        self.held_ids: set = set()  # source ids of held objects: their detections are ignored

    def _new_id(self, class_id: str) -> str:
        n = self._next.get(class_id, 0) + 1
        self._next[class_id] = n
        return f'{class_id or "object"}_{n}'

    @staticmethod
    def _compatible(track: Track, obs: Observation) -> bool:
        if track.class_id != obs.class_id:
            return False
        return not (track.color and obs.color and track.color != obs.color)

    def set_held(self, held: Sequence[Observation]) -> List[str]:
        """Take what the gripper holds now (map frame); return the ids of the tracks dropped.

        A held object with a source id ends every track that id fed; one
        without an id ends the nearest track it is compatible with (class,
        colour) within ``gate_m`` of its position. The detections of a held
        source id are ignored until a later call no longer lists it.
        """
        for i, o in enumerate(held):
            if not o.source_id and not all(math.isfinite(v) for v in (o.x, o.y)):
                raise TrackerError(f'held[{i}] ({o.class_id!r}): no id and a non-finite '
                                   f'position ({o.x}, {o.y})')
        self.held_ids = {o.source_id for o in held if o.source_id}
        dropped = [t.track_id for t in self.tracks.values() if t.source_ids & self.held_ids]
        for o in held:
            if o.source_id:
                continue
            near = [(math.hypot(t.x - o.x, t.y - o.y), t.track_id) for t in self.tracks.values()
                    if t.track_id not in dropped and self._compatible(t, o)]
            near = [pair for pair in near if pair[0] <= self.gate_m]
            if near:
                dropped.append(min(near)[1])
        for tid in dropped:
            del self.tracks[tid]
        return dropped

    def update(self, observations: Sequence[Observation], camera_pose: Tuple[float, float, float],
               now: float) -> List[str]:
        """Associate one frame of observations; return the ids of dropped tracks."""
        for i, o in enumerate(observations):
            if not all(math.isfinite(v) for v in (o.x, o.y, o.z, o.yaw)):
                raise TrackerError(f'detections[{i}] ({o.class_id!r}): non-finite pose '
                                   f'({o.x}, {o.y}, {o.z}, yaw {o.yaw})')
        if self.held_ids:
            observations = [o for o in observations if o.source_id not in self.held_ids]
        if not all(math.isfinite(v) for v in camera_pose):
            raise TrackerError(f'camera pose is not finite: {camera_pose}')
        tracks = list(self.tracks.values())
        pairs = []
        if tracks and observations:
            tx = np.array([t.x for t in tracks])
            ty = np.array([t.y for t in tracks])
            ox = np.array([o.x for o in observations])
            oy = np.array([o.y for o in observations])
            dist = np.hypot(tx[:, None] - ox[None, :], ty[:, None] - oy[None, :])
            ti, oi = np.nonzero(dist <= self.gate_m)
            order = np.argsort(dist[ti, oi], kind='stable')
            pairs = [(int(ti[k]), int(oi[k])) for k in order]
        used_t, used_o = set(), set()
        for ti, oi in pairs:
            if ti in used_t or oi in used_o:
                continue
            track, obs = tracks[ti], observations[oi]
            if not self._compatible(track, obs):
                continue
            used_t.add(ti)
            used_o.add(oi)
            a = self.alpha
            track.x += a * (obs.x - track.x)
            track.y += a * (obs.y - track.y)
            track.z += a * (obs.z - track.z)
            track.yaw = obs.yaw
            track.size = obs.size
            track.color = track.color or obs.color
            track.last_seen = now
            track.hits += 1
            track.missed_since = None
            if obs.source_id:
                track.source_ids.add(obs.source_id)
        for oi, obs in enumerate(observations):
            if oi in used_o:
                continue
            tid = self._new_id(obs.class_id)
            self.tracks[tid] = Track(tid, obs.class_id, obs.color, obs.x, obs.y, obs.z, obs.yaw,
                                     obs.size, now, now,
                                     source_ids={obs.source_id} if obs.source_id else set())
        dropped = []
        unmatched = [t for i, t in enumerate(tracks) if i not in used_t]
        if unmatched:
            in_view = self.camera.sees(camera_pose, np.array([t.x for t in unmatched]),
                                       np.array([t.y for t in unmatched]))
            for track, visible in zip(unmatched, in_view, strict=True):
                if not visible:
                    continue
                if track.missed_since is None:
                    track.missed_since = now
                if now - track.missed_since >= self.forget_after_s:
                    dropped.append(track.track_id)
                    del self.tracks[track.track_id]
        return dropped

    def nearest(self, class_id: str, color: str = '', x: float = 0.0,
                y: float = 0.0) -> Optional[Track]:
        """Return the track of ``class_id`` (and ``color``) nearest ``(x, y)``, or None."""
        best, best_d = None, math.inf
        for t in self.tracks.values():
            if t.class_id != class_id or (color and t.color != color):
                continue
            d = math.hypot(t.x - x, t.y - y)
            if d < best_d:
                best, best_d = t, d
        return best

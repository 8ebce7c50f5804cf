"""Monte Carlo localization on an occupancy grid (the algorithm AMCL implements).

* **Map model**: a likelihood field. Every cell stores the distance to the
  nearest occupied cell (exact Euclidean distance transform, capped at
  ``laser_likelihood_max_dist``); a beam end point ``d`` metres from an
  obstacle has the likelihood ``z_hit · N(d; 0, sigma_hit) + z_rand / range_max``.
  As AMCL does, a particle's scan weight is ``1 + Σ p³`` over the beams, which
  keeps the filter from collapsing on one noisy scan.
* **Motion model**: the odometry motion model (rotate, translate, rotate) with
  AMCL's ``alpha1..alpha4`` noise, sampled for every particle.
* **Resampling**: low-variance (systematic) resampling when the effective
  sample size drops below ``resample_neff_ratio · n``; the new particle count
  is chosen by KLD sampling (Fox 2003) between ``min_particles`` and
  ``max_particles``.
* **Global localization** spreads ``global_localization_particles`` particles
  uniformly over the free cells, with uniform headings (AMCL spreads
  ``max_particles``; a larger map needs more to put some near the truth). The
  next resampling brings the count back within ``max_particles``.
* **Scan search** (:func:`scan_search`, ours; AMCL has none): global
  localization seeded by the scan. Every free position of a grid over the map
  (``step_m``) and every heading (``yaw_bins``) is scored with the filter's
  own beam model on a few beams, with a wider ``sigma`` for the grid's
  coarseness; the particles are then drawn around the best poses, in
  proportion to ``exp((score - best) / temperature)``
  (:meth:`ParticleFilter.seed`). Uniform particles leave the truth uncovered
  on a large map (5,000 over the 196 m² warehouse: about one chance in four
  of a particle within 0.2 m and 10° of it), and the flat beam weights keep
  look-alike aisles alive for many updates; the grid covers every pose, and
  the score gap picks the right one. If it picks wrong, the scan match drops
  as the robot moves, and a new search from another spot follows.
* **Scan match** (:meth:`ParticleFilter.scan_match`; AMCL has no such output):
  the fraction of the selected beams whose end point, cast from the estimated
  pose, lies within ``scan_match_hit_dist`` of an occupied map cell. The
  covariance says how much the particles agree; the scan match says whether
  the map agrees with them: after a kidnap the cloud stays tight (small
  covariance) around the old, wrong place, and only the match drops.

Everything is vectorized over particles and beams; the RNG is seeded. Pure: no ROS.
"""
from dataclasses import dataclass
import math
from typing import Optional, Sequence, Tuple

import numpy as np

from orchestrator_pkg.planning.costmap import distance_to_obstacles

Pose2D = Tuple[float, float, float]


class LocalizationError(ValueError):
    """A bad map, pose or scan; the message names the field and the value."""


@dataclass
class FilterParams:
    """Filter parameters (AMCL's names and meanings where they exist)."""

    min_particles: int = 500
    max_particles: int = 2000
    alpha1: float = 0.2   # rotation noise from rotation
    alpha2: float = 0.2   # rotation noise from translation
    alpha3: float = 0.2   # translation noise from translation
    alpha4: float = 0.2   # translation noise from rotation
    laser_max_beams: int = 60
    laser_likelihood_max_dist: float = 2.0
    z_hit: float = 0.5
    z_rand: float = 0.5
    sigma_hit: float = 0.2
    pf_err: float = 0.01    # KLD: bound on the error
    pf_z: float = 0.99      # KLD: upper standard normal quantile
    kld_bin_xy_m: float = 0.5
    kld_bin_yaw_rad: float = math.radians(10.0)
    resample_neff_ratio: float = 0.5
    scan_match_hit_dist: float = 0.2  # a beam end this close to an obstacle matches (m)
    global_localization_particles: int = 5000


def _wrap(a):
    return (a + np.pi) % (2.0 * np.pi) - np.pi


def kld_sample_count(k: np.ndarray, err: float, z: float) -> np.ndarray:
    """KLD-sampling bound: particles needed for ``k`` occupied histogram bins."""
    k = np.asarray(k, dtype=float)
    km1 = np.maximum(k - 1.0, 1.0)
    a = 2.0 / (9.0 * km1)
    n = km1 / (2.0 * err) * (1.0 - a + np.sqrt(a) * z) ** 3
    return np.where(k <= 1, 0.0, np.ceil(n))


def low_variance_resample(weights: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Return ``n`` particle indices drawn by systematic resampling of ``weights``."""
    cum = np.cumsum(weights)
    cum[-1] = 1.0
    u = (rng.random() + np.arange(n)) / n
    return np.searchsorted(cum, u, side='left')


class LikelihoodField:
    """Distance-to-obstacle lookup built once from an occupancy grid."""

    def __init__(self, occupancy: np.ndarray, resolution: float, origin_x: float,
                 origin_y: float, max_dist_m: float, occupied_threshold: int = 65):
        occupancy = np.asarray(occupancy)
        if occupancy.ndim != 2 or occupancy.size == 0:
            raise LocalizationError(f'map: empty map (shape {occupancy.shape})')
        if not (math.isfinite(resolution) and resolution > 0.0):
            raise LocalizationError(f'map: resolution must be > 0, got {resolution}')
        if not (math.isfinite(origin_x) and math.isfinite(origin_y)):
            raise LocalizationError(f'map: non-finite origin ({origin_x}, {origin_y})')
        self.occupied = occupancy >= occupied_threshold
        self.free = (occupancy >= 0) & (occupancy < occupied_threshold)
        if not self.free.any():
            raise LocalizationError('map: no free cell to localize in')
        self.resolution = float(resolution)
        self.origin_x, self.origin_y = float(origin_x), float(origin_y)
        self.height, self.width = occupancy.shape
        self.max_dist_m = float(max_dist_m)
        max_cells = max(1, int(math.ceil(max_dist_m / resolution)))
        dist = distance_to_obstacles(self.occupied, max_cells) * resolution
        self.dist = np.minimum(dist, max_dist_m)
        # a one-cell border at the cap: lookups clip instead of masking (one gather)
        self._padded = np.pad(self.dist, 1, constant_values=max_dist_m)
        self._gauss = None  # (sigma, exp(-d^2 / 2 sigma^2) on the padded grid)
        self._cube = None   # ((z_hit, z_floor, sigma), the beam weight per padded cell)
        self._free_cells = np.flatnonzero(self.free.ravel())

    def cells(self, xs: np.ndarray, ys: np.ndarray):
        """Column, row and inside-mask of world points."""
        col = np.floor((xs - self.origin_x) / self.resolution).astype(np.int64)
        row = np.floor((ys - self.origin_y) / self.resolution).astype(np.int64)
        inside = (col >= 0) & (col < self.width) & (row >= 0) & (row < self.height)
        return col, row, inside

    def _padded_index(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        inv = 1.0 / self.resolution
        col = np.clip(np.floor((xs - self.origin_x) * inv), -1, self.width).astype(np.intp) + 1
        row = np.clip(np.floor((ys - self.origin_y) * inv), -1, self.height).astype(np.intp) + 1
        return row * (self.width + 2) + col

    def distance(self, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        """Distance (m) from each point to the nearest obstacle; the cap outside the map."""
        return np.take(self._padded, self._padded_index(xs, ys))

    def hit_likelihood(self, xs: np.ndarray, ys: np.ndarray, sigma: float) -> np.ndarray:
        """``exp(-d² / 2σ²)`` at each point, ``d`` the distance to the nearest obstacle."""
        if self._gauss is None or self._gauss[0] != sigma:
            self._gauss = (sigma, np.exp(-0.5 * (self._padded / sigma) ** 2))
        return np.take(self._gauss[1], self._padded_index(xs, ys))

    def beam_weights(self, xs: np.ndarray, ys: np.ndarray, z_hit: float, z_floor: float,
                     sigma: float) -> np.ndarray:
        """``(z_hit · exp(-d² / 2σ²) + z_floor)³`` at each point, from a table per cell.

        The cube of AMCL's likelihood-field beam model, looked up instead of
        computed per beam and particle (one gather per point).
        """
        key = (z_hit, z_floor, sigma)
        if self._cube is None or self._cube[0] != key:
            gauss = np.exp(-0.5 * (self._padded / sigma) ** 2)
            self._cube = (key, (z_hit * gauss + z_floor) ** 3)
        return np.take(self._cube[1], self._padded_index(xs, ys))

    def is_free(self, x: float, y: float) -> bool:
        """Whether a point lies in a known-free cell of the map."""
        col, row, inside = self.cells(np.array([x]), np.array([y]))
        return bool(inside[0] and self.free[row[0], col[0]])

    def bounds(self) -> Tuple[float, float, float, float]:
        """Map extent ``(xmin, ymin, xmax, ymax)`` in metres."""
        return (self.origin_x, self.origin_y, self.origin_x + self.width * self.resolution,
                self.origin_y + self.height * self.resolution)

    def sample_free(self, n: int, rng: np.random.Generator):
        """``n`` uniformly random points in free cells."""
        idx = self._free_cells[rng.integers(0, len(self._free_cells), n)]
        row, col = np.divmod(idx, self.width)
        x = self.origin_x + (col + rng.random(n)) * self.resolution
        y = self.origin_y + (row + rng.random(n)) * self.resolution
        return x, y


@dataclass(frozen=True)
class SearchParams:
    """The grid of :func:`scan_search` and how many poses it keeps."""

    step_m: float = 0.2          # position grid spacing
    yaw_bins: int = 72           # headings per position (5 degrees)
    beams: int = 36              # beams scored per pose (evenly thinned)
    sigma_m: float = 0.4         # the beam model's sigma_hit for the coarse grid
    min_clearance_m: float = 0.1  # a position this close to an obstacle is not the robot's
    keep: int = 2000             # best poses returned
    chunk: int = 256             # positions scored at once (bounds the memory)


def scan_search(field: LikelihoodField, ranges: np.ndarray, angles: np.ndarray,
                range_max: float, params: FilterParams, search: SearchParams = SearchParams(),
                sensor_offset: Pose2D = (0.0, 0.0, 0.0)):
    """Score every grid pose of the map against one scan; return the best, best first.

    ``ranges``/``angles`` are selected beams (:meth:`ParticleFilter.select_beams`).
    Returns ``(poses, scores)``: up to ``search.keep`` poses ``(x, y, yaw)`` of
    the robot's base and their scores (``1 + Σ p³`` as in the filter's update).
    Deterministic and read-only on ``field``: it may run in a worker thread.
    """
    ranges = np.asarray(ranges, dtype=float)
    angles = np.asarray(angles, dtype=float)
    if len(ranges) == 0 or len(ranges) != len(angles):
        raise LocalizationError(f'scan search: {len(ranges)} ranges, {len(angles)} angles')
    if search.step_m <= 0.0 or search.yaw_bins < 1 or search.beams < 1 or search.keep < 1:
        raise LocalizationError(f'scan search: bad grid {search}')
    pick = np.unique(np.linspace(0, len(ranges) - 1, min(search.beams, len(ranges)))
                     .round().astype(int))
    r, a = ranges[pick], angles[pick] + sensor_offset[2]
    # candidate positions: grid points in free cells clear of obstacles
    stride = max(1, int(round(search.step_m / field.resolution)))
    rows = np.arange(stride // 2, field.height, stride)
    cols = np.arange(stride // 2, field.width, stride)
    rr, cc = np.meshgrid(rows, cols, indexing='ij')
    ok = field.free[rr, cc] & (field.dist[rr, cc] >= search.min_clearance_m)
    px = field.origin_x + (cc[ok] + 0.5) * field.resolution
    py = field.origin_y + (rr[ok] + 0.5) * field.resolution
    yaws = -np.pi + (np.arange(search.yaw_bins) + 0.5) * (2.0 * np.pi / search.yaw_bins)
    cy, sy = np.cos(yaws), np.sin(yaws)
    # sensor position offset and beam end points per heading, relative to the base
    ox = cy * sensor_offset[0] - sy * sensor_offset[1]
    oy = sy * sensor_offset[0] + cy * sensor_offset[1]
    bx = ox[:, None] + r[None, :] * np.cos(yaws[:, None] + a[None, :])
    by = oy[:, None] + r[None, :] * np.sin(yaws[:, None] + a[None, :])
    z_floor = params.z_rand / range_max
    scores = np.empty((len(px), search.yaw_bins))
    for start in range(0, len(px), search.chunk):
        end = min(start + search.chunk, len(px))
        ex = px[start:end, None, None] + bx[None]
        ey = py[start:end, None, None] + by[None]
        pz3 = field.beam_weights(ex, ey, params.z_hit, z_floor, search.sigma_m)
        scores[start:end] = 1.0 + pz3.sum(axis=2)
    flat = scores.ravel()
    keep = min(search.keep, len(flat))
    best = np.argpartition(-flat, keep - 1)[:keep]
    best = best[np.argsort(-flat[best], kind='stable')]
    pos, yaw = np.divmod(best, search.yaw_bins)
    return np.column_stack([px[pos], py[pos], yaws[yaw]]), flat[best]


class ParticleFilter:
    """Particles ``(x, y, yaw)`` in the map frame with normalized weights."""

    def __init__(self, params: FilterParams, seed: int = 0):
        self.params = params
        self.rng = np.random.default_rng(seed)
        self.field: Optional[LikelihoodField] = None
        self.particles = np.zeros((0, 3))
        self.weights = np.zeros(0)

    # ---------------------------------------------------------------- setup
    def set_map(self, occupancy: np.ndarray, resolution: float, origin_x: float,
                origin_y: float) -> None:
        """Build the likelihood field; raises LocalizationError for an unusable map."""
        self.field = LikelihoodField(occupancy, resolution, origin_x, origin_y,
                                     self.params.laser_likelihood_max_dist)

    def _require_map(self) -> LikelihoodField:
        if self.field is None:
            raise LocalizationError('no map received yet')
        return self.field

    def initialize(self, pose: Pose2D, cov_xx: float = 0.25, cov_yy: float = 0.25,
                   cov_aa: float = (math.pi / 12.0) ** 2) -> None:
        """Spread ``max_particles`` around ``pose`` (Gaussian); the pose must be on the map."""
        field = self._require_map()
        x, y, yaw = (float(v) for v in pose)
        if not all(math.isfinite(v) for v in (x, y, yaw)):
            raise LocalizationError(f'initial pose: non-finite value {pose}')
        if min(cov_xx, cov_yy, cov_aa) < 0.0 or not all(
                math.isfinite(c) for c in (cov_xx, cov_yy, cov_aa)):
            raise LocalizationError(
                f'initial pose: covariance must be finite and >= 0, got '
                f'xx={cov_xx}, yy={cov_yy}, yaw={cov_aa}')
        xmin, ymin, xmax, ymax = field.bounds()
        if not (xmin <= x < xmax and ymin <= y < ymax):
            raise LocalizationError(
                f'initial pose ({x:.2f}, {y:.2f}) is outside the map '
                f'[{xmin:.2f}, {xmax:.2f}] x [{ymin:.2f}, {ymax:.2f}]')
        n = self.params.max_particles
        p = np.empty((n, 3))
        p[:, 0] = x + self.rng.normal(0.0, math.sqrt(cov_xx), n)
        p[:, 1] = y + self.rng.normal(0.0, math.sqrt(cov_yy), n)
        p[:, 2] = _wrap(yaw + self.rng.normal(0.0, math.sqrt(cov_aa), n))
        self.particles = p
        self.weights = np.full(n, 1.0 / n)

    def global_localization(self) -> None:
        """Spread ``global_localization_particles`` uniformly over the free space and headings."""
        field = self._require_map()
        n = self.params.global_localization_particles
        x, y = field.sample_free(n, self.rng)
        self.particles = np.column_stack([x, y, self.rng.uniform(-np.pi, np.pi, n)])
        self.weights = np.full(n, 1.0 / n)

    def seed(self, poses: np.ndarray, scores: np.ndarray, temperature: float,
             sigma_xy: float, sigma_yaw: float) -> None:
        """Draw ``global_localization_particles`` particles around scored poses.

        For :func:`scan_search`'s best poses: a pose gets particles in
        proportion to ``exp((score - best) / temperature)`` (low-variance
        draw), each jittered by a Gaussian of ``sigma_xy``/``sigma_yaw`` (half
        the grid's spacing covers the poses between its points). The beam
        model's flat weights (``1 + Σ p³``, AMCL's) barely tell a look-alike
        place from the right one in one update; the search's score gap does.
        """
        poses = np.asarray(poses, dtype=float)
        scores = np.asarray(scores, dtype=float)
        if poses.ndim != 2 or poses.shape[1] != 3 or len(poses) == 0 or \
                not np.isfinite(poses).all():
            raise LocalizationError(f'seed: expected finite (x, y, yaw) rows, got shape '
                                    f'{poses.shape}')
        if scores.shape != (len(poses),) or not np.isfinite(scores).all():
            raise LocalizationError(f'seed: expected {len(poses)} finite scores')
        if not (math.isfinite(temperature) and temperature > 0.0):
            raise LocalizationError(f'seed: temperature must be > 0, got {temperature}')
        n = self.params.global_localization_particles
        share = np.exp((scores - scores.max()) / temperature)
        p = poses[low_variance_resample(share / share.sum(), n, self.rng)]
        p[:, 0] += self.rng.normal(0.0, sigma_xy, n)
        p[:, 1] += self.rng.normal(0.0, sigma_xy, n)
        p[:, 2] = _wrap(p[:, 2] + self.rng.normal(0.0, sigma_yaw, n))
        self.particles = p
        self.weights = np.full(n, 1.0 / n)

    @property
    def initialized(self) -> bool:
        """Whether particles exist."""
        return len(self.particles) > 0

    # --------------------------------------------------------------- motion
    def predict(self, odom_old: Pose2D, odom_new: Pose2D) -> None:
        """Move every particle by the odometry delta, with sampled noise (alpha1..alpha4)."""
        if not self.initialized:
            return
        a1, a2, a3, a4 = (self.params.alpha1, self.params.alpha2, self.params.alpha3,
                          self.params.alpha4)
        dx, dy = odom_new[0] - odom_old[0], odom_new[1] - odom_old[1]
        trans = math.hypot(dx, dy)
        rot1 = 0.0 if trans < 0.01 else math.atan2(dy, dx) - odom_old[2]
        rot1 = math.atan2(math.sin(rot1), math.cos(rot1))
        rot2 = math.atan2(math.sin(odom_new[2] - odom_old[2] - rot1),
                          math.cos(odom_new[2] - odom_old[2] - rot1))
        # driving backwards: the noise follows the smaller of the two equivalent rotations
        r1n = min(abs(rot1), abs(math.pi - abs(rot1)))
        r2n = min(abs(rot2), abs(math.pi - abs(rot2)))
        n = len(self.particles)
        rng = self.rng
        h1 = rot1 - rng.normal(0.0, math.sqrt(a1 * r1n ** 2 + a2 * trans ** 2), n)
        ht = trans - rng.normal(0.0, math.sqrt(a3 * trans ** 2 + a4 * (r1n ** 2 + r2n ** 2)), n)
        h2 = rot2 - rng.normal(0.0, math.sqrt(a1 * r2n ** 2 + a2 * trans ** 2), n)
        p = self.particles
        heading = p[:, 2] + h1
        p[:, 0] += ht * np.cos(heading)
        p[:, 1] += ht * np.sin(heading)
        p[:, 2] = _wrap(heading + h2)

    # --------------------------------------------------------------- sensor
    def select_beams(self, ranges: Sequence[float], angle_min: float, angle_increment: float,
                     range_min: float, range_max: float):
        """Usable beams (finite, within limits), thinned to ``laser_max_beams``.

        Returns ``(ranges, angles)``; raises LocalizationError when none is usable.
        """
        r = np.asarray(ranges, dtype=float)
        if r.ndim != 1 or len(r) == 0:
            raise LocalizationError('scan: no ranges')
        if not (math.isfinite(angle_min) and math.isfinite(angle_increment)):
            raise LocalizationError(
                f'scan: non-finite angle_min/angle_increment ({angle_min}, {angle_increment})')
        if not (math.isfinite(range_max) and range_max > 0.0):
            raise LocalizationError(f'scan: range_max must be finite and > 0, got {range_max}')
        angles = angle_min + angle_increment * np.arange(len(r))
        ok = np.isfinite(r) & (r >= range_min) & (r < range_max)
        if not ok.any():
            bad = int(np.count_nonzero(~np.isfinite(r)))
            raise LocalizationError(
                f'scan: no usable range ({len(r)} beams, {bad} NaN/Inf, the rest outside '
                f'[{range_min}, {range_max}))')
        idx = np.flatnonzero(ok)
        step = max(1, int(math.ceil(len(idx) / max(1, self.params.laser_max_beams))))
        idx = idx[::step]
        return r[idx], angles[idx]

    def update(self, ranges: np.ndarray, angles: np.ndarray, range_max: float,
               sensor_offset: Pose2D = (0.0, 0.0, 0.0)) -> None:
        """Weigh particles by the likelihood field for already-selected beams."""
        field = self._require_map()
        if not self.initialized:
            return
        prm = self.params
        p = self.particles
        c, s = np.cos(p[:, 2]), np.sin(p[:, 2])
        sx = p[:, 0] + c * sensor_offset[0] - s * sensor_offset[1]
        sy = p[:, 1] + s * sensor_offset[0] + c * sensor_offset[1]
        # beam end points: rotate each beam (in the sensor frame) by each particle's
        # heading with outer products, no trigonometry per beam and particle
        bx = ranges * np.cos(angles + sensor_offset[2])
        by = ranges * np.sin(angles + sensor_offset[2])
        ex = sx[:, None] + np.outer(c, bx) - np.outer(s, by)
        ey = sy[:, None] + np.outer(s, bx) + np.outer(c, by)
        pz3 = field.beam_weights(ex, ey, prm.z_hit, prm.z_rand / range_max, prm.sigma_hit)
        w = self.weights * (1.0 + np.sum(pz3, axis=1))
        total = w.sum()
        if not math.isfinite(total) or total <= 0.0:
            self.weights = np.full(len(p), 1.0 / len(p))
        else:
            self.weights = w / total

    def effective_sample_size(self) -> float:
        """``1 / Σ w²`` of the normalized weights."""
        return float(1.0 / np.sum(self.weights ** 2)) if self.initialized else 0.0

    def resample_if_needed(self) -> bool:
        """Resample (low variance, KLD-sized) when N_eff is low; return whether it did."""
        if not self.initialized:
            return False
        if self.effective_sample_size() >= self.params.resample_neff_ratio * len(self.particles):
            return False
        self.resample()
        return True

    def resample(self) -> None:
        """Low-variance resampling to a KLD-chosen count in [min_particles, max_particles]."""
        prm = self.params
        idx = low_variance_resample(self.weights, prm.max_particles, self.rng)
        idx = idx[self.rng.permutation(len(idx))]  # prefixes must be unbiased samples
        cand = self.particles[idx]
        bins = np.column_stack([np.floor(cand[:, 0] / prm.kld_bin_xy_m),
                                np.floor(cand[:, 1] / prm.kld_bin_xy_m),
                                np.floor(cand[:, 2] / prm.kld_bin_yaw_rad)]).astype(np.int64)
        bins -= bins.min(axis=0)
        span = bins.max(axis=0) + 1
        keys = (bins[:, 0] * span[1] + bins[:, 1]) * span[2] + bins[:, 2]
        _, first = np.unique(keys, return_index=True)
        new_bin = np.zeros(len(cand), dtype=np.int64)
        new_bin[first] = 1
        k = np.cumsum(new_bin)                      # bins occupied by the first m+1 samples
        need = kld_sample_count(k, prm.pf_err, prm.pf_z)
        m = np.arange(1, len(cand) + 1)
        enough = np.flatnonzero((m >= need) & (m >= prm.min_particles))
        n = int(m[enough[0]]) if len(enough) else prm.max_particles
        n = min(max(n, prm.min_particles), prm.max_particles)
        self.particles = cand[:n].copy()
        self.weights = np.full(n, 1.0 / n)

    # -------------------------------------------------------------- outputs
    def scan_match(self, pose: Pose2D, ranges: np.ndarray, angles: np.ndarray,
                   sensor_offset: Pose2D = (0.0, 0.0, 0.0)) -> float:
        """Fraction in [0, 1] of the beams that end within ``scan_match_hit_dist`` of the map.

        The beams (already selected, see :meth:`select_beams`) are cast from
        ``pose`` (the estimate); an end point off the map counts as a miss.
        """
        field = self._require_map()
        if len(ranges) == 0:
            raise LocalizationError('scan match: no beams')
        x, y, yaw = (float(v) for v in pose)
        if not all(math.isfinite(v) for v in (x, y, yaw)):
            raise LocalizationError(f'scan match: non-finite pose {pose}')
        c, s = math.cos(yaw), math.sin(yaw)
        sx = x + c * sensor_offset[0] - s * sensor_offset[1]
        sy = y + s * sensor_offset[0] + c * sensor_offset[1]
        beam = yaw + sensor_offset[2] + np.asarray(angles, dtype=float)
        ex = sx + np.asarray(ranges, dtype=float) * np.cos(beam)
        ey = sy + np.asarray(ranges, dtype=float) * np.sin(beam)
        hits = field.distance(ex, ey) <= self.params.scan_match_hit_dist
        return float(np.count_nonzero(hits)) / len(hits)

    def estimate(self):
        """Weighted mean pose and its 3x3 covariance (x, y, yaw)."""
        if not self.initialized:
            raise LocalizationError('filter not initialized (no initial pose yet)')
        w = self.weights
        p = self.particles
        mx, my = float(w @ p[:, 0]), float(w @ p[:, 1])
        cs, sn = float(w @ np.cos(p[:, 2])), float(w @ np.sin(p[:, 2]))
        myaw = math.atan2(sn, cs)
        d = np.column_stack([p[:, 0] - mx, p[:, 1] - my, _wrap(p[:, 2] - myaw)])
        cov = (d * w[:, None]).T @ d
        return (mx, my, myaw), cov

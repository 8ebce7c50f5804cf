"""Odometry that drifts like a real robot's, and lidar noise; numpy only, seeded.

Wheel odometry is modelled the way probabilistic-robotics texts do (the
odometry motion model): between two updates, the true body-frame motion
``(dx, dy, dθ)`` is measured with

* a systematic scale error, drawn once per run: ``linear_scale_error`` and
  ``angular_scale_error`` are the standard deviations of the relative error
  (a wheel radius or separation that is slightly off, steady slip), and
* random noise that grows with the motion: ``linear_noise_per_m`` (metres of
  error per metre travelled), ``angular_noise_per_rad`` (radians per radian
  turned) and ``angular_noise_per_m`` (heading error per metre travelled).

The measured increments are integrated from the odometry origin, so the
error accumulates: the odometry frame drifts away from the ground truth, as
it does on a real base. All randomness comes from one seeded generator.
"""
from dataclasses import dataclass
import math
from typing import Tuple

import numpy as np


@dataclass(frozen=True)
class OdometryNoise:
    """Parameters of the odometry error model (all standard deviations, >= 0)."""

    linear_scale_error: float = 0.01
    angular_scale_error: float = 0.02
    linear_noise_per_m: float = 0.01
    angular_noise_per_rad: float = 0.01
    angular_noise_per_m: float = 0.005


class DriftingOdometry:
    """Integrates noisy measurements of the true motion into an odometry pose."""

    def __init__(self, noise: OdometryNoise, rng: np.random.Generator):
        self.noise = noise
        self.rng = rng
        self.linear_scale = 1.0 + rng.normal(0.0, noise.linear_scale_error) \
            if noise.linear_scale_error > 0 else 1.0
        self.angular_scale = 1.0 + rng.normal(0.0, noise.angular_scale_error) \
            if noise.angular_scale_error > 0 else 1.0
        self.pose = (0.0, 0.0, 0.0)
        self.twist = (0.0, 0.0, 0.0)
        self._last_truth = None

    def reset(self, truth: Tuple[float, float, float],
              start: Tuple[float, float, float] = (0.0, 0.0, 0.0)) -> None:
        """Restart the odometry at ``start`` (the origin by default), ``truth`` as reference."""
        self.pose = tuple(float(v) for v in start)
        self.twist = (0.0, 0.0, 0.0)
        self._last_truth = truth

    def carried(self, truth: Tuple[float, float, float]) -> None:
        """Take ``truth`` as the new reference without measuring motion (robot was carried)."""
        self._last_truth = truth

    def update(self, truth: Tuple[float, float, float], dt: float):
        """Measure the motion from the last true pose to ``truth``; return the odometry pose."""
        if self._last_truth is None:
            self.reset(truth)
            return self.pose
        x0, y0, t0 = self._last_truth
        x1, y1, t1 = truth
        self._last_truth = truth
        c, s = math.cos(t0), math.sin(t0)
        dx, dy = c * (x1 - x0) + s * (y1 - y0), -s * (x1 - x0) + c * (y1 - y0)
        dth = (t1 - t0 + math.pi) % (2.0 * math.pi) - math.pi
        dist = math.hypot(dx, dy)
        n = self.noise
        mdx, mdy = dx * self.linear_scale, dy * self.linear_scale
        mdth = dth * self.angular_scale
        if dist > 0 and n.linear_noise_per_m > 0:
            err = self.rng.normal(0.0, n.linear_noise_per_m * dist)
            mdx += err * dx / dist
            mdy += err * dy / dist
        std_th = n.angular_noise_per_rad * abs(dth) + n.angular_noise_per_m * dist
        if std_th > 0:
            mdth += self.rng.normal(0.0, std_th)
        ox, oy, oth = self.pose
        mid = oth + mdth / 2.0
        cm, sm = math.cos(mid), math.sin(mid)
        self.pose = (ox + cm * mdx - sm * mdy, oy + sm * mdx + cm * mdy,
                     (oth + mdth + math.pi) % (2.0 * math.pi) - math.pi)
        if dt > 0:
            self.twist = (mdx / dt, mdy / dt, mdth / dt)
        return self.pose


def lidar_noise(ranges: np.ndarray, std: float, rng: np.random.Generator,
                range_min: float, range_max: float) -> np.ndarray:
    """Add Gaussian noise to finite ranges; REP-117: too near is -inf, too far +inf."""
    out = ranges.copy()
    finite = np.isfinite(out)
    if std > 0:
        out[finite] += rng.normal(0.0, std, int(finite.sum()))
    out[finite & (out > range_max)] = np.inf
    out[finite & (out < range_min)] = -np.inf
    return out


def map_to_odom(truth, odom):
    """``world -> odom`` such that ``world -> odom -> base`` is the true pose: truth ∘ odom⁻¹."""
    ox, oy, oyaw = odom
    c, s = math.cos(oyaw), math.sin(oyaw)
    ix, iy = -(c * ox + s * oy), s * ox - c * oy  # odom⁻¹ translation; its yaw is -oyaw
    tx, ty, tyaw = truth
    c, s = math.cos(tyaw), math.sin(tyaw)
    yaw = math.atan2(math.sin(tyaw - oyaw), math.cos(tyaw - oyaw))
    return tx + c * ix - s * iy, ty + s * ix + c * iy, yaw

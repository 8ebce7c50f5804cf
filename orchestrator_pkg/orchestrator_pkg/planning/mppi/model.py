"""Differential-drive motion model for MPPI: limits on the controls, then batch rollouts.

A control sequence is ``T`` pairs ``(vx, wz)``, each held for one step of
``model_dt`` seconds. :meth:`DiffDriveModel.constrain` turns sampled sequences
(any values) into ones the robot can drive: step by step from the current
velocity, each control is first clipped to the speed box
(``vx_min <= vx <= vx_max``, ``|wz| <= wz_max``) and then to what the
acceleration limits allow from the previous control. The acceleration limits win
over the box, so a robot that is faster than the box allows slows down at its
deceleration limit rather than in one step. Speeding up (``|vx|`` growing) is
bounded by ``ax_max``, slowing down by ``|ax_min|``; ``|d wz| <= az_max * dt``.
The steps are sequential (each depends on the one before), so the loop runs over
the ``T`` steps with every sample of the batch at once.

:meth:`DiffDriveModel.rollout` integrates the sequences into poses. With the
controls constant over a step the unicycle moves on a circular arc, which is
integrated exactly: the chord of the arc has length ``vx dt sinc(wz dt / 2)`` and
points along the heading at the middle of the step. So a constant-control
sequence gives poses exactly on the analytic arc, whatever ``model_dt``.

Both keep the precision of their input: the controller samples in float32,
which halves the memory traffic and is exact to well under a millimetre over
the few metres of a horizon.
"""
import numpy as np


def _floats(a) -> np.ndarray:
    """Return ``a`` as a float array, keeping float32 (faster rollouts) and float64 as given."""
    a = np.asarray(a)
    return a if a.dtype in (np.float32, np.float64) else a.astype(float)


class DiffDriveModel:
    """Speed and acceleration limits of a differential-drive robot, and its kinematics."""

    def __init__(self, vx_min: float, vx_max: float, wz_max: float, ax_max: float,
                 ax_min: float, az_max: float, model_dt: float):
        if not (vx_min <= 0.0 < vx_max and wz_max > 0.0 and ax_max > 0.0 and ax_min < 0.0
                and az_max > 0.0 and model_dt > 0.0):
            raise ValueError('motion model needs vx_min <= 0 < vx_max, wz_max, ax_max, az_max, '
                             'model_dt > 0 and ax_min < 0')
        self.vx_min, self.vx_max, self.wz_max = vx_min, vx_max, wz_max
        self.ax_max, self.ax_min, self.az_max = ax_max, ax_min, az_max
        self.model_dt = model_dt

    def constrain(self, vx, wz, v0: float, w0: float, first_dt: float = None):
        """Feasible copies of control sequences ``vx``, ``wz`` (B x T) from velocity (v0, w0).

        ``first_dt`` is the time over which the first control is reached (the
        control period); later steps use ``model_dt``.
        """
        vx, wz = _floats(vx), _floats(wz)
        # time-major copies, so that each step is one contiguous row
        out_v = np.clip(vx, self.vx_min, self.vx_max).T.copy()
        out_w = np.clip(wz, -self.wz_max, self.wz_max).T.copy()
        v_prev = np.full(out_v.shape[1:], v0, dtype=out_v.dtype)
        w_prev = np.full(out_w.shape[1:], w0, dtype=out_w.dtype)
        symmetric = self.ax_max == -self.ax_min
        for t in range(out_v.shape[0]):
            dt = self.model_dt if t > 0 or first_dt is None else float(first_dt)
            up, down, dw = self.ax_max * dt, -self.ax_min * dt, self.az_max * dt
            v, w = out_v[t], out_w[t]
            if symmetric:
                lo, hi = v_prev - up, v_prev + up
            else:
                # speeding up is bounded by ax_max, slowing down by |ax_min|, either direction
                hi = v_prev + np.where(v_prev >= 0.0, up, down)
                lo = v_prev - np.where(v_prev > 0.0, down, up)
            np.maximum(v, lo, out=v)
            np.minimum(v, hi, out=v)
            np.maximum(w, w_prev - dw, out=w)
            np.minimum(w, w_prev + dw, out=w)
            v_prev, w_prev = v, w
        return out_v.T, out_w.T

    def rollout(self, x: float, y: float, yaw: float, vx, wz) -> np.ndarray:
        """Poses (B x T x 3: x, y, yaw) at the end of each step, integrated exactly per step."""
        dt = self.model_dt
        vx, wz = _floats(vx), _floats(wz)
        dyaw = wz * dt
        yaw_end = yaw + np.cumsum(dyaw, axis=-1)
        mid = yaw_end - 0.5 * dyaw
        half = 0.5 * dyaw
        if float(np.max(np.abs(half), initial=0.0)) < 0.1:
            # sin(a)/a by its series; the first omitted term, a^6/5040, is below 2e-10
            a2 = half * half
            ratio = 1.0 - a2 / 6.0 + a2 * a2 / 120.0
        else:
            ratio = np.sinc(half / np.pi)
        chord = vx * dt * ratio
        out = np.empty(vx.shape + (3,), dtype=vx.dtype)
        out[..., 0] = x + np.cumsum(chord * np.cos(mid), axis=-1)
        out[..., 1] = y + np.cumsum(chord * np.sin(mid), axis=-1)
        out[..., 2] = yaw_end
        return out

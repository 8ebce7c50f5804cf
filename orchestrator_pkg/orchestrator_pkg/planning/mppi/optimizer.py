"""The MPPI update: costs to weights, weights to a new control sequence, smoothing.

Given ``B`` sampled control sequences and their total costs ``S``, each sample
gets the weight ``exp(-(S - min S) / temperature)``, normalised to sum to one
(a softmax of ``-S / temperature``; subtracting the minimum only avoids
overflow). A small temperature puts nearly all the weight on the cheapest
samples, a large one averages them all. The new sequence is the weighted mean
of the samples. The samples are already feasible (the model's limits were
applied to each), and the limits are convex (boxes on the speeds and on the
change between steps), so their weighted mean is feasible too.

The noise is drawn per axis with standard deviation ``vx_std`` / ``wz_std``
and, unlike Nav2's white noise, correlated along time (a first-order
autoregression, :func:`correlated_noise`). White noise held for one step
averages out over a horizon: the samples then barely differ in how far they
go or where they turn, and the weighting has little to choose from. With
correlation a sample keeps its deviation for a while (faster, slower, a turn to
one side), so the batch fans out over distinctly different motions.

The control cost of information-theoretic MPPI is added to each sample's cost:
``gamma * u' S^-1 (v - u)``, where ``u`` is the mean the noise was drawn
around, ``v`` the sample and ``S`` the noise covariance along time. It favours
samples whose perturbation points against the mean (towards smaller
controls); ``gamma`` trades that low-energy preference against smoothness.

The weighted mean of noisy samples is itself a little noisy, so it can be
smoothed along time with a Savitzky-Golay filter: at each step, the value at the
centre of a least-squares polynomial fit over a window of neighbouring steps.
The fit is linear in the data, so it is one fixed set of coefficients
(computed once with a pseudo-inverse) applied as a correlation. The window is
padded in front with the commands already sent (the filter then keeps the start
of the sequence continuous with the past) and behind with the last control.
"""
import numpy as np


def softmax_weights(costs, temperature: float) -> np.ndarray:
    """Weights (sum 1) of samples with ``costs``: ``exp(-(S - min S) / temperature)``."""
    costs = np.asarray(costs, dtype=float)
    if not temperature > 0.0:
        raise ValueError(f'temperature must be > 0, got {temperature}')
    w = np.exp(-(costs - costs.min()) / temperature)
    return w / w.sum()


def correlated_noise(rng: np.random.Generator, batch: int, steps: int, std,
                     correlation: float) -> np.ndarray:
    """Gaussian noise (batch x steps x axes, float32) of standard deviation ``std`` per axis.

    Along time it is a first-order autoregression, ``n_t = a n_(t-1) +
    sqrt(1 - a^2) e_t`` with ``a = correlation`` and white ``e`` of the same
    standard deviation, so every step has the same spread and ``a = 0`` is white
    noise.
    """
    std = np.asarray(std, dtype=np.float32)
    # antithetic pairs: the second half mirrors the first (half the random numbers, and
    # the weighted mean of a symmetric batch varies less)
    half = (batch + 1) // 2
    noise = np.empty((steps, batch, len(std)), dtype=np.float32)
    noise[:, :half] = rng.standard_normal((steps, half, len(std)), dtype=np.float32)
    np.negative(noise[:, :batch - half], out=noise[:, half:])
    noise *= std
    if correlation > 0.0:
        a = np.float32(correlation)
        b = np.float32(np.sqrt(1.0 - correlation * correlation))
        for t in range(1, steps):
            noise[t] *= b
            noise[t] += a * noise[t - 1]
    return noise.transpose(1, 0, 2)


def innovations(seq, correlation: float) -> np.ndarray:
    """Undo the autoregression along the last axis: ``(x_t - a x_(t-1)) / sqrt(1 - a^2)``."""
    seq = np.asarray(seq)
    if correlation <= 0.0:
        return seq
    out = seq.copy()
    out[..., 1:] -= correlation * seq[..., :-1]
    out[..., 1:] /= np.sqrt(1.0 - correlation * correlation)
    return out


def control_cost(mean: np.ndarray, samples, std, gamma: float,
                 correlation: float = 0.0) -> np.ndarray:
    """Information-theoretic control cost ``gamma * u' S^-1 (v - u)`` per sample (B,).

    ``mean`` (u) is T x A; ``samples`` (v) is a sequence of A arrays of B x T (one
    per axis); ``std`` has A values. ``S`` is the covariance of the noise along
    time (white, or autoregressive with ``correlation``); its inverse applied to
    a sequence is the innovations' product divided by the variance. An axis
    with zero standard deviation has no noise and adds nothing.
    """
    out = np.zeros(len(samples[0]))
    for a, (s, sd) in enumerate(zip(samples, std, strict=True)):
        if sd > 0.0:
            u = mean[:, a]
            out += innovations(s - u[None, :], correlation) @ (
                innovations(u, correlation) / (sd * sd))
    return gamma * out


def savgol_coefficients(window: int, order: int) -> np.ndarray:
    """Savitzky-Golay smoothing coefficients (``window`` odd): the fit's value at the centre."""
    if window < 1 or window % 2 == 0:
        raise ValueError(f'smoothing window must be odd and >= 1, got {window}')
    if order >= window:
        raise ValueError(f'smoothing order ({order}) must be < window ({window})')
    half = window // 2
    offsets = np.arange(-half, half + 1, dtype=float)
    vander = offsets[:, None] ** np.arange(order + 1)[None, :]
    return np.linalg.pinv(vander)[0]


def smooth_sequence(seq: np.ndarray, history: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """Smooth a T x A sequence along time; ``history`` (H x A, oldest first) pads the front.

    Missing history repeats its oldest entry (or the first control); the end is
    padded with the last control.
    """
    seq = np.asarray(seq, dtype=float)
    half = len(coeffs) // 2
    if half == 0:
        return seq.copy()
    history = np.asarray(history, dtype=float).reshape(-1, seq.shape[1])[-half:]
    if len(history) == 0:
        history = seq[:1]
    front = np.vstack([np.repeat(history[:1], half - len(history), axis=0), history])
    padded = np.vstack([front, seq, np.repeat(seq[-1:], half, axis=0)])
    windows = np.lib.stride_tricks.sliding_window_view(padded, len(coeffs), axis=0)
    return windows @ coeffs

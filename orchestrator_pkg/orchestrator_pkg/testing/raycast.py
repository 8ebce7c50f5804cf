"""A lidar oracle for tests and benchmarks: ranges by marching along each ray on a grid.

Independent of the sim's MuJoCo ray casting and of the filter's likelihood
field, so a localization test does not check the filter against itself.
"""
import numpy as np


def ray_ranges(grid, resolution, origin_x, origin_y, pose, angles, max_range=8.0,
               step=0.01, noise=0.0, rng=None):
    """Range along each of ``angles`` (rad, from ``pose``'s heading) to the first occupied cell.

    ``grid`` is an occupancy grid (>= 65 occupied, rows along y). A ray that
    hits nothing within ``max_range`` gives ``inf``. ``noise``: the standard
    deviation (m) of Gaussian noise added with ``rng``.
    """
    steps = np.arange(0.0, max_range, step)
    a = pose[2] + np.asarray(angles, dtype=float)
    xs = pose[0] + steps[None, :] * np.cos(a)[:, None]
    ys = pose[1] + steps[None, :] * np.sin(a)[:, None]
    col = np.floor((xs - origin_x) / resolution).astype(int)
    row = np.floor((ys - origin_y) / resolution).astype(int)
    inside = (col >= 0) & (col < grid.shape[1]) & (row >= 0) & (row < grid.shape[0])
    hit = np.zeros_like(inside)
    hit[inside] = grid[row[inside], col[inside]] >= 65
    first = np.where(hit.any(axis=1), hit.argmax(axis=1), -1)
    r = np.where(first >= 0, steps[np.maximum(first, 0)], np.inf)
    if noise and rng is not None:
        r = r + rng.normal(0.0, noise, r.shape)
    return r


def free_poses(field, n, seed, bounds=(-7.5, -4.5, 7.5, 4.5), clearance=0.5):
    """Return ``n`` random poses in ``bounds`` (the warehouse's inside), ``clearance`` m free.

    ``field`` is the filter's LikelihoodField (its free cells and distances).
    """
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n:
        x, y = rng.uniform(bounds[0], bounds[2]), rng.uniform(bounds[1], bounds[3])
        if field.is_free(x, y) and field.distance(np.array([x]), np.array([y]))[0] > clearance:
            out.append((x, y, rng.uniform(-np.pi, np.pi)))
    return out

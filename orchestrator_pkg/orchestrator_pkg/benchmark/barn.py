"""The BARN protocol, pure: start, goal, reference path length, metric, outcome.

Facts from the BARN Challenge's README (``shared/benchmarks/barn/README.md``):
the robot starts at (-2.25, 3.0) facing +y (yaw 1.57 rad) and must get
within 1.0 m of (-2.25, 13.0) with no collision within 100 s of sim time.
Reference path cells map to the world as ``(x*0.15 - 0.075 - 4.5,
y*0.15 + 0.075 + 5)``; the path length is start + mapped cells + goal, summed
segment by segment; optimal time = length / 2 m/s; the metric of a run is
``success * optimal_time / clip(time, 2*optimal_time, 8*optimal_time)``.

**Two scales.** The challenge's run.py clipped at ``4*optimal_time`` from April
2022 (a metric of at most 0.25) and at ``2*optimal_time`` from February 2024
(at most 0.5, the metric here). Its README's DWA baseline (success 0.88,
collision 0.048, metric 0.1693, 50 worlds x 10 runs) dates from April 2022: it
is on the 0.25 scale. A run's 0.25-scale metric is ``min(metric, 0.25)``, so
:func:`summarize` gives both means and a comparison with DWA uses
``metric_025``. The challenge's own test script runs 10 runs on each of the 50
worlds 0, 6, ..., 294 (:data:`TEST_WORLDS`); the competition's ranking uses 50
held-out worlds that are not public.
"""
from dataclasses import asdict, dataclass, field
import math
import os
import re
from typing import Dict, Iterable, List, Optional, Sequence

import numpy as np

START = (-2.25, 3.0, 1.57)
GOAL = (-2.25, 13.0)
SUCCESS_RADIUS_M = 1.0
TIME_LIMIT_S = 100.0
CELL_M = 0.15
OPTIMAL_SPEED = 2.0
STATUSES = ('succeeded', 'collided', 'timeout', 'error')  # error: the stack failed
METRIC_MAX = 0.5  # clip at 2 * optimal time (run.py since 2024-02)
METRIC_MAX_2022 = 0.25  # clip at 4 * optimal time (run.py 2022-04 to 2024-02)
TEST_WORLDS = tuple(range(0, 300, 6))  # the challenge's test.sh: 50 worlds, spaced by 6
TEST_RUNS = 10  # runs per world in test.sh
# the challenge README's move_base DWA line (2022-04-05), on the 0.25 scale
DWA_BASELINE = {'success': 0.88, 'collision': 0.048, 'timeout': 0.072, 'metric_025': 0.1693,
                'runs': '50 worlds x 10', 'scale_max': METRIC_MAX_2022,
                'source': 'the-barn-challenge README, 2022-04-05 (clip at 4 x optimal time)'}
# node types of the navigation tree whose ends a run counts (see tree_count_key)
COUNTED_TYPES = ('FollowPath', 'ClearEntireCostmap', 'Spin', 'Wait', 'BackUp')
_WORLD_FILE = re.compile(r'^world_(\d+)\.world$')


class BarnError(ValueError):
    """A BARN file or argument is unusable; the message names it."""


def cell_to_world(cells) -> np.ndarray:
    """Map (n, 2) grid cells of a path file to world coordinates (m)."""
    cells = np.asarray(cells, dtype=float).reshape(-1, 2)
    return np.column_stack((cells[:, 0] * CELL_M - 0.075 - 4.5,
                            cells[:, 1] * CELL_M + 0.075 + 5.0))


def path_length(cells, start=START, goal=GOAL) -> float:
    """Length of start -> mapped cells -> goal (m)."""
    points = np.vstack(([start[:2]], cell_to_world(cells), [goal[:2]]))
    return float(np.sum(np.hypot(*np.diff(points, axis=0).T)))


def optimal_time(length_m: float) -> float:
    """Optimal time of a reference path: its length at 2 m/s."""
    return length_m / OPTIMAL_SPEED


def metric(succeeded: bool, time_s: float, optimal_time_s: float,
           scale_max: float = METRIC_MAX) -> float:
    """BARN metric of one run: 0 unless it succeeded, at most ``scale_max``.

    ``scale_max`` 0.5 clips the time at 2 x optimal (today's rule), 0.25 at
    4 x optimal (2022's).
    """
    if scale_max not in (METRIC_MAX, METRIC_MAX_2022):
        raise BarnError(f'metric scale {scale_max}: the BARN metric is on 0.5 or 0.25')
    if not succeeded:
        return 0.0
    floor = optimal_time_s / scale_max
    return optimal_time_s / min(max(time_s, floor), 8.0 * optimal_time_s)


def load_path(path_file: str) -> np.ndarray:
    """Read a ``path_N.npy`` reference path: an (n, 2) array of grid cells."""
    try:
        cells = np.load(path_file, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise BarnError(f'{path_file}: cannot read the reference path: {exc}') from None
    if cells.ndim != 2 or cells.shape[1] != 2 or len(cells) == 0:
        raise BarnError(f'{path_file}: expected an (n, 2) array of grid cells, '
                        f'got shape {cells.shape}')
    return cells


def classify(distance_to_goal_m: float, collided: bool, elapsed_s: float,
             time_limit_s: float = TIME_LIMIT_S,
             radius_m: float = SUCCESS_RADIUS_M) -> Optional[str]:
    """Status of a run in progress: 'collided', 'succeeded', 'timeout' or None (running).

    A collision ends the run first (a robot that touches an obstacle on its way in
    has failed); reaching the goal radius within the limit is success.
    """
    if collided:
        return 'collided'
    if distance_to_goal_m <= radius_m and elapsed_s <= time_limit_s:
        return 'succeeded'
    if elapsed_s >= time_limit_s:
        return 'timeout'
    return None


def tree_count_key(node_type: str, name: str, ended: Optional[str]) -> Optional[str]:
    """Return the key a navigation-tree status change counts under, or None.

    ``ended`` is ``'succeeded'`` or ``'failed'`` for a behaviour that ended
    (SUCCESS, FAILURE), else None. Only ends of :data:`COUNTED_TYPES` count,
    keyed by the instance name and the end: ``'FollowPath failed'`` is one
    controller abort, ``'BackUp succeeded'`` one back-up done,
    ``'ClearLocalCostmap-Context succeeded'`` one contextual clear of the local
    costmap.
    """
    if node_type not in COUNTED_TYPES or ended not in ('succeeded', 'failed'):
        return None
    return f'{name} {ended}'


@dataclass
class RunResult:
    """One BARN run."""

    world: int
    run: int
    status: str
    time_s: float
    optimal_time_s: float
    metric: float
    wall_time_s: float = 0.0
    nav_result: str = ''
    nav_attempts: int = 0
    rtf: float = 0.0  # sim time / wall time while navigating (startup excluded)
    # ends of the navigation tree's FollowPath and recovery nodes, see tree_count_key
    tree_counts: Dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict) -> 'RunResult':
        """Return the run of an ``as_dict`` row (keys it does not know are ignored)."""
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})

    def as_dict(self) -> dict:
        """Plain data for JSON."""
        data = asdict(self)
        for key in ('time_s', 'optimal_time_s', 'metric', 'wall_time_s', 'rtf'):
            data[key] = round(data[key], 4)
        return data


def summarize(results: Sequence[RunResult]) -> Dict[str, float]:
    """Means over runs: success, collision and timeout rates, metric, time of successes.

    ``metric`` is on the 0.5 scale, ``metric_025`` the same runs on the 0.25
    scale (each run's ``min(metric, 0.25)``), to set beside the DWA baseline.
    """
    n = len(results)
    if n == 0:
        return {'runs': 0}
    ok = [r for r in results if r.status == 'succeeded']
    return {
        'runs': n,
        'worlds': len({r.world for r in results}),
        'success': sum(r.status == 'succeeded' for r in results) / n,
        'collision': sum(r.status == 'collided' for r in results) / n,
        'timeout': sum(r.status == 'timeout' for r in results) / n,
        'error': sum(r.status == 'error' for r in results) / n,
        'metric': sum(r.metric for r in results) / n,
        'metric_025': sum(min(r.metric, METRIC_MAX_2022) for r in results) / n,
        'mean_time_s_succeeded': (sum(r.time_s for r in ok) / len(ok)) if ok else math.nan,
        'mean_rtf': sum(r.rtf for r in results) / n,
    }


def world_indices(worlds_dir: str) -> List[int]:
    """Return the indices N of the ``world_N.world`` files in a folder, sorted."""
    if not os.path.isdir(worlds_dir):
        raise BarnError(f'{worlds_dir}: no such folder of BARN worlds')
    found = sorted(int(m.group(1)) for m in map(_WORLD_FILE.match, os.listdir(worlds_dir)) if m)
    if not found:
        raise BarnError(f'{worlds_dir}: no world_N.world files')
    return found


def parse_indices(text: str, available: Iterable[int], source: str = '--indices') -> List[int]:
    """Parse '0,2,10-20' (ranges inclusive, keeping only available worlds) or 'all'.

    ``source`` names where the selection came from in errors (the option a user gave).
    """
    available = sorted(set(available))
    if not text or text == 'all':
        return available
    chosen = []
    for part in text.split(','):
        part = part.strip()
        if not part:
            continue
        lo, sep, hi = part.partition('-')
        try:
            if sep:
                lo_i, hi_i = int(lo), int(hi)
                picked = [i for i in available if lo_i <= i <= hi_i]
            else:
                picked = [int(part)]
        except ValueError:
            raise BarnError(f'{source}: {part!r} is not an index or a range like 10-20') \
                from None
        missing = [i for i in picked if i not in available]
        if missing:
            raise BarnError(f'{source}: no world_{missing[0]}.world in the worlds folder')
        chosen.extend(i for i in picked if i not in chosen)
    if not chosen:
        raise BarnError(f'{source}: {text!r} selects no world')
    return chosen


def spread_sample(available: Sequence[int], count: int) -> List[int]:
    """``count`` indices spread evenly over ``available`` (sorted), first and last included."""
    available = sorted(available)
    if count >= len(available):
        return list(available)
    if count <= 1:
        return available[:max(count, 0)]
    step = (len(available) - 1) / (count - 1)
    return [available[round(k * step)] for k in range(count)]

"""What a run did, accumulated from the robot's topics: pure, no ROS."""
from dataclasses import dataclass, field
import math
from typing import List, Optional, Sequence, Tuple


@dataclass
class RobotRunStats:
    """Distance, collisions and battery of one robot over a run."""

    namespace: str = ''
    distance_m: float = 0.0
    collisions: int = 0
    battery_start: Optional[float] = None
    battery_end: Optional[float] = None
    path: List[Tuple[float, float, float]] = field(default_factory=list)  # (t, x, y)
    min_step_m: float = 0.005  # below this, a pose change is jitter, not motion

    def on_pose(self, t: float, x: float, y: float) -> None:
        """Add a ground-truth pose sample."""
        if not (math.isfinite(x) and math.isfinite(y)):
            return
        if self.path:
            _, px, py = self.path[-1]
            step = math.hypot(x - px, y - py)
            if step < self.min_step_m:
                return
            self.distance_m += step
        self.path.append((t, x, y))

    def on_collision(self, count: int) -> None:
        """Record the sim's running collision count."""
        self.collisions = max(self.collisions, int(count))

    def on_battery(self, fraction: float) -> None:
        """Record the battery's charge fraction in [0, 1]."""
        if not math.isfinite(fraction):
            return
        if self.battery_start is None:
            self.battery_start = fraction
        self.battery_end = fraction


def format_summary(outcome: str, sim_time_s: float, wall_time_s: float,
                   robots: List[RobotRunStats], reason: str = '',
                   extra: Sequence[Tuple[str, str]] = ()) -> str:
    """Render the end-of-run summary as aligned text lines (``extra`` rows last)."""
    rows = [('outcome', outcome + (f' ({reason})' if reason else '')),
            ('sim time', f'{sim_time_s:.1f} s'),
            ('wall time', f'{wall_time_s:.1f} s'
             + (f' (x{sim_time_s / wall_time_s:.1f} real time)' if wall_time_s > 0 else ''))]
    for stats in robots:
        prefix = f'{stats.namespace}: ' if stats.namespace else ''
        battery = 'n/a'
        if stats.battery_end is not None:
            battery = f'{100 * stats.battery_start:.0f}% -> {100 * stats.battery_end:.0f}%'
        rows += [(f'{prefix}distance', f'{stats.distance_m:.2f} m'),
                 (f'{prefix}collisions', str(stats.collisions)),
                 (f'{prefix}battery', battery)]
    rows += list(extra)
    width = max(len(k) for k, _ in rows)
    return '\n'.join(f'  {k:<{width}}  {v}' for k, v in rows)

"""What a run did, accumulated from the robot's topics, and how the run ended: pure, no ROS."""
from dataclasses import dataclass, field
import math
from typing import Dict, List, Optional, Sequence, Tuple

STOPPED_BY_USER = 'stopped by the user'
RTF_KEPT = 0.8  # below this share of the requested real-time factor, the run says so


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
    # where the robot touched something: (t, x, y, what), from the sim's collision events
    collision_points: List[Tuple[float, float, float, str]] = field(default_factory=list)
    heartbeat_losses: int = 0  # base_driver's safety stops during the mission
    estops: int = 0
    _safety_last: Optional[Tuple[int, int]] = None

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

    def on_collision(self, count: int, t: float = math.nan, x: float = math.nan,
                     y: float = math.nan, other: str = '') -> None:
        """Record the sim's running collision count (and where this one was)."""
        self.collisions = max(self.collisions, int(count))
        if math.isfinite(x) and math.isfinite(y):
            self.collision_points.append((t, x, y, other))

    def on_safety(self, heartbeat_losses: int, estops: int) -> None:
        """Count base_driver's safety stops from its running counts (``~/state``).

        The first counts seen are the baseline (stops before the mission are not
        the mission's); a count that goes down means base_driver restarted, and
        counting goes on from zero.
        """
        now = (int(heartbeat_losses), int(estops))
        last = self._safety_last if self._safety_last is not None else now
        for index, (value, before) in enumerate(zip(now, last, strict=True)):
            gained = value - before if value >= before else value
            if index == 0:
                self.heartbeat_losses += gained
            else:
                self.estops += gained
        self._safety_last = now

    def on_battery(self, fraction: float) -> None:
        """Record the battery's charge fraction in [0, 1]."""
        if not math.isfinite(fraction):
            return
        if self.battery_start is None:
            self.battery_start = fraction
        self.battery_end = fraction


def run_outcome(mission: Optional[str], outcomes: Dict[str, Optional[str]],
                failures: Dict[str, str], robots: int, reason: str = '') -> Tuple[str, str]:
    """Return the run's ``(outcome, reason)``, the same for the summary and summary.json.

    ``outcomes`` maps each robot to its mission's outcome name (None: the goal
    was refused); ``failures`` to its failure text; ``reason`` is why the run
    ended early, if it did. Ctrl-C is CANCELED "stopped by the user"; a robot
    whose mission failed makes the run FAILED with that robot's reason.
    """
    if not mission:
        return 'NO MISSION', reason
    if reason == STOPPED_BY_USER:
        return 'CANCELED', reason
    if reason:
        return 'FAILED', reason
    if len(outcomes) == robots and all(o == 'SUCCEEDED' for o in outcomes.values()):
        return 'SUCCEEDED', ''
    names = {ns: (o or 'REJECTED') for ns, o in outcomes.items()}
    for outcome in ('FAILED', 'REJECTED', 'CANCELED'):
        robots_with = [ns for ns, o in sorted(names.items()) if o == outcome]
        if robots_with:
            texts = [(f'{ns}: ' if ns and robots > 1 else '')
                     + (failures.get(ns) or outcome.lower()) for ns in robots_with]
            return outcome, '; '.join(texts)
    return 'FAILED', 'no mission result'


def rtf_hint(requested: float, sim_s: float, wall_s: float, heartbeat_losses: int = 0,
             load: Optional[float] = None) -> str:
    """Say so when the machine could not keep the requested real-time factor ('' if it did).

    Either the sim itself ran slower than asked, or the sim kept its clock but
    the nodes did not: base_driver then holds the robot still each time the
    orchestrator's heartbeat comes late on the sim clock (``heartbeat_losses``).
    """
    load_text = f' (load average {load:.1f})' if load is not None else ''
    achieved = sim_s / wall_s if wall_s > 0 and sim_s > 0 else 0.0
    if requested > 0 and achieved and achieved < RTF_KEPT * requested:
        slower = max(0.5, math.floor(achieved * 2) / 2)
        return (f'this machine{load_text} ran the sim at x{achieved:.1f} real time of the '
                f'x{requested:g} asked; try --rtf {slower:g}')
    if heartbeat_losses and requested != 1:
        speed = f'--rtf {requested:g}' if requested > 0 else 'as fast as possible (--rtf 0)'
        return (f'{heartbeat_losses} heartbeat lapse(s): the nodes fell behind the sim clock at '
                f'{speed} on this machine{load_text}; try --rtf 1')
    if heartbeat_losses:
        return (f'{heartbeat_losses} heartbeat lapse(s): the orchestrator was starved of CPU '
                f'on this machine{load_text}, even at real time')
    return ''


def format_summary(outcome: str, sim_time_s: float, wall_time_s: float,
                   robots: List[RobotRunStats], reason: str = '',
                   extra: Sequence[Tuple[str, str]] = (), hint: str = '',
                   sim_wall_s: Optional[float] = None) -> str:
    """Render the end-of-run summary as aligned text lines (``extra`` rows last).

    The real-time factor is sim time over ``sim_wall_s``, the wall time the sim
    ran (start-up and shutdown left out), when given; else over the whole.
    """
    over = sim_wall_s if sim_wall_s else wall_time_s
    rows = [('outcome', outcome + (f' ({reason})' if reason else '')),
            ('sim time', f'{sim_time_s:.1f} s'),
            ('wall time', f'{wall_time_s:.1f} s'
             + (f' (x{sim_time_s / over:.1f} real time)' if over > 0 else ''))]
    for stats in robots:
        prefix = f'{stats.namespace}: ' if stats.namespace else ''
        battery = 'n/a'
        if stats.battery_end is not None:
            battery = f'{100 * stats.battery_start:.0f}% -> {100 * stats.battery_end:.0f}%'
        rows += [(f'{prefix}distance', f'{stats.distance_m:.2f} m'),
                 (f'{prefix}collisions', str(stats.collisions)),
                 (f'{prefix}battery', battery)]
        if stats.heartbeat_losses or stats.estops:
            rows.append((f'{prefix}safety stops',
                         f'{stats.heartbeat_losses} heartbeat lapse(s), {stats.estops} '
                         'e-stop(s): base_driver held the robot still'))
    if hint:
        rows.append(('hint', hint))
    rows += list(extra)
    width = max(len(k) for k, _ in rows)
    return '\n'.join(f'  {k:<{width}}  {v}' for k, v in rows)

"""What a run did, accumulated from the robot's topics, and how the run ended: pure, no ROS."""
from collections import deque
from dataclasses import dataclass, field
import math
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

STOPPED_BY_USER = 'stopped by the user'
RTF_KEPT = 0.8  # below this share of the requested real-time factor, the run says so


@dataclass
class LocalizationError:
    """The localizer's estimates against the ground truth of the same stamp.

    ``on_truth`` keeps the last ``keep_s`` of ground truth (sim stamps); each
    ``on_estimate`` is matched with the truth sample nearest its stamp, when
    one lies within ``max_dt_s``, and its position and heading errors are kept.
    """

    max_dt_s: float = 0.05
    keep_s: float = 5.0
    position_m: List[float] = field(default_factory=list)
    heading_deg: List[float] = field(default_factory=list)
    _truth: deque = field(default_factory=deque)  # (t, x, y, yaw), in stamp order

    def on_truth(self, t: float, x: float, y: float, yaw: float) -> None:
        """Add a ground-truth pose at sim time ``t``."""
        if not all(math.isfinite(v) for v in (t, x, y, yaw)):
            return
        self._truth.append((t, x, y, yaw))
        while self._truth and self._truth[0][0] < t - self.keep_s:
            self._truth.popleft()

    def on_estimate(self, t: float, x: float, y: float, yaw: float) -> bool:
        """Match an estimate with the truth at its stamp; return whether it was matched."""
        if not self._truth or not all(math.isfinite(v) for v in (t, x, y, yaw)):
            return False
        tt, gx, gy, gyaw = min(self._truth, key=lambda s: abs(s[0] - t))
        if abs(tt - t) > self.max_dt_s:
            return False
        self.position_m.append(math.hypot(x - gx, y - gy))
        d = yaw - gyaw
        self.heading_deg.append(abs(math.degrees(math.atan2(math.sin(d), math.cos(d)))))
        return True

    def figures(self) -> Optional[Dict[str, float]]:
        """Mean, p95 and max of both errors and the count; None without a matched estimate."""
        if not self.position_m:
            return None
        d, h = np.array(self.position_m), np.array(self.heading_deg)
        return {'poses': len(d), 'mean_m': round(float(d.mean()), 3),
                'p95_m': round(float(np.percentile(d, 95)), 3),
                'max_m': round(float(d.max()), 3),
                'heading_mean_deg': round(float(h.mean()), 2),
                'heading_p95_deg': round(float(np.percentile(h, 95)), 2),
                'heading_max_deg': round(float(h.max()), 2)}


def format_localization_error(figures: Dict[str, float]) -> str:
    """One summary line of :meth:`LocalizationError.figures`."""
    return (f"{figures['mean_m']:.3f} m mean, {figures['p95_m']:.3f} m p95, "
            f"{figures['max_m']:.3f} m max; heading {figures['heading_p95_deg']:.1f} deg p95 "
            f"({figures['poses']} poses against ground truth)")


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
    command_timeouts: int = 0  # commands gone stale while the robot moved on them
    localization: LocalizationError = field(default_factory=LocalizationError)
    # the localizer's estimates (amcl_pose), (stamp, x, y) on the sim clock: every one
    estimated_path: List[Tuple[float, float, float]] = field(default_factory=list)
    _safety_last: Optional[Tuple[int, int, int]] = None

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

    def on_estimate(self, t: float, x: float, y: float, yaw: float) -> None:
        """Add a localizer estimate stamped ``t``: kept for the picture, judged for the error."""
        if not all(math.isfinite(v) for v in (t, x, y, yaw)):
            return
        self.estimated_path.append((t, x, y))
        self.localization.on_estimate(t, x, y, yaw)

    def on_collision(self, count: int, t: float = math.nan, x: float = math.nan,
                     y: float = math.nan, other: str = '') -> None:
        """Record the sim's running collision count (and where this one was)."""
        self.collisions = max(self.collisions, int(count))
        if math.isfinite(x) and math.isfinite(y):
            self.collision_points.append((t, x, y, other))

    def on_safety(self, heartbeat_losses: int, estops: int, command_timeouts: int = 0) -> None:
        """Count base_driver's safety stops from its running counts (``~/state``).

        The first counts seen are the baseline (stops before the mission are not
        the mission's); a count that goes down means base_driver restarted, and
        counting goes on from zero.
        """
        now = (int(heartbeat_losses), int(estops), int(command_timeouts))
        last = self._safety_last if self._safety_last is not None else now
        gained = [value - before if value >= before else value
                  for value, before in zip(now, last, strict=True)]
        self.heartbeat_losses += gained[0]
        self.estops += gained[1]
        self.command_timeouts += gained[2]
        self._safety_last = now

    def on_battery(self, fraction: float) -> None:
        """Record the battery's charge fraction in [0, 1]."""
        if not math.isfinite(fraction):
            return
        if self.battery_start is None:
            self.battery_start = fraction
        self.battery_end = fraction


def localization_records(localization: str, robots: Dict[str, RobotRunStats]) -> List[dict]:
    """Return the end-of-run ``localization_error`` records of mission.jsonl, one per robot.

    Each holds summary.json's figures (None when a localizer ran but no
    estimate matched the ground truth); without a localizer (``truth``, or a
    bringup without one) a robot that published no estimate gets none.
    """
    return [{'event': 'localization_error', 'robot': ns, 'localization': localization or None,
             'localization_error': stats.localization.figures()}
            for ns, stats in robots.items()
            if localization not in ('', 'truth') or stats.estimated_path]


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
        localization = stats.localization.figures()
        if localization is not None:
            rows.append((f'{prefix}localization error', format_localization_error(localization)))
        if stats.heartbeat_losses or stats.estops or stats.command_timeouts:
            rows.append((f'{prefix}safety stops',
                         f'{stats.heartbeat_losses} heartbeat lapse(s), {stats.estops} '
                         f'e-stop(s), {stats.command_timeouts} stale command(s): '
                         'base_driver held the robot still'))
    if hint:
        rows.append(('hint', hint))
    rows += list(extra)
    width = max(len(k) for k, _ in rows)
    return '\n'.join(f'  {k:<{width}}  {v}' for k, v in rows)

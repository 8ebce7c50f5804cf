"""The progress display of ``orchestrator run``: mission steps and the running node.

Plain lines for a terminal (no curses), e.g.::

    [mission] step 3/6 GoToDropoff  t=  35.2s  32%  .../Navigate - running: 4.21 m to go

A mission's *steps* are the children of the first node, from the root down,
that has more than one child (for missions/deliver.xml: GoToPickup, Pick,
GoToDropoff, Place, BackAway, ReturnToDock). At most one line a second: a
new step is shown once a second has passed since the last line, any other
change (the running node, its feedback text) once ``min_interval_s`` has.
While the robot follows a path, the line ends with its distance to go (the
caller's, from the controller), whichever node is running: in Nav2's tree the
planner's node is often the one shown, replanning while the robot drives.
Pure: no ROS; the caller passes the tree shape and the feedback fields.
"""
from dataclasses import dataclass
import re
from typing import Callable, List, Optional, Sequence, Tuple

STEP_INTERVAL_S = 1.0  # at most one line a second, even when steps change faster
_TO_GO = re.compile(r'\d m to go')


def mission_steps(behaviours: Sequence[Tuple]) -> List[str]:
    """Return the paths of the mission's steps from ``(id, parent_id, path[, type])`` rows.

    Rows are a snapshot's behaviours (depth-first, root first). A tree with no
    node of two or more children has one step, the root. The orchestrator's
    ``BatteryGuard`` (type given) is looked through: its first child is the
    mission, its second the recharge tree, which is not a step of the mission.
    So is a ``ReactiveSequence`` of guards over a body (the shipped missions'
    ``StayLocalized`` over their steps, relocalize.xml): its last child is the
    mission, the guards before it (re-localizing when they fail) are not steps.
    """
    children, types = {}, {}
    for row in behaviours:
        index, parent, path = row[:3]
        types[index] = row[3] if len(row) > 3 else ''
        children.setdefault(parent, []).append((index, path))
    roots = children.get(-1, [])
    if not roots:
        return []
    index, path = roots[0]
    while True:
        kids = children.get(index, [])
        if len(kids) == 1 or (types.get(index) == 'BatteryGuard' and kids):
            index, path = kids[0]
        elif types.get(index) == 'ReactiveSequence' and len(kids) > 1:
            index, path = kids[-1]
        else:
            break
    kids = children.get(index, [])
    return [p for _, p in kids] if kids else [path]


def step_of(steps: Sequence[str], active_path: str) -> int:
    """Return the 1-based number of the step ``active_path`` is in (0 if none)."""
    for number, path in enumerate(steps, start=1):
        if active_path == path or active_path.startswith(path + '/'):
            return number
    return 0


@dataclass
class _Shown:
    step: int = -1
    node: str = ''
    text: str = ''
    at: float = float('-inf')


class ProgressDisplay:
    """Turn a stream of mission feedback into throttled progress lines."""

    def __init__(self, label: str = 'mission', min_interval_s: float = 3.0,
                 clock: Optional[Callable[[], float]] = None, wait_for_steps: int = 0):
        """Make a display; up to ``wait_for_steps`` updates are held back until steps are known."""
        import time
        self.label = label
        self.min_interval_s = max(float(min_interval_s), STEP_INTERVAL_S)
        self.wait_for_steps = int(wait_for_steps)
        self.steps: List[str] = []
        self._clock = clock or time.monotonic
        self._shown = _Shown()

    def set_steps(self, steps: Sequence[str]) -> None:
        """Give the mission's steps (paths), once the tree's shape is known."""
        self.steps = list(steps)

    def update(self, active_path: str, status_text: str, progress: float,
               sim_time_s: float, to_go_m: Optional[float] = None) -> Optional[str]:
        """Return the line to print for this feedback, or None when it is not due.

        ``to_go_m``: the distance the robot has to go on the path it follows now
        (None when it follows none), shown when the running node says none.
        """
        if not self.steps and self.wait_for_steps > 0:
            self.wait_for_steps -= 1  # the tree's shape usually comes with the next tick
            return None
        step = step_of(self.steps, active_path) if self.steps else 0
        now = self._clock()
        shown = self._shown
        if (step, active_path, status_text) == (shown.step, shown.node, shown.text):
            return None
        wait = STEP_INTERVAL_S if step != shown.step else self.min_interval_s
        if now - shown.at < wait:
            return None  # still pending: the next feedback shows the state then
        self._shown = _Shown(step, active_path, status_text, now)
        if self.steps and step:
            name = self.steps[step - 1].rsplit('/', 1)[-1]
            where = f'step {step}/{len(self.steps)} {name}'
        elif self.steps:
            where = f'step -/{len(self.steps)}'
        else:
            where = 'step ?'
        leaf = active_path[len(self.steps[step - 1]) + 1:] if step and \
            active_path != self.steps[step - 1] else active_path.rsplit('/', 1)[-1]
        parts = leaf.split('/')
        if len(parts) > 2:  # deep in a subtree: its last two levels say enough
            leaf = '.../' + '/'.join(parts[-2:])
        text = status_text
        if to_go_m is not None and not _TO_GO.search(status_text):
            text = f'{status_text} | {to_go_m:.2f} m to go' if status_text \
                else f'{to_go_m:.2f} m to go'
        return (f'[{self.label}] {where:<24} t={sim_time_s:7.1f}s {100 * progress:4.0f}%  '
                f'{leaf or "-"} - {text}')

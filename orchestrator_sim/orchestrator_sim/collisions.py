"""Turn per-step contacts into collision events: pure, no ROS, no MuJoCo."""
from typing import Dict, Iterable, List


class CollisionCounter:
    """Count collision onsets, one per collision.

    A contact with an obstacle is a new collision unless the robot touched
    the same obstacle within ``debounce_s`` before (sim time): contacts
    flicker on and off from step to step while a robot pushes or scrapes,
    and that is one collision, not dozens.
    """

    def __init__(self, debounce_s: float = 0.5):
        if not debounce_s >= 0.0:
            raise ValueError(f'debounce_s must be >= 0, got {debounce_s!r}')
        self.debounce_s = debounce_s
        self.count = 0
        self._last_touch: Dict[str, float] = {}

    def update(self, now: float, touching: Iterable[str]) -> List[str]:
        """Record what is touched at ``now``; return the obstacles that start a collision."""
        onsets = []
        for name in touching:
            last = self._last_touch.get(name)
            self._last_touch[name] = now
            if last is None or now - last > self.debounce_s:
                self.count += 1
                onsets.append(name)
        return onsets

    def reset(self) -> None:
        """Forget everything (world reset)."""
        self.count = 0
        self._last_touch = {}

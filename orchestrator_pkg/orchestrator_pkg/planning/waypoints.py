"""Which waypoint comes next: the bookkeeping of ``follow_waypoints`` (Nav2's rules).

The waypoints are visited in order from ``goal_index``; after the last one,
the route starts again at the first, ``number_of_loops`` more times (0: one
pass). A waypoint that is not reached is recorded as missed with the error
code its navigation ended with; with ``stop_on_failure`` the run stops
there (the action aborts), otherwise it goes on to the next waypoint (and
ends succeeded, listing the missed ones).

Pure: no ROS imports.
"""
from typing import List, NamedTuple


class Missed(NamedTuple):
    """A waypoint that was not reached: its index in the goal's poses and the error code."""

    index: int
    error_code: int


class WaypointRun:
    """The progress of one follow_waypoints goal over ``count`` waypoints."""

    def __init__(self, count: int, goal_index: int = 0, number_of_loops: int = 0,
                 stop_on_failure: bool = True):
        if count <= 0:
            raise ValueError('no waypoints to follow')
        if not 0 <= goal_index < count:
            raise ValueError(f'goal_index {goal_index} is not in [0, {count - 1}]')
        self.count = count
        self.index = goal_index
        self.loop = 0
        self.number_of_loops = max(0, int(number_of_loops))
        self.stop_on_failure = stop_on_failure
        self.missed: List[Missed] = []
        self.done = False
        self.stopped = False  # done because a waypoint failed with stop_on_failure

    def reached(self) -> None:
        """Move on: the current waypoint was reached."""
        self._advance()

    def failed(self, error_code: int) -> None:
        """Record the current waypoint as missed with ``error_code``; stop or move on."""
        self.missed.append(Missed(self.index, int(error_code)))
        if self.stop_on_failure:
            self.done = self.stopped = True
        else:
            self._advance()

    def _advance(self) -> None:
        if self.done:
            return
        self.index += 1
        if self.index < self.count:
            return
        if self.loop < self.number_of_loops:
            self.loop += 1
            self.index = 0
        else:
            self.index = self.count - 1
            self.done = True

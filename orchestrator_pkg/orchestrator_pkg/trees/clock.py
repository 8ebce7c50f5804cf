"""Clocks for timing behaviours (Timeout, Delay, Sleep, RateController).

Timing behaviours never call ``time.time()``; they read the clock handed to
them in the :class:`~orchestrator_pkg.trees.registry.BuildContext`. The ROS
side provides a clock that follows ``/clock`` (sim time); tests use
:class:`ManualClock` to step time deterministically.
"""
import time
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Anything with ``now()`` returning the current time in seconds."""

    def now(self) -> float:
        """Return the current time in seconds."""


class MonotonicClock:
    """Wall-clock monotonic time (the default outside ROS)."""

    def now(self) -> float:
        """Return ``time.monotonic()``."""
        return time.monotonic()


class ManualClock:
    """A clock that only moves when told to (tests, simulations)."""

    def __init__(self, start: float = 0.0):
        self._now = float(start)

    def now(self) -> float:
        """Return the current manual time."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` (must not be negative)."""
        if seconds < 0:
            raise ValueError(f'a clock cannot go backwards (advance by {seconds})')
        self._now += seconds

    def set(self, now: float) -> None:
        """Jump to ``now`` seconds."""
        self._now = float(now)

"""The ROS clock as the engine's clock, so time-based nodes follow sim time."""


class RosClock:
    """``now()`` in seconds from a node's clock (sim time when ``use_sim_time`` is set)."""

    def __init__(self, node):
        self._clock = node.get_clock()

    def now(self) -> float:
        """Return the node clock's time in seconds."""
        return self._clock.now().nanoseconds * 1e-9

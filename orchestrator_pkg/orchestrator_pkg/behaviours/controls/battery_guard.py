"""BatteryGuard: preempt any mission to recharge, then resume it where it left off.

The orchestrator wraps every mission's root in a guard (when its
``battery_guard_enabled`` parameter is true; see docs/orchestrator.md):

- child 0 is the mission, child 1 the recharge tree (``missions/recharge.xml``:
  look up the dock place, navigate there, wait until charged);
- on each tick, while the mission runs, the guard reads the battery level
  (a callable returning a fraction in [0, 1], or None when unknown). Below
  ``low_threshold`` it halts the mission (running action leaves cancel their
  goals) and ticks the recharge tree until it ends;
- recharge SUCCESS: the mission is ticked again in the same tick. Its step
  lists are ``SequenceWithMemory`` nodes, which keep their place across a
  halt (as in BehaviorTree.CPP v4), so the mission resumes at the step it
  was in; that step starts afresh (a navigation goal is sent again);
- recharge FAILURE: the guard fails, and the failure points into the
  recharge tree.

The guard is pure (no ROS): the battery source and the event callback are
injected, so it is unit-tested with a fake battery.
"""
import os
import re
from typing import Callable, Optional

from orchestrator_pkg.trees.behaviour import FAILURE, RUNNING, BtNode
from orchestrator_pkg.trees.blackboard import Blackboard
from orchestrator_pkg.trees.loader import TreeLoadError, load_file_cached
from orchestrator_pkg.trees.runtime import BuiltTree

_TREE_NAME = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_\-]*$')


class RechargeTreeError(ValueError):
    """The recharge tree cannot be found, loaded or built; the message says why."""


class BatteryGuard(BtNode):
    """Run ``mission``; below ``low_threshold`` halt it, run ``recharge`` to the end, resume.

    Args:
        mission: the mission's root behaviour.
        recharge: the recharge tree's root behaviour.
        battery: ``battery() -> Optional[float]``, the state of charge in [0, 1].
        low_threshold: preempt the mission when the charge is below this.
        on_event: ``on_event(text)``, told about each preemption and resumption.
    """

    def __init__(self, name: str, mission, recharge, battery: Callable[[], Optional[float]],
                 low_threshold: float, on_event: Optional[Callable[[str], None]] = None):
        super().__init__(name, [mission, recharge])
        if not 0.0 <= low_threshold <= 1.0:
            raise ValueError(f'{name}: low_threshold must be in [0, 1], got {low_threshold!r}')
        self.battery = battery
        self.low_threshold = float(low_threshold)
        self.on_event = on_event
        self.recharging = False
        self.preemptions = 0

    def reset_state(self):
        """Forget the recharge in progress (the guard was halted: mission canceled)."""
        self.recharging = False

    def _event(self, text: str) -> None:
        self.feedback_message = text
        if self.on_event is not None:
            self.on_event(text)

    def bt_tick(self):
        """Check the battery, then tick the recharge tree or the mission."""
        if not self.recharging:
            level = self.battery()
            if level is not None and level < self.low_threshold:
                self.preemptions += 1
                self.halt_child(0)
                self.recharging = True
                self._event(f'battery {100 * level:.1f}% < {100 * self.low_threshold:g}%: '
                            f'mission preempted, recharging (preemption {self.preemptions})')
        if self.recharging:
            status = yield from self.tick_child(1)
            if status is RUNNING:
                return RUNNING
            self.halt_child(1)
            self.recharging = False
            if status is FAILURE:
                self._event(f'recharging failed (preemption {self.preemptions}); '
                            'the mission stops')
                return FAILURE
            level = self.battery()
            self._event('recharged' + (f' to {100 * level:.0f}%' if level is not None else '')
                        + ': resuming the mission')
        status = yield from self.tick_child(0)
        return status


def guard_tree(mission_built, recharge_built, battery, low_threshold: float, on_event=None,
               name: str = 'BatteryGuard'):
    """Return a BuiltTree whose root is a BatteryGuard over two built trees.

    The mission keeps its blackboard, tree id and XML paths (e.g.
    ``Deliver/LocalizedMission/DeliverMission/Pick``); the recharge tree's paths start with its
    own tree id (e.g. ``Recharge/GoToDock``).
    """
    guard = BatteryGuard(name, mission_built.root, recharge_built.root, battery,
                         low_threshold, on_event)
    info = dict(mission_built._info)
    info.update(recharge_built._info)
    info[id(guard)] = (name, 'BatteryGuard', 'control', ('<orchestrator>', 0))
    return BuiltTree(guard, mission_built.blackboard, mission_built.tree_id, info,
                     mission_built.clock)


def load_recharge_tree(name: str, directories, registry, clock, inputs: dict):
    """Build ``<name>.xml`` from the first of ``directories`` that has it.

    ``inputs`` (e.g. ``dock_place``, ``resume_threshold``) go to a blackboard
    of the recharge tree's own. Raises :class:`RechargeTreeError`.
    """
    directories = [d for d in directories if d]
    if not _TREE_NAME.match(name):
        raise RechargeTreeError(f'battery guard: "{name}" is not a mission name '
                                '(letters, digits, _ and -)')
    path = next((os.path.join(d, name + '.xml') for d in directories
                 if os.path.isfile(os.path.join(d, name + '.xml'))), None)
    if path is None:
        raise RechargeTreeError(f'battery guard: no recharge mission "{name}" in '
                                f'{", ".join(directories) or "(no missions folder)"}')
    blackboard = Blackboard()
    for key, value in inputs.items():
        blackboard.set(key, value)
    try:
        return load_file_cached(path, registry, inputs=list(inputs)).build(clock=clock,
                                                                     blackboard=blackboard)
    except TreeLoadError as exc:
        raise RechargeTreeError('battery guard: ' + '; '.join(
            str(p) for p in exc.problems[:5])) from None

"""Fallback and ReactiveFallback (BehaviorTree.CPP v4)."""
from orchestrator_pkg.behaviours.controls.ordered import (
    OrderedComposite,
    ReactiveOrderedComposite,
)
from orchestrator_pkg.trees.behaviour import SUCCESS


class Fallback(OrderedComposite):
    """Tick children in order until one does not fail; a RUNNING child is resumed.

    - child RUNNING: return RUNNING; the next tick resumes at that child;
    - child SUCCESS: reset children, restart from the first, return SUCCESS;
    - every child FAILURE: reset children, return FAILURE.
    """

    STOP_ON = SUCCESS


class ReactiveFallback(ReactiveOrderedComposite):
    """Tick every child from the first on each tick; a RUNNING child halts the others.

    - child RUNNING: halt every other child, return RUNNING;
    - child SUCCESS: reset all children, return SUCCESS;
    - every child FAILURE: reset all children, return FAILURE.
    """

    STOP_ON = SUCCESS

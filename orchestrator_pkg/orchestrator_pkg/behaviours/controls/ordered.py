"""The loops that Sequence and Fallback share, with the deciding status as a parameter.

A Sequence stops at the first FAILURE and succeeds when every child succeeds;
a Fallback stops at the first SUCCESS and fails when every child fails. Both
tick with :func:`ordered_tick` (the reactive ones with :func:`reactive_tick`),
given ``stop_on``: the child status that ends the loop and is returned. The
other terminal status lets the loop move on to the next child and, after the
last one, is the result.
"""
from orchestrator_pkg.trees.behaviour import FAILURE, RUNNING, SUCCESS


def _other(status):
    return FAILURE if status is SUCCESS else SUCCESS


def ordered_tick(node, stop_on, memory=False):
    """Tick ``node``'s children in order from ``node.index`` (use with ``yield from``).

    - child RUNNING: return RUNNING; the next tick resumes at that child;
    - child ``stop_on``: reset children, restart from the first, return ``stop_on``
      (with ``memory``: halt that child and the later ones, keep the place);
    - every child the other status: reset children, return it.
    The node's halt (``reset_state``) sets ``index`` back to 0.
    """
    count = len(node.children)
    while node.index < count:
        status = yield from node.tick_child(node.index)
        if status is RUNNING:
            return RUNNING
        if status is stop_on:
            if memory:
                node.halt_children(node.index)
            else:
                node.reset_children()
                node.index = 0
            return status
        node.index += 1
    node.reset_children()
    node.index = 0
    return _other(stop_on)


def reactive_tick(node, stop_on):
    """Tick every child of ``node`` from the first; a RUNNING child halts the others.

    - child RUNNING: halt every other child (later ones that were running are
      preempted), return RUNNING;
    - child ``stop_on``: reset all children, return ``stop_on``;
    - every child the other status: reset all children, return it.
    """
    children = node.children
    for index in range(len(children)):
        status = yield from node.tick_child(index)
        if status is RUNNING:
            for other in range(len(children)):
                if other != index:
                    node.halt_child(other)
            return RUNNING
        if status is stop_on:
            node.reset_children()
            return status
    node.reset_children()
    return _other(stop_on)

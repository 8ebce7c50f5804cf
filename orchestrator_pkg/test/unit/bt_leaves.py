"""A scripted leaf for semantics tests: returns ``result``, counts ticks, starts and halts."""
import py_trees
from py_trees.common import Status

S, F, R, INV = Status.SUCCESS, Status.FAILURE, Status.RUNNING, Status.INVALID


class Leaf(py_trees.behaviour.Behaviour):
    def __init__(self, name, result=S):
        super().__init__(name)
        self.result = result
        self.ticks = 0
        self.starts = 0
        self.halts = 0

    def initialise(self):
        self.starts += 1

    def update(self):
        self.ticks += 1
        return self.result

    def terminate(self, new_status):
        if new_status == INV and self.status == R:
            self.halts += 1


def tick(node):
    node.tick_once()
    return node.status


def run(node, max_ticks=1000):
    """Tick until the node is not RUNNING; return (status, ticks taken)."""
    for ticks in range(1, max_ticks + 1):
        if tick(node) != R:
            return node.status, ticks
    return node.status, max_ticks


def run_tree(built, max_ticks=1000):
    """Tick a BuiltTree until its root is not RUNNING; return (status, ticks taken)."""
    for ticks in range(1, max_ticks + 1):
        if built.tick() != R:
            return built.root.status, ticks
    return built.root.status, max_ticks


def leaves(*results):
    return [Leaf(chr(ord('A') + i), r) for i, r in enumerate(results)]

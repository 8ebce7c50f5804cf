#!/usr/bin/env python3
"""Tick cost of a 100-node tree loaded from BT.CPP XML vs the same tree built by hand in py_trees.

Run after ``source env.sh``::

    python bench/bt_tick_cost.py [--ticks 2000] [--rounds 15]

Both trees have the same shape (1 root Sequence, 9 branches of 11 nodes:
Sequence[Inverter[Failure], Fallback[Failure, Success], Success x5]) and are
ticked through ``py_trees.trees.BehaviourTree.tick()``, interleaved in rounds
so that load from other processes hits them alike. The figure is the median
per-tick time over the rounds; the ratio is XML / plain (target <= 1.15). A
third row builds the tree by hand from this engine's own classes, to show what
the XML loading itself costs at run time (nothing: the built trees are equal).
A fourth row ticks a second copy of the XML tree the way the tree host does,
through ``MissionRunner``'s ``tick_tree`` (py_trees' tick without its pass over
every behaviour for 'full' visitors, which the runner has none of).
"""
import argparse
import functools
import statistics
import time

import py_trees

from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.trees import load_string
from orchestrator_pkg.trees.runner import tick_tree

BRANCHES = 9


def xml_tree() -> str:
    """Return the benchmark tree as BT.CPP v4 XML."""
    branch = ('<Sequence name="branch{i}">'
              '<Inverter><AlwaysFailure/></Inverter>'
              '<Fallback><AlwaysFailure/><AlwaysSuccess/></Fallback>'
              + '<AlwaysSuccess/>' * 5 + '</Sequence>')
    body = ''.join(branch.format(i=i) for i in range(BRANCHES))
    return (f'<root BTCPP_format="4"><BehaviorTree ID="Bench"><Sequence name="root">{body}'
            '</Sequence></BehaviorTree></root>')


def plain_tree() -> py_trees.behaviour.Behaviour:
    """Return the same tree built with py_trees' own classes."""
    from py_trees.behaviours import Failure, Success
    from py_trees.composites import Selector, Sequence
    from py_trees.decorators import Inverter
    branches = []
    for i in range(BRANCHES):
        children = [Inverter('Inverter', Failure('AlwaysFailure')),
                    Selector('Fallback', memory=True,
                             children=[Failure('AlwaysFailure'), Success('AlwaysSuccess')])]
        children += [Success('AlwaysSuccess') for _ in range(5)]
        branches.append(Sequence(f'branch{i}', memory=True, children=children))
    return Sequence('root', memory=True, children=branches)


def engine_tree() -> py_trees.behaviour.Behaviour:
    """Return the same tree built by hand from this engine's classes (no XML, no loader)."""
    from orchestrator_pkg.behaviours.actions.basic import AlwaysFailure, AlwaysSuccess
    from orchestrator_pkg.behaviours.controls.fallback import Fallback
    from orchestrator_pkg.behaviours.controls.sequence import Sequence
    from orchestrator_pkg.behaviours.decorators.basic import Inverter
    branches = []
    for i in range(BRANCHES):
        children = [Inverter('Inverter', AlwaysFailure('AlwaysFailure')),
                    Fallback('Fallback', [AlwaysFailure('AlwaysFailure'),
                                          AlwaysSuccess('AlwaysSuccess')])]
        children += [AlwaysSuccess('AlwaysSuccess') for _ in range(5)]
        branches.append(Sequence(f'branch{i}', children))
    return Sequence('root', branches)


def count(root) -> int:
    """Return the number of behaviours under (and including) root."""
    return sum(1 for _ in root.iterate())


def time_ticks(tick, ticks: int) -> float:
    """Return seconds per call of ``tick`` over ``ticks`` calls."""
    start = time.perf_counter()
    for _ in range(ticks):
        tick()
    return (time.perf_counter() - start) / ticks


def main() -> int:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--ticks', type=int, default=2000, help='ticks per round')
    parser.add_argument('--rounds', type=int, default=15, help='interleaved rounds')
    args = parser.parse_args()

    built = load_string(xml_tree(), default_registry(plugins=False)).build()
    hosted = load_string(xml_tree(), default_registry(plugins=False)).build()
    plain = py_trees.trees.BehaviourTree(plain_tree())
    engine = py_trees.trees.BehaviourTree(engine_tree())
    nodes_xml, nodes_plain = count(built.root), count(plain.root)
    assert nodes_xml == nodes_plain == count(engine.root) == 100, (nodes_xml, nodes_plain)
    ticks = [built.tree.tick, plain.tick, engine.tick, functools.partial(tick_tree, hosted.tree)]
    for tree, tick in zip((built.tree, plain, engine, hosted.tree), ticks, strict=True):
        tick()
        assert tree.root.status == py_trees.common.Status.SUCCESS
        time_ticks(tick, 200)  # warm up

    trees = [(tick, []) for tick in ticks]
    for round_index in range(args.rounds):
        shift = round_index % len(trees)
        for tick, sink in trees[shift:] + trees[:shift]:
            sink.append(time_ticks(tick, args.ticks))
    xml_s, plain_s, engine_s, hosted_s = (statistics.median(sink) for _, sink in trees)
    ratio = xml_s / plain_s
    print('tick cost of a 100-node tree (median of '
          f'{args.rounds} rounds x {args.ticks} ticks)')
    print(f'  loaded from BT.CPP XML : {xml_s * 1e6:8.1f} us/tick  '
          f'{xml_s * 1e9 / nodes_xml:7.0f} ns/behaviour')
    print(f'  plain py_trees (hand)  : {plain_s * 1e6:8.1f} us/tick  '
          f'{plain_s * 1e9 / nodes_plain:7.0f} ns/behaviour')
    print(f'  engine classes by hand : {engine_s * 1e6:8.1f} us/tick  '
          f'{engine_s * 1e9 / nodes_plain:7.0f} ns/behaviour')
    print(f'  XML, the runner\'s tick : {hosted_s * 1e6:8.1f} us/tick  '
          f'{hosted_s * 1e9 / nodes_xml:7.0f} ns/behaviour')
    print(f'  ratio XML / plain      : {ratio:8.3f}   (target <= 1.15: '
          f'{"met" if ratio <= 1.15 else "NOT met"})')
    print(f'  ratio XML / by hand    : {xml_s / engine_s:8.3f}   (cost of loading from XML '
          'at run time)')
    print(f'  ratio runner\'s / XML   : {hosted_s / xml_s:8.3f}   (tick_tree against '
          'py_trees\' tick, the same tree)')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())

#!/usr/bin/env python3
"""Which recoveries help: BARN worlds with the navigation tree's recoveries taken out one by one.

Not a test. Run after ``source env.sh``::

    python bench/barn_recoveries.py --indices 222,228,282,292,294 [--runs 2]
        [--controller rpp] [--rtf 2] [--max-lead-s 0.05] [--variants full,no_backup]
        [--out-dir DIR [--resume]]

The baseline is the default navigation tree (Nav2's
``navigate_to_pose_w_replanning_and_recovery.xml``, ``full``). Each other variant
is the same tree with some recovery leaves replaced by ``AlwaysSuccess`` (so the
tree's shape, its retry counts and its 1 Hz replanning stay; only the action is
gone):

- ``no_clear``: every ``ClearEntireCostmap`` (the contextual clears after a
  failed FollowPath or ComputePathToPose, and the round robin's clearing step);
- ``no_spin``, ``no_wait``, ``no_backup``: the round robin's ``Spin``, ``Wait``,
  ``BackUp``;
- ``retry_only``: all of them: a failed FollowPath is retried at once with a new
  plan, and nothing else is done.

Every (world, run) runs each variant in turn (full, no_clear, ..., then the next
world), so machine load drifts over all alike; each run is one ``orchestrator
barn`` in its own ROS domain, with the variant's tree given as
``bt_navigator.default_nav_to_pose_bt_xml``. As in the benchmark, a goal that ends
with time left is sent again. Printed per variant: success, collision and timeout
rates, mean metric (0.5 scale), mean time of successes, and the sums of the tree's
counted ends over its runs (``FollowPath failed``: the controller's aborts; the
recoveries that ran); per world, each variant's outcomes. JSON of all runs in
``--out-dir``.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

from orchestrator_pkg.benchmark import barn
from orchestrator_pkg.commands.barn import default_barn_dir
from orchestrator_pkg.ros_edge.share import behavior_tree
from orchestrator_pkg.testing.ros_domain import claim_domain

DEFAULT_TREE = 'navigate_to_pose_w_replanning_and_recovery.xml'
# variant -> node types replaced by AlwaysSuccess
VARIANTS = {
    'full': (),
    'no_clear': ('ClearEntireCostmap',),
    'no_spin': ('Spin',),
    'no_wait': ('Wait',),
    'no_backup': ('BackUp',),
    'retry_only': ('ClearEntireCostmap', 'Spin', 'Wait', 'BackUp'),
}


def variant_tree(source: str, removed, target: str) -> int:
    """Write ``source`` with every leaf of a type in ``removed`` made AlwaysSuccess; count them."""
    tree = ET.parse(source)
    count = 0
    for element in tree.iter():
        if element.tag in removed:
            name = element.get('name', element.tag)
            element.tag = 'AlwaysSuccess'
            element.attrib = {'name': f'{name}-off'}
            count += 1
    tree.write(target, encoding='unicode')
    return count


def run_one(args, world: int, run: int, tree_file: str, out: str) -> dict:
    """One ``orchestrator barn`` run of one world with the given tree; its result row."""
    cmd = [sys.executable, '-m', 'orchestrator_pkg.cli', 'barn', '--indices', str(world),
           '--seed', str(args.seed + run), '--rtf', str(args.rtf),
           '--max-lead-s', str(args.max_lead_s), '--controller', args.controller,
           '--param', f'bt_navigator.default_nav_to_pose_bt_xml={tree_file}', '--out', out]
    with claim_domain() as claim:
        done = subprocess.run(cmd, env=claim.env(), capture_output=True, text=True,
                              timeout=900, check=False)
    if not os.path.exists(out):
        raise RuntimeError(f'no result (exit {done.returncode}):\n{done.stdout[-3000:]}'
                           f'\n{done.stderr[-3000:]}')
    with open(out) as f:
        (row,) = json.load(f)['runs']
    return row


def report(args, variants, worlds, rows, out_dir) -> None:
    """Print the table per variant and per world; write ``summary.json`` in ``out_dir``."""
    print(f'\n{args.controller}, rtf {args.rtf}, worlds {args.indices}, runs {args.runs}')
    print('stuck: runs in which FollowPath aborted at least once; out: of those, the '
          'successes')
    print(f'{"variant":<11} {"success":>7} {"coll":>5} {"timeout":>7} {"metric":>6} '
          f'{"t_ok":>6} {"stuck":>5} {"out":>3}  tree counts (sums)')
    table = {}
    for variant in variants:
        results = [barn.RunResult.from_dict(r) for r in rows[variant]]
        means = barn.summarize(results)
        sums = {}
        for r in results:
            for key, n in r.tree_counts.items():
                sums[key] = sums.get(key, 0) + n
        stuck = [r for r in results if r.tree_counts.get('FollowPath failed', 0) > 0]
        out = sum(r.status == 'succeeded' for r in stuck)
        table[variant] = {'means': means, 'stuck': len(stuck), 'stuck_succeeded': out,
                          'tree_counts': dict(sorted(sums.items())), 'runs': rows[variant]}
        print(f'{variant:<11} {means["success"]:7.2f} {means["collision"]:5.2f} '
              f'{means["timeout"]:7.2f} {means["metric"]:6.3f} '
              f'{means["mean_time_s_succeeded"]:6.1f} {len(stuck):5d} {out:3d}  '
              + ', '.join(f'{k} {n}' for k, n in sorted(sums.items())))
    print('\nper world (each run: s succeeded, t timeout, c collided, e error; '
          '* FollowPath aborted in it):')
    for world in worlds:
        cells = []
        for variant in variants:
            outcomes = [r['status'][0] + ('*' if r.get('tree_counts', {}).get(
                'FollowPath failed') else '') for r in rows[variant] if r['world'] == world]
            cells.append(f'{variant} {" ".join(outcomes)}')
        print(f'  {world:3d}: ' + '  '.join(cells))
    summary = os.path.join(out_dir, 'summary.json')
    with open(summary, 'w') as f:
        json.dump({'controller': args.controller, 'rtf': args.rtf, 'worlds': worlds,
                   'runs': args.runs, 'variants': table}, f, indent=1)
    print(f'wrote {summary}')


def main(argv=None) -> int:
    """Run every variant on every world and run, interleaved; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--indices', default='222,228,282,292,294',
                        help='BARN worlds (default: the tight worlds where RPP timed out)')
    parser.add_argument('--runs', type=int, default=1, help='runs per world and variant')
    parser.add_argument('--seed', type=int, default=0, help='sim seed of run 0 (run k: +k)')
    parser.add_argument('--controller', default='rpp', choices=('rpp', 'mppi'))
    parser.add_argument('--rtf', type=float, default=2.0)
    parser.add_argument('--max-lead-s', type=float, default=0.05)
    parser.add_argument('--variants', default=','.join(VARIANTS),
                        help='comma-separated, of: ' + ', '.join(VARIANTS))
    parser.add_argument('--out-dir', default=None, help='trees and results (default: a temp dir)')
    parser.add_argument('--resume', action='store_true',
                        help='keep the runs whose result is already in --out-dir (run the rest)')
    args = parser.parse_args(argv)
    variants = [v.strip() for v in args.variants.split(',') if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f'--variants: unknown {unknown}; known: {", ".join(VARIANTS)}')
    try:  # the runner's own parsing: ranges, 'all', and a one-line error naming the value
        available = barn.world_indices(os.path.join(default_barn_dir(), 'worlds'))
        worlds = barn.parse_indices(args.indices, available)
    except barn.BarnError as error:
        parser.error(str(error))
    out_dir = args.out_dir or tempfile.mkdtemp(prefix='barn_recoveries_')
    os.makedirs(out_dir, exist_ok=True)
    source = behavior_tree(DEFAULT_TREE)
    trees = {}
    for variant in variants:
        trees[variant] = os.path.join(out_dir, f'{variant}.xml')
        replaced = variant_tree(source, VARIANTS[variant], trees[variant])
        print(f'{variant}: {replaced} leaves made AlwaysSuccess -> {trees[variant]}', flush=True)
    rows = {v: [] for v in variants}
    for run in range(args.runs):
        for world in worlds:
            for variant in variants:
                out = os.path.join(out_dir, f'{variant}_w{world}_r{run}.json')
                if args.resume and os.path.exists(out):
                    with open(out) as f:
                        (row,) = json.load(f)['runs']
                else:
                    row = run_one(args, world, run, trees[variant], out)
                rows[variant].append(row)
                counts = ', '.join(f'{k} {n}' for k, n in row.get('tree_counts', {}).items())
                print(f'world {world:3d} run {run} {variant:<10} {row["status"]:<9} '
                      f'{row["time_s"]:6.1f} s metric {row["metric"]:.3f} '
                      f'attempts {row["nav_attempts"]}  [{counts}]', flush=True)
    report(args, variants, worlds, rows, out_dir)
    return 0


if __name__ == '__main__':
    sys.exit(main())

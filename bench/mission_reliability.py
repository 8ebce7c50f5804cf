"""Benchmark: fetch_and_deliver over N seeds — success, collisions, time, failure reasons.

Not a test. Run after ``source env.sh``::

    python bench/mission_reliability.py [--seeds N] [--first-seed S] [--rtf X]
    python bench/mission_reliability.py --only-seeds 6 13 --keep /tmp/mr  # look at failures

Every run is the whole stack, every node real (``orchestrator run``), in a ROS
domain of its own. Each seed varies three things:

- the sim's random draws (odometry and scan noise), through ``--seed``;
- where the four pickable objects stand: each moves along its shelf face by up
  to ``--object-jitter-m`` (the warehouse's objects stand in aisles beside
  shelves, so moving them along x keeps them in the aisle);
- the start pose: up to ``--start-jitter-m`` from the dock and
  ``--start-jitter-rad`` in heading.

The world of each seed is written as a YAML world (the warehouse with those
changes) into a temporary folder and given to ``--world``; the draw is
``numpy.random.default_rng(seed)``, so a seed's world is the same on every run.

Seed 0 runs first with the shipped warehouse unchanged: that is the same-run
baseline the other seeds' times are compared with (a ratio, since these
machines are noisy). Prints one line per run and then the totals: successes,
collisions, mean and worst sim time, and the failure reasons counted.
"""
import argparse
import collections
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile

import numpy as np
import yaml

from orchestrator_pkg.ros_edge.dds import DISCOVERY_RANGE_VAR, discovery_range


def _warehouse_path() -> str:
    from ament_index_python.packages import get_package_share_directory
    return os.path.join(get_package_share_directory('orchestrator_sim'), 'worlds',
                        'warehouse.yaml')


def seeded_world(base: dict, seed: int, object_jitter_m: float, start_jitter_m: float,
                 start_jitter_rad: float) -> dict:
    """Return the warehouse document with seed-drawn object positions and start pose."""
    rng = np.random.default_rng(seed)
    doc = json.loads(json.dumps(base))  # a deep copy of plain YAML data
    for obj in doc.get('objects', []):
        x, y = obj['position'][:2]
        obj['position'] = [round(float(x + rng.uniform(-object_jitter_m, object_jitter_m)), 3),
                           float(y)]
    dx, dy, dock_yaw = doc['dock']['position'][0], doc['dock']['position'][1], doc['dock'].get(
        'yaw', 0.0)
    angle = rng.uniform(0.0, 2.0 * np.pi)
    radius = rng.uniform(0.0, start_jitter_m)
    doc['spawn'] = [round(float(dx + radius * np.cos(angle)), 3),
                    round(float(dy + radius * np.sin(angle)), 3),
                    round(float(dock_yaw + rng.uniform(-start_jitter_rad, start_jitter_rad)), 3)]
    doc['name'] = f"{doc.get('name', 'warehouse')}_seed{seed}"
    return doc


def run_once(world: str, seed: int, rtf: float, timeout_s: float, workdir: str) -> dict:
    """Run fetch_and_deliver once; return the figures of its summary.json."""
    from orchestrator_pkg.testing.ros_domain import claim_domain

    summary = os.path.join(workdir, f'summary_{seed}.json')
    cmd = [sys.executable, '-m', 'orchestrator_pkg.cli', 'run', '--world', world,
           '--mission', 'fetch_and_deliver', '--seed', str(seed), '--rtf', str(rtf),
           '--timeout-s', str(timeout_s), '--summary-json', summary,
           '--run-dir', os.path.join(workdir, f'run_{seed}')]
    with claim_domain() as domain:
        proc = subprocess.run(cmd, env=domain.env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, check=False)
    if not os.path.exists(summary):
        return {'seed': seed, 'succeeded': False, 'collisions': 0, 'sim_time_s': float('nan'),
                'reason': f'no summary (exit {proc.returncode}): {proc.stdout[-300:]!r}'}
    with open(summary, encoding='utf-8') as f:
        report = json.load(f)
    robot = next(iter(report['robots'].values()))
    return {'seed': seed, 'succeeded': report['succeeded'], 'collisions': robot['collisions'],
            'sim_time_s': report['sim_time_s'], 'wall_time_s': report['wall_time_s'],
            'heartbeat_losses': robot['safety_stops']['heartbeat_losses'],
            'reason': report.get('reason') or ''}


def main() -> int:
    """Run the baseline and the seeds; print each run and the totals."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--seeds', type=int, default=20, help='seeded runs (default 20)')
    parser.add_argument('--first-seed', type=int, default=1, help='first seed (default 1)')
    parser.add_argument('--rtf', type=float, default=1.0, help='sim real-time factor')
    parser.add_argument('--timeout-s', type=float, default=300.0, help='per run, sim seconds')
    parser.add_argument('--object-jitter-m', type=float, default=0.4)
    parser.add_argument('--start-jitter-m', type=float, default=0.3)
    parser.add_argument('--start-jitter-rad', type=float, default=0.5)
    parser.add_argument('--only-seeds', type=int, nargs='+', metavar='SEED',
                        help='run just these seeds (e.g. the failures of a longer run)')
    parser.add_argument('--keep', metavar='DIR',
                        help='keep the worlds and run folders in DIR (default: a temporary '
                        'folder, removed)')
    args = parser.parse_args()
    os.environ[DISCOVERY_RANGE_VAR] = discovery_range(os.environ)  # as the runs' domains
    with open(_warehouse_path(), encoding='utf-8') as f:
        base = yaml.safe_load(f)
    print(f'cpus {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}, rtf {args.rtf:g}',
          flush=True)
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
    keeper = (contextlib.nullcontext(args.keep) if args.keep
              else tempfile.TemporaryDirectory(prefix='mission_reliability_'))
    seeds = args.only_seeds or range(args.first_seed, args.first_seed + args.seeds)
    with keeper as workdir:
        baseline = run_once('warehouse', 0, args.rtf, args.timeout_s, workdir)
        print(f"baseline (shipped warehouse, seed 0): "
              f"{'SUCCEEDED' if baseline['succeeded'] else 'FAILED'}, "
              f"collisions {baseline['collisions']}, sim {baseline['sim_time_s']:.1f} s "
              f"{baseline['reason']}", flush=True)
        results = []
        for seed in seeds:
            doc = seeded_world(base, seed, args.object_jitter_m, args.start_jitter_m,
                               args.start_jitter_rad)
            world = os.path.join(workdir, f'warehouse_seed{seed}.yaml')
            with open(world, 'w', encoding='utf-8') as f:
                yaml.safe_dump(doc, f, sort_keys=False)
            result = run_once(world, seed, args.rtf, args.timeout_s, workdir)
            results.append(result)
            print(f"seed {seed:3d}: {'SUCCEEDED' if result['succeeded'] else 'FAILED   '} "
                  f"collisions {result['collisions']}, sim {result['sim_time_s']:6.1f} s, "
                  f"heartbeat lapses {result.get('heartbeat_losses', '-')}, spawn {doc['spawn']}"
                  f"{'  ' + result['reason'] if result['reason'] else ''}", flush=True)
    ok = [r for r in results if r['succeeded']]
    times = [r['sim_time_s'] for r in ok]
    print(f"\nsuccess {len(ok)}/{len(results)}, collisions "
          f"{sum(r['collisions'] for r in results)} (in "
          f"{sum(1 for r in results if r['collisions'])} runs)")
    if times and baseline['succeeded']:
        print(f"sim time of successes: mean {statistics.mean(times):.1f} s, max {max(times):.1f} s"
              f" (x{statistics.mean(times) / baseline['sim_time_s']:.2f} and "
              f"x{max(times) / baseline['sim_time_s']:.2f} the baseline's "
              f"{baseline['sim_time_s']:.1f} s)")
    reasons = collections.Counter(r['reason'] for r in results if not r['succeeded'])
    for reason, count in reasons.most_common():
        print(f'  {count} x {reason}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())

#!/usr/bin/env python3
"""Benchmark (issue 17): one BARN campaign run sequentially and with --workers N, same session.

Not a test. Run after ``source env.sh``::

    python bench/campaign_workers.py [--worlds 0,6,12,18,24,30,36,42] [--runs 1]
                                     [--workers 2] [--rtf 2] [--controller rpp]

Writes a BARN campaign description for the worlds (each run a whole stack:
``orchestrator barn`` for one world and seed, in a ROS domain of its own), runs
it with ``--workers 1`` (the baseline: what ``orchestrator barn`` does, one run
after another) and then with ``--workers N``, each into a fresh folder, and
prints:

- the wall time of each campaign and the ratio (sequential / parallel);
- per run: both statuses and sim times side by side, and how many runs had the
  same outcome both ways (the sim is deterministic per seed, but a loaded
  machine changes the stack's timing, so the same seed need not give the same
  path: the count says how much it did);
- each campaign's summary line.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time


def run_campaign(path, out, workers):
    """Run ``orchestrator campaign``; return (wall s, exit code, {id: row})."""
    start = time.monotonic()
    proc = subprocess.run([sys.executable, '-m', 'orchestrator_pkg.cli', 'campaign', path,
                           '--workers', str(workers), '--out', out],
                          capture_output=True, text=True)
    wall = time.monotonic() - start
    rows = {}
    results = os.path.join(out, 'results.jsonl')
    if os.path.exists(results):
        with open(results) as f:
            for line in f:
                row = json.loads(line)
                if row.get('final'):
                    rows[row['id']] = row
    summary = [line for line in proc.stdout.splitlines() if ' runs, success ' in line]
    return wall, proc.returncode, rows, summary, proc.stderr


def main() -> int:
    """Run the campaign both ways and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--worlds', default='0,6,12,18,24,30,36,42')
    parser.add_argument('--runs', type=int, default=1)
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--rtf', type=float, default=2.0)
    parser.add_argument('--controller', default='rpp', choices=('rpp', 'mppi'))
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix='campaign_workers_')
    path = os.path.join(folder, 'bench.yaml')
    with open(path, 'w') as f:
        f.write(f'name: bench\nbenchmark: barn\nbarn: {{worlds: "{args.worlds}", '
                f'runs: {args.runs}}}\nrtf: {args.rtf}\n'
                f'variants:\n  - {{name: {args.controller}, controller: {args.controller}}}\n')
    results = {}
    for workers in (1, args.workers):
        out = os.path.join(folder, f'workers_{workers}')
        results[workers] = run_campaign(path, out, workers)
        wall, code, rows, summary, stderr = results[workers]
        print(f'--workers {workers}: {len(rows)} runs in {wall:.1f} s wall, exit {code}'
              + (f'\n{stderr.strip()}' if code not in (0, 1) else ''), flush=True)
        for line in summary:
            print(f'  {line}')
    base_wall, _, base_rows, _, _ = results[1]
    par_wall, _, par_rows, _, _ = results[args.workers]
    print(f'\n{"run":<24} {"sequential":<22} {"workers " + str(args.workers):<22}')
    same = 0
    for run_id in sorted(set(base_rows) | set(par_rows)):
        a, b = base_rows.get(run_id, {}), par_rows.get(run_id, {})
        cell = lambda r: f'{r.get("status", "-")} {r.get("time_s") or 0:6.1f} s'  # noqa: E731
        same += a.get('status') == b.get('status')
        print(f'{run_id:<24} {cell(a):<22} {cell(b):<22}')
    print(f'\nsame outcome both ways: {same} of {len(base_rows)}')
    print(f'wall time: sequential {base_wall:.1f} s, --workers {args.workers} {par_wall:.1f} s, '
          f'speed-up x{base_wall / par_wall:.2f} (same session; files in {folder})')
    return 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
"""As fast as possible: the demo mission at ``--rtf 0`` on bringup variants, alternated.

Not a test. Run after ``source env.sh``::

    python bench/fast_runs.py [--bringup FILE ...] [--rounds 2] [--mission deliver]
                              [--rtf 0]

Each variant (a bringup description; the installed bringup.yaml when none is
given, and always first, as the baseline) runs the mission with
``orchestrator run --rtf RTF --summary-json`` in a private ROS domain, the
variants in turns (A, B, A, B, ...) so that a machine whose load drifts weighs
on all alike. Printed per run and per variant: the outcome, the sim seconds the
mission took, the wall seconds of the run, the achieved real-time factor, and
base_driver's safety stops (heartbeat lapses: the orchestrator fell behind the
sim clock and the robot was held; stale commands: the controller's commands
stopped reaching base_driver within its timeout_s while the robot moved). The
same outcome in about the same sim time as at rtf 1, with no lapses, is what "as
fast as possible" must keep.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

from orchestrator_pkg.testing.ros_domain import claim_domain


def run_once(bringup, args, summary_path) -> dict:
    """Run the mission once; return the summary's figures."""
    cmd = [sys.executable, '-m', 'orchestrator_pkg.cli', 'run', '--mission', args.mission,
           '--world', args.world, '--rtf', str(args.rtf), '--timeout-s', str(args.timeout_s),
           '--summary-json', summary_path]
    if bringup:
        cmd += ['--bringup', bringup]
    with claim_domain() as claim:
        done = subprocess.run(cmd, env=claim.env(), capture_output=True, text=True,
                              timeout=args.timeout_s * 4 + 300, check=False)
    if not os.path.exists(summary_path):
        raise RuntimeError(f'no summary (exit {done.returncode}):\n{done.stdout[-3000:]}')
    with open(summary_path) as f:
        summary = json.load(f)
    robots = list(summary['robots'].values())
    return {'outcome': summary['outcome'], 'sim_s': summary['sim_time_s'],
            'wall_s': summary['wall_time_s'], 'rtf': summary['rtf']['achieved'],
            'lapses': sum(r['safety_stops']['heartbeat_losses'] for r in robots),
            'stale': sum(r['safety_stops'].get('command_timeouts', 0) for r in robots),
            'collisions': sum(r['collisions'] for r in robots)}


def main(argv=None) -> int:
    """Run every variant in turns; print each run and the means per variant."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--bringup', action='append', default=[],
                        help='a bringup description to compare with the installed one '
                             '(repeatable)')
    parser.add_argument('--rounds', type=int, default=2, help='runs per variant, interleaved')
    parser.add_argument('--world', default='warehouse')
    parser.add_argument('--mission', default='deliver', help='the demo mission')
    parser.add_argument('--rtf', type=float, default=0.0,
                        help='sim real-time factor (default 0: as fast as possible)')
    parser.add_argument('--timeout-s', type=float, default=400.0,
                        help='mission timeout, sim seconds')
    args = parser.parse_args(argv)
    variants = ['', *args.bringup]
    labels = ['bringup.yaml (installed)', *args.bringup]
    load0 = os.getloadavg()[0]
    runs = {v: [] for v in variants}
    with tempfile.TemporaryDirectory(prefix='fast_runs_') as tmp:
        for round_ in range(args.rounds):
            for i, variant in enumerate(variants):
                fig = run_once(variant, args, os.path.join(tmp, f'{round_}_{i}.json'))
                runs[variant].append(fig)
                print(f'round {round_ + 1}, {labels[i]}: {fig["outcome"]}, {fig["sim_s"]:.1f} '
                      f'sim s in {fig["wall_s"]:.1f} wall s (x{fig["rtf"]:.2f}), '
                      f'{fig["lapses"]} heartbeat lapse(s), {fig["stale"]} stale command(s), '
                      f'{fig["collisions"]} collision(s)',
                      flush=True)
    print(f'\nworld {args.world}, mission {args.mission}, --rtf {args.rtf:g}; '
          f'{os.cpu_count()} CPUs, load average {load0:.1f} at start, '
          f'{os.getloadavg()[0]:.1f} at end; {args.rounds} run(s) per variant, interleaved')
    for variant, label in zip(variants, labels, strict=True):
        figs = runs[variant]
        outcomes = ', '.join(sorted({f['outcome'] for f in figs}))
        print(f'{label}: {outcomes}; sim s {statistics.fmean(f["sim_s"] for f in figs):.1f}, '
              f'wall s {statistics.fmean(f["wall_s"] for f in figs):.1f}, '
              f'RTF {statistics.fmean(f["rtf"] for f in figs):.2f}, heartbeat lapses '
              f'{statistics.fmean(f["lapses"] for f in figs):.1f}, stale commands '
              f'{statistics.fmean(f["stale"] for f in figs):.1f}, collisions '
              f'{sum(f["collisions"] for f in figs)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

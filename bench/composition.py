#!/usr/bin/env python3
"""Composed mode against one process per node: memory, CPU and pace of the demo mission.

Not a test. Run after ``source env.sh``::

    python bench/composition.py [--rounds 2] [--mission deliver] [--rtf 1]
                                [--bringup FILE]

The demo mission runs under ``orchestrator run`` (``stack()`` of
bench/stack_rtf_rss.py, with bench/stack_profile.py's per-process sampling and
no message counting), alternately without and with ``--composition``
(separate, composed, separate, ...), so that a machine whose load drifts
weighs on both alike. Per run, from the mission sent to its result: the
outcome, sim and wall seconds, the whole runner tree's RSS (peak and mean, sum
of VmRSS) and CPU seconds per sim second (utime + stime of every process), and
the process count; per mode the means, and the composed figures as ratios to
the separate ones of the same run.
"""
import argparse
import functools
import os
import statistics
import sys

from stack_profile import Probe
from stack_rtf_rss import stack

MODES = (('separate', False), ('composed', True))


def one_run(args, composed: bool) -> dict:
    """Run the mission once in one mode; return its figures."""
    run = argparse.Namespace(**vars(args), composition=composed)
    fig = stack(run, 1, functools.partial(Probe, count_messages=False))
    return {'outcome': ','.join(fig['outcomes']), 'sim_s': fig['window_sim_s'],
            'wall_s': fig['window_wall_s'], 'rtf': fig['window_rtf'],
            'rss_peak': fig['rss_peak_mib'], 'rss_mean': fig['rss_mean_mib'],
            'pss_peak': fig['pss_peak_mib'], 'pss_mean': fig['pss_mean_mib'],
            'cpu': fig['stack_cpu_per_sim_s'], 'processes': len(fig['processes']),
            'rows': {k: v['cpu_s'] / fig['window_sim_s'] for k, v in fig['processes'].items()}}


def main(argv=None) -> int:
    """Alternate the two modes; print each run and the means."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--world', default='warehouse')
    parser.add_argument('--mission', default='deliver')
    parser.add_argument('--rtf', type=float, default=1.0)
    parser.add_argument('--timeout-s', type=float, default=400.0)
    parser.add_argument('--bringup', default=None,
                        help='a bringup description for both modes (default: bringup.yaml), '
                             'e.g. one that marks other nodes composable')
    args = parser.parse_args(argv)
    runs = {name: [] for name, _ in MODES}
    for round_ in range(args.rounds):
        for name, composed in MODES:
            load = os.getloadavg()[0]
            fig = one_run(args, composed)
            runs[name].append(fig)
            print(f'round {round_ + 1}, {name:8s}: {fig["outcome"]}, {fig["sim_s"]:.1f} sim s '
                  f'in {fig["wall_s"]:.1f} wall s (x{fig["rtf"]:.2f}), RSS peak '
                  f'{fig["rss_peak"]:.0f} MiB, mean {fig["rss_mean"]:.0f} MiB, PSS peak '
                  f'{fig["pss_peak"]:.0f} MiB, mean {fig["pss_mean"]:.0f} MiB, '
                  f'{fig["cpu"]:.3f} CPU s/sim s, {fig["processes"]} processes '
                  f'(load {load:.1f} at the start)', flush=True)
            for label, cpu in sorted(fig['rows'].items(), key=lambda kv: -kv[1]):
                print(f'    {label:60s} {cpu:.3f} CPU s/sim s')
    print(f'\nbringup {args.bringup or "bringup.yaml"}, world {args.world}, '
          f'mission {args.mission}, --rtf {args.rtf:g}, '
          f'{args.rounds} round(s), {os.cpu_count()} cpus')
    means = {}
    for name, figs in runs.items():
        means[name] = {k: statistics.fmean(f[k] for f in figs)
                       for k in ('sim_s', 'wall_s', 'rtf', 'rss_peak', 'rss_mean', 'pss_peak',
                                 'pss_mean', 'cpu')}
        m = means[name]
        print(f'{name:8s}: {[f["outcome"] for f in figs]}; RSS peak {m["rss_peak"]:.0f} MiB, '
              f'mean {m["rss_mean"]:.0f} MiB; PSS peak {m["pss_peak"]:.0f} MiB, mean '
              f'{m["pss_mean"]:.0f} MiB; {m["cpu"]:.3f} CPU s/sim s; x{m["rtf"]:.2f} '
              f'real time; {m["sim_s"]:.1f} sim s')
    sep, comp = means['separate'], means['composed']
    print(f'composed / separate: RSS peak {comp["rss_peak"] / sep["rss_peak"]:.2f}, '
          f'mean {comp["rss_mean"] / sep["rss_mean"]:.2f}, PSS peak '
          f'{comp["pss_peak"] / sep["pss_peak"]:.2f}, mean '
          f'{comp["pss_mean"] / sep["pss_mean"]:.2f}, CPU s/sim s '
          f'{comp["cpu"] / sep["cpu"]:.2f}, real-time factor {comp["rtf"] / sep["rtf"]:.2f}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
"""What the sim's /clock rate costs the whole stack: CPU per sim second at each rate.

Not a test. Run after ``source env.sh``::

    python bench/clock_rate.py [--rates 100,50] [--rounds 2] [--mission deliver] [--rtf 1]

Every node subscribes to /clock (``use_sim_time``), so each /clock message wakes
every process of the stack. For each rate, in turns (rate A, rate B, rate A,
rate B, ... so that a machine whose load drifts weighs on both alike), the demo
stack is started with ``orchestrator run`` on a copy of bringup.yaml whose sim
gets ``clock_rate_hz: RATE``, and bench/stack_profile.py's probe (CPU and RSS
only, no message counting) measures it from the moment the mission is sent
until its result. Figures are per sim second; the first rate is the baseline
and every other rate is printed as a ratio to it, per node and for the stack.
"""
import argparse
import functools
import os
import statistics
import sys
import tempfile

from ament_index_python.packages import get_package_share_directory
from stack_profile import Probe
from stack_rtf_rss import stack
import yaml


def bringup_with_clock_rate(rate: float, directory: str) -> str:
    """Write bringup.yaml with the sim's clock_rate_hz set to ``rate``; return its path."""
    source = os.path.join(get_package_share_directory('orchestrator_pkg'), 'config',
                          'bringup.yaml')
    with open(source) as f:
        data = yaml.safe_load(f)
    sims = [n for n in data['bringup']['nodes'] if n['name'] == 'sim']
    if len(sims) != 1:
        raise RuntimeError(f'{source}: expected one node named sim, found {len(sims)}')
    sims[0].setdefault('overrides', {})['clock_rate_hz'] = float(rate)
    path = os.path.join(directory, f'bringup_clock_{rate:g}hz.yaml')
    with open(path, 'w') as f:
        yaml.safe_dump(data, f, sort_keys=False)
    return path


def main(argv=None) -> int:
    """Run the demo stack at each clock rate in turns; print CPU per sim s and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rates', default='100,50',
                        help='comma-separated /clock rates in Hz; the first is the baseline')
    parser.add_argument('--rounds', type=int, default=2, help='runs per rate, interleaved')
    parser.add_argument('--world', default='warehouse')
    parser.add_argument('--mission', default='deliver', help='the demo mission')
    parser.add_argument('--rtf', type=float, default=1.0,
                        help="sim real-time factor (default: the demo's 1)")
    parser.add_argument('--timeout-s', type=float, default=400.0,
                        help='mission timeout, sim seconds')
    args = parser.parse_args(argv)
    rates = [float(r) for r in args.rates.split(',') if r.strip()]
    if len(rates) < 2:
        parser.error('--rates: give at least two rates (the first is the baseline)')
    load0 = os.getloadavg()[0]
    runs = {rate: [] for rate in rates}
    with tempfile.TemporaryDirectory(prefix='clock_rate_') as tmp:
        files = {rate: bringup_with_clock_rate(rate, tmp) for rate in rates}
        for round_ in range(args.rounds):
            for rate in rates:
                args.bringup = files[rate]
                fig = stack(args, 1, functools.partial(Probe, count_messages=False))
                runs[rate].append(fig)
                print(f'round {round_ + 1}, /clock {rate:g} Hz: stack '
                      f'{fig["stack_cpu_per_sim_s"]:.3f} CPU s/sim s, RTF '
                      f'{fig["window_rtf"]:.2f}, outcome {", ".join(fig["outcomes"])}',
                      flush=True)
    print(f'\nworld {args.world}, mission {args.mission}, rtf setting {args.rtf:g}; '
          f'{os.cpu_count()} CPUs, load average {load0:.1f} at start, '
          f'{os.getloadavg()[0]:.1f} at end; {args.rounds} run(s) per rate, interleaved')
    base = rates[0]

    def mean(rate, key):
        return statistics.fmean(f[key] for f in runs[rate])

    def node_mean(rate, label):
        return statistics.fmean(f['processes'].get(label, {}).get('cpu_per_sim_s', 0.0)
                                for f in runs[rate])

    header = f'{"CPU s per sim s":<36}' + ''.join(f'{r:>10g} Hz' for r in rates)
    print(header + ''.join(f'  {r:g}/{base:g}' for r in rates[1:]))
    labels = sorted({label for f in runs[base] for label in f['processes']},
                    key=lambda label: -node_mean(base, label))
    for label in labels:
        values = [node_mean(rate, label) for rate in rates]
        ratios = ''.join(f'  {v / values[0]:6.2f}x' if values[0] else '      - '
                         for v in values[1:])
        print(f'{label[:36]:<36}' + ''.join(f'{v:13.3f}' for v in values) + ratios)
    values = [mean(rate, 'stack_cpu_per_sim_s') for rate in rates]
    print(f'{"whole stack":<36}' + ''.join(f'{v:13.3f}' for v in values)
          + ''.join(f'  {v / values[0]:6.2f}x' for v in values[1:]))
    print(f'{"achieved RTF":<36}' + ''.join(f'{mean(rate, "window_rtf"):13.2f}'
                                            for rate in rates))
    print(f'{"sim s of the mission":<36}' + ''.join(f'{mean(rate, "window_sim_s"):13.1f}'
                                                    for rate in rates))
    return 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
"""How long ``orchestrator`` CLI commands take against a running stack, and with none.

Not a test. Run after ``source env.sh``::

    python bench/cli_latency.py [--rounds 5] [--mission patrol] [--rtf 1]

Starts the demo stack with ``orchestrator run`` (the runner, as ``make demo``
does) in a private ROS domain, running ``--mission`` (patrol, 20 laps, so it
outlasts the measurement), and once the mission is sent, runs each command
``--rounds`` times, one after the other:

- baseline: ``python -c 'import rclpy; rclpy.init(); rclpy.shutdown()'``, the
  least any ROS command line tool costs here;
- ``orchestrator pause``, ``orchestrator tree --once``, ``orchestrator resume``;
- after the stack is stopped: ``orchestrator pause`` with no orchestrator.

Figures per command: wall seconds and the CPU seconds it used (user + sys, of
the command and its children, from ``wait4``), median and max, and the median
wall time as a ratio to the baseline's, measured in the same run at the same
load. On a loaded 2-core machine the wall time is mostly waiting for a CPU, so
the CPU seconds say what a command costs and the ratio what it costs relative
to starting ROS at all.

Also per command: the UDP datagrams the kernel dropped on this machine while it
ran because a socket's receive buffer was full (``RcvbufErrors`` of
``/proc/net/snmp``, machine-wide, so the stack's sockets count too). A new
participant receives the whole graph's endpoint announcements at once; the
ones dropped are sent again only at Fast DDS's next discovery heartbeat, 1 s
later (config/fastdds.xml).
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

from orchestrator_pkg.testing.processes import ManagedProcess
from orchestrator_pkg.testing.ros_domain import claim_domain

START_WAIT_S = 300.0
BASELINE = [sys.executable, '-c', 'import rclpy; rclpy.init(); rclpy.shutdown()']


def udp_receive_drops() -> int:
    """Return this machine's count of UDP datagrams dropped for a full receive buffer."""
    with open('/proc/net/snmp') as snmp:
        rows = [line.split() for line in snmp if line.startswith('Udp:')]
    names, values = rows[0], rows[1]
    return int(values[names.index('RcvbufErrors')])


def timed(argv, env):
    """Run ``argv``; return (wall s, cpu s, exit code, UDP receive drops meanwhile)."""
    drops = udp_receive_drops()
    start = time.monotonic()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    return (wall, usage.ru_utime + usage.ru_stime, proc.returncode,
            udp_receive_drops() - drops)


def report(name, samples, base_median=None):
    """Print one line: wall and CPU median/max, exit codes, ratio to the baseline."""
    walls = [sample[0] for sample in samples]
    cpus = [sample[1] for sample in samples]
    codes = sorted({sample[2] for sample in samples})
    drops = [sample[3] for sample in samples]
    ratio = (f'  x{statistics.median(walls) / base_median:5.1f} baseline'
             if base_median else '')
    print(f'{name:28s} wall median {statistics.median(walls):5.2f} max {max(walls):5.2f} s'
          f'  cpu median {statistics.median(cpus):4.2f} s  exit {codes}'
          f'  UDP drops median {statistics.median(drops):g} max {max(drops)}{ratio}')


def main() -> int:
    """Start the stack, time the commands, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--world', default='warehouse')
    parser.add_argument('--mission', default='patrol')
    parser.add_argument('--input', action='append', default=['laps=20'])
    parser.add_argument('--rtf', type=float, default=1.0)
    args = parser.parse_args()
    commands = {'orchestrator pause': ['orchestrator', 'pause'],
                'orchestrator tree --once': ['orchestrator', 'tree', '--once'],
                'orchestrator resume': ['orchestrator', 'resume']}
    samples = {name: [] for name in ['baseline (rclpy init)', *commands]}
    with claim_domain() as claim:
        env = claim.env()
        run = ManagedProcess(
            ['orchestrator', 'run', '--world', args.world, '--mission', args.mission,
             *[f'--input={value}' for value in args.input], '--rtf', str(args.rtf),
             '--run-dir', f'/tmp/cli_latency_{os.getpid()}'], env=env)
        with run:
            if not run.wait_for_output(f"mission '{args.mission}' sent", START_WAIT_S):
                print(f'the stack did not start:\n{run.output()[-3000:]}')
                return 1
            time.sleep(5.0)  # the mission under way
            loads = []
            for _ in range(args.rounds):
                loads.append(os.getloadavg()[0])
                samples['baseline (rclpy init)'].append(timed(BASELINE, env))
                for name, argv in commands.items():
                    samples[name].append(timed(argv, env))
        alone = [timed(['orchestrator', 'pause'], env) for _ in range(args.rounds)]
        alone_base = [timed(BASELINE, env) for _ in range(args.rounds)]
    print(f'cpus {os.cpu_count()}, load average during the stack rounds: '
          f'{min(loads):.1f}..{max(loads):.1f}')
    print(f'against a running stack ({args.mission}, rtf {args.rtf:g}), {args.rounds} rounds:')
    base = statistics.median(sample[0] for sample in samples['baseline (rclpy init)'])
    for name, values in samples.items():
        report(name, values, None if name.startswith('baseline') else base)
    print('with no stack:')
    report('baseline (rclpy init)', alone_base)
    report('orchestrator pause', alone, statistics.median(sample[0] for sample in alone_base))
    return 0


if __name__ == '__main__':
    sys.exit(main())

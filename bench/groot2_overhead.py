#!/usr/bin/env python3
"""What the Groot2 monitor adds to a tick, with a Groot2 client attached, against no monitor.

Not a test. Run after ``source env.sh``::

    python bench/groot2_overhead.py [--ticks 100] [--rounds 60] [--poll-hz 20]

Two MissionRunners of the same 100-node tree (bench/bt_tick_cost.py's: every
node changes status every tick, the monitor's worst case) are ticked as the
tree host ticks them: ``tick()``, then ``take_changes()`` (the host publishes
those anyway). The monitored one also hands the changes to a real
:class:`~orchestrator_pkg.nodes.groot2_monitor.Groot2Monitor` (ZeroMQ server
thread on a free port), while a client thread, written from the protocol,
asks it for the statuses ``--poll-hz`` times a second (Groot2 polls) and for
the whole tree once a second. Each round times both, one right after the
other (which goes first alternates), so load from elsewhere hits a pair alike;
the figure is the median of the per-round ratios monitored / unmonitored (the
issue's bound: at most 1.05), with its interquartile range, and the median tick
times.
"""
import argparse
import logging
import statistics
import struct
import threading
import time

from bt_tick_cost import xml_tree  # the same 100-node tree
import zmq

from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.nodes.groot2_monitor import Groot2Monitor
from orchestrator_pkg.testing.ports import free_port_pair
from orchestrator_pkg.trees import load_string
from orchestrator_pkg.trees.clock import MonotonicClock
from orchestrator_pkg.trees.runner import MissionRunner


def poll(port: int, hz: float, stop: threading.Event, counts: dict) -> None:
    """Ask for the statuses at ``hz``, and for the tree once a second, until ``stop``."""
    context = zmq.Context()
    client = context.socket(zmq.REQ)
    client.setsockopt(zmq.RCVTIMEO, 2000)
    client.connect(f'tcp://127.0.0.1:{port}')
    request_id, last_tree = 0, 0.0
    try:
        while not stop.is_set():
            request_id += 1
            kind = b'T' if time.monotonic() - last_tree >= 1.0 else b'S'
            last_tree = time.monotonic() if kind == b'T' else last_tree
            client.send_multipart([struct.pack('<BB', 2, kind[0]) + struct.pack('<I', request_id)])
            reply = client.recv_multipart()
            counts['error' if reply[0] == b'error' else kind.decode()] += 1
            stop.wait(1.0 / hz)
    finally:
        context.destroy(linger=0)


def time_ticks(runner, ticks: int, monitor=None) -> float:
    """Return seconds per host tick over ``ticks`` ticks."""
    start = time.perf_counter()
    for _ in range(ticks):
        runner.tick()
        changes = runner.take_changes()
        if monitor is not None:
            monitor.update(runner, changes)
    return (time.perf_counter() - start) / ticks


def main() -> int:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--ticks', type=int, default=100, help='ticks per round')
    parser.add_argument('--rounds', type=int, default=60, help='paired rounds')
    parser.add_argument('--poll-hz', type=float, default=20.0, help='client status requests/s')
    args = parser.parse_args()
    registry = default_registry(plugins=False)
    clock = MonotonicClock()
    plain = MissionRunner(load_string(xml_tree(), registry).build(clock=clock), 'bench', clock)
    watched = MissionRunner(load_string(xml_tree(), registry).build(clock=clock), 'bench',
                            clock)
    port = free_port_pair()
    monitor = Groot2Monitor(port, logging.getLogger('groot2'))
    stop, counts = threading.Event(), {'S': 0, 'T': 0, 'error': 0}
    client = threading.Thread(target=poll, args=(port, args.poll_hz, stop, counts))
    try:
        time_ticks(plain, 100)
        time_ticks(watched, 100, monitor)  # warm up; the monitor describes the tree
        client.start()
        samples = {'plain': [], 'watched': []}
        started = time.monotonic()
        for index in range(args.rounds):
            pair = [('plain', plain, None), ('watched', watched, monitor)]
            for name, runner, mon in (pair if index % 2 == 0 else pair[::-1]):
                samples[name].append(time_ticks(runner, args.ticks, mon))
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        client.join(5.0)
        monitor.close()
    nodes = sum(1 for _ in plain.built.root.iterate())
    plain_s, watched_s = (statistics.median(samples[k]) for k in ('plain', 'watched'))
    ratios = sorted(w / p for p, w in zip(samples['plain'], samples['watched'], strict=True))
    ratio = statistics.median(ratios)
    q1, q3 = ratios[len(ratios) // 4], ratios[(3 * len(ratios)) // 4]
    print(f'host tick of a {nodes}-node tree, every node changing every tick '
          f'(median of {args.rounds} rounds x {args.ticks} ticks, {elapsed:.1f} s)')
    print(f'  no monitor                     : {plain_s * 1e6:8.1f} us/tick')
    print(f'  Groot2 monitor, client polling : {watched_s * 1e6:8.1f} us/tick  '
          f'({counts["S"]} status and {counts["T"]} tree requests answered, '
          f'{counts["error"]} errors, {args.poll_hz:g} Hz)')
    print(f'  ratio monitored / none         : {ratio:8.3f}   (median of the rounds\' '
          f'ratios, quartiles {q1:.3f}..{q3:.3f}; bound <= 1.05: '
          f'{"met" if ratio <= 1.05 else "NOT met"})')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())

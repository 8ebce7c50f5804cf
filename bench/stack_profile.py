#!/usr/bin/env python3
"""Per-node CPU, messages and memory of the whole stack while the demo mission runs.

Not a test. Run after ``source env.sh``::

    python bench/stack_profile.py [--world warehouse] [--mission deliver] [--rtf 1]
                                  [--json FILE] [--no-messages] [--run-dir DIR]
                                  [--composition] [--bringup FILE]
                                  [--param NODE.PARAMETER=VALUE ...]

The stack is started as the demo starts it (``orchestrator run``, the runner,
in a private ROS domain; ``stack()`` of bench/stack_rtf_rss.py) and measured
from the moment the mission is sent until its result. Every figure is per sim
second of that window (sim time from /clock), so a run the machine slowed down
costs the same per sim second as a fast one.

Per process of the runner's tree (each node runs as its own process, named
here by its ``__node:=``/``__ns:=`` arguments; the runner itself hosts the
recorder, with ``--run-dir``, and the mission session):

- CPU s/sim s: utime + stime from /proc/PID/stat (all threads), over the window;
- msgs out/s: messages published on the topics the node publishes;
- msgs in/s: messages delivered to the node's subscriptions (a topic's
  messages once per subscription the node has on it, while it exists);
- RSS: VmRSS sampled every 0.5 s, peak and mean; and PSS (smaps_rollup), mean: the
  whole stack's PSS is its memory with each shared page counted once.

Messages are counted by a probe node in this process: it finds every topic in
the graph and subscribes to it with a serialized (raw) subscription, reliable
when every publisher is reliable, best effort otherwise, volatile (compatible
with every publisher). Graph endpoints are attributed to processes by the
process id in their Fast DDS GUID, else by node name. A topic with one
publishing process gives it all its messages; with several (in the demo /tf,
/cmd_vel, /cmd_vel_nav, /e_stop, /rosout, /parameter_events) the count is
split equally between them and marked ``*``: rclpy Jazzy's MessageInfo has no
publisher GID, so a message cannot be traced to its writer. The writers'
sequence numbers still tell how many of them published and at what rate,
which is printed under the table. Messages the probe lost (sequence gaps of a
single writer) are added back. Services (and actions' goal, result and cancel
services) are not topics and are not counted; actions' feedback and status
topics are. /clock is counted by the probe's /clock subscription.

The probe is not part of the stack's figures: it is excluded from the graph
and its CPU is printed on its own line. It receives every message, so it adds
to the machine's load (and every publisher sends one more copy of each
message), which slows a loaded machine; ``--no-messages`` measures CPU and RSS
without it.
"""
import argparse
import bisect
import collections
import functools
import importlib
import json
import os
import statistics
import sys
import time

from _ros_bench import env_note
from ament_index_python.packages import get_package_prefix
from rclpy.event_handler import SubscriptionEventCallbacks
from rclpy.qos import DurabilityPolicy, QoSProfile, ReliabilityPolicy
from stack_rtf_rss import SAMPLE_S, Watch, process_tree, pss_kib, rss_kib, stack

PROBE = 'stack_profile_probe'
TICK = os.sysconf('SC_CLK_TCK')
DISCOVER_S = 0.5  # wall: how often the probe looks for new topics
ENDPOINTS_EVERY = 4  # discoveries: how often it refreshes every topic's endpoints
QOS_DEPTH = 100
CHAIN_GAP = 100  # messages a writer's chain may skip (lost by the probe) and go on
FASTDDS_VENDOR = (1, 15)  # eProsima's vendor id, the first two bytes of a Fast DDS GUID
RUNNER = 'orchestrator run (runner)'
SPLIT_MARK = 0.05  # msgs/sim s: a process's out figure is marked when its split share is more

Sample = collections.namedtuple('Sample', 'wall procs counts clock_n probe_ticks machine')


def cpu_ticks(pid: int):
    """Return utime + stime of one process in clock ticks (None if it is gone)."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            fields = f.read().rsplit(')', 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, ValueError, IndexError):
        return None


def machine_ticks():
    """Return (busy, total) clock ticks of all CPUs since boot, from /proc/stat."""
    with open('/proc/stat') as f:
        values = [int(v) for v in f.readline().split()[1:9]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def process_label(pid: int) -> str:
    """Name a process of the runner's tree: its ROS node (``__ns``/``__node``) or what it runs."""
    try:
        with open(f'/proc/{pid}/cmdline', 'rb') as f:
            argv = [a.decode('utf-8', 'replace') for a in f.read().split(b'\0') if a]
    except OSError:
        return f'pid {pid}'
    name = ns = None
    if any(os.path.basename(a) == 'node_container' for a in argv[:2]):  # composed mode
        names = [a.split(':=', 1)[1] for a in argv if a.startswith('__node:=')]
        spaces = {a.split(':=', 1)[1].strip('/') for a in argv if a.startswith('__ns:=')}
        where = f'{spaces.pop()}/' if len(spaces) == 1 else ''
        return f'{where}node_container ({", ".join(names)})'
    for arg in argv:
        if arg.startswith('__node:='):
            name = arg.split(':=', 1)[1]
        elif arg.startswith('__ns:='):
            ns = arg.split(':=', 1)[1].strip('/')
    if name:
        return f'{ns}/{name}' if ns else name
    if 'orchestrator_pkg.cli' in argv:
        return RUNNER
    if not argv:  # a zombie (exited, not reaped yet) has an empty command line
        return f'pid {pid}'
    script = argv[1] if len(argv) > 1 and 'python' in os.path.basename(argv[0]) else argv[0]
    return os.path.basename(script)


def message_class(type_name: str):
    """Return the Python class of ``pkg/msg/Type`` (also an action's ``Type_FeedbackMessage``)."""
    package, kind, name = type_name.split('/')
    module = importlib.import_module(f'{package}.{kind}')
    if hasattr(module, name):
        return getattr(module, name)
    base, _, part = name.partition('_')  # e.g. NavigateToPose_FeedbackMessage
    return getattr(getattr(module, base).Impl, part)


def node_key(info) -> str:
    """Return a graph endpoint's node as ``ns/name`` (no leading slash), like process_label."""
    ns = info.node_namespace.strip('/')
    return f'{ns}/{info.node_name}' if ns else info.node_name


class Probe(Watch):
    """Watch (/clock, tree RSS) that also samples each process and counts every topic.

    Its subscriptions have no QoS event handlers: rclpy's default ones add an
    entry per subscription to the wait set, which the SingleThreadedExecutor
    rebuilds for every message; without them a message costs the probe about
    2.5 times less (0.2 against 0.5 ms with 40 subscriptions, on this machine).
    rclpy's experimental EventsExecutor (7.1.5) is not used: its spin() kept a
    core busy when idle, and spin_once() failed on raw subscriptions.
    """

    def __init__(self, domain_id: int, root_pid: int, count_messages: bool = True):
        # set before Watch starts the sampling thread
        self.samples = []     # Sample, every SAMPLE_S
        self.labels = {}      # pid -> process label
        # topic -> [received, bytes, last sequence number, missed,
        #           {sequence number: writer chain}, [messages per writer chain]]
        self.topics = {}
        self.types = {}       # topic -> type name
        self.first_seen = {}  # topic -> wall time of the probe's subscription
        # topic -> {'pub': {(node, gid): [first seen, last seen]}, 'sub': {...}}
        self.graph = {}
        self.skipped = {}     # topic -> why it is not counted
        self.clock_n = 0
        self.subscriptions = []
        self.discoveries = 0
        self.refreshes = []   # wall times of the discoveries that saw every endpoint
        super().__init__(domain_id, root_pid, name=PROBE)
        if count_messages:
            self.node.create_timer(DISCOVER_S, self._discover)

    def _on_clock(self, msg):
        super()._on_clock(msg)
        with self.lock:
            self.clock_n += 1

    def _discover(self):
        """Subscribe to new topics; remember every topic's endpoints (the probe's excluded)."""
        refresh = self.discoveries % ENDPOINTS_EVERY == 0
        self.discoveries += 1
        if refresh:
            with self.lock:
                self.refreshes.append(time.monotonic())  # every endpoint seen is newer
        for topic, types in self.node.get_topic_names_and_types():
            if not refresh and (topic in self.topics or topic in self.skipped):
                continue
            pubs = [e for e in self.node.get_publishers_info_by_topic(topic)
                    if e.node_name != PROBE]
            subs = [e for e in self.node.get_subscriptions_info_by_topic(topic)
                    if e.node_name != PROBE]
            now = time.monotonic()
            with self.lock:
                graph = self.graph.setdefault(topic, {'pub': {}, 'sub': {}})
                for kind, endpoints in (('pub', pubs), ('sub', subs)):
                    for e in endpoints:
                        graph[kind].setdefault((node_key(e), tuple(e.endpoint_gid)),
                                               [now, now])[1] = now
                self.types.setdefault(topic, types[0])
            if topic == '/clock' or topic in self.topics or topic in self.skipped or not pubs:
                continue
            try:
                cls = message_class(types[0])
            except (ImportError, AttributeError, ValueError) as exc:
                self.skipped[topic] = f'type {types[0]} not importable ({exc})'
                continue
            reliable = all(e.qos_profile.reliability == ReliabilityPolicy.RELIABLE for e in pubs)
            qos = QoSProfile(depth=QOS_DEPTH, durability=DurabilityPolicy.VOLATILE,
                             reliability=ReliabilityPolicy.RELIABLE if reliable
                             else ReliabilityPolicy.BEST_EFFORT)
            with self.lock:
                self.topics[topic] = [0, 0, None, 0, {}, []]
                self.first_seen[topic] = time.monotonic()
            self.subscriptions.append(self.node.create_subscription(
                cls, topic, functools.partial(self._on_message, topic), qos, raw=True,
                event_callbacks=SubscriptionEventCallbacks(use_default_callbacks=False)))

    def _on_message(self, topic, raw, info):
        seq = info.get('publication_sequence_number')
        with self.lock:
            count = self.topics[topic]
            count[0] += 1
            count[1] += len(raw)
            if seq is None:
                return
            if count[2] is not None and seq > count[2] + 1:
                count[3] += seq - count[2] - 1  # meaningful with one writer only
            count[2] = seq
            # each writer numbers its messages 1, 2, 3...: with several writers on a
            # topic, a message continues the chain ending at seq - 1, else the one
            # ending closest below it (messages this probe lost), else starts one
            tails = count[4]
            tail = seq - 1 if seq - 1 in tails else max(
                (t for t in tails if seq - CHAIN_GAP <= t < seq), default=None)
            chain = tails.pop(tail) if tail is not None else None
            if chain is None:
                chain = len(count[5])
                count[5].append(0)
            count[4][seq] = chain
            count[5][chain] += 1

    def _sample(self):
        while not self._stop.wait(SAMPLE_S):
            wall = time.monotonic()
            procs = {}
            for pid in process_tree(self.root):
                ticks = cpu_ticks(pid)
                if ticks is None:
                    continue
                procs[pid] = (ticks, rss_kib(pid), pss_kib(pid))
                # read each time: a child caught between fork and exec has the runner's
                # command line (seen: perception_node labelled as the runner); but an
                # exited one (not reaped yet) has none: it keeps the name it had
                label = process_label(pid)
                if pid not in self.labels or not label.startswith('pid '):
                    self.labels[pid] = label
            probe, machine = cpu_ticks(os.getpid()), machine_ticks()
            with self.lock:
                counts = {t: (c[0], c[1], c[3], tuple(c[5])) for t, c in self.topics.items()}
                self.rss.append((wall, sum(p[1] for p in procs.values()), len(procs),
                                 sum(p[2] for p in procs.values())))
                self.samples.append(Sample(wall, procs, counts, self.clock_n, probe, machine))

    def _endpoint_label(self, node: str, gid) -> str:
        """Return a graph endpoint's process label: by the PID in its GUID, else by node name."""
        if len(gid) >= 6 and tuple(gid[:2]) == FASTDDS_VENDOR:
            pid16 = gid[4] | gid[5] << 8  # Fast DDS: the PID's low 16 bits, little endian
            found = {label for pid, label in self.labels.items() if pid & 0xFFFF == pid16}
            if len(found) == 1:
                return found.pop()
        if node in self.labels.values():
            return node
        return f'{node} (not in the tree)'

    def figures(self, wall0: float, wall1: float) -> dict:
        """Watch's RTF and RSS, and per process CPU, messages and RSS, over [wall0, wall1]."""
        fig = super().figures(wall0, wall1)
        fig['processes_max'] = fig.pop('processes')  # the tree's size; rows come below
        with self.lock:
            samples = [s for s in self.samples if wall0 <= s.wall <= wall1]
            if len(samples) < 2:
                raise RuntimeError('fewer than two samples in the measured window')
            first, last = samples[0], samples[-1]
            clock = list(self.clock)
            # the endpoints seen in the window (every ENDPOINTS_EVERY discoveries): one
            # gone before it (e.g. a subscription re-created at startup) is left out
            graph = {t: {k: {e: tuple(seen) for e, seen in v.items()
                             if seen[1] >= first.wall and seen[0] <= last.wall}
                         for k, v in g.items()}
                     for t, g in self.graph.items()}
            types, first_seen = dict(self.types), dict(self.first_seen)
            final_refresh = max((r for r in self.refreshes if r <= last.wall),
                                default=last.wall)
        walls = [c[0] for c in clock]

        def sim_at(wall):
            return clock[max(0, bisect.bisect_right(walls, wall) - 1)][1]

        sim_s = sim_at(last.wall) - sim_at(first.wall)
        wall_s = last.wall - first.wall
        fig.update(window_sim_s=sim_s, window_wall_s=wall_s, window_rtf=sim_s / wall_s)

        # CPU and RSS per process label (a respawned node's processes share one label)
        ticks_end = {}
        for sample in samples:
            for pid, (ticks, _, _) in sample.procs.items():
                ticks_end[pid] = ticks
        rows = {}
        for pid, ticks in ticks_end.items():
            row = rows.setdefault(self.labels[pid], {'pids': [], 'cpu_s': 0.0})
            row['pids'].append(pid)
            row['cpu_s'] += (ticks - first.procs.get(pid, (0, 0, 0))[0]) / TICK
        for row in rows.values():
            rss = [sum(s.procs[p][1] for p in row['pids'] if p in s.procs) for s in samples]
            rss = [r for r in rss if r]
            pss = [sum(s.procs[p][2] for p in row['pids'] if p in s.procs) for s in samples]
            pss = [r for r in pss if r] or [0]
            row.update(rss_peak_mib=max(rss) / 1024, rss_mean_mib=statistics.fmean(rss) / 1024,
                       pss_mean_mib=statistics.fmean(pss) / 1024,
                       msgs_in=0.0, msgs_out=0.0, split_out=[], split_msgs=0.0)

        def total(sample, topic, single):
            """Messages on ``topic`` up to ``sample`` (lost ones added back: one writer)."""
            if topic == '/clock':
                return sample.clock_n
            count = sample.counts.get(topic, (0, 0, 0))
            return count[0] + (count[2] if single else 0)

        def while_there(topic, single, seen):
            """Messages on ``topic`` in the window while an endpoint seen (t0, t1) was there."""
            end = last.wall if seen[1] >= final_refresh else seen[1]
            inside = [s for s in samples if seen[0] <= s.wall <= end]
            return total(inside[-1], topic, single) - total(inside[0], topic, single) \
                if len(inside) > 1 else 0

        # messages per topic, attributed to the processes publishing and subscribing
        topic_rows = []
        for topic in sorted(graph):
            if topic != '/clock' and topic not in last.counts:
                continue  # not subscribed (no publisher yet, or its type not importable)
            pubs = graph[topic]['pub']
            single = len(pubs) == 1  # sequence numbers of several writers interleave
            msgs = total(last, topic, single) - total(first, topic, single)
            c0, c1 = first.counts.get(topic, (0, 0, 0, ())), last.counts.get(topic)
            nbytes = c1[1] - c0[1] if c1 else None
            missed = c1[2] - c0[2] if c1 and single else 0
            chains = sorted((n - (c0[3][i] if i < len(c0[3]) else 0)
                             for i, n in enumerate(c1[3] if c1 else ())), reverse=True)
            chains = [n for n in chains if n]
            writers = sorted({self._endpoint_label(n, g) for n, g in pubs})
            readers = collections.Counter()      # label -> subscriptions
            delivered = collections.Counter()    # label -> messages delivered
            for (node, gid), seen in graph[topic]['sub'].items():
                label = self._endpoint_label(node, gid)
                readers[label] += 1
                delivered[label] += while_there(topic, single, seen)
            for label in set(writers) | set(readers):
                rows.setdefault(label, {'pids': [], 'cpu_s': 0.0, 'rss_peak_mib': 0.0,
                                        'rss_mean_mib': 0.0, 'msgs_in': 0.0, 'msgs_out': 0.0,
                                        'split_out': [], 'split_msgs': 0.0})
            for label in writers:
                rows[label]['msgs_out'] += msgs / len(writers)
                if len(writers) > 1:
                    rows[label]['split_out'].append(topic)
                    rows[label]['split_msgs'] += msgs / len(writers)
            for label, n in delivered.items():
                rows[label]['msgs_in'] += n
            topic_rows.append({
                'topic': topic, 'type': types.get(topic, '?'), 'msgs': msgs, 'missed': missed,
                'msgs_per_sim_s': msgs / sim_s,
                'kib_per_sim_s': None if nbytes is None else nbytes / 1024 / sim_s,
                'publishers': writers, 'subscriptions': sum(readers.values()),
                'endpoints': {kind: sorted(  # node, process, wall s seen in the window
                    [n, self._endpoint_label(n, g), round(
                        (last.wall if seen[1] >= final_refresh else min(seen[1], last.wall))
                        - max(seen[0], first.wall), 1)]
                    for (n, g), seen in graph[topic][kind].items()) for kind in ('pub', 'sub')},
                'subscribers': dict(readers),
                'deliveries_per_sim_s': sum(delivered.values()) / sim_s,
                'writer_chains_per_sim_s': [n / sim_s for n in chains],
                'late_s': max(0.0, first_seen.get(topic, 0.0) - first.wall)})
        for row in rows.values():
            row['cpu_per_sim_s'] = row['cpu_s'] / sim_s
            row['msgs_in_per_sim_s'] = row.pop('msgs_in') / sim_s
            row['msgs_out_per_sim_s'] = row.pop('msgs_out') / sim_s
            row['split_out_per_sim_s'] = row.pop('split_msgs') / sim_s
        stack_cpu = sum(r['cpu_s'] for r in rows.values())
        busy = (last.machine[0] - first.machine[0]) / TICK
        fig.update(
            processes=rows, topics=topic_rows, stack_cpu_per_sim_s=stack_cpu / sim_s,
            stack_msgs_out_per_sim_s=sum(t['msgs_per_sim_s'] for t in topic_rows),
            stack_msgs_in_per_sim_s=sum(t['deliveries_per_sim_s'] for t in topic_rows),
            probe_cpu_per_sim_s=(last.probe_ticks - first.probe_ticks) / TICK / sim_s,
            machine_busy_cores=busy / wall_s, stack_busy_cores=stack_cpu / wall_s,
            probe_busy_cores=(last.probe_ticks - first.probe_ticks) / TICK / wall_s,
            not_counted=dict(self.skipped))
        return fig


def report(fig: dict, args, counted: bool) -> str:
    """Return the figures as text: the window, the machine, a process table, a topic table."""
    others = fig['machine_busy_cores'] - fig['stack_busy_cores'] - fig['probe_busy_cores']
    params = ''.join(f', --param {p}' for p in args.param or [])
    composed = ', composed' if args.composition else ''
    bringup = f', bringup {args.bringup}' if args.bringup else ''
    out = [f'world {args.world}, mission {args.mission}, '
           f'rtf setting {args.rtf:g}{composed}{bringup}{params}; '
           f'{env_note()} (at the end; {fig["load_start"]:.2f} at the start)',
           f'orchestrator_pkg from {fig["package_prefix"]}',
           f'window: mission sent -> {", ".join(fig["outcomes"])}: '
           f'{fig["window_sim_s"]:.1f} sim s in {fig["window_wall_s"]:.1f} wall s '
           f'(real-time factor {fig["window_rtf"]:.2f})',
           f'machine: {fig["machine_busy_cores"]:.2f} of {os.cpu_count()} cores busy in the '
           f'window: the stack {fig["stack_busy_cores"]:.2f}, this probe '
           f'{fig["probe_busy_cores"]:.2f} ({fig["probe_cpu_per_sim_s"]:.3f} CPU s/sim s), '
           f'everything else {max(0.0, others):.2f}',
           '']
    rows = sorted(fig['processes'].items(), key=lambda kv: -kv[1]['cpu_s'])
    total = fig['stack_cpu_per_sim_s']
    out.append(f'{"process (ROS node)":<34} {"CPU s/sim s":>11} {"share":>6} '
               f'{"msgs in/s":>10} {"msgs out/s":>11} {"RSS peak MiB":>13} {"mean":>6} '
               f'{"PSS mean":>9}')
    for label, row in rows:
        star = '*' if row['split_out_per_sim_s'] >= SPLIT_MARK else ' '
        msgs = (f'{row["msgs_in_per_sim_s"]:10.1f} {row["msgs_out_per_sim_s"]:10.1f}{star}'
                if counted else f'{"-":>10} {"-":>10} ')
        out.append(f'{label[:34]:<34} {row["cpu_per_sim_s"]:11.3f} '
                   f'{row["cpu_per_sim_s"] / total:6.1%} {msgs} '
                   f'{row["rss_peak_mib"]:13.0f} {row["rss_mean_mib"]:6.0f} '
                   f'{row["pss_mean_mib"]:9.0f}')
    msgs = (f'{fig["stack_msgs_in_per_sim_s"]:10.1f} {fig["stack_msgs_out_per_sim_s"]:10.1f} '
            if counted else f'{"-":>10} {"-":>10} ')
    out.append(f'{"whole stack (" + str(fig["processes_max"]) + " processes)":<34} '
               f'{total:11.3f} {1:6.1%} {msgs} {fig["rss_peak_mib"]:13.0f} '
               f'{fig["rss_mean_mib"]:6.0f} {fig["pss_mean_mib"]:9.0f}')
    out.append('(per sim second; msgs in = deliveries to the node\'s subscriptions, '
               'out = messages it published; PSS: each shared page counted once, split '
               'among the processes that map it)')
    if not counted:
        return '\n'.join(out)
    split = sorted({t for _, row in rows for t in row['split_out']})
    if split:
        out += [f'* {SPLIT_MARK} msgs/s or more of it is an equal share of a topic that several '
                'processes publish:',
                '  rclpy Jazzy\'s MessageInfo has no publisher GID, so a message cannot be traced '
                'to its writer.',
                '  The writers that did publish, told apart by their sequence numbers, '
                'and their msgs/s:']
        for t in fig['topics']:
            if t['topic'] in split:
                chains = t['writer_chains_per_sim_s']
                rates = ', '.join(f'{r:.1f}' for r in chains[:4]) + (
                    ', ...' if len(chains) > 4 else '')
                who = (', '.join(t['publishers']) if len(t['publishers']) <= 4
                       else f'{len(t["publishers"])} processes')
                out.append(f'    {t["topic"]} ({who}): '
                           f'{len(chains)} writer(s) active{": " + rates if rates else ""}')
    out += ['', f'{"topic":<44} {"msgs/s":>8} {"KiB/s":>8} {"subs":>4} {"deliv./s":>9}  '
            'published by']
    for t in sorted(fig['topics'], key=lambda t: -t['deliveries_per_sim_s']):
        if not t['msgs']:
            continue
        kib = '-' if t['kib_per_sim_s'] is None else f'{t["kib_per_sim_s"]:.1f}'
        mark = (f' (subscribed {t["late_s"]:.1f} s into the window: undercounted)'
                if t['late_s'] else '')
        out.append(f'{t["topic"][:44]:<44} {t["msgs_per_sim_s"]:8.1f} {kib:>8} '
                   f'{t["subscriptions"]:4d} {t["deliveries_per_sim_s"]:9.1f}  '
                   f'{", ".join(t["publishers"])}{mark}')
    out.append('(subs: subscriptions seen in the window, an action client\'s come and go with '
               'it; deliv./s: messages delivered to them while they were there)')
    silent = [t['topic'] for t in fig['topics'] if not t['msgs']]
    missed = sum(t['missed'] for t in fig['topics'])
    out.append(f'{len(silent)} topic(s) had no message in the window; the probe missed '
               f'{missed} message(s) (sequence gaps, added back; single-writer topics only)')
    if fig['not_counted']:
        out.append('not counted: ' + '; '.join(f'{t}: {why}'
                                               for t, why in fig['not_counted'].items()))
    out.append('services (and actions\' goal/result/cancel) are not topics: not counted')
    return '\n'.join(out)


def main(argv=None) -> int:
    """Run the demo mission under the profile; print the tables, optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--world', default='warehouse')
    parser.add_argument('--mission', default='deliver', help='the demo mission')
    parser.add_argument('--rtf', type=float, default=1.0,
                        help='sim real-time factor (default: the demo\'s 1)')
    parser.add_argument('--timeout-s', type=float, default=400.0,
                        help='mission timeout, sim seconds')
    parser.add_argument('--no-messages', action='store_true',
                        help='do not count messages (no probe subscriptions): CPU and RSS only')
    parser.add_argument('--json', metavar='FILE', help='also write the figures as JSON')
    parser.add_argument('--run-dir', metavar='DIR',
                        help='record the run there, as make demo does (the runner\'s recorder '
                             'subscribes to some 20 topics); default: no recording')
    parser.add_argument('--composition', action='store_true',
                        help='run the stack composed (orchestrator run --composition): one '
                             'row per node container')
    parser.add_argument('--bringup', metavar='FILE', default=None,
                        help='a bringup description instead of bringup.yaml, as orchestrator '
                             'run --bringup takes it (e.g. another choice of composed nodes)')
    parser.add_argument('--param', action='append', metavar='NODE.PARAMETER=VALUE',
                        help='override a node\'s parameter for the run, as orchestrator run '
                             '--param does (repeatable), e.g. orchestrator.tick_rate_hz=100')
    args = parser.parse_args(argv)
    load0 = os.getloadavg()[0]
    counted = not args.no_messages
    fig = stack(args, 1, functools.partial(Probe, count_messages=counted))
    fig.update(load_start=load0, load_end=os.getloadavg()[0], cpus=os.cpu_count(),
               world=args.world, mission=args.mission, rtf_setting=args.rtf,
               messages_counted=counted, package_prefix=get_package_prefix('orchestrator_pkg'))
    print(report(fig, args, counted))
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(fig, f, indent=1, sort_keys=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())

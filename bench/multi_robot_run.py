"""Benchmark: the whole stack with two robots vs one, real-time factor and memory.

Not a test. Run after ``source env.sh``::

    python bench/multi_robot_run.py [--rtf X] [--repeats N]

In one run it starts ``orchestrator run --mission go_to`` in the warehouse
twice (each in a ROS domain of its own): first with one robot (the
baseline), then with ``--robots 2``, robot1 with the same goal as the one
robot and robot2 with a goal of its own. Every node is real: the sim and,
per robot, base driver, planner, controller, behavior server, navigator and
orchestrator. For each run it reports

- the outcome and the sim time / wall time of the whole run (start-up included);
- the RTF of the mission phase: sim seconds (from /clock, read by this
  process) per wall second from the first mission being sent to the summary;
- the peak total RSS of all the run's processes (sampled every 0.5 s);

and the two-robot figures as a ratio to the one-robot ones.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

from orchestrator_pkg.ros_edge.dds import DISCOVERY_RANGE_VAR, discovery_range

GOAL_1 = '0;map;-3.0;-2.5;0;0;0;0;1'  # from the dock, ~3.6 m
GOAL_2 = '0;map;-3.0;0.3;0;0;0;0;1'   # from start_2, ~4 m


def _descendants(pid):
    children = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat') as f:
                ppid = int(f.read().rsplit(')', 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += children.get(current, [])
    return found


def _rss_mib(pids):
    total = 0
    for pid in pids:
        try:
            with open(f'/proc/{pid}/status') as f:
                for line in f:
                    if line.startswith('VmRSS:'):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024.0


def run_once(robots, rtf):
    """Run the mission with ``robots`` robots; return a dict of figures."""
    import rclpy
    from rosgraph_msgs.msg import Clock

    from orchestrator_pkg.testing.ros_domain import claim_domain

    summary = tempfile.NamedTemporaryFile(suffix='.json', delete=False).name
    cmd = [sys.executable, '-m', 'orchestrator_pkg.cli', 'run', '--world', 'warehouse',
           '--mission', 'go_to', '--rtf', str(rtf), '--timeout-s', '200',
           '--summary-json', summary]
    if robots == 1:
        cmd += ['--input', f'goal={GOAL_1}']
    else:
        cmd += ['--robots', str(robots), '--input', f'robot1:goal={GOAL_1}',
                '--input', f'robot2:goal={GOAL_2}']
    with claim_domain() as domain:
        rclpy.init(domain_id=domain.domain_id)
        node = rclpy.create_node('multi_robot_bench')
        clock = {'t': None}
        node.create_subscription(
            Clock, '/clock',
            lambda m: clock.__setitem__('t', m.clock.sec + m.clock.nanosec * 1e-9), 10)
        events = {}
        proc = subprocess.Popen(cmd, env=domain.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)

        def read():
            for line in proc.stdout:
                if "mission 'go_to' sent" in line:
                    events.setdefault('sent', None)
                if line.startswith('summary'):
                    events.setdefault('summary', None)
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        wall0 = time.monotonic()
        peak_rss, next_sample = 0.0, 0.0
        marks = {}
        try:
            while proc.poll() is None:
                rclpy.spin_once(node, timeout_sec=0.05)
                now = time.monotonic()
                for key in events:
                    if key not in marks and clock['t'] is not None:
                        marks[key] = (now, clock['t'])
                if 'sent' in marks and 'summary' not in marks and now >= next_sample:
                    peak_rss = max(peak_rss, _rss_mib(_descendants(proc.pid)))
                    next_sample = now + 0.5
                if now - wall0 > 900:
                    proc.terminate()
        finally:
            proc.wait()
            reader.join(5)
            node.destroy_node()
            rclpy.shutdown()
    with open(summary, encoding='utf-8') as f:
        report = json.load(f)
    os.unlink(summary)
    (w0, s0), (w1, s1) = marks['sent'], marks['summary']
    return {'robots': robots, 'succeeded': report['succeeded'],
            'outcomes': {k: v['mission_outcome'] for k, v in report['robots'].items()},
            'collisions': sum(v['collisions'] for v in report['robots'].values()),
            'sim_time_s': report['sim_time_s'], 'wall_time_s': report['wall_time_s'],
            'mission_rtf': (s1 - s0) / (w1 - w0), 'peak_rss_mib': peak_rss}


def main():
    """Run one robot, then two, and print the figures and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rtf', type=float, default=1.0, help='sim real-time factor')
    parser.add_argument('--repeats', type=int, default=1, help='runs of each (default 1)')
    args = parser.parse_args()
    os.environ[DISCOVERY_RANGE_VAR] = discovery_range(os.environ)  # as the runs' domains
    results = {1: [], 2: []}
    for _ in range(args.repeats):
        for robots in (1, 2):
            result = run_once(robots, args.rtf)
            results[robots].append(result)
            print(f"{robots} robot(s): {'SUCCEEDED' if result['succeeded'] else 'FAILED'} "
                  f"{result['outcomes']}, collisions {result['collisions']}, "
                  f"sim {result['sim_time_s']:.1f} s, wall {result['wall_time_s']:.1f} s, "
                  f"mission-phase RTF {result['mission_rtf']:.2f} (target {args.rtf:g}), "
                  f"peak RSS {result['peak_rss_mib']:.0f} MiB", flush=True)
    one = {k: sum(r[k] for r in results[1]) / args.repeats
           for k in ('mission_rtf', 'peak_rss_mib', 'wall_time_s')}
    two = {k: sum(r[k] for r in results[2]) / args.repeats
           for k in ('mission_rtf', 'peak_rss_mib', 'wall_time_s')}
    print(f"two robots / one robot: mission-phase RTF "
          f"x{two['mission_rtf'] / one['mission_rtf']:.2f}, "
          f"peak RSS x{two['peak_rss_mib'] / one['peak_rss_mib']:.2f}, "
          f"wall time x{two['wall_time_s'] / one['wall_time_s']:.2f}")


if __name__ == '__main__':
    main()

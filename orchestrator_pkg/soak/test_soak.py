"""The soak (issue 12): navigation missions back to back against one running stack.

``make soak`` runs it for ``SOAK_MINUTES`` (default 30) of wall time; it is not
part of ``make test``. One ``orchestrator run --world warehouse`` without a
mission (every node real, rtf 1); the ``navigate`` mission (Nav2's own tree with
its recoveries) goes to the warehouse's places in turn, each mission sent when
the last one ended. Judged at the end:

* **0 lost goals**: every mission is accepted and ends (a result) within
  ``MISSION_WAIT_S``; a failure carries a reason;
* at least ``MIN_SUCCESS`` of the missions succeed;
* **no node died**: every node has the process it had after the warm-up (the
  runner would have respawned a dead one under a new pid);
* **memory and handles stable**: each node's RSS (``VmRSS``) and open file
  descriptors, sampled after every mission; the last sample may exceed the
  first one after the warm-up (``WARMUP_MISSIONS``) by at most
  ``RSS_GROWTH_MB`` or ``RSS_GROWTH``, whichever is larger, and
  ``FD_GROWTH`` descriptors;
* the velocity oracle over the whole recording.

It prints a table per node (RSS and descriptors at the warm-up and at the end)
and the missions' outcomes and durations.
"""
import os
import re
import sys
import time

from diagnostic_msgs.msg import KeyValue
import rclpy
from rclpy.action import ActionClient

from orchestrator_interfaces.action import ExecuteMission
from orchestrator_pkg.places import load_places
from orchestrator_pkg.ros_edge.lifecycle import StackActive
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.ros_edge.waiting import spin_until, wait_future
from orchestrator_pkg.testing.processes import ManagedProcess
from orchestrator_pkg.testing.ros_domain import claim_domain
from orchestrator_pkg.testing.velocity_oracle import assert_run_within_limits

SOAK_MINUTES = float(os.environ.get('SOAK_MINUTES', '30'))
STARTUP_WAIT_S = 300.0     # wall: the stack comes up
MISSION_WAIT_S = 240.0     # wall: the longest leg is about 15 m at 0.5 m/s, recoveries included
WARMUP_MISSIONS = 3        # RSS and descriptors are judged from the sample after these
MIN_SUCCESS = 0.95
RSS_GROWTH_MB = 20.0
RSS_GROWTH = 0.15
FD_GROWTH = 5
# the legs: each place after the one before (the robot starts at the dock)
ROUTE = ('dropoff', 'search_1', 'pickup_b', 'office', 'search_2', 'dock')


def _children(pid: int) -> dict:
    """``{node name: pid}`` of the runner's nodes (its direct children with ``__node:=``)."""
    nodes = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat') as f:
                ppid = int(f.read().rsplit(')', 1)[1].split()[1])
            if ppid != pid:
                continue
            with open(f'/proc/{entry}/cmdline', 'rb') as f:
                cmdline = f.read().decode(errors='replace')
        except (OSError, ValueError, IndexError):
            continue
        name = re.search(r'__node:=([^\x00]+)', cmdline)
        if name:
            nodes[name.group(1)] = int(entry)
    return nodes


def _usage(pid: int):
    """``(RSS in MB, open descriptors)`` of a process, or None when it is gone."""
    try:
        with open(f'/proc/{pid}/status') as f:
            rss_kb = next(int(line.split()[1]) for line in f if line.startswith('VmRSS:'))
        return rss_kb / 1024.0, len(os.listdir(f'/proc/{pid}/fd'))
    except (OSError, StopIteration, ValueError):
        return None


def _mission(node, client, place):
    """Send ``navigate`` to ``place``; return (outcome, reason, seconds), or fail the soak."""
    goal = ExecuteMission.Goal(mission_name='navigate',
                               inputs=[KeyValue(key='place', value=place)])
    started = time.monotonic()
    handle = wait_future(node, client.send_goal_async(goal), 30.0)
    assert handle.accepted, f'the mission to {place} was refused'
    try:
        result = wait_future(node, handle.get_result_async(), MISSION_WAIT_S).result
    except TimeoutError:
        raise AssertionError(f'lost goal: the mission to {place} had no result after '
                             f'{MISSION_WAIT_S:g} s') from None
    return result.outcome, result.failure.message, time.monotonic() - started


def test_soak(tmp_path):
    """Missions back to back for SOAK_MINUTES; see the module docstring for the judgement."""
    run_dir = tmp_path / 'run'
    places = load_places('warehouse')
    assert set(ROUTE) <= set(places), sorted(places)
    with claim_domain() as claim:
        cmd = [sys.executable, '-m', 'orchestrator_pkg.cli', 'run', '--world', 'warehouse',
               '--rtf', '1', '--timeout-s', str(SOAK_MINUTES * 60 * 4),
               '--run-dir', str(run_dir)]
        with ManagedProcess(cmd, env=claim.env(), stop_timeout_s=60.0) as run:
            rclpy.init(domain_id=claim.domain_id)
            node = rclpy.create_node('soak')
            client = ActionClient(node, ExecuteMission, 'execute_mission')
            try:
                assert client.wait_for_server(timeout_sec=STARTUP_WAIT_S), run.output()[-3000:]
                active = StackActive(node)
                assert spin_until(node, active.poll, STARTUP_WAIT_S), active.message
                missions, samples = [], []
                end = time.monotonic() + SOAK_MINUTES * 60.0
                while time.monotonic() < end:
                    place = ROUTE[len(missions) % len(ROUTE)]
                    missions.append((place, *_mission(node, client, place)))
                    assert run.poll() is None, run.output()[-5000:]
                    nodes = _children(run.pid)
                    samples.append({name: (pid, _usage(pid)) for name, pid in nodes.items()})
            finally:
                destroy_node_and_waitables(node)
                rclpy.try_shutdown()
    _report(missions, samples)
    assert len(missions) > WARMUP_MISSIONS, f'only {len(missions)} missions in the soak'
    failed = [m for m in missions if m[1] != ExecuteMission.Result.SUCCEEDED]
    assert all(reason for _, _, reason, _ in failed), failed
    assert len(failed) <= (1.0 - MIN_SUCCESS) * len(missions), failed
    first, last = samples[WARMUP_MISSIONS - 1], samples[-1]
    for name, (pid, usage) in first.items():
        assert name in last and last[name][0] == pid, f'{name} died (pid {pid}) during the soak'
        (rss0, fds0), (rss1, fds1) = usage, last[name][1]
        assert rss1 - rss0 <= max(RSS_GROWTH_MB, RSS_GROWTH * rss0), \
            f'{name}: RSS {rss0:.0f} -> {rss1:.0f} MB'
        assert fds1 - fds0 <= FD_GROWTH, f'{name}: {fds0} -> {fds1} open descriptors'
    assert_run_within_limits(run_dir)


def _report(missions, samples) -> None:
    succeeded = sum(1 for m in missions if m[1] == ExecuteMission.Result.SUCCEEDED)
    durations = [m[3] for m in missions]
    print(f'\nsoak: {SOAK_MINUTES:g} min, {len(missions)} missions, {succeeded} succeeded, '
          f'duration mean {sum(durations) / max(1, len(durations)):.1f} s, '
          f'max {max(durations, default=0.0):.1f} s (wall)')
    for place, outcome, reason, seconds in missions:
        if outcome != ExecuteMission.Result.SUCCEEDED:
            print(f'  to {place}: outcome {outcome} after {seconds:.1f} s: {reason}')
    if len(samples) < WARMUP_MISSIONS:
        return
    first, last = samples[WARMUP_MISSIONS - 1], samples[-1]
    print(f'  {"node":<30} {"RSS MB (warm, end)":>20} {"fds (warm, end)":>16}')
    for name in sorted(first):
        (_, a), (_, b) = first[name], last.get(name, (None, None))
        if a is None or b is None:
            print(f'  {name:<30} gone')
            continue
        print(f'  {name:<30} {a[0]:>9.0f} {b[0]:>9.0f}   {a[1]:>7d} {b[1]:>7d}')

#!/usr/bin/env python3
"""Latency from an ExecuteMission cancel to the cancel of the mission's child goal.

Run after ``source env.sh``::

    python bench/cancel_latency.py [--runs 15]

A real orchestrator process runs an inline mission whose only leaf is a Nav2
``Wait`` goal (30 s) on the fixture servers (another process). This process
cancels the mission; the fixture prints the CLOCK_MONOTONIC time at which it
received the child cancel. Reported: the milliseconds from the mission cancel
to the child cancel, and the ticks the orchestrator needed (from its result).
Baseline, same run: this process sends the same Wait goal straight to the
fixture with a bare rclpy ActionClient and cancels it (ms to the same event).
"""
import argparse
import re
import time

from _ros_bench import env_note, events, ros_world, summary
from builtin_interfaces.msg import Duration
from nav2_msgs.action import Wait
from rclpy.action import ActionClient

from orchestrator_interfaces.action import ExecuteMission
from orchestrator_pkg.ros_edge.waiting import spin_until, wait_future

MISSION = ('<root BTCPP_format="4"><BehaviorTree ID="Bench">'
           '<Wait name="Long" wait_duration="30"/></BehaviorTree></root>')
T = 30.0


def one_mission_cancel(node, client, fixture):
    """Run one mission, cancel it; return (ms to the child cancel, ticks)."""
    before = len(events(fixture, 'wait', 'goal'))
    handle = wait_future(node, client.send_goal_async(ExecuteMission.Goal(tree_xml=MISSION)), T)
    assert handle.accepted
    if not spin_until(node, lambda: len(events(fixture, 'wait', 'goal')) > before, T):
        raise RuntimeError('the mission never sent its Wait goal')
    spin_until(node, lambda: False, 0.1)  # let the goal become active
    cancels = len(events(fixture, 'wait', 'cancel'))
    t0 = time.monotonic()
    wait_future(node, handle.cancel_goal_async(), T)
    result = wait_future(node, handle.get_result_async(), T).result
    spin_until(node, lambda: len(events(fixture, 'wait', 'cancel')) > cancels, T)
    t1 = events(fixture, 'wait', 'cancel')[cancels]
    ticks = int(re.search(r'(\d+) tick\(s\)', result.failure.message).group(1))
    return (t1 - t0) * 1000.0, ticks


def one_bare_cancel(node, client, fixture):
    """Send a Wait goal directly and cancel it; return ms to the server's cancel."""
    handle = wait_future(node, client.send_goal_async(Wait.Goal(time=Duration(sec=30))), T)
    spin_until(node, lambda: False, 0.1)
    cancels = len(events(fixture, 'wait', 'cancel'))
    t0 = time.monotonic()
    wait_future(node, handle.cancel_goal_async(), T)
    spin_until(node, lambda: len(events(fixture, 'wait', 'cancel')) > cancels, T)
    wait_future(node, handle.get_result_async(), T)
    return (events(fixture, 'wait', 'cancel')[cancels] - t0) * 1000.0


def main():
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=15)
    parser.add_argument('--tick-rate-hz', type=float, default=100.0)
    args = parser.parse_args()
    with ros_world(['-p', f'tick_rate_hz:={args.tick_rate_hz}']) as (node, fixture, _):
        mission = ActionClient(node, ExecuteMission, 'execute_mission')
        bare = ActionClient(node, Wait, 'wait')
        assert mission.wait_for_server(timeout_sec=T) and bare.wait_for_server(timeout_sec=T)
        mission_ms, ticks, bare_ms = [], [], []
        for _ in range(args.runs):  # interleaved, so load hits both alike
            ms, n = one_mission_cancel(node, mission, fixture)
            mission_ms.append(ms)
            ticks.append(n)
            bare_ms.append(one_bare_cancel(node, bare, fixture))
            spin_until(node, lambda: False, 0.3)  # let the orchestrator retire the tree
    period_ms = 1000.0 / args.tick_rate_hz
    print(f'cancel latency, tick rate {args.tick_rate_hz:g} Hz (period {period_ms:.1f} ms); '
          + env_note())
    print(f'  mission cancel -> child goal cancel (ms): {summary(mission_ms)}')
    print(f'  ticks from cancel request to halt:        {summary(ticks)}  max {max(ticks)}')
    print(f'  baseline: bare rclpy goal cancel (ms):    {summary(bare_ms)}')
    median = sorted(mission_ms)[len(mission_ms) // 2]
    base = sorted(bare_ms)[len(bare_ms) // 2]
    print(f'  ratio mission/bare (median): {median / base:.1f}x; '
          f'mission median in tick periods: {median / period_ms:.2f}')


if __name__ == '__main__':
    main()

#!/usr/bin/env python3
"""Overhead of an ExecuteMission round trip against a bare rclpy action round trip.

Run after ``source env.sh``::

    python bench/execute_mission_overhead.py [--runs 30]

Both are measured in one run, interleaved, from this process:

- ExecuteMission with an inline one-leaf mission (``AlwaysSuccess``): send
  goal → accepted → result, against a real orchestrator process. The
  orchestrator parses and validates the XML, builds the tree, ticks it on its
  next timer tick and answers. Measured at three tick rates (20 Hz, the
  default 100 Hz and 200 Hz, set through the parameter service) because
  waiting for the next tick used to dominate.
- Baseline: the same send → accepted → result round trip of a nav2_msgs Wait
  goal of zero duration on the fixture server process (a bare rclpy
  ActionServer).
"""
import argparse
import time

from _ros_bench import env_note, ros_world, summary
from nav2_msgs.action import Wait
from rcl_interfaces.srv import SetParameters
from rclpy.action import ActionClient
from rclpy.parameter import Parameter

from orchestrator_interfaces.action import ExecuteMission
from orchestrator_pkg.ros_edge.waiting import spin_until, wait_future

MISSION = ('<root BTCPP_format="4"><BehaviorTree ID="Bench">'
           '<AlwaysSuccess name="Done"/></BehaviorTree></root>')
T = 30.0


def round_trip_ms(node, client, goal) -> float:
    """Send ``goal``, wait for the result; return the milliseconds it took."""
    t0 = time.monotonic()
    handle = wait_future(node, client.send_goal_async(goal), T)
    if not handle.accepted:
        raise RuntimeError('goal rejected')
    response = wait_future(node, handle.get_result_async(), T)
    elapsed = (time.monotonic() - t0) * 1000.0
    if response.status != 4:
        raise RuntimeError(f'goal ended with status {response.status}')
    return elapsed


def set_tick_rate(node, rate_hz: float) -> None:
    """Set the orchestrator's tick_rate_hz through its parameter service."""
    client = node.create_client(SetParameters, '/orchestrator/set_parameters')
    if not client.wait_for_service(timeout_sec=T):
        raise RuntimeError('no parameter service')
    parameter = Parameter('tick_rate_hz', Parameter.Type.DOUBLE, rate_hz).to_parameter_msg()
    answer = wait_future(node, client.call_async(SetParameters.Request(parameters=[parameter])), T)
    if not answer.results[0].successful:
        raise RuntimeError(answer.results[0].reason)
    node.destroy_client(client)


def main():
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--runs', type=int, default=30)
    args = parser.parse_args()
    rows = []
    with ros_world() as (node, _, _):
        mission = ActionClient(node, ExecuteMission, 'execute_mission')
        bare = ActionClient(node, Wait, 'wait')
        assert mission.wait_for_server(timeout_sec=T) and bare.wait_for_server(timeout_sec=T)
        goal = ExecuteMission.Goal(tree_xml=MISSION)
        for rate in (20.0, 100.0, 200.0):
            set_tick_rate(node, rate)
            mission_ms, bare_ms = [], []
            for _ in range(3):  # warm up both paths
                round_trip_ms(node, mission, goal)
                round_trip_ms(node, bare, Wait.Goal())
            for _ in range(args.runs):
                mission_ms.append(round_trip_ms(node, mission, goal))
                bare_ms.append(round_trip_ms(node, bare, Wait.Goal()))
                spin_until(node, lambda: False, 0.01)
            rows.append((rate, mission_ms, bare_ms))
    print('ExecuteMission round trip vs bare rclpy action round trip; ' + env_note())
    for rate, mission_ms, bare_ms in rows:
        m = sorted(mission_ms)[len(mission_ms) // 2]
        b = sorted(bare_ms)[len(bare_ms) // 2]
        print(f'  tick rate {rate:5.0f} Hz  ExecuteMission (ms): {summary(mission_ms)}')
        print(f'  {"":15s}  bare action    (ms): {summary(bare_ms)}')
        print(f'  {"":15s}  ratio (median): {m / b:.1f}x, overhead {m - b:.1f} ms '
              f'(tick period {1000.0 / rate:.0f} ms)')


if __name__ == '__main__':
    main()

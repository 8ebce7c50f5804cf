#!/usr/bin/env python3
"""CPU of the tree hosts' ticks: the orchestrator and the navigator at 20 Hz and 100 Hz.

Not a test. Run after ``source env.sh``::

    python bench/tick_cpu.py [--rates 20,100] [--window-s 15] [--rounds 2]

Starts the fixture Nav2 servers, the orchestrator and the navigator as real
processes in a private ROS domain (wall clock, as on a robot), then, in each
round, for each tick rate in turn (set on both nodes through their parameter
services), measures each node's CPU time (utime + stime of its process, from
/proc) over a window of ``--window-s`` wall seconds in two cases:

- **idle**: no tree runs (the timers still fire);
- **waiting**: a tree runs a leaf that waits for its server, as most of a real
  mission does. The orchestrator runs a mission of one ``Wait`` leaf; the
  navigator a NavigateToPose with its default tree, whose ``FollowPath`` (the
  fixture controller, which sends feedback at 50 Hz) lasts the window while
  the tree replans once a second. Nearly every tick changes nothing.

The figure is CPU milliseconds per wall second of each node (the orchestrator
also beats its 50 Hz heartbeat in both cases). Each rate's ratio is against the
first rate of the same round, so load from other processes hits both alike.
"""
import argparse
import os
import statistics
import time

from _ros_bench import env_note
from geometry_msgs.msg import PoseStamped
from nav2_msgs.action import NavigateToPose
from rcl_interfaces.srv import SetParameters
import rclpy
from rclpy.action import ActionClient
from rclpy.parameter import Parameter

from orchestrator_interfaces.action import ExecuteMission
from orchestrator_pkg.ros_edge.waiting import wait_future
from orchestrator_pkg.testing.processes import ManagedProcess
from orchestrator_pkg.testing.ros_domain import claim_domain

T = 40.0
TICK = os.sysconf('SC_CLK_TCK')
MISSION = ('<root BTCPP_format="4"><BehaviorTree ID="Bench">'
           '<Wait name="Long" wait_duration="{s}"/></BehaviorTree></root>')
SETTLE_S = 1.0  # after a goal starts, before the window opens
IDLE_SETTLE_S = 3.0  # after a rate change: past the tree host's 2 s retirement of the last tree


def cpu_s(pid: int) -> float:
    """Return utime + stime of a process in seconds."""
    with open(f'/proc/{pid}/stat') as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def set_rate(node, name: str, rate_hz: float) -> None:
    """Set ``name``'s tick_rate_hz through its parameter service."""
    client = node.create_client(SetParameters, f'/{name}/set_parameters')
    try:
        if not client.wait_for_service(timeout_sec=T):
            raise RuntimeError(f'/{name}/set_parameters is not there')
        request = SetParameters.Request(parameters=[
            Parameter('tick_rate_hz', Parameter.Type.DOUBLE, rate_hz).to_parameter_msg()])
        (result,) = wait_future(node, client.call_async(request), T).results
        if not result.successful:
            raise RuntimeError(f'{name}: tick_rate_hz {rate_hz}: {result.reason}')
    finally:
        node.destroy_client(client)


def window(node, pids: dict, seconds: float) -> dict:
    """Spin ``seconds``; return each process's CPU ms per wall second over them."""
    before = {name: cpu_s(pid) for name, pid in pids.items()}
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        rclpy.spin_once(node, timeout_sec=0.05)
    wall = time.monotonic() - t0
    return {name: 1000.0 * (cpu_s(pid) - before[name]) / wall for name, pid in pids.items()}


def waiting(node, mission, navigate, pids, seconds: float) -> dict:
    """Start one goal on each node that lasts past the window; measure; cancel both."""
    goal = ExecuteMission.Goal(tree_xml=MISSION.format(s=seconds + 10.0))
    pose = PoseStamped()
    pose.header.frame_id = 'map'
    pose.pose.position.x, pose.pose.orientation.w = 3.0, 1.0
    handles = [wait_future(node, mission.send_goal_async(goal), T),
               wait_future(node, navigate.send_goal_async(NavigateToPose.Goal(pose=pose)), T)]
    if not all(h.accepted for h in handles):
        raise RuntimeError('a goal was rejected')
    window(node, {}, SETTLE_S)
    figures = window(node, pids, seconds)
    for handle in handles:
        wait_future(node, handle.cancel_goal_async(), T)
        wait_future(node, handle.get_result_async(), T)
    return figures


def main(argv=None) -> int:
    """Measure each rate, idle and waiting, in rounds; print the figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rates', default='20,100', help='tick rates (Hz), comma-separated')
    parser.add_argument('--window-s', type=float, default=15.0)
    parser.add_argument('--rounds', type=int, default=2)
    args = parser.parse_args(argv)
    rates = [float(r) for r in args.rates.split(',')]
    rows = []  # (round, rate, case, {node: ms per s})
    with claim_domain() as claim:
        env = claim.env()
        # the fixture's controller runs FollowPath for longer than any window
        fixture = ManagedProcess.python('-m', 'orchestrator_pkg.testing.nav_fixture_servers',
                                        '--follow-s', str(args.window_s * 4 + 60), env=env)
        orchestrator = ManagedProcess.python('-m', 'orchestrator_pkg.nodes.orchestrator_node',
                                             env=env)
        navigator = ManagedProcess.python('-m', 'orchestrator_pkg.nodes.navigator_node',
                                          env=env)
        with fixture, orchestrator, navigator:
            for proc, text in ((fixture, 'nav fixture ready'),
                               (orchestrator, 'orchestrator ready'),
                               (navigator, 'navigator ready')):
                if not proc.wait_for_output(text, T):
                    raise RuntimeError(f'process did not start:\n{proc.output()}')
            pids = {'orchestrator': orchestrator.pid, 'bt_navigator': navigator.pid}
            rclpy.init(domain_id=claim.domain_id)
            node = rclpy.create_node('tick_cpu_bench')
            mission = ActionClient(node, ExecuteMission, 'execute_mission')
            navigate = ActionClient(node, NavigateToPose, 'navigate_to_pose')
            try:
                for client in (mission, navigate):
                    if not client.wait_for_server(timeout_sec=T):
                        raise RuntimeError('no action server')
                for r in range(args.rounds):
                    for rate in rates if r % 2 == 0 else list(reversed(rates)):
                        for name in pids:
                            set_rate(node, name, rate)
                        window(node, {}, IDLE_SETTLE_S)
                        rows.append((r, rate, 'idle', window(node, pids, args.window_s)))
                        rows.append((r, rate, 'waiting', waiting(
                            node, mission, navigate, pids, args.window_s)))
                        print(f'round {r + 1}, {rate:g} Hz: ' + '; '.join(
                            f'{case} ' + ', '.join(f'{n} {v:.1f}' for n, v in fig.items())
                            for rr, rt, case, fig in rows[-2:]), flush=True)
            finally:
                mission.destroy()
                navigate.destroy()
                node.destroy_node()
                rclpy.shutdown()
    print(f'\nCPU ms per wall second, median of {args.rounds} round(s) of '
          f'{args.window_s:g} s; ratio to {rates[0]:g} Hz in the same round (median); '
          f'{env_note()}')
    print(f'{"node":<14} {"case":<8} ' + ' '.join(f'{f"{r:g} Hz":>9}' for r in rates)
          + ' ' + ' '.join(f'{f"x{r:g}/{rates[0]:g}":>9}' for r in rates[1:]))
    for name in pids:
        for case in ('idle', 'waiting'):
            def of(rate, rnd=None, name=name, case=case):
                return [fig[name] for rr, rt, c, fig in rows
                        if rt == rate and c == case and rnd in (None, rr)]
            medians = [statistics.median(of(rate)) for rate in rates]
            ratios = [statistics.median(of(rate, rr)[0] / max(of(rates[0], rr)[0], 1e-9)
                                        for rr in range(args.rounds)) for rate in rates[1:]]
            print(f'{name:<14} {case:<8} ' + ' '.join(f'{m:9.1f}' for m in medians) + ' '
                  + ' '.join(f'{x:9.2f}' for x in ratios))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())

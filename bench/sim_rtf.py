"""Benchmark: the sim's real-time factor with ROS publishing vs a bare mj_step loop.

Not a test. Run after ``source env.sh``::

    python bench/sim_rtf.py [--world W] [--robot R] [--seconds S]

In one run, on the same MuJoCo model (default: a BARN world and the jackal):

1. baseline: a bare ``mujoco.mj_step`` loop, no Python around it but the loop;
2. the same model stepped through :class:`orchestrator_sim.physics.Physics`
   (command rotation, contact checks), no ROS;
3. the sim node as its own process at ``real_time_factor 0`` publishing
   /clock (100 Hz), scan (10 Hz), odom + tf + ground truth (50 Hz),
   detections and battery, with this process subscribed to /clock, scan and
   odom. Its RTF is simulated seconds (from /clock) per wall second.

Prints the RTFs, their ratio to the bare loop, message rates per simulated
second (to show that the publishing really happened) and the sim process's
peak and current RSS.
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DEFAULT_WORLD = os.path.join(REPO, 'orchestrator_sim', 'test', 'data', 'barn_world_20.world')


def bare_loop(world_path, robot_name, seconds):
    """Return the RTF of a bare mj_step loop and of Physics.step, and the geom count."""
    import mujoco

    from orchestrator_sim.physics import Physics
    from orchestrator_sim.robots import load_robot
    from orchestrator_sim.world import load_world
    physics = Physics(load_world(world_path), load_robot(robot_name))
    physics.teleport(-2.25, 3.0, 1.57)
    model, data = physics.model, physics.data
    steps = int(seconds / model.opt.timestep)
    data.ctrl[:] = (0.0, 0.5, 0.0)
    start = time.perf_counter()
    for _ in range(steps):
        mujoco.mj_step(model, data)
    bare = steps * model.opt.timestep / (time.perf_counter() - start)

    physics.teleport(-2.25, 3.0, 1.57)
    physics.set_command(0.5, 0.0)
    start = time.perf_counter()
    for _ in range(steps):
        physics.step(1)
        if data.ncon:
            physics.contacts()
    wrapped = steps * model.opt.timestep / (time.perf_counter() - start)
    return bare, wrapped, model.ngeom


def _rss_kb(pid):
    values = {}
    with open(f'/proc/{pid}/status') as status:
        for line in status:
            if line.startswith(('VmRSS', 'VmHWM')):
                key, value = line.split(':')
                values[key] = int(value.split()[0])
    return values


def ros_run(world_path, robot_name, seconds):
    """Run the sim node for ``seconds`` of wall time; return its RTF, rates and RSS."""
    from nav_msgs.msg import Odometry
    import rclpy
    from rosgraph_msgs.msg import Clock
    from sensor_msgs.msg import LaserScan

    from orchestrator_pkg.testing.processes import ManagedProcess
    from orchestrator_pkg.testing.ros_domain import claim_domain

    with claim_domain() as claim:
        cmd = [sys.executable, '-m', 'orchestrator_sim.nodes.sim_node', '--ros-args',
               '-p', f'world:={world_path}', '-p', f'robot:={robot_name}',
               '-p', 'spawn:=-2.25 3.0 1.57', '-p', 'real_time_factor:=0.0',
               '-p', 'scan_rate_hz:=10.0', '-p', 'odom_rate_hz:=50.0',
               '-p', 'clock_rate_hz:=100.0']
        with ManagedProcess(cmd, env=claim.env()) as proc:
            if not proc.wait_for_output('sim ready', 60):
                raise RuntimeError('sim did not start:\n' + proc.output())
            rclpy.init(domain_id=claim.domain_id)
            node = rclpy.create_node('sim_rtf_bench')
            counts = {'clock': 0, 'scan': 0, 'odom': 0}
            last = {'clock': None}

            def on_clock(msg):
                counts['clock'] += 1
                last['clock'] = msg.clock.sec + msg.clock.nanosec * 1e-9

            def counter(key):
                return lambda _msg: counts.__setitem__(key, counts[key] + 1)
            node.create_subscription(Clock, '/clock', on_clock, 100)
            node.create_subscription(LaserScan, 'scan', counter('scan'), 100)
            node.create_subscription(Odometry, 'odom', counter('odom'), 100)
            deadline = time.monotonic() + 30
            while last['clock'] is None and time.monotonic() < deadline:
                rclpy.spin_once(node, timeout_sec=0.05)
            if last['clock'] is None:
                raise RuntimeError('no /clock received')
            for key in counts:
                counts[key] = 0
            sim0, wall0 = last['clock'], time.monotonic()
            while time.monotonic() - wall0 < seconds:
                rclpy.spin_once(node, timeout_sec=0.05)
            sim1, wall1 = last['clock'], time.monotonic()
            rss = _rss_kb(proc.pid)
            node.destroy_node()
            rclpy.shutdown()
    sim_s = sim1 - sim0
    rates = {k: v / sim_s for k, v in counts.items()} if sim_s > 0 else {}
    return sim_s / (wall1 - wall0), rates, rss


def main(argv=None) -> int:
    """Run both measurements and print them side by side."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--world', default=DEFAULT_WORLD)
    parser.add_argument('--robot', default='jackal')
    parser.add_argument('--seconds', type=float, default=15.0,
                        help='wall seconds of the ROS run (and sim seconds of the bare loop)')
    args = parser.parse_args(argv)
    bare, wrapped, ngeom = bare_loop(args.world, args.robot, args.seconds * 10)
    ros_rtf, rates, rss = ros_run(args.world, args.robot, args.seconds)
    print(f'world {os.path.basename(args.world)} ({ngeom} geoms), robot {args.robot}, '
          f'{os.cpu_count()} CPUs (shared; load {os.getloadavg()[0]:.1f})')
    print(f'  bare mj_step loop (baseline)     RTF {bare:8.1f}   1.00x')
    print(f'  Physics.step, no ROS             RTF {wrapped:8.1f}   {wrapped / bare:.2f}x')
    print(f'  sim node with ROS publishing     RTF {ros_rtf:8.1f}   {ros_rtf / bare:.2f}x   '
          f'(target >= 20)')
    print('  received per sim second: ' + ', '.join(f'{k} {v:.1f} Hz' for k, v in rates.items()))
    print(f'  sim process RSS {rss.get("VmRSS", 0) / 1024:.0f} MiB '
          f'(peak {rss.get("VmHWM", 0) / 1024:.0f} MiB)')
    return 0


if __name__ == '__main__':
    sys.exit(main())

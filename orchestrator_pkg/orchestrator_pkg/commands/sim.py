"""``orchestrator sim``: run the embedded MuJoCo world alone, in the foreground.

For people who want to drive it themselves, e.g. with teleop on ``cmd_vel``.
With ``--with-driver`` the base_driver runs beside it (on sim time), so that
commands go to ``cmd_vel_nav`` and are limited, watched and e-stoppable as
they are in the full stack.
"""
import os
import subprocess
import sys

from orchestrator_pkg.commands import _args


def ros_args(args) -> list:
    """Return the sim node's ROS arguments for the parsed command line."""
    out = ['--ros-args', '-p', f'world:={args.world}', '-p', f'robot:={args.robot}',
           '-p', f'real_time_factor:={float(args.rtf)}', '-p', f'seed:={int(args.seed)}']
    if args.spawn:
        out += ['-p', f'spawn:={args.spawn}']
    if args.strict:
        out += ['-p', 'strict_world:=true']
    return out


def run(args) -> int:
    """Start the sim node (and optionally base_driver) until Ctrl-C."""
    try:
        from orchestrator_sim.nodes import sim_node
    except ImportError as exc:
        print(f'orchestrator sim: the orchestrator_sim package is not available ({exc}); '
              'run `make setup` and `source env.sh`', file=sys.stderr)
        return 1
    driver = None
    if args.with_driver:
        driver = subprocess.Popen(
            [sys.executable, '-m', 'orchestrator_pkg.nodes.base_driver_node', '--ros-args',
             '-p', 'use_sim_time:=true'], env=dict(os.environ))
    try:
        return sim_node.main(['orchestrator-sim', *ros_args(args)])
    finally:
        if driver is not None:
            driver.terminate()
            try:
                driver.wait(timeout=5)
            except subprocess.TimeoutExpired:
                driver.kill()


def register(subparsers) -> None:
    """Add ``sim``."""
    parser = subparsers.add_parser(
        'sim', help='run the embedded MuJoCo world alone (drive it yourself on cmd_vel)',
        description='Run the embedded MuJoCo world in the foreground. It publishes /clock, '
                    'scan, odom, tf, battery_state, detections, ground_truth/odom and '
                    'collisions, and takes cmd_vel. Stop it with Ctrl-C.')
    parser.add_argument('--world', required=True,
                        help='world file (.yaml, .world, .sdf) or a shipped world name '
                             '(warehouse, test_room)')
    parser.add_argument('--robot', default='small_indoor',
                        help='robot preset name (small_indoor, jackal) or YAML file')
    parser.add_argument('--rtf', type=_args.non_negative, default=1.0,
                        help='real-time factor: 1 real time (default), 0 as fast as possible')
    parser.add_argument('--seed', type=_args.seed, default=0, help='seed of the sensor noise')
    parser.add_argument('--spawn', default='',
                        help='start pose: a place name of the world or "x y yaw"')
    parser.add_argument('--strict', action='store_true',
                        help='unsupported world elements are errors, not warnings')
    parser.add_argument('--with-driver', action='store_true',
                        help='also run base_driver: drive on cmd_vel_nav instead of cmd_vel')
    parser.set_defaults(func=run)

"""The ``orchestrator`` command.

Sub-commands are added as the stack grows; each one lives in its own module
and registers here. ``orchestrator --help`` lists what exists.
"""
import argparse
import importlib
import os
import sys

from orchestrator_pkg import __version__


def _cmd_info(args: argparse.Namespace) -> int:
    """Print what this environment provides: ROS distro, RMW, interfaces."""
    rows = [('orchestrator', __version__),
            ('python', sys.version.split()[0]),
            ('ROS_DISTRO', os.environ.get('ROS_DISTRO')
             or ('jazzy (PyPI wheels)' if os.environ.get('ROS_DISTRO_WHEELS') else 'unset')),
            ('RMW_IMPLEMENTATION', os.environ.get('RMW_IMPLEMENTATION', 'default')),
            ('ROS_DOMAIN_ID', os.environ.get('ROS_DOMAIN_ID', '0 (default)'))]
    missing = []
    for module in ('rclpy', 'orchestrator_interfaces', 'nav2_msgs', 'tf2_msgs',
                   'py_trees', 'mujoco', 'numpy'):
        try:
            mod = importlib.import_module(module)
        except ImportError as exc:
            rows.append((module, f'MISSING ({exc})'))
            missing.append(module)
            continue
        where = os.path.dirname(getattr(mod, '__file__', '') or '')
        rows.append((module, getattr(mod, '__version__', '') or where))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f'{key:<{width}}  {value}')
    if missing:
        print(f'\nmissing: {", ".join(missing)}. Run `make setup` and `source env.sh`.',
              file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog='orchestrator',
        description='Behaviour-tree robot orchestration on ROS 2.')
    parser.add_argument('--version', action='version', version=f'%(prog)s {__version__}')
    sub = parser.add_subparsers(dest='command', metavar='COMMAND')
    info = sub.add_parser('info', help='show the ROS 2 environment and the packages found')
    info.set_defaults(func=_cmd_info)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``orchestrator`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, 'func', None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == '__main__':
    sys.exit(main())

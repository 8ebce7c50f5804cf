"""``orchestrator info``: what this environment provides."""
import importlib
import os
import sys

from orchestrator_pkg import __version__

CHECKED_MODULES = ('rclpy', 'orchestrator_interfaces', 'nav2_msgs', 'tf2_msgs',
                   'py_trees', 'mujoco', 'numpy')


def run(args) -> int:
    """Print the ROS distro, RMW and where each needed package comes from."""
    rows = [('orchestrator', __version__),
            ('python', sys.version.split()[0]),
            ('ROS_DISTRO', os.environ.get('ROS_DISTRO')
             or ('jazzy (PyPI wheels)' if os.environ.get('ROS_DISTRO_WHEELS') else 'unset')),
            ('RMW_IMPLEMENTATION', os.environ.get('RMW_IMPLEMENTATION', 'default')),
            ('ROS_DOMAIN_ID', os.environ.get('ROS_DOMAIN_ID', '0 (default)'))]
    missing = []
    for module in CHECKED_MODULES:
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


def register(subparsers) -> None:
    """Add ``info``."""
    parser = subparsers.add_parser(
        'info', help='show the ROS 2 environment and where each package comes from')
    parser.set_defaults(func=run)

"""The ``orchestrator`` command: discovers its sub-commands in :mod:`.commands`."""
import argparse
import importlib
import pkgutil
import sys

from orchestrator_pkg import __version__, commands


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every sub-command module found."""
    parser = argparse.ArgumentParser(
        prog='orchestrator',
        description='Behaviour-tree robot orchestration on ROS 2.')
    parser.add_argument('--version', action='version', version=f'%(prog)s {__version__}')
    sub = parser.add_subparsers(dest='command', metavar='COMMAND')
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith('_'):
            continue  # shared helpers, not commands
        module = importlib.import_module(f'{commands.__name__}.{info.name}')
        module.register(sub)
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

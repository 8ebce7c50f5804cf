"""The ``orchestrator`` command: discovers its sub-commands in :mod:`.commands`.

Only the module of the command given is imported (``map-from-world`` is
``commands/map_from_world.py``; :data:`commands.MODULE_OF` names the others),
so ``orchestrator pause`` does not import numpy, the tree engine or the
benchmarks first; ``--help`` and an unknown command import them all.
"""
import argparse
import importlib
import os
import pkgutil
import sys

from orchestrator_pkg import __version__, commands


def command_modules() -> list:
    """Return the names of the sub-command modules (helpers start with ``_``)."""
    return sorted(info.name for info in pkgutil.iter_modules(commands.__path__)
                  if not info.name.startswith('_'))


def module_of(command: str):
    """Return the module name that registers ``command``, or None when unknown."""
    name = commands.MODULE_OF.get(command, command.replace('-', '_'))
    return name if name in command_modules() else None


def build_parser(only=None) -> argparse.ArgumentParser:
    """Build the argument parser with every sub-command module (or just ``only``)."""
    parser = argparse.ArgumentParser(
        prog='orchestrator',
        description='Behaviour-tree robot orchestration on ROS 2.')
    parser.add_argument('--version', action='version', version=f'%(prog)s {__version__}')
    sub = parser.add_subparsers(dest='command', metavar='COMMAND')
    for name in [only] if only else command_modules():
        module = importlib.import_module(f'{commands.__name__}.{name}')
        module.register(sub)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``orchestrator`` console script."""
    argv = sys.argv[1:] if argv is None else list(argv)
    command = next((a for a in argv if not a.startswith('-')), None)
    parser = build_parser(module_of(command) if command else None)
    args = parser.parse_args(argv)
    if not getattr(args, 'func', None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader went away (`orchestrator missions | head`): no traceback, and
        # none from the interpreter flushing stdout at exit either
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell reports it


if __name__ == '__main__':
    sys.exit(main())

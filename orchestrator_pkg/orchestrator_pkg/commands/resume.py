"""``orchestrator resume``: continue a paused mission from where the tree was."""
from orchestrator_pkg import cli_ros


def run(args) -> int:
    """Call ``<node>/resume``."""
    return cli_ros.call_trigger(f'{args.node.rstrip("/")}/resume', args.timeout)


def register(subparsers) -> None:
    """Add ``resume``."""
    parser = subparsers.add_parser('resume', help='resume the paused mission')
    cli_ros.add_common(parser)
    parser.set_defaults(func=run)

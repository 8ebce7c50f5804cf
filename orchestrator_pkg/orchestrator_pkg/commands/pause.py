"""``orchestrator pause``: halt the running leaves and stop ticking the mission."""
from orchestrator_pkg import cli_ros


def run(args) -> int:
    """Call ``<node>/pause``."""
    return cli_ros.call_trigger(f'{args.node.rstrip("/")}/pause', args.timeout)


def register(subparsers) -> None:
    """Add ``pause``."""
    parser = subparsers.add_parser('pause', help='pause the running mission')
    cli_ros.add_common(parser)
    parser.set_defaults(func=run)

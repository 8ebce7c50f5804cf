"""``orchestrator pause`` / ``resume``: halt the running leaves and stop ticking, or go on."""
from orchestrator_pkg import cli_ros

HELP = {'pause': 'pause the running mission',
        'resume': 'resume the paused mission from where the tree was'}


def register(subparsers) -> None:
    """Add ``pause`` and ``resume``: each calls ``<node>/<command>`` (std_srvs/Trigger)."""
    for command, text in HELP.items():
        parser = subparsers.add_parser(command, help=text)
        cli_ros.add_common(parser)
        parser.set_defaults(func=lambda args, command=command: cli_ros.call_trigger(
            f'{args.node.rstrip("/")}/{command}', args.timeout))

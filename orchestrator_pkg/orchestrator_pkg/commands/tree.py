"""``orchestrator tree``: a live terminal view of the running tree, with statuses.

Subscribes to the orchestrator's BehaviourTreeSnapshot topic and redraws the
tree in place after each snapshot (``--watch``, the default; at most ``--rate``
times a second), folding idle branches when the tree is taller than the
terminal. ``--once`` prints one snapshot and exits. ``--node /bt_navigator``
watches the navigator's tree.
"""
import shutil
import sys

from orchestrator_pkg import cli_ros

SYMBOLS = {0: ('-', '\033[2m'), 1: ('*', '\033[33m'), 2: ('o', '\033[32m'), 3: ('x', '\033[31m')}
NAMES = {0: 'IDLE', 1: 'RUNNING', 2: 'SUCCESS', 3: 'FAILURE'}
RESET = '\033[0m'


def render(snapshot, color: bool = False, max_lines: int = 0) -> str:
    """Return the snapshot as indented text, one behaviour per line, with its status.

    A running or failed behaviour shows its feedback (a failure's is its
    reason). With ``max_lines`` (a terminal's height) and a taller tree, idle
    behaviours that the last tick did not reach are left out, and one line
    says how many.
    """
    depth = {}
    lines = [f'{snapshot.mission} / {snapshot.tree_id}  tick {snapshot.tick}']
    visited = set(snapshot.visited)
    fold = bool(max_lines) and len(snapshot.behaviours) + 1 > max_lines
    folded = 0
    for behaviour in snapshot.behaviours:
        level = 0 if behaviour.parent_id < 0 else depth.get(behaviour.parent_id, 0) + 1
        depth[behaviour.id] = level
        if fold and behaviour.status == 0 and behaviour.id not in visited:
            folded += 1
            continue
        symbol, tint = SYMBOLS.get(behaviour.status, ('?', ''))
        label = behaviour.name if behaviour.name == behaviour.type else \
            f'{behaviour.name} ({behaviour.type})'
        text = f'{"  " * level}{symbol} {label} [{NAMES.get(behaviour.status, "?")}]'
        if behaviour.feedback_message and behaviour.status in (1, 3):
            text += f' - {behaviour.feedback_message}'
        if behaviour.id not in visited:
            text += ' ~'
        lines.append(f'{tint}{text}{RESET}' if color else text)
    if folded:
        lines.append(f'({folded} idle behaviours not reached by the last tick not shown)')
    return '\n'.join(lines)


def run(args) -> int:
    """Follow the snapshot topic and redraw."""
    from orchestrator_interfaces.msg import BehaviourTreeSnapshot
    from orchestrator_pkg.ros_edge.qos import LATCHED_QOS
    from orchestrator_pkg.ros_edge.waiting import spin_until
    latest = []
    topic = args.topic or f'{args.node.rstrip("/")}/snapshot'
    color = sys.stdout.isatty() and not args.no_color
    with cli_ros.client_node('orchestrator_tree') as node:
        # latched: the last snapshot arrives at once, also while the mission is paused
        node.create_subscription(BehaviourTreeSnapshot, topic, latest.append, LATCHED_QOS)
        if not cli_ros.discover(node, cli_ros.has_publisher(topic),
                                min(args.timeout, cli_ros.DISCOVERY_S)):
            return cli_ros.fail(cli_ros.not_running(f'a publisher of {topic}'))
        # a snapshot is there at once if a mission ever ran (latched)
        if args.once:
            wait = min(args.timeout, cli_ros.READY_S)
            if not spin_until(node, lambda: bool(latest), wait):
                return cli_ros.fail(f'no snapshot on {topic} within {wait:g} s '
                                    '(no mission has run since the orchestrator started?)')
            print(render(latest[-1], color))
            return 0
        period = 1.0 / max(args.rate, 0.1)
        try:
            # live: a view opened before the first mission (or one whose first snapshot is
            # slow to come on a loaded machine) waits for it, as it waits between ticks
            if not spin_until(node, lambda: bool(latest), min(args.timeout, cli_ros.READY_S)):
                print(f'waiting for the first snapshot on {topic} (no mission has run since '
                      'the orchestrator started?); Ctrl-C to quit', flush=True)
                spin_until(node, lambda: bool(latest), float('inf'))
            while True:
                snapshot = latest[-1]
                latest.clear()
                height = shutil.get_terminal_size().lines - 3  # the legend, the cursor
                print('\033[2J\033[H' + render(snapshot, color, max(height, 5)), flush=True)
                print('\n(* running, o success, x failure, - idle, ~ not ticked; Ctrl-C to quit)')
                spin_until(node, lambda: False, period)
                if not latest:
                    spin_until(node, lambda: bool(latest), 3600.0)
        except KeyboardInterrupt:
            return 0


def register(subparsers) -> None:
    """Add ``tree``."""
    parser = subparsers.add_parser('tree', help='live view of the running tree')
    cli_ros.add_common(parser)
    parser.add_argument('--topic', default='', help='snapshot topic (default <node>/snapshot)')
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--watch', action='store_true',
                      help='redraw the tree in place after each snapshot until Ctrl-C '
                           '(the default)')
    mode.add_argument('--once', action='store_true', help='print one snapshot and exit')
    parser.add_argument('--rate', type=float, default=5.0, help='redraws per second (default 5)')
    parser.add_argument('--no-color', action='store_true', help='no ANSI colours')
    parser.set_defaults(func=run)

"""``orchestrator submit MISSION``: run a mission and follow it to its end.

MISSION is the name of a mission in the orchestrator's missions folder, or
the path of an XML file (sent inline). A file is validated here first, as the
orchestrator will load it, so its problems name the file and line
(``my.xml:19: ...``). ``--input key=value`` pairs go to the blackboard. Exit
code: 0 SUCCEEDED, 1 FAILED, 2 REJECTED (or invalid), 3 CANCELED, 4 no answer
(timeout or no server).
"""
import sys
import time

from diagnostic_msgs.msg import KeyValue
from rclpy.action import ActionClient

from orchestrator_pkg import cli_ros
from orchestrator_pkg.commands import _missions
from orchestrator_pkg.ros_edge.convert import seconds_of
from orchestrator_pkg.ros_edge.results import ResultRequest
from orchestrator_pkg.ros_edge.share import outcome_name

EXIT_CODES = {'SUCCEEDED': 0, 'FAILED': 1, 'REJECTED': 2, 'CANCELED': 3}  # else 1


def build_goal(mission: str, inputs, main_tree: str):
    """Return the ExecuteMission goal for a name or an XML file; ValueError on bad input."""
    from orchestrator_interfaces.action import ExecuteMission
    goal = ExecuteMission.Goal(main_tree=main_tree or '')
    if _missions.is_file(mission):
        goal.tree_xml = _missions.read(mission)  # MissionError is a ValueError
    else:
        goal.mission_name = mission
    for item in inputs or []:
        if '=' not in item:
            raise ValueError(f'--input "{item}" is not of the form key=value')
        key, value = item.split('=', 1)
        goal.inputs.append(KeyValue(key=key.strip(), value=value))
    return goal


def _check_file(path: str, inputs) -> list:
    """Validate a mission file as the orchestrator will load it (inline), under its own name."""
    from orchestrator_pkg.behaviours.plugins import default_registry
    return _missions.check(path, default_registry(), inputs, inline=True)


def run(args) -> int:
    """Send the goal, print feedback changes, print the result."""
    from orchestrator_interfaces.action import ExecuteMission
    from orchestrator_pkg.ros_edge.waiting import spin_until, wait_future
    try:
        goal = build_goal(args.mission, args.input, args.main_tree)
        if goal.tree_xml:
            problems = _check_file(args.mission, {kv.key: kv.value for kv in goal.inputs})
            errors = [p for p in problems if p.severity == 'error']
            for problem in problems:
                print(problem, file=sys.stderr)
            if errors:
                return cli_ros.fail(f'{args.mission}: {len(errors)} error(s); not sent', 2)
    except ValueError as exc:
        return cli_ros.fail(str(exc), 2)
    with cli_ros.client_node('orchestrator_submit') as node:
        client = ActionClient(node, ExecuteMission, args.action)
        send_goal = f'{args.action.rstrip("/")}/_action/send_goal'
        problem = cli_ros.connect(node, cli_ros.has_service(send_goal), client.server_is_ready,
                                  f'action {args.action}', args.timeout)
        if problem:
            return cli_ros.fail(problem, 4)
        last = {'path': None}

        def on_feedback(message):
            fb = message.feedback
            if fb.active_node_path != last['path'] and not args.quiet:
                last['path'] = fb.active_node_path
                print(f'[{fb.progress * 100:5.1f}%] {fb.active_node_path}  {fb.status_text}',
                      flush=True)
        try:
            handle = wait_future(node, client.send_goal_async(goal, feedback_callback=on_feedback),
                                 args.timeout)
        except TimeoutError:
            return cli_ros.fail('the orchestrator did not answer the goal', 4)
        if not handle.accepted:
            return cli_ros.fail('the orchestrator refused the goal (a mission is running)', 2)
        if args.no_wait:
            print('mission accepted')
            return 0
        request = ResultRequest(handle, lambda status: print(
            f'the mission ended (status {status}) but its result did not come: asking again',
            file=sys.stderr, flush=True))
        deadline = None if args.max_duration <= 0 else time.monotonic() + args.max_duration
        try:
            while not request.done():
                if deadline is not None and time.monotonic() > deadline:
                    handle.cancel_goal_async()
                    spin_until(node, request.done, args.timeout)
                    break
                spin_until(node, request.done, 0.5)
        except KeyboardInterrupt:
            print('canceling the mission', flush=True)
            handle.cancel_goal_async()
            spin_until(node, request.done, args.timeout)
        if not request.done():
            return cli_ros.fail('no result', 4)
        result = request.response().result
        name = outcome_name(result.outcome)
        seconds = seconds_of(result.elapsed)
        print(f'{name} after {result.ticks} ticks ({seconds:.2f} s)')
        failure = result.failure
        if failure.code:
            where = f'{failure.node_path} ({failure.node_type}): ' if failure.node_path else ''
            leaf = (f' [{failure.leaf_interface} error_code {failure.leaf_error_code}]'
                    if failure.leaf_error_code else '')
            message = failure.message
            if goal.tree_xml:  # the orchestrator names a tree sent inline '<inline>'
                message = message.replace('<inline>:', f'{args.mission}:')
            print(f'reason {failure.code}: {where}{message}{leaf}')
        return EXIT_CODES.get(name, 1)


def register(subparsers) -> None:
    """Add ``submit``."""
    parser = subparsers.add_parser('submit', help='run a mission (by name or XML file)')
    parser.add_argument('mission', metavar='MISSION', help='mission name, or an XML file')
    parser.add_argument('--input', action='append', metavar='KEY=VALUE',
                        help='blackboard input (repeatable)')
    parser.add_argument('--main-tree', default='', help='BehaviorTree ID to run')
    parser.add_argument('--action', default=cli_ros.DEFAULT_ACTION,
                        help=f'the mission action (default {cli_ros.DEFAULT_ACTION})')
    parser.add_argument('--no-wait', action='store_true',
                        help='return once the mission is accepted')
    parser.add_argument('--quiet', action='store_true', help='print only the result')
    parser.add_argument('--max-duration', type=float, default=0.0, metavar='S',
                        help='cancel the mission after S seconds (0: no limit)')
    parser.add_argument('--timeout', type=float, default=10.0, metavar='S',
                        help='give up after S seconds without an answer (default 10)')
    parser.set_defaults(func=run)

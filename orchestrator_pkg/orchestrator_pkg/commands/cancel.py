"""``orchestrator cancel``: cancel every goal of the execute_mission action."""
from action_msgs.srv import CancelGoal

from orchestrator_pkg import cli_ros


def run(args) -> int:
    """Send a cancel-all request (zero goal id and stamp) to the action server."""
    from orchestrator_pkg.ros_edge.waiting import wait_future
    service = f'{args.action.rstrip("/")}/_action/cancel_goal'
    with cli_ros.client_node('orchestrator_cli') as node:
        client = node.create_client(CancelGoal, service)
        problem = cli_ros.connect(node, cli_ros.has_service(service), client.service_is_ready,
                                  f'action {args.action}', args.timeout)
        if problem:
            return cli_ros.fail(problem)
        try:
            response = wait_future(node, client.call_async(CancelGoal.Request()), args.timeout)
        except TimeoutError:
            return cli_ros.fail(f'no answer from {service} within {args.timeout:g} s')
        count = len(response.goals_canceling)
        if count == 0:
            print('no mission was running')
            return 1
        print(f'canceling {count} mission(s)')
        return 0


def register(subparsers) -> None:
    """Add ``cancel``."""
    parser = subparsers.add_parser('cancel', help='cancel the running mission')
    parser.add_argument('--action', default=cli_ros.DEFAULT_ACTION,
                        help=f'the mission action (default {cli_ros.DEFAULT_ACTION})')
    parser.add_argument('--timeout', type=float, default=10.0, metavar='S',
                        help='give up after S seconds without an answer (default 10)')
    parser.set_defaults(func=run)

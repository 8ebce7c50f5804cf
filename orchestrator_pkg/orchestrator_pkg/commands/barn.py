"""``orchestrator barn``: the BARN benchmark in the MuJoCo sim, through navigate_to_pose.

Per world and run it starts the stack of ``config/barn_bringup.yaml`` (the sim
with the jackal preset at the BARN start, base_driver, planner, controller,
behavior server, and the navigator running Nav2's default tree), sends one
NavigateToPose goal to the BARN goal, and watches the sim's ground truth
(``ground_truth/odom``, ``collisions``, ``/clock``): within 1 m of the goal
and no collision within 100 s of sim time is a success. Then the stack is
stopped, so every run starts clean. The protocol's arithmetic is in
:mod:`orchestrator_pkg.benchmark.barn`.
"""
import dataclasses
import json
import math
import os
import signal
import sys
import time

from orchestrator_pkg.benchmark import barn
from orchestrator_pkg.bringup.description import BringupError
from orchestrator_pkg.commands import _args
from orchestrator_pkg.commands.run import STOP_SIGNALS
from orchestrator_pkg.ros_edge import convert, share
from orchestrator_pkg.ros_edge.main import NodeExecutor, destroy_node_and_waitables

DEFAULT_BRINGUP = 'barn_bringup.yaml'
CONTROLLERS = ('rpp', 'mppi')  # --controller: the bringup's run argument controller
SERVER_WAIT_S = 180.0  # wall time for the stack to come up on a loaded machine
SETTLE_WALL_S = 300.0  # wall time cap per run on top of the sim-time limit
CANCEL_WAIT_S = 5.0
TF_ERROR = 202  # nav2_msgs/ComputePathToPose TF_ERROR: no tf or odometry yet
SERVERS = ('navigate_to_pose', 'compute_path_to_pose', 'follow_path', 'spin', 'backup')


def default_barn_dir() -> str:
    """``<repo>/../shared/benchmarks/barn``, found from this file or the working dir."""
    here = os.path.realpath(__file__)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(here))))
    candidates = [os.path.join(repo, '..', 'shared', 'benchmarks', 'barn'),
                  os.path.join(os.getcwd(), '..', 'shared', 'benchmarks', 'barn'),
                  os.path.join(os.getcwd(), 'shared', 'benchmarks', 'barn')]
    for candidate in candidates:
        if os.path.isdir(os.path.join(candidate, 'worlds')):
            return os.path.normpath(candidate)
    return os.path.normpath(candidates[0])


def _check_bringup(path: str, controller: str = CONTROLLERS[0], params=()) -> None:
    """Load and resolve the bringup once, so a bad file or --param is one line before any run."""
    from orchestrator_pkg.bringup import description
    from orchestrator_pkg.bringup.runner import ament_executable
    bringup = description.load(share.config_file(path))
    args = {'world': '', 'rtf': 1.0, 'seed': 0, 'spawn': '', 'max_lead_s': 0.1,
            'controller': controller}
    for launch in description.resolve(bringup, share.share_dir, args, sim=True, params=params):
        ament_executable(launch.node.package, launch.node.executable)


class BarnRun:
    """The ROS side of one run: a client node watching the sim, sending the goal."""

    def __init__(self, rclpy, goal_yaw: float = barn.START[2]):
        from nav2_msgs.action import BackUp, ComputePathToPose, FollowPath, NavigateToPose, Spin
        from nav_msgs.msg import Odometry
        from rclpy.action import ActionClient
        from rclpy.qos import qos_profile_sensor_data
        from rosgraph_msgs.msg import Clock

        from orchestrator_interfaces.msg import (
            BehaviourStatus,
            BehaviourStatusChanges,
            CollisionEvent,
        )
        from orchestrator_pkg.ros_edge.lifecycle import StackActive
        from orchestrator_pkg.ros_edge.qos import STATUS_CHANGES_QOS

        self._NavigateToPose = NavigateToPose
        self.node = rclpy.create_node('barn_runner')
        # the node added once (rclpy.spin_once(node) adds and removes it on every call)
        self._executor = NodeExecutor()
        self._executor.add_node(self.node)
        self.clock_s = None
        self.pose = None
        self.collisions = []
        self.goal_yaw = goal_yaw
        self.node.create_subscription(Clock, '/clock', self._on_clock, 10)
        self.node.create_subscription(Odometry, 'ground_truth/odom', self._on_pose,
                                      qos_profile_sensor_data)
        self.node.create_subscription(CollisionEvent, 'collisions', self._on_collision, 10)
        # the navigator's tree, every status change (lossless per tick): what ran
        self.tree_counts = {}
        self._ends = {BehaviourStatus.SUCCESS: 'succeeded', BehaviourStatus.FAILURE: 'failed'}
        self.node.create_subscription(BehaviourStatusChanges, 'bt_navigator/status_changes',
                                      self._on_tree_changes, STATUS_CHANGES_QOS)
        types = {'navigate_to_pose': NavigateToPose, 'compute_path_to_pose': ComputePathToPose,
                 'follow_path': FollowPath, 'spin': Spin, 'backup': BackUp}
        self.clients = {name: ActionClient(self.node, types[name], name) for name in SERVERS}
        self.stack = StackActive(self.node)  # the servers refuse goals until it is active
        self.handle = None
        self.result = None
        self.rejected = False
        self.probe = None
        # results not in yet (ros_edge.results: a lost reply is asked for again)
        self._requests = {}  # 'result' or 'probe' -> (ResultRequest, response -> value)

    def _on_clock(self, msg) -> None:
        self.clock_s = convert.seconds_of(msg.clock)

    def _on_pose(self, msg) -> None:
        self.pose = (msg.pose.pose.position.x, msg.pose.pose.position.y)

    def _on_collision(self, msg) -> None:
        self.collisions.append((convert.seconds_of(msg.header.stamp), msg.other))

    def _on_tree_changes(self, msg) -> None:
        for change in msg.changes:
            counted = barn.tree_count_key(change.type, change.path.rsplit('/', 1)[-1],
                                          self._ends.get(change.status))
            if counted:
                self.tree_counts[counted] = self.tree_counts.get(counted, 0) + 1

    def spin(self, seconds: float = 0.02) -> None:
        """Process what arrived (this process's own loop; never inside a callback)."""
        self._executor.spin_once(timeout_sec=seconds)
        for name, (request, value) in list(self._requests.items()):
            if request.done():
                del self._requests[name]
                setattr(self, name, value(request.response()))

    def _ask_result(self, name: str, handle, value) -> None:
        from orchestrator_pkg.ros_edge.results import ResultRequest
        self._requests[name] = (ResultRequest(handle, lambda status: print(
            f'[barn] {name}: the goal ended (status {status}) but its result did not come: '
            'asking again', file=sys.stderr, flush=True)), value)

    def ready(self) -> bool:
        """Every server is up and active, and the sim publishes time and ground truth."""
        return (self.clock_s is not None and self.pose is not None
                and all(c.server_is_ready() for c in self.clients.values())
                and self.stack.poll())

    def probe_planner(self, goal_xy) -> None:
        """Ask compute_path_to_pose for the goal once; the answer lands in ``probe``."""
        from nav2_msgs.action import ComputePathToPose
        goal = ComputePathToPose.Goal(goal=convert.pose_stamped('map', *goal_xy, 0.0))
        self.probe = None

        def on_response(future):
            handle = future.result()
            if not handle.accepted:
                self.probe = -1
                return
            self._ask_result('probe', handle, lambda response: response.result.error_code)
        self.clients['compute_path_to_pose'].send_goal_async(goal).add_done_callback(
            on_response)

    def send_goal(self, goal_xy) -> None:
        """Send NavigateToPose to the goal, in the map frame."""
        goal = self._NavigateToPose.Goal(
            pose=convert.pose_stamped('map', *goal_xy, self.goal_yaw))
        self.handle = None
        self.result = None
        self.rejected = False
        future = self.clients['navigate_to_pose'].send_goal_async(goal)
        future.add_done_callback(self._on_goal_response)

    def _on_goal_response(self, future) -> None:
        handle = future.result()
        if not handle.accepted:
            self.rejected = True
            return
        self.handle = handle
        self._ask_result('result', handle, lambda response: (
            response.status, response.result.error_code, response.result.error_msg))

    def cancel(self) -> None:
        """Cancel the goal if it still runs, and wait briefly for its end."""
        if self.handle is None or self.result is not None:
            return
        self.handle.cancel_goal_async()
        deadline = time.monotonic() + CANCEL_WAIT_S
        while self.result is None and time.monotonic() < deadline:
            self.spin(0.05)

    def close(self) -> None:
        """Destroy the client node."""
        for client in self.clients.values():
            client.destroy()
        self._executor.shutdown()
        destroy_node_and_waitables(self.node)


def _status_text(result) -> str:
    if result is None:
        return ''
    names = {4: 'SUCCEEDED', 5: 'CANCELED', 6: 'ABORTED'}
    status, code, message = result
    text = names.get(status, str(status))
    if code:
        text += f' code {code}'
    if message:
        text += f': {message}'
    return text


def run_once(args, index: int, run: int, world_file: str, optimal_s: float, log) -> barn.RunResult:
    """Start the stack, navigate to the BARN goal, stop the stack; return the run's result."""
    import rclpy

    from orchestrator_pkg.bringup import description
    from orchestrator_pkg.bringup.runner import Runner, ament_executable

    bringup = description.load(share.config_file(args.bringup))
    spawn = f'{barn.START[0]} {barn.START[1]} {barn.START[2]}'
    run_args = {'world': world_file, 'rtf': float(args.rtf), 'seed': int(args.seed) + run,
                'spawn': spawn, 'max_lead_s': float(args.max_lead_s),
                'controller': args.controller}
    launches = description.resolve(bringup, share.share_dir, run_args, sim=True,
                                   params=args.param)
    runner = Runner(launches, ament_executable, grace_period_s=bringup.grace_period_s,
                    output=log)
    wall_start = time.monotonic()
    # no rclpy signal handlers: barn_command's own stop the run in order (rclpy's would
    # shut the context down under the run, and its nodes could not be stopped cleanly)
    from rclpy.signals import SignalHandlerOptions
    rclpy.init(signal_handler_options=SignalHandlerOptions.NO)
    client = BarnRun(rclpy)
    status, elapsed, nav_text, attempts, rtf = 'error', 0.0, '', 0, 0.0
    aborts = []
    runner.start()
    try:
        deadline = time.monotonic() + SERVER_WAIT_S
        fatal = None
        while not client.ready():
            client.spin(0.05)
            fatal = runner.poll()
            if fatal or time.monotonic() > deadline:
                break
        if client.ready():
            # the servers are up, but the planner may not have tf (map -> odom) or odom
            # yet: wait until it answers something other than TF_ERROR, so the timed
            # run does not start with the tree failing on a half-started stack
            while True:
                client.probe_planner(barn.GOAL)
                while client.probe is None and time.monotonic() < deadline \
                        and not runner.poll():
                    client.spin(0.05)
                if client.probe != TF_ERROR or time.monotonic() > deadline or runner.poll():
                    break
                pause = time.monotonic() + 0.5
                while time.monotonic() < pause:
                    client.spin(0.05)
        fatal = fatal or runner.poll()
        if not client.ready() or fatal or client.probe in (None, TF_ERROR):
            nav_text = fatal or f'stack not up within {SERVER_WAIT_S:.0f} s wall time'
        else:
            t0 = client.clock_s
            nav_wall_start = time.monotonic()
            client.send_goal(barn.GOAL)
            attempts = 1
            wall_deadline = time.monotonic() + SETTLE_WALL_S
            while True:
                client.spin(0.02)
                fatal = runner.poll()
                if fatal:
                    nav_text = fatal
                    break
                elapsed = client.clock_s - t0
                x, y = client.pose
                distance = math.hypot(x - barn.GOAL[0], y - barn.GOAL[1])
                verdict = barn.classify(distance, bool(client.collisions), elapsed,
                                        args.time_limit_s)
                if verdict is not None:
                    status = verdict
                    if verdict == 'collided':
                        elapsed = max(0.0, client.collisions[0][0] - t0)
                    break
                if time.monotonic() > wall_deadline:
                    nav_text = f'no verdict within {SETTLE_WALL_S:.0f} s wall time'
                    break
                if client.rejected or client.result is not None:
                    # navigation gave up (Nav2's tree ran out of recoveries) with time
                    # left: ask again, as an operator would; counted in nav_attempts
                    aborts.append(_status_text(client.result) if client.result else 'rejected')
                    client.send_goal(barn.GOAL)
                    attempts += 1
            nav_text = nav_text or _status_text(client.result) or 'running at the verdict'
            if aborts:
                nav_text += f'; {len(aborts)} earlier attempt(s) ended: ' + ' | '.join(aborts)
            nav_wall = time.monotonic() - nav_wall_start
            rtf = elapsed / nav_wall if nav_wall > 0 else 0.0
            client.cancel()
    finally:
        runner.shutdown()
        client.close()
        rclpy.try_shutdown()
    succeeded = status == 'succeeded'
    result = barn.RunResult(world=index, run=run, status=status, time_s=elapsed,
                            optimal_time_s=optimal_s,
                            metric=barn.metric(succeeded, elapsed, optimal_s),
                            wall_time_s=time.monotonic() - wall_start, nav_result=nav_text,
                            nav_attempts=attempts, rtf=rtf,
                            tree_counts=dict(sorted(client.tree_counts.items())))
    return result


def _row(result: barn.RunResult) -> str:
    return (f'{result.world:>6} {result.run:>4} {result.status:<10} {result.time_s:8.1f} '
            f'{result.optimal_time_s:7.2f} {result.metric:7.3f} {result.wall_time_s:7.1f} '
            f'{result.rtf:5.2f}  {result.nav_result}'
            + (' [' + ', '.join(f'{k} {v}' for k, v in result.tree_counts.items()) + ']'
               if result.tree_counts else ''))


def barn_command(args) -> int:
    """Run the selected worlds; print a row per run and the means; write JSON."""
    worlds_dir = args.worlds or os.path.join(default_barn_dir(), 'worlds')
    paths_dir = args.paths or os.path.join(os.path.dirname(os.path.normpath(worlds_dir)),
                                           'path_files')
    try:
        available = barn.world_indices(worlds_dir)
        if args.protocol == 'test':
            if args.indices != 'all' or args.sample or args.runs is not None:
                raise barn.BarnError('--protocol test chooses the worlds and runs itself '
                                     '(50 worlds 0, 6, ..., 294 x 10 runs): drop --indices, '
                                     '--sample and --runs')
            args.runs = barn.TEST_RUNS
            indices = barn.parse_indices(','.join(map(str, barn.TEST_WORLDS)), available,
                                         source='--protocol test')
        else:
            indices = barn.parse_indices(args.indices, available)
        if args.sample:
            indices = barn.spread_sample(indices, args.sample)
        if args.runs is None:
            args.runs = 1
        optimal = {i: barn.optimal_time(barn.path_length(
            barn.load_path(os.path.join(paths_dir, f'path_{i}.npy')))) for i in indices}
    except barn.BarnError as exc:
        hint = '' if args.worlds or os.path.isdir(worlds_dir) else (
            ' (the BARN data is expected in <repo>/../shared/benchmarks/barn; '
            'give --worlds DIR)')
        print(f'orchestrator barn: {exc}{hint}', file=sys.stderr)
        return 2
    try:
        _check_bringup(args.bringup, args.controller, args.param)
    except (BringupError, FileNotFoundError) as exc:
        print(f'orchestrator barn: {exc}', file=sys.stderr)
        return 2
    if args.workers or args.ray:
        return _as_campaign(args, indices, optimal, worlds_dir, paths_dir)
    if args.resume or args.stagger_s is not None or args.campaign_dir:
        print('orchestrator barn: --resume, --stagger-s and --campaign-dir are for a BARN '
              'campaign: add --workers N or --ray ADDRESS', file=sys.stderr)
        return 2
    log_file = open(args.log, 'w', encoding='utf-8') if args.log else None

    def log(line: str) -> None:
        if log_file is not None:
            log_file.write(line + '\n')
        if args.verbose:
            print(line, flush=True)

    stop = {'requested': False}

    def on_stop_signal(signum, frame):
        stop['requested'] = True
        raise KeyboardInterrupt
    # Ctrl-C, kill and a closed terminal alike: the run's stack stopped, the finished runs kept
    previous = {sig: signal.signal(sig, on_stop_signal) for sig in STOP_SIGNALS}
    print(f'BARN: {len(indices)} worlds x {args.runs} runs, controller {args.controller}, '
          f'rtf {args.rtf:g}, '
          f'max_lead_s {args.max_lead_s:g}, time limit {args.time_limit_s:g} s sim time')
    print(f'{"world":>6} {"run":>4} {"status":<10} {"time s":>8} {"opt s":>7} {"metric":>7} '
          f'{"wall s":>7} {"rtf":>5}  navigate_to_pose')
    results = []
    try:
        for index in indices:
            world_file = os.path.join(worlds_dir, f'world_{index}.world')
            for run in range(args.runs):
                result = run_once(args, index, run, world_file, optimal[index], log)
                results.append(result)
                print(_row(result), flush=True)
                if args.out:
                    _write(args.out, args, results)
    except KeyboardInterrupt:
        print('orchestrator barn: interrupted; the means cover the finished runs')
    except Exception:
        if not stop['requested']:
            raise
        # the stop signal's KeyboardInterrupt landed inside a C extension's call and came
        # out as another exception (pybind11: "Unable to convert call argument '0'",
        # seen in rclpy's take_message): it is the stop all the same, and run_once's
        # finally has stopped the run's stack
        print('orchestrator barn: interrupted; the means cover the finished runs')
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if log_file is not None:
            log_file.close()
    _print_means(results)
    if args.out:
        _write(args.out, args, results)
        print(f'wrote {args.out}')
    return 0 if results and not stop['requested'] else 1


def _print_means(results) -> None:
    means = barn.summarize(results)
    if results:
        print(f'means over {means["runs"]} runs ({means["worlds"]} worlds): '
              f'success {means["success"]:.3f}, collision {means["collision"]:.3f}, '
              f'timeout {means["timeout"]:.3f}, error {means["error"]:.3f}, '
              f'metric {means["metric"]:.4f} (of 0.5; {means["metric_025"]:.4f} of 0.25), '
              f'rtf while navigating {means["mean_rtf"]:.2f}')
        dwa = barn.DWA_BASELINE
        print(f'BARN DWA baseline ({dwa["runs"]} runs): success {dwa["success"]}, collision '
              f'{dwa["collision"]}, metric {dwa["metric_025"]} of 0.25 (2022 rules; set it '
              f'beside {means["metric_025"]:.4f} here)')


def _as_campaign(args, indices, optimal, worlds_dir, paths_dir) -> int:
    """``--workers``/``--ray``: the same worlds and runs as a BARN campaign.

    Each run is ``orchestrator barn`` for one world and seed, in a process and ROS
    domain of its own (:mod:`orchestrator_pkg.commands._campaign_runs`): rows in
    ``--campaign-dir``, ``--resume``, one retry of an errored run. The means
    and ``--out`` are the same as for runs in this process, from each run's result.
    """
    from orchestrator_pkg.benchmark import campaign as spec
    from orchestrator_pkg.commands import _campaign_runs
    if args.log or args.verbose:
        print('orchestrator barn: --log and --verbose are for runs in this process; in a '
              'campaign each run\'s output is in its folder (attempt_N.log)', file=sys.stderr)
        return 2
    variant = spec.Variant(name=args.controller, controller=args.controller,
                           params=tuple(args.param))
    campaign = spec.Campaign(
        source='orchestrator barn', name='barn', benchmark='barn', variants=(variant,),
        rtf=args.rtf, time_limit_s=args.time_limit_s, seed=args.seed,
        bringup='' if args.bringup == DEFAULT_BRINGUP else args.bringup,
        barn_worlds=','.join(map(str, indices)), barn_runs=args.runs)
    runs = spec.expand(campaign, indices)
    extra = ['--worlds', os.path.abspath(worlds_dir), '--paths', os.path.abspath(paths_dir),
             '--max-lead-s', f'{args.max_lead_s:g}']
    folder = args.campaign_dir or (f'{os.path.splitext(args.out)[0]}_runs' if args.out
                                   else 'barn_campaign')
    code, finals = _campaign_runs.run_campaign(campaign, runs, folder, args, extra,
                                                 who='orchestrator barn')
    if code == 2:
        return code
    by_id = {row['id']: row for row in finals}
    results = [_result_of(by_id[run.id], run, _campaign_runs.run_folder(
        os.path.abspath(folder), run), optimal) for run in runs if run.id in by_id]
    _print_means(results)
    if args.out:
        _write(args.out, args, results)
        print(f'wrote {args.out}')
    return code


def _result_of(row, run, folder, optimal) -> barn.RunResult:
    """One campaign run's :class:`barn.RunResult`, from its result file (or its error row)."""
    world = int(run.world)
    try:
        with open(os.path.join(folder, 'result.json'), encoding='utf-8') as f:
            data = json.load(f)['runs'][0]
        result = barn.RunResult.from_dict(data)
        if row['status'] != 'error':
            return dataclasses.replace(result, run=run.index)
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        pass
    return barn.RunResult(world=world, run=run.index, status='error', time_s=0.0,
                          optimal_time_s=optimal[world], metric=0.0,
                          nav_result=str(row.get('detail', ''))[:200])


def _write(path: str, args, results) -> None:
    data = {'protocol': {'start': list(barn.START), 'goal': list(barn.GOAL),
                         'success_radius_m': barn.SUCCESS_RADIUS_M,
                         'time_limit_s': args.time_limit_s, 'rtf': args.rtf,
                         'max_lead_s': args.max_lead_s, 'seed': args.seed,
                         'bringup': args.bringup, 'controller': args.controller,
                         'protocol': args.protocol, 'metric_scale_max': barn.METRIC_MAX,
                         'params': [f'{n}.{p}={v}' for n, p, v in args.param]},
            'runs': [r.as_dict() for r in results],
            'means': barn.summarize(results),
            'baseline_dwa': barn.DWA_BASELINE}
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(data, f, indent=2)
        f.write('\n')
    os.replace(tmp, path)


def register(subparsers) -> None:
    """Add ``barn``."""
    parser = subparsers.add_parser(
        'barn', help='run the BARN benchmark in the sim through navigate_to_pose',
        description='Per world and run: start the stack (sim with the jackal at the BARN '
                    'start, navigation servers, navigator), send NavigateToPose to the BARN '
                    'goal, and score success (within 1 m, no collision, 100 s sim time), '
                    'time and the BARN metric from the sim\'s ground truth.')
    parser.add_argument('--worlds', metavar='DIR',
                        help='folder of world_N.world files (default: '
                             '<repo>/../shared/benchmarks/barn/worlds)')
    parser.add_argument('--paths', metavar='DIR',
                        help='folder of path_N.npy files (default: path_files next to --worlds)')
    parser.add_argument('--indices', default='all', metavar='LIST',
                        help="world indices, e.g. '0,2,10-20' (default: all)")
    parser.add_argument('--sample', type=_args.positive_int, metavar='N',
                        help='keep N of the selected worlds, spread evenly over them')
    parser.add_argument('--runs', type=_args.positive_int, help='runs per world (default: 1)')
    parser.add_argument('--protocol', choices=('custom', 'test'), default='custom',
                        help="test: the challenge's own test protocol, 50 worlds 0, 6, ..., 294 "
                             'x 10 runs (default: custom, the worlds and runs chosen here)')
    parser.add_argument('--out', metavar='FILE.json', help='write per-run results and means')
    parser.add_argument('--rtf', type=_args.non_negative, default=1.0,
                        help='sim real-time factor, 0 = as fast as the lockstep allows '
                             '(default: %(default)s)')
    parser.add_argument('--max-lead-s', type=_args.non_negative, default=0.1,
                        help='sim lockstep: never run more than this sim time past the last '
                             'cmd_vel; 0 = free-running (default: %(default)s)')
    parser.add_argument('--seed', type=_args.seed, default=0,
                        help='sim seed of run 0 (run k: seed+k)')
    parser.add_argument('--time-limit-s', type=_args.non_negative, default=barn.TIME_LIMIT_S,
                        help='sim time limit per run (default: %(default)s)')
    parser.add_argument('--controller', choices=CONTROLLERS, default=CONTROLLERS[0],
                        help="FollowPath's controller: regulated pure pursuit or MPPI "
                             '(the bringup\'s run argument controller; default: %(default)s)')
    parser.add_argument('--bringup', default=DEFAULT_BRINGUP,
                        help='bringup description (default: %(default)s)')
    _args.add_param_option(parser, 'in every run')
    from orchestrator_pkg.commands._campaign_runs import add_worker_options
    add_worker_options(parser, 'none: every run in this process, one after another')
    parser.add_argument('--campaign-dir', metavar='DIR',
                        help='with --workers or --ray: the campaign\'s folder (results.jsonl, '
                             'report, each run\'s files; default: OUT_runs next to --out, '
                             'else barn_campaign)')
    parser.add_argument('--log', metavar='FILE', help='write the nodes\' output here')
    parser.add_argument('--verbose', action='store_true', help='print the nodes\' output')
    parser.set_defaults(func=barn_command)

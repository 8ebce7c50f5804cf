"""``orchestrator run``: start the stack from the bringup description, run a mission.

Where ROS launch is absent this is the launcher: it reads the same
``config/bringup.yaml`` as ``launch/bringup.launch.py``, starts every node
as its own process, sends the mission to ``execute_mission``, shows its
progress, and ends with a summary. Ctrl-C (or a required node dying)
cancels the mission, sends zero velocity, and stops everything in order.
With ``--run-dir DIR`` it records the run there: summary.json,
mission.jsonl, run.mcap and trajectory.png (see bringup/run_folder.py).

The mission (a shipped name or your own ``FILE.xml``) is found and validated,
with its inputs and the world's place names, before any process starts. The
terminal stays quiet (bringup/terminal.py): each node's output goes to its
own file under ``DIR/logs/`` (a temporary folder without ``--run-dir``), and
only warnings and errors reach the terminal, each once.
"""
import argparse
import json
import os
import signal
import sys
import tempfile
import time

from orchestrator_pkg.bringup.description import BringupError
from orchestrator_pkg.commands import _args, _missions
from orchestrator_pkg.ros_edge import share

DEFAULT_BRINGUP = 'bringup.yaml'
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
TEARDOWN_STACKS_S = 60.0  # the nodes' stop takes seconds; a teardown this long hangs


def _inputs(pairs, namespaces):
    """Split ``--input`` into inputs for every robot and per-robot ``NS:KEY=VALUE`` ones."""
    inputs, per_robot = {}, {}
    for pair in pairs or []:
        key, sep, value = pair.partition('=')
        if not sep or not key:
            raise argparse.ArgumentTypeError(f'--input {pair!r}: expected KEY=VALUE '
                                             'or ROBOT:KEY=VALUE')
        robot, colon, name = key.partition(':')
        if not colon:
            inputs[key] = value
            continue
        if robot not in namespaces or not name:
            known = ', '.join(ns for ns in namespaces if ns) or 'none: one robot'
            raise argparse.ArgumentTypeError(
                f'--input {pair!r}: {robot!r} is not a robot of this run (robots: {known})')
        per_robot.setdefault(robot, {})[name] = value
    return inputs, per_robot


def check_mission(mission: str, world: str, inputs, robot_inputs,
                  output=print) -> str:
    """Find and validate the mission before anything starts; return a file's XML ('' for a name).

    Every robot's inputs are checked (with the world's place names when the world
    has places). Warnings are printed and the run goes on; errors raise
    ``MissionError`` with every problem, one per line.
    """
    from orchestrator_pkg.behaviours.plugins import default_registry
    path = _missions.resolve(mission)
    as_file = _missions.is_file(mission)
    try:
        known = _missions.place_names(world)
    except _missions.MissionError:
        known = None  # a world without places (an SDF world): GetPlacePose says so itself
    registry = default_registry()
    problems = []
    for extra in (list(robot_inputs.values()) or [{}]):
        for problem in _missions.check(path, registry, {**inputs, **extra}, known_values=known,
                                       inline=as_file):
            if problem not in problems:
                problems.append(problem)
    errors = [p for p in problems if p.severity == 'error']
    if errors:
        raise _missions.MissionError(
            f'mission {mission} has {len(errors)} error(s); nothing was started:\n'
            + '\n'.join(str(p) for p in problems))
    for problem in problems:
        output(f'[run] {problem}')
    return _missions.read(path) if as_file else ''


def _set_argument(bringup, run_args, name, value, option, example=''):
    """Set a run argument from a command-line option; refuse it if the bringup has none."""
    if not any(arg.name == name for arg in bringup.arguments):
        raise BringupError(f'{bringup.source}: {option}: this bringup has no {name} '
                           f'argument{example}')
    run_args[name] = value


def run(args) -> int:
    """Start the bringup, run the mission, print the summary; exit 0 on success."""
    from orchestrator_pkg.bringup import description, run_folder
    from orchestrator_pkg.bringup.runner import Runner, ament_executable
    from orchestrator_pkg.bringup.terminal import NodeLogs, Terminal

    terminal = Terminal()
    try:
        bringup = description.load(share.config_file(args.bringup))
        inputs, robot_inputs = _inputs(args.input, bringup.namespaces(args.robots))
        tree_xml = check_mission(args.mission, args.world, inputs, robot_inputs, terminal) \
            if args.mission else ''
        run_args = {'world': args.world, 'robot': args.robot, 'rtf': args.rtf,
                    'seed': args.seed, 'mission': args.mission or ''}
        if args.localization:
            _set_argument(bringup, run_args, 'localization', args.localization,
                          f'--localization {args.localization}',
                          ' (e.g. BARN: no map, no localizer)')
        if args.composition:
            _set_argument(bringup, run_args, description.COMPOSITION_ARGUMENT, 'true',
                          '--composition')
        localization = bringup.run_arguments(run_args).get('localization', '')
        only = [n.strip() for n in (args.only or '').split(',') if n.strip()]
        launches = description.resolve(bringup, share.share_dir, run_args, sim=not args.no_sim,
                                       robots=args.robots, only=only, params=args.param)
        logs = None  # made below, once the log folder is known; the runner writes to it
        runner = Runner(launches, ament_executable, grace_period_s=bringup.grace_period_s,
                        output=terminal, node_output=lambda label, line: logs(label, line))
        files = None
        if args.run_dir:
            os.makedirs(args.run_dir, exist_ok=True)
            files = run_folder.paths(args.run_dir)
            log_dir = os.path.join(args.run_dir, run_folder.LOGS)
        else:
            log_dir = tempfile.mkdtemp(prefix='orchestrator-run-')
    except (BringupError, FileNotFoundError, argparse.ArgumentTypeError,
            _missions.MissionError) as exc:
        terminal(f'orchestrator run: {exc}')
        terminal.close()
        return 2
    except OSError as exc:
        terminal(f'orchestrator run: --run-dir {args.run_dir}: {exc.strerror}')
        terminal.close()
        return 2

    logs = NodeLogs(log_dir, terminal, verbose=args.verbose)
    ros = []  # _run appends once this process has ROS nodes of its own
    try:
        code = _run(args, bringup, runner, inputs, robot_inputs, tree_xml, files, terminal,
                    logs, localization, ros)
    finally:
        logs.close()
        terminal.close()
    if ros:
        # Everything is written and every node of the stack has stopped. This process's
        # own nodes (the session's, the recorder's) are not destroyed: destroying one
        # can deadlock inside rcl/Fast DDS while holding the GIL, freezing every thread
        # (seen in Publisher.destroy: 400 s in fresh28, for good in a `make demo`), and
        # the interpreter's exit would destroy them the same way. The OS ends them.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _run(args, bringup, runner, inputs, robot_inputs, tree_xml, files, terminal, logs,
         localization='', ros=None) -> int:
    from orchestrator_pkg.bringup.mission_session import MissionSession
    from orchestrator_pkg.bringup.terminal import ERROR
    from orchestrator_pkg.ros_edge.main import enable_stack_dumps, stacks_if_slow
    enable_stack_dumps()  # a run that hangs can say where (kill -USR1 <pid>)
    terminal(f'[run] node logs: {logs.folder}')
    stop = {'requested': False}

    def on_stop_signal(signum, frame):
        stop['requested'] = True
    # Ctrl-C, kill, and the terminal closing (SIGHUP) all stop the run in order: the
    # nodes run in process groups of their own, so nothing else would stop them
    previous = {sig: signal.signal(sig, on_stop_signal) for sig in STOP_SIGNALS}
    session = MissionSession(bringup.namespaces(args.robots), args.mission, inputs,
                             robot_inputs=robot_inputs,
                             zero_velocity_topic=bringup.zero_velocity_topic,
                             timeout_s=args.timeout_s, output=terminal,
                             wait_for_clock=not args.no_sim, tree_xml=tree_xml,
                             rtf=0.0 if args.no_sim else args.rtf,
                             lifecycle_manager=any(
                                 node.executable == 'lifecycle_manager'
                                 for node in bringup.nodes))
    if ros is not None:
        ros.append(True)
    session.localization = localization
    runner.on_exit = session.announce_exit  # /diagnostics: a dead node's goals end at once
    # rclpy.init() (in MissionSession) installs rclpy's SIGINT and SIGTERM handlers, which
    # shut the context down at once: the robots could no longer be sent zero velocity.
    # Ours win.
    for sig in STOP_SIGNALS:
        signal.signal(sig, on_stop_signal)
    recorder = None
    if files is not None:
        from orchestrator_pkg.bringup.recorder import RunRecorder
        recorder = RunRecorder(session.namespaces, files['recording'], files['mission_log'],
                               use_sim_time=not args.no_sim)
        session.recorder = recorder
        session.run_dir = args.run_dir
    wall_start = time.monotonic()
    runner.start()
    reason = ''

    def before_shutdown():
        logs.min_level = ERROR  # the warnings of a shutdown are the runner's own doing
        session.stop_robots()
    try:
        reason = session.run(runner, lambda: stop['requested'])
    finally:
        # the nodes' stop is bounded (grace period, then SIGKILL); if anything here
        # hangs all the same, every thread's stack goes to stderr
        with stacks_if_slow(TEARDOWN_STACKS_S):
            codes = runner.shutdown(before_shutdown=before_shutdown)
            if recorder is not None:
                session.log_localization_error()  # the nodes are stopped: the figures are final
                recorder.finish()  # the files; its nodes are left to the process's exit
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    wall_time = time.monotonic() - wall_start
    for line in logs.summary():
        terminal(line)
    if recorder is not None:
        _finish_run_folder(args, files, session, recorder, reason, terminal)
    terminal(session.summary(wall_time, reason))
    for path in filter(None, (args.summary_json, files and files['summary'])):
        with open(path, 'w', encoding='utf-8') as f:
            json.dump(session.report(wall_time, reason), f, indent=2)
            f.write('\n')
    bad = {label: code for label, code in codes.items() if code not in (0, -2, 130, None)}
    if bad:
        terminal('orchestrator run: nodes exited uncleanly: '
                 + ', '.join(f'{k} ({v})' for k, v in sorted(bad.items()))
                 + f' (their logs: {logs.folder})')
    return 0 if session.succeeded and not reason else 1


def _finish_run_folder(args, files, session, recorder, reason, output) -> None:
    """Draw trajectory.png from what the run recorded; say what went wrong, if anything."""
    from orchestrator_pkg.bringup import run_folder
    for problem in recorder.problems:
        output(f'[run] recorder: {problem}')
    size_mb = os.path.getsize(files['recording']) / 1e6
    output(f'[run] recorder: {sum(recorder.counts.values())} messages on '
           f'{len(recorder.counts)} topics, {size_mb:.1f} MB')
    empty = sorted(topic for topic, n in recorder.counts.items() if n == 0)
    if empty:
        output(f'[run] recorder: nothing was published on {", ".join(empty)}')
    offset = session.clock_start_s  # stats count from the run's first /clock
    driven = {ns: [(t + offset, x, y) for t, x, y in stats.path]
              for ns, stats in session.stats.items()}
    # the localizer's estimates (amcl_pose; none with truth localization), on their stamps
    estimated = {ns: list(stats.estimated_path) for ns, stats in session.stats.items()
                 if stats.estimated_path}
    collisions = {ns: [(x, y) for _, x, y, _ in stats.collision_points]
                  for ns, stats in session.stats.items()}
    objects_end = {}
    for objects in session.objects.values():
        objects_end.update({oid: (pos[0], pos[1]) for oid, pos in objects.items()})
    outcome, why = session.outcome(reason)
    mission = os.path.basename(args.mission) if args.mission else 'no mission'
    title = (f'{mission} in {os.path.basename(args.world)}: {outcome}, '
             f'{session.sim_time_s:.0f} s sim time')
    try:
        records = run_folder.read_mission_log(files['mission_log'])
        by = session.localization or 'amcl_pose'
        drawn = run_folder.write_picture(
            files['picture'], args.world, driven, recorder.plans, records, title,
            failure=why if outcome != 'SUCCEEDED' else '', collisions=collisions,
            objects_end=objects_end, estimated=estimated, estimated_by=by)
        for ns, poses in sorted(drawn.estimated_poses.items()):
            output(f'[run] {run_folder.PICTURE}: {ns + ": " if ns else ""}{poses} estimated '
                   f'poses ({by}) beside the ground truth')
    except (OSError, ValueError) as exc:
        output(f'[run] cannot draw {files["picture"]}: {exc}')


def register(subparsers) -> None:
    """Add ``run``."""
    parser = subparsers.add_parser(
        'run', help='start the stack (sim, drivers, navigation, orchestrator) and run a mission',
        description='Start every node of the bringup description as its own process, '
                    'run MISSION on each robot, and print a summary.')
    parser.add_argument('--bringup', default=DEFAULT_BRINGUP,
                        help='bringup description: a file, or a name in orchestrator_pkg/config '
                             '(default: %(default)s)')
    parser.add_argument('--world', default='warehouse',
                        help='world name or .yaml/.world/.sdf file (default: %(default)s)')
    parser.add_argument('--robot', default='small_indoor',
                        help='robot preset: the sim\'s body and the navigation parameters of '
                             'config/robots/ROBOT.yaml (small_indoor, jackal; default: '
                             '%(default)s)')
    parser.add_argument('--robots', type=int, default=None,
                        help='number of robots, each with its own stack and mission in '
                             'namespace robot1, robot2, ... (default: the description\'s)')
    parser.add_argument('--mission', default=None, metavar='NAME|FILE.xml',
                        help='a mission name (`orchestrator missions` lists them) or your own '
                             'mission file, validated before anything starts; '
                             'without one, just run the stack')
    parser.add_argument('--input', action='append', metavar='[ROBOT:]KEY=VALUE',
                        help='mission input, written to the blackboard (repeatable); '
                             'ROBOT:KEY=VALUE (e.g. robot2:goal=...) for one robot only')
    parser.add_argument('--localization', choices=('truth', 'amcl'), default=None,
                        help='where map -> odom comes from: truth (the sim\'s ground truth, for '
                             'debugging) or amcl (estimated from scans and the map); default: '
                             'the bringup\'s (amcl in bringup.yaml)')
    parser.add_argument('--composition', action='store_true',
                        help="composed mode: each robot's composable nodes in the containers "
                             'the bringup names (bringup.yaml: control_container and '
                             'node_container; fewer processes, less memory and CPU, one core '
                             'for each container); default: the bringup\'s (off)')
    _args.add_param_option(parser, 'for this run')
    parser.add_argument('--rtf', type=_args.non_negative, default=1.0,
                        help='sim real-time factor, 0 = as fast as possible (default: 1)')
    parser.add_argument('--seed', type=_args.seed, default=0, help='sim random seed (default: 0)')
    parser.add_argument('--timeout-s', type=_args.non_negative, default=600.0,
                        help='give up after this much sim time (default: %(default)s)')
    parser.add_argument('--only', metavar='NAMES',
                        help='comma-separated node names to start (default: all)')
    parser.add_argument('--summary-json', metavar='FILE',
                        help='also write the summary (outcome, failure, distance, collisions, '
                             'battery, final robot and object positions) as JSON')
    parser.add_argument('--run-dir', metavar='DIR',
                        help='record the run in DIR (created): summary.json, mission.jsonl '
                             '(every tree status change), run.mcap (key topics) and '
                             'trajectory.png')
    parser.add_argument('--no-sim', action='store_true',
                        help='real robot: do not start sim-only nodes, use wall time')
    parser.add_argument('--verbose', action='store_true',
                        help="every line of every node's output on the terminal too "
                             '(default: warnings and errors, each once; all in the logs)')
    parser.set_defaults(func=run)

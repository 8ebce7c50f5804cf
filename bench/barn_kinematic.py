"""BARN worlds with a kinematic Jackal: the pure planner + controller + costmaps, closed loop.

This is a proxy, not the BARN benchmark: the robot is an ideal unicycle, the
lidar is ray-cast against the world's cylinders, and a collision is the exact
footprint rectangle overlapping a cylinder (orchestrator_pkg/benchmark/kinematic.py
has the world and the loop). It shows whether the algorithms hold up in the
BARN clutter; the real figures must come from the sim through navigate_to_pose.

Per world: no prior map; a global costmap from scans alone (A* replans at
1 Hz), a rolling 6 x 6 m local costmap (10 Hz scans, 270 deg, 720 beams) and the
controller at 20 Hz (``--controller rpp``, regulated pure pursuit, ``mppi``, or
both, compared world by world).
If the controller sees a collision ahead it asks for a new plan at once;
blocked for more than 2 s or without progress for 10 s, the global obstacles
are cleared and it backs up 0.3 m. Success: within 1 m of the goal inside
100 s without collision; metric as in the BARN README. A same-run baseline is
the straight line to the goal (plan once, no replanning), which shows what the
replanning buys.

Run after ``source env.sh``:
    python bench/barn_kinematic.py [--worlds DIR] [--indices 0,2,4] [--limit N]
                                   [--controller rpp,mppi] [--desired-linear-vel 1.5]
                                   [--no-baseline] [--actuation-delay-s 0.2]
                                   [--response-time-s 0.05] [--compensate]

``--actuation-delay-s`` and ``--response-time-s`` make the robot move at a
command late and with a lag, as a real base does; ``--compensate`` adds each
controller with latency compensation (planning/latency.py) to compare.
"""
import argparse
import os
import statistics

from orchestrator_pkg.benchmark import barn, kinematic
from orchestrator_pkg.planning import controller as rpp
from orchestrator_pkg.planning.costmap import InflationParams, footprint_radii
from orchestrator_pkg.planning.mppi import MPPIController, MPPIParams
from orchestrator_pkg.planning.world_map import read_cylinders

WORLDS = '/work/shared/benchmarks/barn/worlds'
PATHS = '/work/shared/benchmarks/barn/path_files'


def controller_factory(name, desired_linear_vel=None):
    """Return a factory ``make(footprint)`` of the named controller ('rpp' or 'mppi').

    MPPI gets the harness's inflation (0.55 m, factor 3); ``desired_linear_vel``
    (m/s) overrides both controllers' cruise speed (None: their defaults).
    """
    def make(footprint):
        if name == 'rpp':
            params = rpp.ControllerParams()
            if desired_linear_vel is not None:
                params.desired_linear_vel = desired_linear_vel
            return rpp.RegulatedPurePursuit(params, footprint)
        params = MPPIParams()
        if desired_linear_vel is not None:
            params.desired_linear_vel = desired_linear_vel
        inscribed, _ = footprint_radii(footprint)
        return MPPIController(params, footprint, InflationParams(inscribed, 0.55, 3.0))
    return make


def optimal_time(index, paths=PATHS):
    """BARN optimal time of a world (README formula, benchmark/barn.py)."""
    cells = barn.load_path(os.path.join(paths, f'path_{index}.npy'))
    return barn.optimal_time(barn.path_length(cells))


def main():
    """Run the selected worlds with each controller, replanning, and the plan-once baseline."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--worlds', default=WORLDS)
    parser.add_argument('--indices', default='', help='comma-separated world indices')
    parser.add_argument('--limit', type=int, default=10, help='first N worlds if no --indices')
    parser.add_argument('--controller', default='rpp',
                        help='comma-separated controllers to compare: rpp, mppi')
    parser.add_argument('--desired-linear-vel', type=float, default=None,
                        help='cruise speed (m/s) for every controller (default: theirs)')
    parser.add_argument('--no-baseline', action='store_true',
                        help='skip the plan-once baseline (regulated pure pursuit)')
    parser.add_argument('--actuation-delay-s', type=float, default=0.0,
                        help='the robot moves at a command this long after it is sent')
    parser.add_argument('--response-time-s', type=float, default=0.0,
                        help='first-order lag of the robot\'s velocity behind the command')
    parser.add_argument('--compensate', action='store_true',
                        help='also run each controller with latency compensation '
                             '(plans from where the commands sent lead)')
    args = parser.parse_args()
    names = args.controller.split(',')
    for name in names:
        if name not in ('rpp', 'mppi'):
            parser.error(f'unknown controller {name!r} (rpp, mppi)')
    if args.indices:
        indices = [int(i) for i in args.indices.split(',')]
    else:
        found = sorted(int(f[6:-6]) for f in os.listdir(args.worlds)
                       if f.startswith('world_') and f.endswith('.world'))
        indices = found[:args.limit]
    modes = [(f'{name} replan 1 Hz', controller_factory(name, args.desired_linear_vel), True,
              False) for name in names]
    if args.compensate:
        modes += [(f'{name} compensated', controller_factory(name, args.desired_linear_vel),
                   True, True) for name in names]
    if not args.no_baseline:
        modes.append(('rpp plan once (baseline)', controller_factory('rpp'), False, False))
    rows = {mode[0]: [] for mode in modes}
    print(f'{"world":>6} {"mode":<26} {"status":<10} {"time s":>7} {"metric":>7} '
          f'{"recoveries":>10} {"plan ms (median)":>16}')
    for i in indices:
        discs = read_cylinders(os.path.join(args.worlds, f'world_{i}.world'))
        opt = optimal_time(i)
        for mode, make, replan, compensate in modes:
            run = kinematic.run_world(discs, make, replan=replan,
                                      actuation_delay_s=args.actuation_delay_s,
                                      response_time_s=args.response_time_s,
                                      compensate=compensate)
            metric = barn.metric(run.status == 'succeeded', run.time_s, opt)
            rows[mode].append((run.status, metric, run.time_s))
            plan = statistics.median(run.plan_ms) if run.plan_ms else float('nan')
            print(f'{i:>6} {mode:<26} {run.status:<10} {run.time_s:7.1f} {metric:7.3f} '
                  f'{run.recoveries:>10} {plan:16.1f}', flush=True)
    for mode, res in rows.items():
        n = len(res)
        ok = [t for s, _, t in res if s == 'succeeded']
        print(f'{mode}: success {sum(s == "succeeded" for s, _, _ in res) / n:.3f}, '
              f'collision {sum(s == "collided" for s, _, _ in res) / n:.3f}, '
              f'timeout {sum(s == "timeout" for s, _, _ in res) / n:.3f}, '
              f'metric {sum(m for _, m, _ in res) / n:.3f}, '
              f'mean time of successes {statistics.mean(ok) if ok else float("nan"):.1f} s  '
              f'({n} worlds)')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())

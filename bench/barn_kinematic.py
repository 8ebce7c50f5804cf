"""BARN worlds with a kinematic Jackal: the pure planner + controller + costmaps, closed loop.

This is a proxy, not the BARN benchmark: the robot is an ideal unicycle, the
lidar is ray-cast against the world's cylinders, and a collision is the exact
footprint rectangle overlapping a cylinder (orchestrator_pkg/benchmark/kinematic.py
has the world and the loop). It shows whether the algorithms hold up in the
BARN clutter; the real figures must come from the sim through navigate_to_pose.

Per world: no prior map; a global costmap from scans alone (A* replans at
1 Hz), a rolling 6 x 6 m local costmap (10 Hz scans, 270 deg, 720 beams) and the
controller at 20 Hz (``--controller rpp``, regulated pure pursuit, or ``mppi``).
If the controller sees a collision ahead it asks for a new plan at once;
blocked for more than 2 s or without progress for 10 s, the global obstacles
are cleared and it backs up 0.3 m. Success: within 1 m of the goal inside
100 s without collision; metric as in the BARN README. A same-run baseline is
the straight line to the goal (plan once, no replanning), which shows what the
replanning buys.

Run after ``source env.sh``:
    python bench/barn_kinematic.py [--worlds DIR] [--indices 0,2,4] [--limit N]
                                   [--controller rpp|mppi]
"""
import argparse
import os
import statistics

from orchestrator_pkg.benchmark import barn, kinematic
from orchestrator_pkg.planning.costmap import InflationParams, footprint_radii
from orchestrator_pkg.planning.mppi import MPPIController, MPPIParams
from orchestrator_pkg.planning.world_map import read_cylinders

WORLDS = '/work/shared/benchmarks/barn/worlds'
PATHS = '/work/shared/benchmarks/barn/path_files'


def mppi_controller(footprint):
    """MPPI with default parameters and the harness's inflation (0.55 m, factor 3)."""
    inscribed, _ = footprint_radii(footprint)
    return MPPIController(MPPIParams(), footprint, InflationParams(inscribed, 0.55, 3.0))


CONTROLLERS = {'rpp': kinematic.default_controller, 'mppi': mppi_controller}


def optimal_time(index, paths=PATHS):
    """BARN optimal time of a world (README formula, benchmark/barn.py)."""
    cells = barn.load_path(os.path.join(paths, f'path_{index}.npy'))
    return barn.optimal_time(barn.path_length(cells))


def main():
    """Run the selected worlds with replanning and with the plan-once baseline."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--worlds', default=WORLDS)
    parser.add_argument('--indices', default='', help='comma-separated world indices')
    parser.add_argument('--limit', type=int, default=10, help='first N worlds if no --indices')
    parser.add_argument('--controller', choices=sorted(CONTROLLERS), default='rpp')
    args = parser.parse_args()
    make = CONTROLLERS[args.controller]
    if args.indices:
        indices = [int(i) for i in args.indices.split(',')]
    else:
        found = sorted(int(f[6:-6]) for f in os.listdir(args.worlds)
                       if f.startswith('world_') and f.endswith('.world'))
        indices = found[:args.limit]
    rows = {'replan 1 Hz': [], 'plan once (baseline)': []}
    print(f'{"world":>6} {"mode":<22} {"status":<10} {"time s":>7} {"metric":>7} '
          f'{"plan ms (median)":>16}')
    for i in indices:
        discs = read_cylinders(os.path.join(args.worlds, f'world_{i}.world'))
        opt = optimal_time(i)
        for mode, replan in (('replan 1 Hz', True), ('plan once (baseline)', False)):
            run = kinematic.run_world(discs, make, replan=replan)
            status, t, plan_ms = run.status, run.time_s, run.plan_ms
            metric = barn.metric(status == 'succeeded', t, opt)
            rows[mode].append((status, metric))
            print(f'{i:>6} {mode:<22} {status:<10} {t:7.1f} {metric:7.3f} '
                  f'{statistics.median(plan_ms) if plan_ms else float("nan"):16.1f}')
    for mode, res in rows.items():
        n = len(res)
        print(f'{mode}: success {sum(s == "succeeded" for s, _ in res) / n:.2f}, '
              f'collision {sum(s == "collided" for s, _ in res) / n:.2f}, '
              f'timeout {sum(s == "timeout" for s, _ in res) / n:.2f}, '
              f'metric {sum(m for _, m in res) / n:.3f}  ({n} worlds)')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())

"""MPPI compute() time against the 20 Hz control period; regulated pure pursuit as the baseline.

Realistic inputs come from the kinematic BARN loop (orchestrator_pkg/benchmark/kinematic.py):
MPPI drives each selected world once, and every ``--every``-th control cycle
the robot state, the path and a copy of the rolling local costmap (6 x 6 m at
0.05 m, the controller server's) are kept. Then each controller configuration
and regulated pure pursuit compute on every snapshot: a fresh controller gets
the path, computes once (the warm start), then is timed over ``--repeats``
calls, in wall time and in process CPU time (on a shared machine the CPU time
is the steadier figure; the wall time is what the control loop sees).

Printed per configuration: median and p95 of one compute() call, and the ratio
of the p95 to the control period (50 ms at 20 Hz) and to the same-run baseline
(RPP's median). The closed-loop outcomes of the recording runs are printed for
context, with RPP's on the same worlds.

Run after ``source env.sh``:
    python bench/mppi_bench.py [--indices 0,100,224,282] [--configs 1000x40,2000x56]
                               [--every 10] [--repeats 3]
"""
import argparse
import os
import statistics
import time

import numpy as np

from orchestrator_pkg.benchmark import barn, kinematic
from orchestrator_pkg.planning import controller as rpp
from orchestrator_pkg.planning.costmap import InflationParams, footprint_radii, rectangle_footprint
from orchestrator_pkg.planning.mppi import MPPIController, MPPIParams
from orchestrator_pkg.planning.world_map import read_cylinders

WORLDS = '/work/shared/benchmarks/barn/worlds'
PATHS = '/work/shared/benchmarks/barn/path_files'
PERIOD_MS = 1000.0 * kinematic.DT


def _inflation(footprint):
    inscribed, _ = footprint_radii(footprint)
    return InflationParams(inscribed, 0.55, 3.0)


class Recorder:
    """Wraps a controller and keeps (state, path, local costmap) every ``every`` cycles."""

    def __init__(self, inner, every):
        self.inner, self.every = inner, every
        self.snapshots = []
        self._n = 0
        self._path = None

    def set_path(self, path, goal_yaw=None):
        """Forward, keeping the path."""
        self.inner.set_path(path, goal_yaw)
        self._path = np.array(path, dtype=float)

    def reset(self):
        """Forward."""
        self.inner.reset()

    def compute(self, x, y, yaw, v, w, dt, costmap):
        """Forward, keeping a snapshot every ``every`` calls."""
        if self._n % self.every == 0:
            self.snapshots.append(((x, y, yaw, v, w), self._path, costmap.copy()))
        self._n += 1
        return self.inner.compute(x, y, yaw, v, w, dt, costmap)


def time_controller(make, snapshots, repeats):
    """Wall and CPU ms of each timed compute() over the snapshots."""
    wall, cpu = [], []
    for (x, y, yaw, v, w), path, cm in snapshots:
        ctl = make()
        ctl.set_path(path)
        ctl.compute(x, y, yaw, v, w, kinematic.DT, cm)
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            ctl.compute(x, y, yaw, v, w, kinematic.DT, cm)
            wall.append((time.perf_counter() - t0) * 1e3)
            cpu.append((time.process_time() - c0) * 1e3)
    return wall, cpu


def _p95(values):
    return float(np.percentile(values, 95))


def main():
    """Record snapshots, time each configuration and RPP on them, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--worlds', default=WORLDS)
    parser.add_argument('--paths', default=PATHS)
    parser.add_argument('--indices', default='0,100,224,282')
    parser.add_argument('--configs', default='800x40',
                        help='comma-separated batch_size x time_steps')
    parser.add_argument('--every', type=int, default=10)
    parser.add_argument('--repeats', type=int, default=3)
    args = parser.parse_args()
    indices = [int(i) for i in args.indices.split(',')]
    configs = [tuple(int(n) for n in c.split('x')) for c in args.configs.split(',')]
    footprint = rectangle_footprint(kinematic.JACKAL_LENGTH_M, kinematic.JACKAL_WIDTH_M)
    infl = _inflation(footprint)
    snapshots = []
    print(f'{"world":>6} {"controller":<10} {"status":<10} {"time s":>7} {"metric":>7}')
    for i in indices:
        discs = read_cylinders(os.path.join(args.worlds, f'world_{i}.world'))
        opt = barn.optimal_time(barn.path_length(
            barn.load_path(os.path.join(args.paths, f'path_{i}.npy'))))
        recorders = []

        def recording(fp, recorders=recorders):
            rec = Recorder(MPPIController(MPPIParams(), fp, _inflation(fp)), args.every)
            recorders.append(rec)
            return rec

        for name, make in (('mppi', recording), ('rpp', kinematic.default_controller)):
            run = kinematic.run_world(discs, make)
            metric = barn.metric(run.status == 'succeeded', run.time_s, opt)
            print(f'{i:>6} {name:<10} {run.status:<10} {run.time_s:7.1f} {metric:7.3f}')
        snapshots += recorders[0].snapshots
    print(f'\n{len(snapshots)} snapshots (local costmap 6 x 6 m at 0.05 m), '
          f'{args.repeats} timed calls each; control period {PERIOD_MS:.0f} ms')
    base_wall, base_cpu = time_controller(
        lambda: rpp.RegulatedPurePursuit(rpp.ControllerParams(), footprint), snapshots,
        args.repeats)
    rows = [('RPP (baseline)', base_wall, base_cpu)]
    for batch, steps in configs:
        params = MPPIParams(batch_size=batch, time_steps=steps)
        wall, cpu = time_controller(lambda p=params: MPPIController(p, footprint, infl),
                                    snapshots, args.repeats)
        rows.append((f'MPPI {batch} x {steps}', wall, cpu))
    print(f'{"controller":<18} {"wall med":>9} {"wall p95":>9} {"cpu med":>8} {"cpu p95":>8} '
          f'{"p95/period":>10} {"cpu p95/period":>14} {"med/RPP med":>11}')
    base = statistics.median(base_wall)
    for name, wall, cpu in rows:
        print(f'{name:<18} {statistics.median(wall):9.2f} {_p95(wall):9.2f} '
              f'{statistics.median(cpu):8.2f} {_p95(cpu):8.2f} '
              f'{_p95(wall) / PERIOD_MS:10.2f} {_p95(cpu) / PERIOD_MS:14.2f} '
              f'{statistics.median(wall) / base:11.1f}')
    print(f'load average at the end: {", ".join(f"{x:.1f}" for x in os.getloadavg())}')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())

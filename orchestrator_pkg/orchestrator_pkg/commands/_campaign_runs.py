"""Running a campaign's runs: local workers or Ray tasks, rows as runs end, the summary.

Shared by ``orchestrator campaign`` (:mod:`orchestrator_pkg.commands.campaign`)
and ``orchestrator barn --workers/--ray`` (:mod:`orchestrator_pkg.commands.barn`),
which give it a checked campaign and its runs (:mod:`orchestrator_pkg.benchmark.campaign`).
Each run is the existing command that does one run (``orchestrator barn`` for
one world and seed, ``orchestrator run`` for one seed), started as a process in
a ROS domain claimed for it alone (:mod:`orchestrator_pkg.ros_edge.domains`), so
runs side by side never see each other's topics: here (:class:`LocalWorkers`)
or as Ray tasks (:class:`RayWorkers`). Each row is appended to
``OUT/results.jsonl`` as its run ends; ``--resume`` skips the runs that have a
final row. A run that errs (its stack did not come up, its command crashed or
wrote no result, it outlived its wall time) gets an error row and is tried once
more. Ctrl-C sends SIGINT to every run's command, which stops its stack the way
Ctrl-C on it would (the runner stops base_driver, which zeroes the robot's
command, with the rest of the stack), and waits for them.
"""
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time

from orchestrator_pkg.benchmark import barn
from orchestrator_pkg.benchmark import campaign as spec
from orchestrator_pkg.bringup.runner import stop_with_parent
from orchestrator_pkg.commands import _args

POLL_S = 0.2
STOP_WAIT_S = 60.0  # wall time a run's command has to stop after SIGINT, then SIGKILL
RUN_WALL_S = {'barn': 900.0, 'mission': 300.0}  # a run's wall time on top of its time limit
RESULTS = 'results.jsonl'
# wall seconds between two runs' starts while the first runs: two whole stacks booting
# at once on two cores (24 processes importing and discovering) failed to come up in 2
# of 3 tries (a lifecycle transition unanswered), with 15 s between them in none of 3;
# a BARN stack (6 nodes) is up in about 5 s
STAGGER_S = {'mission': 15.0, 'barn': 5.0}


class Slot:
    """One run in progress: its process, its claimed domain, its files."""

    def __init__(self, run, attempt, folder, extra=(), cwd=None):
        from orchestrator_pkg.ros_edge.domains import claim_domain
        self.run = run
        self.attempt = attempt
        self.folder = folder
        os.makedirs(folder, exist_ok=True)
        self.out = os.path.join(folder, 'result.json' if run.argv[1] == 'barn' else 'run')
        if os.path.exists(self.out):  # an earlier, interrupted start's: kept beside
            n = 1
            while os.path.exists(f'{self.out}.{n}'):
                n += 1
            os.rename(self.out, f'{self.out}.{n}')
        self.argv = [self.out if a == '{out}' else a for a in run.argv] + list(extra)
        self.claim = claim_domain()
        # appended: an interrupted start's output stays above the next one's
        self.log = open(os.path.join(folder, f'attempt_{attempt}.log'), 'a', encoding='utf-8')
        self.log.write(f'$ ROS_DOMAIN_ID={self.claim.domain_id} {shlex.join(self.argv)}\n')
        self.log.flush()
        self.started = time.monotonic()
        self.started_at = time.time()  # wall clock: rows from several machines line up
        self.stop_sent = None
        self.overran = False
        # `orchestrator` of this very interpreter and package, whatever PATH says
        command = [sys.executable, '-m', 'orchestrator_pkg.cli', *self.argv[1:]]
        self.process = subprocess.Popen(command, env=self.claim.env(), stdout=self.log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        cwd=cwd, start_new_session=True,
                                        preexec_fn=stop_with_parent)

    def interrupt(self) -> None:
        """SIGINT the run's command (its own Ctrl-C: the stack stops, robot first)."""
        if self.stop_sent is None and self.process.poll() is None:
            self.stop_sent = time.monotonic()
            os.killpg(self.process.pid, signal.SIGINT)

    def watch(self, run_wall_s: float, stop_requested: bool) -> bool:
        """Stop the run if asked to or past its wall time; return whether it has ended.

        A command that SIGINT did not end within :data:`STOP_WAIT_S` gets
        SIGKILL (its session; the stack's nodes then get SIGINT from the kernel).
        """
        if stop_requested:
            self.interrupt()
        elif time.monotonic() - self.started > run_wall_s and self.stop_sent is None:
            self.log.write(f'[campaign] no end within {run_wall_s:.0f} s wall time: '
                           'stopping the run\n')
            self.log.flush()
            self.overran = True
            self.interrupt()
        if self.stop_sent is not None and self.process.poll() is None and \
                time.monotonic() - self.stop_sent > STOP_WAIT_S:
            os.killpg(self.process.pid, signal.SIGKILL)
        return self.process.poll() is not None

    def kill(self) -> None:
        """SIGKILL the run's command at once (the campaign itself is failing)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def close(self) -> None:
        """Release the domain and the log."""
        self.claim.release()
        self.log.close()

    def outcome(self) -> dict:
        """Return the run's outcome from what its command wrote."""
        if self.run.argv[1] == 'barn':
            path = self.out
            parse = spec.barn_outcome
        else:
            path = os.path.join(self.out, 'summary.json')
            parse = spec.mission_outcome
        try:
            with open(path, encoding='utf-8') as f:
                data = json.load(f)
        except (OSError, ValueError) as exc:
            return {'status': 'error',
                    'detail': f'no result from the run (exit {self.process.returncode}): '
                              f'{getattr(exc, "strerror", None) or exc}'}
        return parse(data)

    def result(self, run_wall_s: float) -> dict:
        """Return what the campaign records of the ended run (see :func:`_row`)."""
        outcome = self.outcome()
        if self.overran and outcome['status'] != 'error':
            outcome = {'status': 'error', 'detail': f'no end within {run_wall_s:.0f} s wall time'}
        return {'attempt': self.attempt, 'exit_code': self.process.returncode,
                'domain': self.claim.domain_id, 'host': socket.gethostname(),
                'started_at': self.started_at, 'ended_at': time.time(),
                'argv': shlex.join(self.argv),
                # stopped by the campaign's Ctrl-C: no row, --resume runs it again
                'interrupted': self.stop_sent is not None and not self.overran,
                'outcome': outcome}


def execute(run, attempt, folder, extra, run_wall_s, stop_requested, cwd=None) -> dict:
    """Do one run from start to end and return :meth:`Slot.result` (a Ray task's body).

    ``stop_requested()`` is asked between polls: true stops the run as Ctrl-C
    on its command would.
    """
    slot = Slot(run, attempt, folder, extra, cwd)
    try:
        while not slot.watch(run_wall_s, stop_requested()):
            time.sleep(POLL_S)
    finally:
        slot.kill()  # only if something here raised: leave nothing running
        slot.close()
    return slot.result(run_wall_s)


class LocalWorkers:
    """``--workers N``: runs as processes of this machine, polled here."""

    def __init__(self, workers: int):
        self.capacity = workers
        self.where = 'this machine'
        self.active = []

    def __len__(self):
        return len(self.active)

    def start(self, run, attempt, folder, extra, run_wall_s) -> None:
        """Start the run's command here."""
        self.active.append(Slot(run, attempt, folder, extra))

    def ended(self, run_wall_s: float, stop_requested: bool):
        """Yield ``(run, result)`` for each run that has ended since the last call."""
        for slot in list(self.active):
            if not slot.watch(run_wall_s, stop_requested):
                continue
            self.active.remove(slot)
            slot.close()
            yield slot.run, slot.result(run_wall_s)

    def close(self) -> None:
        """Kill what still runs (only after an exception of the campaign's own)."""
        for slot in self.active:
            slot.kill()
            slot.close()
        self.active = []


# ---- the Ray backend (--ray) ----

RAY_STOP_POLL_S = 1.0  # how often a run's task asks whether the campaign was stopped


class _StopFlag:
    """A Ray actor (no CPU) that the campaign sets on Ctrl-C; every run's task asks it."""

    def __init__(self):
        self.requested = False

    def request(self) -> None:
        self.requested = True

    def is_requested(self) -> bool:
        return self.requested


def _ray_task(run, attempt, folder, extra, run_wall_s, cwd, stop_flag) -> dict:
    """One run as a Ray task, on whichever node Ray gives it: :func:`execute` there."""
    import ray
    asked = {'at': -RAY_STOP_POLL_S, 'stop': False}

    def stop_requested() -> bool:
        now = time.monotonic()
        if not asked['stop'] and now - asked['at'] >= RAY_STOP_POLL_S:
            asked['at'] = now
            try:
                asked['stop'] = ray.get(stop_flag.is_requested.remote(),
                                        timeout=5 * RAY_STOP_POLL_S)
            except ray.exceptions.GetTimeoutError:
                pass
            except ray.exceptions.RayActorError:
                asked['stop'] = True  # the campaign is gone: stop as on its Ctrl-C
        return asked['stop']
    return execute(run, attempt, folder, extra, run_wall_s, stop_requested, cwd)


class RayWorkers:
    """``--ray ADDRESS``: each run is a Ray task that declares ``--cpus-per-run`` CPUs.

    The task runs the same command in a ROS domain it claims on its own node,
    so runs on one node never see each other. Results come back as each task
    ends. Ray's own retry is off (``max_retries=0``): a run whose stack or task
    dies gets an error row and the campaign's one retry, like a local run.
    ``--out`` (and any path in the campaign) must be a path every node can write;
    on a shared filesystem each run's files are in one place.
    """

    def __init__(self, address: str, cpus_per_run: float, workers=None):
        try:
            import ray
        except ImportError:
            raise spec.CampaignError('--ray: the ray package is not installed '
                                     '(make setup installs it)') from None
        self._ray = ray
        try:
            ray.init(address=address, log_to_driver=False, logging_level='WARNING')
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise spec.CampaignError(f'--ray {address}: no Ray cluster to connect to: '
                                     f'{str(exc).splitlines()[0] if str(exc) else exc}') \
                from None
        cpus = ray.cluster_resources().get('CPU', 0.0)
        if cpus < cpus_per_run:
            ray.shutdown()
            raise spec.CampaignError(f'--ray {address}: the cluster has {cpus:g} CPU(s); a run '
                                     f'asks for {cpus_per_run:g} (--cpus-per-run)')
        self.capacity = workers or max(1, int(cpus // cpus_per_run))
        self.where = f'Ray cluster at {address} ({cpus:g} CPUs, {cpus_per_run:g} per run)'
        self._stop = ray.remote(num_cpus=0)(_StopFlag).remote()
        self._task = ray.remote(_ray_task).options(num_cpus=cpus_per_run, max_retries=0)
        self._stop_sent = False
        self._cwd = os.getcwd()
        self._refs = {}  # task -> (run, attempt, when it was submitted)

    def __len__(self):
        return len(self._refs)

    def start(self, run, attempt, folder, extra, run_wall_s) -> None:
        """Submit the run's task; Ray starts it where its CPUs are free."""
        ref = self._task.remote(run, attempt, folder, list(extra), run_wall_s, self._cwd,
                                self._stop)
        self._refs[ref] = (run, attempt, time.time())

    def ended(self, run_wall_s: float, stop_requested: bool):
        """Yield ``(run, result)`` for each task that has ended since the last call."""
        ray = self._ray
        if stop_requested and not self._stop_sent:
            self._stop.request.remote()
            self._stop_sent = True
        if not self._refs:
            return
        ready, _ = ray.wait(list(self._refs), num_returns=len(self._refs), timeout=0)
        for ref in ready:
            run, attempt, submitted = self._refs.pop(ref)
            try:
                result = ray.get(ref)
            except ray.exceptions.RayError as exc:  # the task's worker or node died
                said = str(exc).strip().splitlines()
                result = {'attempt': attempt, 'exit_code': None, 'domain': None, 'host': None,
                          'started_at': submitted, 'ended_at': time.time(),
                          'argv': shlex.join(run.argv), 'interrupted': False,
                          'outcome': {'status': 'error',
                                      'detail': f'the Ray task failed: {type(exc).__name__}'
                                                f'{": " + said[0] if said else ""}'}}
            yield run, result

    def close(self) -> None:
        """Cancel what still runs (only after an exception of the campaign's own); disconnect."""
        for ref in self._refs:
            self._ray.cancel(ref, force=True)  # the worker dies; its run's command gets SIGINT
        self._refs = {}
        self._ray.shutdown()


def workers_for(args):
    """Return the backend the arguments ask for: :class:`RayWorkers` or :class:`LocalWorkers`."""
    if args.ray:
        return RayWorkers(args.ray, args.cpus_per_run, args.workers)
    return LocalWorkers(args.workers or 1)


def _row(campaign, run, result, start_at) -> dict:
    row = {'campaign': campaign.name, 'id': run.id, 'variant': run.variant,
           'world': run.world, **({'robot': run.robot} if run.robot else {}),
           'seed': run.seed, 'index': run.index,
           'attempt': result['attempt'], 'exit_code': result['exit_code'],
           'domain': result['domain'], 'host': result['host'],
           # wall seconds since the campaign (this session of it) started
           'started_s': round(result['started_at'] - start_at, 2),
           'ended_s': round(result['ended_at'] - start_at, 2),
           'argv': result['argv'], **result['outcome']}
    row['final'] = spec.is_final(row)
    return row


def _print_row(row) -> None:
    metric = row.get('metric')
    time_s = row.get('time_s')
    print(f'{row["id"]:<34} {row["status"]:<10} '
          f'{"" if time_s is None else f"{time_s:7.1f}":>7} '
          f'{"" if metric is None else f"{metric:6.3f}":>6} '
          f'{"retry" if not row["final"] else "":<5} {str(row.get("detail", ""))[:80]}',
          flush=True)


def _print_summary(rows) -> None:
    summary = spec.summarize(rows)
    for variant, s in summary.items():
        low, high = s['success_ci95']
        line = (f'{variant}: {s["runs"]} runs, success {s["succeeded"]:.3f} '
                f'[{low:.3f}, {high:.3f}], collision {s["collided"]:.3f}, '
                f'timeout {s["timeout"]:.3f}, failed {s["failed"]:.3f}, error {s["error"]:.3f}')
        if s['metric'] == s['metric']:  # not nan: a barn campaign
            m_low, m_high = s['metric_ci95']
            line += f', metric {s["metric"]:.4f}'
            if m_low == m_low:
                line += f' [{m_low:.4f}, {m_high:.4f}]'
        print(line)


def run_campaign(campaign, runs, out, options, extra=(), who='orchestrator campaign'):
    """Run a checked campaign's runs into ``out``; return (exit code, the final rows).

    ``options`` has the worker options of :func:`add_worker_options`; ``extra``
    is appended to every run's command line. Exit code 2 before any run when
    ``out`` cannot be used, 1 when interrupted or a run has no final row.
    """
    try:
        # absolute: a Ray task's working folder is not this one
        out = os.path.abspath(out)
        results = os.path.join(out, RESULTS)
        cut = spec.repair_cut_tail(results)
        if cut:
            print(f'{who}: {results}: its last row was cut short (an interrupted write); '
                  f'set aside in {results}.cut, its run runs again', file=sys.stderr)
        rows = spec.read_rows(results)
        if rows and not options.resume:
            raise spec.CampaignError(f'{results}: has {len(rows)} rows already; --resume '
                                     'finishes that campaign, or give another folder')
        done = spec.finished_ids(rows, campaign.name)
        workers = workers_for(options)  # last: a Ray connection is what takes time
    except spec.CampaignError as exc:
        print(f'{who}: {exc}', file=sys.stderr)
        return 2, []
    os.makedirs(out, exist_ok=True)
    # a run that erred in an earlier session, with a retry left, goes on from its attempt
    tried = {}
    for row in rows:
        if row.get('campaign') == campaign.name and row['id'] not in done:
            tried[row['id']] = max(tried.get(row['id'], 0), int(row.get('attempt', 1)))
    pending = [(run, tried.get(run.id, 0) + 1) for run in runs if run.id not in done]
    print(f'campaign {campaign.name}: {campaign.benchmark}, {len(runs)} runs '
          f'({len(done)} done already), {len(campaign.variants)} variant(s), '
          f'{workers.capacity} at a time on {workers.where}; rows in {results}', flush=True)
    stop = {'requested': False}

    def on_sigint(signum, frame):
        stop['requested'] = True
    previous = signal.signal(signal.SIGINT, on_sigint)
    previous_term = signal.signal(signal.SIGTERM, on_sigint)
    stagger_s = STAGGER_S[campaign.benchmark] if options.stagger_s is None \
        else options.stagger_s
    start_at = time.time()
    last_start = time.monotonic()
    limit = campaign.time_limit_s or (barn.TIME_LIMIT_S if campaign.benchmark == 'barn'
                                      else 600.0)
    run_wall_s = limit + RUN_WALL_S[campaign.benchmark]
    try:
        while (pending and not stop['requested']) or len(workers):
            while pending and not stop['requested'] and len(workers) < workers.capacity and \
                    (not len(workers) or time.monotonic() - last_start >= stagger_s):
                run, attempt = pending.pop(0)
                workers.start(run, attempt, run_folder(out, run), extra, run_wall_s)
                last_start = time.monotonic()
            time.sleep(POLL_S)
            for run, result in workers.ended(run_wall_s, stop['requested']):
                if result.get('interrupted') and stop['requested']:
                    continue  # interrupted: no row; --resume runs it again
                row = _row(campaign, run, result, start_at)
                spec.append_row(results, row)
                _print_row(row)
                if not row['final']:
                    pending.insert(0, (run, row['attempt'] + 1))
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, previous_term)
        workers.close()
    all_rows = spec.read_rows(results)
    finals = list(spec.finished_ids(all_rows, campaign.name).values())
    if stop['requested']:
        print(f'{who}: interrupted; {len(finals)} of {len(runs)} runs done '
              f'(--resume finishes it)')
    _print_summary(finals)
    with open(os.path.join(out, 'summary.json'), 'w', encoding='utf-8') as f:
        json.dump({'campaign': campaign.name, 'source': campaign.source, 'runs': len(runs),
                   'done': len(finals), 'variants': spec.summarize(finals)}, f, indent=2,
                  default=list)
        f.write('\n')
    from orchestrator_pkg.benchmark import campaign_report
    page = campaign_report.write(out, campaign.name, campaign.source, finals, len(runs))
    print(f'report: {page}')
    return (1 if stop['requested'] or len(finals) < len(runs) else 0), finals


def run_folder(out: str, run) -> str:
    """Return the folder of a run's files in the campaign folder ``out``."""
    return os.path.join(out, 'runs', run.id.replace('/', '__'))


def add_worker_options(parser, local_default: str) -> None:
    """Add the options that say where runs run: --workers, --ray, --cpus-per-run, ...

    ``local_default``: what no ``--workers`` means, for the help text.
    """
    parser.add_argument('--workers', type=_args.positive_int, default=None,
                        help=f'runs at a time (default: {local_default}; with --ray, as many '
                             'as the cluster\'s CPUs allow at --cpus-per-run)')
    parser.add_argument('--ray', metavar='ADDRESS',
                        help='run each run as a task on a Ray cluster: "auto" (the one `ray '
                             'start` began on this machine) or its address, HOST:PORT; every '
                             'node needs this repository set up at the same path')
    parser.add_argument('--cpus-per-run', type=_args.positive_float, default=1.0, metavar='N',
                        help='with --ray: the CPUs each run\'s task declares (default: '
                             '%(default)s)')
    parser.add_argument('--stagger-s', type=_args.non_negative, default=None, metavar='S',
                        help='start a run at least S wall seconds after the one before while '
                             'that one runs (default: 15 for a mission, 5 for BARN): stacks '
                             'that boot at once on a small machine starve each other\'s '
                             'start-up')
    parser.add_argument('--resume', action='store_true',
                        help='finish the campaign in its folder: skip the runs with a final '
                             'row')

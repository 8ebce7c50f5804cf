"""Evaluation campaigns, pure: the description, its runs, the results file, the summary.

A campaign is one YAML file (docs/campaigns.md)::

    name: rpp_vs_mppi            # optional: the file's name without .yaml
    benchmark: barn              # barn | mission
    barn:                        # benchmark barn: which worlds, how many runs each
      worlds: "0-20"             # indices as `orchestrator barn --indices`, or "test"
      runs: 2
    mission:                     # benchmark mission: one mission
      name: fetch_and_deliver
      world: warehouse           # or worlds: [warehouse, ...], one axis of the runs
      robots: [small_indoor]     # optional, another axis: robot presets (`--robot`)
      inputs: {}
      seeds: [0, 1, 2]
    seed: 0                      # barn: run k of a world has seed + k
    rtf: 1.0
    time_limit_s: 100            # barn: sim time per run; mission: `--timeout-s`
    variants:                    # optional; one variant "default" without it
      - name: rpp
        controller: rpp          # barn: the bringup's controller argument
        params:                  # parameter overrides, per node of the bringup
          controller_server: {FollowPath.desired_linear_vel: 0.5}

Each run is one existing command (``orchestrator barn`` for one world and
seed, or ``orchestrator run`` for one seed) in a ROS domain of its own, so the
runs of a campaign can run side by side; :func:`expand` gives each its command
line. Results are JSON lines, appended as each run ends; a run is done when it
has a final row (:func:`finished_ids`), which is what ``--resume`` skips.

Nothing here starts a process or imports rclpy.
"""
from dataclasses import dataclass
import json
import math
import os
import re
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import yaml

from orchestrator_pkg.benchmark.barn import METRIC_MAX  # a run's metric is in [0, METRIC_MAX]

BENCHMARKS = ('barn', 'mission')
BARN_CONTROLLERS = ('rpp', 'mppi')  # `orchestrator barn --controller`
# a run's outcome; 'error': the run itself failed (its stack did not come up, the
# command crashed, no result was written), which is retried once
STATUSES = ('succeeded', 'collided', 'timeout', 'failed', 'error')
MAX_ATTEMPTS = 2  # an errored run is tried once more
_NAME = re.compile(r'^[A-Za-z][A-Za-z0-9_-]{0,63}$')
_TOP_KEYS = {'name', 'benchmark', 'barn', 'mission', 'seed', 'rtf', 'time_limit_s',
             'variants', 'bringup'}
_VARIANT_KEYS = {'name', 'controller', 'params', 'bringup', 'rtf'}
_SCALAR = (str, int, float, bool)
Z_95 = 1.959964  # two-sided 95 % normal quantile


class CampaignError(ValueError):
    """A campaign description or results file is unusable; the message names the field."""


@dataclass(frozen=True)
class Variant:
    """One arm of a campaign: a name, and what it changes."""

    name: str
    controller: str = ''
    bringup: str = ''
    rtf: Optional[float] = None
    params: Tuple[Tuple[str, str, object], ...] = ()  # (node, parameter, value)


@dataclass(frozen=True)
class Campaign:
    """A loaded campaign description."""

    source: str
    name: str
    benchmark: str
    variants: Tuple[Variant, ...]
    rtf: float = 1.0
    time_limit_s: float = 0.0  # 0: the command's own default
    seed: int = 0
    bringup: str = ''
    barn_worlds: str = 'all'
    barn_runs: int = 1
    mission: str = ''
    world: str = ''  # the first of ``worlds``
    inputs: Tuple[Tuple[str, str], ...] = ()
    seeds: Tuple[int, ...] = (0,)
    worlds: Tuple[str, ...] = ()  # a mission campaign's worlds, in order
    robots: Tuple[str, ...] = ()  # its robot presets; none: the command's default


@dataclass(frozen=True)
class Run:
    """One run of a campaign: its id, what it is, and the command that does it.

    ``argv`` holds ``{out}`` where the command writes its result (a JSON file for
    ``orchestrator barn``, the run folder for ``orchestrator run``).
    """

    id: str
    variant: str
    world: str
    seed: int
    index: int
    argv: Tuple[str, ...]
    robot: str = ''  # a mission run's robot preset, when the campaign lists robots


def _err(source: str, where: str, why: str) -> CampaignError:
    return CampaignError(f'{source}: {where}: {why}')


def _number(source, where, value, default, *, integer=False, minimum=0.0):
    if value is None:
        return default
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or \
            (not integer and not math.isfinite(value)):
        raise _err(source, where, f'expected {"an integer" if integer else "a number"}, '
                                  f'got {value!r}')
    if value < minimum:
        raise _err(source, where, f'must be at least {minimum:g}, got {value!r}')
    return value


def _string(source, where, value, default=''):
    if value is None:
        return default
    if not isinstance(value, str) or not value.strip():
        raise _err(source, where, f'expected a non-empty string, got {value!r}')
    return value.strip()


def _mapping(source, where, value) -> Mapping:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _err(source, where, f'expected a mapping, got {type(value).__name__}')
    return value


def _unknown(source, where, raw: Mapping, known) -> None:
    extra = sorted(str(k) for k in raw if k not in known)
    if extra:
        raise _err(source, where,
                   f'unknown field {extra[0]!r} (fields: {", ".join(sorted(known))})')


def _params(source, where, raw) -> Tuple[Tuple[str, str, object], ...]:
    """``{node: {parameter: scalar}}`` as (node, parameter, value) triples."""
    out = []
    for node, values in _mapping(source, where, raw).items():
        if not isinstance(node, str) or not _NAME.match(node):
            raise _err(source, where, f'{node!r} is not a node name')
        for name, value in _mapping(source, f'{where}.{node}', values).items():
            if not isinstance(name, str) or not re.match(r'^[A-Za-z_][A-Za-z0-9_.]*$', name):
                raise _err(source, f'{where}.{node}', f'{name!r} is not a parameter name')
            if not isinstance(value, _SCALAR) or \
                    (isinstance(value, float) and not math.isfinite(value)):
                raise _err(source, f'{where}.{node}.{name}',
                           f'expected a number, string or true/false, got {value!r}')
            out.append((node, name, value))
    return tuple(out)


def _variant(source, index, raw, benchmark) -> Variant:
    where = f'variants[{index}]'
    raw = _mapping(source, where, raw)
    _unknown(source, where, raw, _VARIANT_KEYS)
    name = _string(source, f'{where}.name', raw.get('name'))
    if not _NAME.match(name):
        raise _err(source, f'{where}.name', f'{name!r}: letters, digits, _ and -, '
                                            'starting with a letter')
    controller = _string(source, f'{where}.controller', raw.get('controller'))
    if controller and benchmark != 'barn':
        raise _err(source, f'{where}.controller', 'only a barn campaign chooses the controller')
    if controller and controller not in BARN_CONTROLLERS:
        raise _err(source, f'{where}.controller',
                   f'{controller!r}: one of {", ".join(BARN_CONTROLLERS)}')
    rtf = raw.get('rtf')
    return Variant(name=name, controller=controller,
                   bringup=_string(source, f'{where}.bringup', raw.get('bringup')),
                   rtf=None if rtf is None else float(_number(source, f'{where}.rtf', rtf, 1.0)),
                   params=_params(source, f'{where}.params', raw.get('params')))


def parse(text: str, source: str = '<string>') -> Campaign:
    """Parse and check a campaign description; raise CampaignError naming the field."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, 'problem_mark', None)
        line = f':{mark.line + 1}' if mark is not None else ''
        raise CampaignError(f'{source}{line}: not valid YAML: '
                            f'{getattr(exc, "problem", None) or exc}') from None
    if not isinstance(raw, dict):
        raise CampaignError(f'{source}: expected a mapping with benchmark: barn or mission')
    _unknown(source, 'campaign', raw, _TOP_KEYS)
    benchmark = raw.get('benchmark')
    if benchmark not in BENCHMARKS:
        raise _err(source, 'benchmark', f'expected one of {", ".join(BENCHMARKS)}, '
                                        f'got {benchmark!r}')
    default_name = os.path.splitext(os.path.basename(source))[0] if source != '<string>' \
        else 'campaign'
    name = _string(source, 'name', raw.get('name'), default_name)
    if not _NAME.match(name):
        raise _err(source, 'name', f'{name!r}: letters, digits, _ and -, starting with a letter')
    fields = dict(
        source=source, name=name, benchmark=benchmark,
        rtf=float(_number(source, 'rtf', raw.get('rtf'), 1.0)),
        time_limit_s=float(_number(source, 'time_limit_s', raw.get('time_limit_s'), 0.0)),
        seed=int(_number(source, 'seed', raw.get('seed'), 0, integer=True)),
        bringup=_string(source, 'bringup', raw.get('bringup')))
    other = 'mission' if benchmark == 'barn' else 'barn'
    if raw.get(other) is not None:
        raise _err(source, other, f'a {benchmark} campaign has no {other} section')
    if benchmark == 'barn':
        barn = _mapping(source, 'barn', raw.get('barn'))
        _unknown(source, 'barn', barn, {'worlds', 'runs'})
        worlds = barn.get('worlds', 'all')
        if isinstance(worlds, int) and not isinstance(worlds, bool):
            worlds = str(worlds)
        fields.update(barn_worlds=_string(source, 'barn.worlds', worlds),
                      barn_runs=int(_number(source, 'barn.runs', barn.get('runs'), 1,
                                            integer=True, minimum=1)))
    else:
        mission = _mapping(source, 'mission', raw.get('mission'))
        _unknown(source, 'mission', mission, {'name', 'world', 'worlds', 'robots', 'inputs',
                                              'seeds'})
        inputs = _mapping(source, 'mission.inputs', mission.get('inputs'))
        for key, value in inputs.items():
            if not isinstance(key, str) or not isinstance(value, _SCALAR):
                raise _err(source, f'mission.inputs.{key}', f'expected a scalar, got {value!r}')
        seeds = mission.get('seeds', [0])
        if not isinstance(seeds, list) or not seeds:
            raise _err(source, 'mission.seeds', f'expected a list of seeds, got {seeds!r}')
        checked = [int(_number(source, f'mission.seeds[{i}]', s, 0, integer=True))
                   for i, s in enumerate(seeds)]
        if len(set(checked)) != len(checked):
            raise _err(source, 'mission.seeds', 'a seed is listed twice')
        if mission.get('world') is not None and mission.get('worlds') is not None:
            raise _err(source, 'mission.worlds', 'give world or worlds, not both')
        if mission.get('worlds') is None:
            worlds = (_string(source, 'mission.world', mission.get('world'), 'warehouse'),)
        else:
            worlds = _names(source, 'mission.worlds', mission.get('worlds'), 'world')
        robots = () if mission.get('robots') is None else \
            _names(source, 'mission.robots', mission.get('robots'), 'robot preset')
        fields.update(mission=_string(source, 'mission.name', mission.get('name')),
                      world=worlds[0], worlds=worlds, robots=robots,
                      inputs=tuple((k, _plain(v)) for k, v in inputs.items()),
                      seeds=tuple(checked))
        if not fields['mission']:
            raise _err(source, 'mission.name', 'a mission campaign names its mission')
    raw_variants = raw.get('variants')
    if raw_variants is None:
        variants = (Variant(name='default'),)
    else:
        if not isinstance(raw_variants, list) or not raw_variants:
            raise _err(source, 'variants', 'expected a list of variants, each with a name')
        variants = tuple(_variant(source, i, v, benchmark) for i, v in enumerate(raw_variants))
        names = [v.name for v in variants]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise _err(source, 'variants', f'the name {twice[0]!r} is used twice')
    return Campaign(variants=variants, **fields)


def _names(source, where, value, what) -> Tuple[str, ...]:
    """Check a non-empty list of distinct non-empty names (worlds, robot presets)."""
    if not isinstance(value, list) or not value:
        raise _err(source, where, f'expected a list of {what}s, got {value!r}')
    names = tuple(_string(source, f'{where}[{i}]', v) for i, v in enumerate(value))
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise _err(source, where, f'{twice[0]!r} is listed twice')
    return names


def _plain(value) -> str:
    """Write a YAML scalar as `--input KEY=VALUE` text (true/false as YAML writes them)."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)


def load(path: str) -> Campaign:
    """Read and parse a campaign file; a missing or unreadable file names the path."""
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise CampaignError(f'{path}: cannot read the campaign: '
                            f'{getattr(exc, "strerror", None) or exc}') from None
    return parse(text, path)


def _param_options(variant: Variant) -> List[str]:
    return [f'--param={node}.{name}={_plain(value)}' for node, name, value in variant.params]


def expand(campaign: Campaign, barn_worlds: Optional[Sequence[int]] = None) -> List[Run]:
    """Return the campaign's runs in order: per variant, per world (or seed), per run.

    A mission run's id is ``VARIANT/seed_S``; it also names the world
    (``VARIANT/WORLD/seed_S``) when the campaign has more than one, and the
    robot when it lists robots (``VARIANT/WORLD/ROBOT/seed_S`` or
    ``VARIANT/ROBOT/seed_S``).

    ``barn_worlds``: the world indices ``barn.worlds`` selects (the caller reads
    the worlds folder; :func:`orchestrator_pkg.benchmark.barn.parse_indices`).
    """
    runs = []
    for variant in campaign.variants:
        rtf = campaign.rtf if variant.rtf is None else variant.rtf
        bringup = variant.bringup or campaign.bringup
        common = ['--rtf', f'{rtf:g}', *(['--bringup', bringup] if bringup else []),
                  *_param_options(variant)]
        if campaign.benchmark == 'barn':
            if barn_worlds is None:
                raise CampaignError(f'{campaign.source}: barn.worlds: not resolved to indices')
            for world in barn_worlds:
                for k in range(campaign.barn_runs):
                    seed = campaign.seed + k
                    argv = ['orchestrator', 'barn', '--indices', str(world), '--runs', '1',
                            '--seed', str(seed), '--out', '{out}', *common]
                    if variant.controller:
                        argv += ['--controller', variant.controller]
                    if campaign.time_limit_s:
                        argv += ['--time-limit-s', f'{campaign.time_limit_s:g}']
                    runs.append(Run(id=f'{variant.name}/world_{world}/run_{k}',
                                    variant=variant.name, world=str(world), seed=seed,
                                    index=k, argv=tuple(argv)))
        else:
            worlds = campaign.worlds or (campaign.world,)
            for world in worlds:
                for robot in campaign.robots or ('',):
                    for k, seed in enumerate(campaign.seeds):
                        argv = ['orchestrator', 'run', '--world', world,
                                *(['--robot', robot] if robot else []),
                                '--mission', campaign.mission, '--seed', str(seed),
                                '--run-dir', '{out}', *common,
                                *[f'--input={key}={value}' for key, value in campaign.inputs]]
                        if campaign.time_limit_s:
                            argv += ['--timeout-s', f'{campaign.time_limit_s:g}']
                        parts = [variant.name, *([world] if len(worlds) > 1 else []),
                                 *([robot] if robot else []), f'seed_{seed}']
                        runs.append(Run(id='/'.join(parts), variant=variant.name,
                                        world=world, seed=seed, index=k, argv=tuple(argv),
                                        robot=robot))
    return runs


# ---- outcomes of one run, from what its command wrote ----

def barn_outcome(data: Mapping) -> dict:
    """Return a row's outcome from ``orchestrator barn --out``'s JSON (one run)."""
    runs = data.get('runs') if isinstance(data, Mapping) else None
    if not isinstance(runs, list) or len(runs) != 1 or not isinstance(runs[0], Mapping):
        return {'status': 'error', 'detail': 'the barn result has no run'}
    run = runs[0]
    status = run.get('status')
    if status not in ('succeeded', 'collided', 'timeout', 'error'):
        return {'status': 'error', 'detail': f'unknown barn status {status!r}'}
    return {'status': status, 'metric': run.get('metric'), 'time_s': run.get('time_s'),
            'wall_time_s': run.get('wall_time_s'), 'rtf': run.get('rtf'),
            'detail': run.get('nav_result', '')}


def mission_outcome(summary: Mapping) -> dict:
    """Return a row's outcome from ``orchestrator run``'s summary.json.

    Any collision makes it ``collided``; a mission that ended otherwise without
    success is ``failed`` with its reason; no outcome at all is ``error``.
    """
    if not isinstance(summary, Mapping) or not summary.get('outcome'):
        return {'status': 'error', 'detail': 'summary.json has no outcome'}
    robots = summary.get('robots') if isinstance(summary.get('robots'), Mapping) else {}
    collisions = sum(int(r.get('collisions') or 0) for r in robots.values()
                     if isinstance(r, Mapping))
    if collisions:
        status = 'collided'
    elif summary.get('succeeded'):
        status = 'succeeded'
    else:
        status = 'failed'
    return {'status': status, 'time_s': summary.get('sim_time_s'),
            'wall_time_s': summary.get('wall_time_s'), 'collisions': collisions,
            'outcome': summary.get('outcome'), 'detail': summary.get('reason', '')}


# ---- the results file: JSON lines ----

def is_final(row: Mapping) -> bool:
    """Whether a row ends its run: any outcome but error, or an error with no retry left."""
    return row.get('status') != 'error' or int(row.get('attempt', 1)) >= MAX_ATTEMPTS


def read_rows(path: str) -> List[dict]:
    """Read a results file. A last line cut short (a campaign killed mid-write) is skipped.

    Any other line that is not a JSON object is an error naming the file and line.
    """
    if not os.path.exists(path):
        return []
    rows = []
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):  # the last line, with no newline: an interrupted write
                continue
            raise CampaignError(f'{path}:{number}: not a JSON results row') from None
        if not isinstance(row, dict) or not isinstance(row.get('id'), str):
            raise CampaignError(f'{path}:{number}: a results row is an object with an id')
        rows.append(row)
    return rows


def repair_cut_tail(path: str) -> str:
    """Set aside a last row cut short (a campaign killed mid-write); return it, or ''.

    The fragment is appended to ``PATH.cut`` (kept, not lost: its run has no
    final row and runs again) and the results file is truncated to its whole
    rows, so the rows appended next stay readable.
    """
    if not os.path.exists(path):
        return ''
    with open(path, 'rb') as f:
        data = f.read()
    if not data or data.endswith(b'\n'):
        return ''
    start = data.rfind(b'\n') + 1
    tail = data[start:]
    try:
        json.loads(tail)
        return ''  # a whole row that only lacks its newline
    except ValueError:
        pass
    with open(path + '.cut', 'ab') as f:
        f.write(tail + b'\n')
    with open(path, 'r+b') as f:
        f.truncate(start)
    return tail.decode('utf-8', 'replace')


def finished_ids(rows: Iterable[Mapping], campaign_name: str) -> Dict[str, dict]:
    """Return the final row of each finished run of this campaign, by run id."""
    done = {}
    for row in rows:
        if row.get('campaign') == campaign_name and is_final(row):
            done[row['id']] = dict(row)
    return done


def append_row(path: str, row: Mapping) -> None:
    """Append one row and flush it to disk before returning (nothing lost on a crash)."""
    line = json.dumps(row, sort_keys=True, allow_nan=False, default=str)
    # a file whose last write was cut short gets a newline first, so rows never merge
    needs_newline = False
    if os.path.exists(path) and os.path.getsize(path) > 0:
        with open(path, 'rb') as f:
            f.seek(-1, os.SEEK_END)
            needs_newline = f.read(1) != b'\n'
    with open(path, 'a', encoding='utf-8') as f:
        f.write(('\n' if needs_newline else '') + line + '\n')
        f.flush()
        os.fsync(f.fileno())


# ---- the summary ----

def wilson(successes: int, n: int, z: float = Z_95) -> Tuple[float, float]:
    """Wilson score interval of a proportion (95 % by default); (0, 1) with no runs."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denominator = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def mean_interval(values: Sequence[float], z: float = Z_95,
                  bounds: Tuple[float, float] = (-math.inf, math.inf)
                  ) -> Tuple[float, float, float]:
    """Mean and its normal-approximation 95 % interval; (nan, nan, nan) with no values.

    The interval is clipped to ``bounds``, the range the values can take (the
    BARN metric's [0, 0.5]): near an end the normal approximation passes it,
    and a mean cannot.
    """
    n = len(values)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = sum(values) / n
    if n == 1:
        return mean, math.nan, math.nan
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = z * sd / math.sqrt(n)
    return mean, max(bounds[0], mean - half), min(bounds[1], mean + half)


def summarize(rows: Iterable[Mapping]) -> Dict[str, dict]:
    """Summarize per variant: runs, the rate of each status, the mean time of successes.

    Success has its Wilson interval, the BARN metric its mean and interval.
    """
    by_variant: Dict[str, List[Mapping]] = {}
    for row in rows:
        if is_final(row):
            by_variant.setdefault(str(row.get('variant')), []).append(row)
    out = {}
    for variant, vrows in by_variant.items():
        n = len(vrows)
        counts = {s: sum(r.get('status') == s for r in vrows) for s in STATUSES}
        low, high = wilson(counts['succeeded'], n)
        metrics = [float(r['metric']) for r in vrows
                   if isinstance(r.get('metric'), (int, float))]
        times = [float(r['time_s']) for r in vrows if r.get('status') == 'succeeded'
                 and isinstance(r.get('time_s'), (int, float))]
        mean, m_low, m_high = mean_interval(metrics, bounds=(0.0, METRIC_MAX))
        out[variant] = {'runs': n, **{s: counts[s] / n for s in STATUSES},
                        'success_ci95': (low, high), 'metric': mean,
                        'metric_ci95': (m_low, m_high),
                        'mean_time_s_succeeded': sum(times) / len(times) if times else math.nan}
    return out

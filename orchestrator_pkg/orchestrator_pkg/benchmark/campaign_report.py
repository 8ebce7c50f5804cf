"""A campaign's report: PNG plots and one self-contained HTML page, from its rows.

Made from the final rows of ``results.jsonl`` (:mod:`.campaign`), so it can be
redrawn at any time, also for a campaign still running or interrupted:

- ``report_success.png``: each variant's success rate with its 95 % Wilson
  interval, and its collision, timeout, failed and error rates beside it;
- ``report_per_world.png``: per world (BARN) or seed (mission), each variant's
  BARN metric, or its sim time when the campaign has no metric; a run that
  did not succeed is drawn as a cross at 0;
- ``report_times.png``: the distribution of the sim times of successful runs,
  per variant;
- ``report.html``: the summary table, the three plots (inlined, no file or
  network needed to view it), and every run's row.

matplotlib's Agg backend only: no display and no pyplot state.
"""
import base64
import html
import io
import math
import os
from typing import Dict, List, Mapping, Sequence

from orchestrator_pkg.benchmark import campaign as spec

PLOTS = ('report_success.png', 'report_per_world.png', 'report_times.png')
_STATUS_COLOURS = {'succeeded': '#2e7d32', 'collided': '#c62828', 'timeout': '#ef6c00',
                   'failed': '#6a1b9a', 'error': '#616161'}


def _figure(width: float = 7.0, height: float = 4.0):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format='png')
    return buffer.getvalue()


def _number(value) -> float:
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) \
        else math.nan


def _by_variant(rows: Sequence[Mapping]) -> Dict[str, List[Mapping]]:
    out: Dict[str, List[Mapping]] = {}
    for row in rows:
        out.setdefault(str(row.get('variant')), []).append(row)
    return out


def success_plot(rows: Sequence[Mapping]) -> bytes:
    """Draw each variant's status rates, success with its Wilson interval."""
    summary = spec.summarize(rows)
    fig = _figure()
    ax = fig.add_subplot(1, 1, 1)
    variants = list(summary)
    width = 0.8 / len(spec.STATUSES)
    for k, status in enumerate(spec.STATUSES):
        xs = [i + (k - (len(spec.STATUSES) - 1) / 2) * width for i in range(len(variants))]
        heights = [summary[v][status] for v in variants]
        ax.bar(xs, heights, width, color=_STATUS_COLOURS[status], label=status)
        if status == 'succeeded':
            # clipped at 0: the interval's end can be a rounding below the rate
            # (4 of 4: 0.9999999999999999 < 1.0), and matplotlib refuses that
            low = [max(0.0, summary[v][status] - summary[v]['success_ci95'][0])
                   for v in variants]
            high = [max(0.0, summary[v]['success_ci95'][1] - summary[v][status])
                    for v in variants]
            ax.errorbar(xs, heights, yerr=[low, high], fmt='none', ecolor='black', capsize=4)
    ax.set_xticks(range(len(variants)))
    ax.set_xticklabels([f'{v}\n({summary[v]["runs"]} runs)' for v in variants])
    ax.set_ylim(0, 1.05)
    ax.set_ylabel('share of runs (success: 95 % Wilson interval)')
    ax.legend(fontsize=8, ncol=len(spec.STATUSES), loc='upper center',
              bbox_to_anchor=(0.5, -0.18))
    return _png(fig)


def _world_key(row: Mapping):
    world = str(row.get('world'))
    return (0, int(world), row.get('seed', 0)) if world.isdigit() else (1, world,
                                                                        row.get('seed', 0))


def per_world_plot(rows: Sequence[Mapping]) -> bytes:
    """Draw the metric (or the sim time) per world or seed, one series per variant."""
    has_metric = any(isinstance(r.get('metric'), (int, float)) for r in rows)
    barn = all(str(r.get('world')).isdigit() for r in rows)
    labels = sorted({(str(r.get('world')) if barn else f'seed {r.get("seed")}') for r in rows},
                    key=lambda s: (int(s) if s.isdigit() else s) if barn else
                    int(s.split()[1]))
    where = {label: i for i, label in enumerate(labels)}
    fig = _figure(max(7.0, 0.3 * len(labels)), 4.0)
    ax = fig.add_subplot(1, 1, 1)
    variants = _by_variant(rows)
    for k, (variant, vrows) in enumerate(variants.items()):
        offset = (k - (len(variants) - 1) / 2) * 0.12
        ok_x, ok_y, bad_x = [], [], []
        for row in vrows:
            x = where[str(row.get('world')) if barn else f'seed {row.get("seed")}'] + offset
            value = _number(row.get('metric') if has_metric else row.get('time_s'))
            if row.get('status') == 'succeeded' and not math.isnan(value):
                ok_x.append(x)
                ok_y.append(value)
            else:
                bad_x.append(x)
        colour = f'C{k % 10}'
        ax.plot(ok_x, ok_y, 'o', color=colour, label=variant)
        if bad_x:
            ax.plot(bad_x, [0.0] * len(bad_x), 'x', color=colour, markersize=8,
                    label=f'{variant}: not succeeded')
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=90 if len(labels) > 12 else 0, fontsize=7)
    ax.set_xlabel('BARN world' if barn else 'seed')
    ax.set_ylabel('BARN metric' if has_metric else 'sim time (s)')
    ax.legend(fontsize=8)
    return _png(fig)


def times_plot(rows: Sequence[Mapping]) -> bytes:
    """Draw the distribution of successful runs' sim times, per variant."""
    fig = _figure()
    ax = fig.add_subplot(1, 1, 1)
    series = {v: [_number(r.get('time_s')) for r in vrows if r.get('status') == 'succeeded']
              for v, vrows in _by_variant(rows).items()}
    series = {v: [t for t in ts if not math.isnan(t)] for v, ts in series.items()}
    drawn = {v: ts for v, ts in series.items() if ts}
    if drawn:
        ax.hist(list(drawn.values()), bins=min(20, max(5, sum(map(len, drawn.values())) // 3)),
                label=[f'{v} ({len(ts)})' for v, ts in drawn.items()])
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, 'no successful run yet', ha='center', va='center',
                transform=ax.transAxes)
    ax.set_xlabel('sim time of successful runs (s)')
    ax.set_ylabel('runs')
    return _png(fig)


def _fmt(value, digits=3) -> str:
    number = _number(value)
    return '' if math.isnan(number) else f'{number:.{digits}f}'


def html_page(name: str, source: str, rows: Sequence[Mapping], planned: int,
              images: Mapping[str, bytes]) -> str:
    """Return the report page: summary, plots inlined as data URLs, every run."""
    esc = html.escape
    summary = spec.summarize(rows)
    head = ['variant', 'runs', 'success [95 %]', 'collided', 'timeout', 'failed', 'error',
            'metric [95 %]', 'mean time of successes (s)']
    lines = ['<!DOCTYPE html>', '<html><head><meta charset="utf-8">',
             f'<title>campaign {esc(name)}</title>',
             '<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}'
             'td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}'
             'td:first-child,th:first-child{text-align:left}</style></head><body>',
             f'<h1>campaign {esc(name)}</h1>',
             f'<p>{esc(source)}: {len(rows)} of {planned} runs done.</p>',
             '<h2>Summary</h2><table><tr>' + ''.join(f'<th>{esc(h)}</th>' for h in head)
             + '</tr>']
    for variant, s in summary.items():
        low, high = s['success_ci95']
        m_low, m_high = s['metric_ci95']
        metric = _fmt(s['metric'], 4)
        if metric and not math.isnan(_number(m_low)):
            metric += f' [{_fmt(m_low, 4)}, {_fmt(m_high, 4)}]'
        cells = [variant, str(s['runs']), f'{s["succeeded"]:.3f} [{low:.3f}, {high:.3f}]',
                 f'{s["collided"]:.3f}', f'{s["timeout"]:.3f}', f'{s["failed"]:.3f}',
                 f'{s["error"]:.3f}', metric, _fmt(s['mean_time_s_succeeded'], 1)]
        lines.append('<tr>' + ''.join(f'<td>{esc(c)}</td>' for c in cells) + '</tr>')
    lines.append('</table><h2>Plots</h2>')
    for file_name, data in images.items():
        encoded = base64.b64encode(data).decode('ascii')
        lines.append(f'<p><img alt="{esc(file_name)}" src="data:image/png;base64,{encoded}"></p>')
    cols = ['id', 'status', 'time_s', 'metric', 'attempt', 'detail']
    lines.append('<h2>Runs</h2><table><tr>' + ''.join(f'<th>{c}</th>' for c in cols) + '</tr>')
    for row in sorted(rows, key=lambda r: (str(r.get('variant')), _world_key(r))):
        cells = [str(row.get('id')), str(row.get('status')), _fmt(row.get('time_s'), 1),
                 _fmt(row.get('metric'), 3), str(row.get('attempt', 1)),
                 str(row.get('detail', ''))[:200]]
        lines.append('<tr>' + ''.join(f'<td>{esc(c)}</td>' for c in cells) + '</tr>')
    lines.append('</table></body></html>')
    return '\n'.join(lines) + '\n'


def write(folder: str, name: str, source: str, rows: Sequence[Mapping], planned: int) -> str:
    """Write the three PNGs and report.html into ``folder``; return the page's path.

    ``rows``: the campaign's final rows; ``planned``: how many runs it has.
    """
    rows = list(rows)
    images = {}
    if rows:
        images = {PLOTS[0]: success_plot(rows), PLOTS[1]: per_world_plot(rows),
                  PLOTS[2]: times_plot(rows)}
    for file_name, data in images.items():
        with open(os.path.join(folder, file_name), 'wb') as f:
            f.write(data)
    page = os.path.join(folder, 'report.html')
    with open(page, 'w', encoding='utf-8') as f:
        f.write(html_page(name, source, rows, planned, images))
    return page

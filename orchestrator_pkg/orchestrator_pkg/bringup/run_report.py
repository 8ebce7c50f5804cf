"""The run folder's picture, ``trajectory.png``, from plain data: pure, no ROS.

:func:`draw_trajectory` draws the map (the world's walls, shelves, crates,
pillars, objects, dock and named places), the planned paths, the driven
path of each robot (the ground truth) and, with a localizer (amcl), the path
it estimated beside it, the mission's goal, the mission's events (pick,
place, dock, recovery, failure) and where the robot collided, with
matplotlib's Agg backend, in metres with equal aspect. Objects are drawn in
their own colours where they started (hollow) and where they ended (filled).
The failure reason is under the title. Text labels are placed by
:func:`place_labels`, a greedy search for a spot that overlaps no other
label, marker or the map's edge.
:func:`world_layers` reads the map from a world file,
:func:`events_from_changes` derives the events and :func:`goals_from_records`
the goals from ``mission.jsonl``, so everything here is tested without a
running stack.
"""
from dataclasses import dataclass, field
import math
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

# node types whose changes are events on the picture
RECOVERY_TYPES = frozenset(('Spin', 'BackUp', 'Wait', 'DriveOnHeading', 'ClearEntireCostmap',
                            'ClearCostmapExceptRegion', 'ClearCostmapAroundRobot',
                            'ClearCostmapAroundPose'))
EVENT_STYLE = {  # kind: (marker, colour, legend)
    'gripper': ('*', 'tab:green', 'gripper (pick / place)'),
    'dock': ('s', 'tab:purple', 'docked'),
    'recovery': ('X', 'tab:orange', 'recovery (navigator)'),
    'manoeuvre': ('P', 'tab:gray', 'mission manoeuvre'),
    'failure': ('v', 'tab:red', 'failure'),
}
MAX_LISTED = 30  # events listed by number beside the map
DRIVEN_COLOURS = ('tab:blue', 'tab:brown', 'tab:cyan', 'black')
PLANNED_COLOURS = ('tab:olive', 'tab:pink', 'tab:gray', 'tab:purple')
# the localizer's estimated path (amcl_pose), dashed over the driven (true) one
ESTIMATED_COLOURS = ('magenta', 'darkgoldenrod', 'springgreen', 'indigo')


@dataclass
class WorldLayers:
    """The static picture of a world, in metres."""

    name: str = ''
    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 5)))  # x, y, yaw, sx, sy
    discs: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))  # x, y, r
    objects: List[Tuple[str, float, float]] = field(default_factory=list)
    places: Dict[str, Tuple[float, float]] = field(default_factory=dict)
    dock: Optional[Tuple[float, float, float]] = None  # x, y, radius
    object_colours: Dict[str, Tuple[float, float, float]] = field(default_factory=dict)  # rgb


@dataclass
class Event:
    """Something that happened at a place: a gripper action, docking, a recovery."""

    t: float
    robot: str
    kind: str  # a key of EVENT_STYLE
    label: str
    x: float = math.nan
    y: float = math.nan


def world_layers(world: str) -> WorldLayers:
    """Read a world (a shipped name or a .yaml/.world/.sdf path) into layers.

    Raises ``ValueError`` naming the world when it cannot be read.
    """
    from orchestrator_sim.resolve import resolve_world
    from orchestrator_sim.world import load_world
    from orchestrator_sim.world.model import quat_yaw
    try:
        w = load_world(resolve_world(world))
    except (OSError, ValueError) as exc:
        raise ValueError(f'world {world!r}: {exc}') from None
    boxes, discs = [], []
    for g in w.geoms:
        if g.shape.kind == 'box':
            boxes.append((g.position[0], g.position[1], quat_yaw(g.quat),
                          g.shape.size[0], g.shape.size[1]))
        elif g.shape.kind in ('cylinder', 'sphere'):
            discs.append((g.position[0], g.position[1], g.shape.size[0]))
    return WorldLayers(
        name=w.name,
        boxes=np.asarray(boxes, dtype=float).reshape(-1, 5),
        discs=np.asarray(discs, dtype=float).reshape(-1, 3),
        objects=[(o.object_id, o.position[0], o.position[1]) for o in w.objects],
        places={n: (p.x, p.y) for n, p in w.places.items()},
        dock=(w.dock.x, w.dock.y, w.dock.radius) if w.dock is not None else None,
        object_colours={o.object_id: tuple(float(c) for c in o.rgba[:3]) for o in w.objects})


def _is_dock(kind_of: str, name: str) -> bool:
    return 'Dock' in kind_of or 'Dock' in name


def events_from_changes(records: Iterable[dict]) -> List[Event]:
    """Derive picture events from ``mission.jsonl`` status-change records.

    Events, each labelled with the node's name:

    - a Gripper leaf that succeeds (pick / place);
    - docking: a node whose type or name has ``Dock`` in it (a ``Dock`` action,
      a ``ReturnToDock`` step) that succeeds, and a ``WaitUntilCharged`` that
      starts (the battery guard charging at the dock);
    - a recovery (:data:`RECOVERY_TYPES`) that starts in the navigator's tree
      (in the mission's own tree the same types are deliberate manoeuvres, e.g.
      backing away);
    - a failure that reached the top of the mission's tree (its root or the
      root's child failed in the same tick), drawn at the deepest node that
      failed. A failure the tree absorbs (a Fallback trying its next child, a
      retry) is not an event; it stays in ``mission.jsonl``.
    """
    events: List[Event] = []
    failures = {}  # (robot, tick or t) -> [(depth, name, t)]
    for r in records:
        if r.get('event') != 'status':
            continue
        kind_of, new = r.get('type', ''), r.get('to', '')
        path = r.get('path', '')
        name = path.rsplit('/', 1)[-1] or kind_of
        kind = None
        if kind_of == 'Gripper' and new == 'SUCCESS':
            kind = 'gripper'
        elif _is_dock(kind_of, name) and new == 'SUCCESS':
            kind = 'dock'
        elif kind_of == 'WaitUntilCharged' and new == 'RUNNING' and r.get('from') != 'RUNNING':
            kind = 'dock'
        elif kind_of in RECOVERY_TYPES and new == 'RUNNING' and r.get('from') != 'RUNNING':
            kind = 'manoeuvre' if r.get('tree') == 'orchestrator' else 'recovery'
        elif new == 'FAILURE' and r.get('tree') == 'orchestrator':
            key = (r.get('robot', ''), r.get('tick', r.get('t')))
            failures.setdefault(key, []).append((path.count('/') + 1, name, float(r['t']),
                                                 bool(r.get('failure'))))
        if kind is not None:
            events.append(Event(t=float(r['t']), robot=r.get('robot', ''), kind=kind,
                                label=name))
    for (robot, _), failed in failures.items():
        if min(depth for depth, *_ in failed) > 2:
            continue  # absorbed below the mission's top: not a mission failure
        with_reason = [f for f in failed if f[3]] or failed
        depth, name, t, _ = max(with_reason, key=lambda f: f[0])
        events.append(Event(t=t, robot=robot, kind='failure', label=name))
    events.sort(key=lambda e: e.t)
    return events


def place_events(events: List[Event],
                 pose_at: Callable[[str, float], Optional[Tuple[float, float]]]) -> List[Event]:
    """Give each event the robot's position at its time (dropped when unknown)."""
    out = []
    for e in events:
        pose = pose_at(e.robot, e.t)
        if pose is not None:
            out.append(Event(e.t, e.robot, e.kind, e.label, float(pose[0]), float(pose[1])))
    return out


def pose_lookup(paths: Dict[str, np.ndarray]):
    """Return ``pose_at(robot, t)`` interpolating ``paths[robot]`` rows ``(t, x, y)``."""
    def pose_at(robot, t):
        path = paths.get(robot)
        if path is None or len(path) == 0:
            return None
        return (float(np.interp(t, path[:, 0], path[:, 1])),
                float(np.interp(t, path[:, 0], path[:, 2])))
    return pose_at


def _box_corners(x, y, yaw, sx, sy):
    c, s = math.cos(yaw), math.sin(yaw)
    local = np.array([[sx, sy], [-sx, sy], [-sx, -sy], [sx, -sy]]) / 2.0
    return local @ np.array([[c, s], [-s, c]]) + (x, y)


def draw_trajectory(path: str, layers: WorldLayers, driven: Dict[str, np.ndarray],
                    planned: Sequence[Tuple[str, np.ndarray]] = (),
                    events: Sequence[Event] = (), title: str = '',
                    size_px: Tuple[int, int] = (1600, 1000),
                    dpi: int = 100, failure: str = '',
                    collisions: Optional[Dict[str, Sequence[Tuple[float, float]]]] = None,
                    objects_end: Optional[Dict[str, Tuple[float, float]]] = None,
                    goals: Sequence['Goal'] = (),
                    estimated: Optional[Dict[str, np.ndarray]] = None,
                    estimated_by: str = 'amcl') -> Callable[[float, float], Tuple[float, float]]:
    """Write the run's picture to ``path`` (PNG of ``size_px`` pixels).

    ``driven`` maps a robot label to its ``(N, 2)`` ground-truth path;
    ``planned`` holds ``(robot, (N, 2) path)`` for every plan published;
    ``collisions`` each robot's collision points, ``objects_end`` where each
    object was at the end, ``goals`` the mission's goals and ``failure`` why
    the mission did not succeed (under the title); ``estimated`` maps a robot
    to its ``(N, 2)`` path as its localizer estimated it (``estimated_by``,
    e.g. amcl), drawn dashed over the true one, in a colour of its own.
    Returns ``to_pixel(x, y) -> (column, row)``: where a point in metres is
    in the image (row 0 at the top).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle, Polygon

    text_rows = []
    labels: List[Label] = []  # placed at the end, where they collide with nothing
    fig = Figure(figsize=(size_px[0] / dpi, size_px[1] / dpi), dpi=dpi)
    FigureCanvasAgg(fig)  # Agg only: no display needed, no pyplot state
    ax = fig.add_subplot(1, 1, 1)
    for x, y, yaw, sx, sy in layers.boxes:
        ax.add_patch(Polygon(_box_corners(x, y, yaw, sx, sy), closed=True,
                             facecolor='0.55', edgecolor='0.3', linewidth=0.5, zorder=1))
    for x, y, r in layers.discs:
        ax.add_patch(Circle((x, y), r, facecolor='0.55', edgecolor='0.3', linewidth=0.5,
                            zorder=1))
    handles = [Polygon([[0, 0]], facecolor='0.55', edgecolor='0.3', label='obstacles')]
    if layers.dock is not None:
        x, y, r = layers.dock
        dock = Circle((x, y), r, facecolor='none', edgecolor='tab:purple', linestyle='--',
                      linewidth=1.2, zorder=2, label='dock')
        ax.add_patch(dock)
        handles.append(dock)
    if layers.places:
        xy = np.array(list(layers.places.values()), dtype=float)
        handles.append(ax.scatter(xy[:, 0], xy[:, 1], marker='+', s=60, color='0.25',
                                  zorder=3, label='places'))
        labels += [Label(name, x, y, '0.25') for name, (x, y) in layers.places.items()]
    handles += _draw_objects(ax, layers, objects_end or {}, labels)
    robots = sorted(set(driven) | {r for r, _ in planned} | set(estimated or {}))
    colour_of = {r: DRIVEN_COLOURS[i % len(DRIVEN_COLOURS)] for i, r in enumerate(robots)}
    plan_colour_of = {r: PLANNED_COLOURS[i % len(PLANNED_COLOURS)] for i, r in enumerate(robots)}
    estimate_colour_of = {r: ESTIMATED_COLOURS[i % len(ESTIMATED_COLOURS)]
                          for i, r in enumerate(robots)}
    plan_labelled = set()
    for robot, xy in planned:
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        if len(xy) < 2:
            continue
        label = None
        if robot not in plan_labelled:
            plan_labelled.add(robot)
            label = f'planned paths{" " + robot if robot else ""}'
        line, = ax.plot(xy[:, 0], xy[:, 1], color=plan_colour_of[robot], linestyle='--',
                        linewidth=0.7, alpha=0.35, zorder=4, label=label)
        if label:
            handles.append(line)
    for robot in sorted(driven):
        xy = np.asarray(driven[robot], dtype=float).reshape(-1, 2)
        if len(xy) == 0:
            continue
        line, = ax.plot(xy[:, 0], xy[:, 1], color=colour_of[robot], linewidth=2.2, zorder=5,
                        label=f'driven path{" " + robot if robot else ""} (ground truth)')
        handles.append(line)
        handles.append(ax.scatter(xy[:1, 0], xy[:1, 1], marker='o', s=50, zorder=6,
                                  facecolor='white', edgecolor=colour_of[robot],
                                  label='start'))
        handles.append(ax.scatter(xy[-1:, 0], xy[-1:, 1], marker='o', s=50, zorder=6,
                                  color=colour_of[robot], label='end'))
    for robot in sorted(estimated or {}):
        xy = np.asarray(estimated[robot], dtype=float).reshape(-1, 2)
        if len(xy) == 0:
            continue
        line, = ax.plot(xy[:, 0], xy[:, 1], color=estimate_colour_of[robot],
                        linestyle=(0, (4, 2)), linewidth=1.4, zorder=5.5,
                        label=f'estimated path{" " + robot if robot else ""} ({estimated_by})')
        handles.append(line)
    kinds_done, listed = set(), []
    placed = [e for e in sorted(events, key=lambda e: e.t)
              if math.isfinite(e.x) and math.isfinite(e.y)]
    for number, e in enumerate(placed, start=1):
        marker, colour, legend = EVENT_STYLE.get(e.kind, ('D', 'black', e.kind))
        label = None if e.kind in kinds_done else legend
        kinds_done.add(e.kind)
        point = ax.scatter([e.x], [e.y], marker=marker, s=120, color=colour,
                           edgecolor='black', linewidth=0.6, zorder=7, label=label)
        if label:
            handles.append(point)
        if number <= MAX_LISTED:  # a number at the marker, the text in the list
            labels.append(Label(str(number), e.x, e.y, colour, bold=True))
            listed.append((e.x, e.y))
            robot = f'{e.robot}: ' if e.robot else ''
            text_rows.append(f'{number:>2}  {e.t:6.1f} s  {robot}{e.label}')
    if len(placed) > MAX_LISTED:
        text_rows.append(f'... and {len(placed) - MAX_LISTED} more (mission.jsonl)')
    handles += _draw_goals(ax, goals, labels)
    handles += _draw_collisions(ax, collisions or {})
    ax.set_aspect('equal', adjustable='datalim')
    ax.autoscale_view()
    ax.set_xlabel('x (m)')
    ax.set_ylabel('y (m)')
    ax.grid(True, linewidth=0.3, alpha=0.6)
    ax.set_title(_title(title or f'run in {layers.name or "the world"}', failure),
                 fontsize=11, loc='left')
    ax.legend(handles=handles, loc='upper left', bbox_to_anchor=(1.01, 1.0), fontsize=8,
              frameon=False)
    if text_rows:
        ax.text(1.02, 0.55, 'events (sim time)\n' + '\n'.join(text_rows),
                transform=ax.transAxes, va='top', ha='left', fontsize=7.5,
                family='monospace')
    fig.tight_layout()
    markers = [(x, y) for robot in (collisions or {}) for x, y in collisions[robot]]
    markers += [(e.x, e.y) for e in placed] + [(g.x, g.y) for g in goals]
    markers += [(x, y) for _, x, y in layers.objects] + list((objects_end or {}).values())
    _draw_labels(fig, ax, labels, markers)
    fig.savefig(path, dpi=dpi, format='png')
    height = fig.bbox.height

    def to_pixel(x: float, y: float) -> Tuple[float, float]:
        col, up = ax.transData.transform((x, y))
        return float(col), float(height - up)
    return to_pixel


# -- goals, objects, collisions, title and labels ----------------------------------------------
@dataclass
class Goal:
    """A goal of the mission, from its inputs (``goal`` pose string or ``place`` name)."""

    robot: str
    x: float
    y: float
    yaw: float
    label: str


def goals_from_records(records: Iterable[dict],
                       places: Dict[str, Tuple[float, float]]) -> List[Goal]:
    """Return the goals a mission was given: each ``mission_start``'s ``place`` or ``goal``.

    A place wins over a goal (as in the ``navigate`` mission); a place the world
    does not have, or a goal that is not Nav2's pose string, is left out.
    """
    from orchestrator_pkg.planning.frames import parse_pose_string, yaw_of
    goals = []
    for r in records:
        if r.get('event') != 'mission_start':
            continue
        inputs = r.get('inputs') or {}
        robot = r.get('robot', '')
        place = str(inputs.get('place', '') or '')
        if place and place in places:
            x, y = places[place]
            goals.append(Goal(robot, float(x), float(y), math.nan, f'goal: {place}'))
            continue
        text = str(inputs.get('goal', '') or '')
        if not text:
            continue
        try:
            _, frame, n = parse_pose_string(text)
        except ValueError:
            continue
        goals.append(Goal(robot, n[0], n[1], yaw_of(*n[3:7]),
                          f'goal ({frame or "?"} {n[0]:.1f}, {n[1]:.1f})'))
    return goals


def _draw_goals(ax, goals: Sequence[Goal], labels: list) -> list:
    handles = []
    for number, g in enumerate(goals):
        point = ax.scatter([g.x], [g.y], marker='*', s=320, color='gold', edgecolor='black',
                           linewidth=0.8, zorder=9, label='goal' if number == 0 else None)
        if number == 0:
            handles.append(point)
        if math.isfinite(g.yaw):
            ax.annotate('', xy=(g.x + 0.6 * math.cos(g.yaw), g.y + 0.6 * math.sin(g.yaw)),
                        xytext=(g.x, g.y), zorder=9,
                        arrowprops={'arrowstyle': '->', 'color': 'black', 'linewidth': 1.2})
        labels.append(Label(g.label + (f' ({g.robot})' if g.robot else ''), g.x, g.y, 'black',
                            bold=True))
    return handles


def _draw_objects(ax, layers: WorldLayers, objects_end: Dict[str, Tuple[float, float]],
                  labels: list) -> list:
    """Each object in its own colour: hollow where it started, filled where it ended."""
    from matplotlib.lines import Line2D
    if not layers.objects and not objects_end:
        return []
    start = {oid: (x, y) for oid, x, y in layers.objects}
    for oid in sorted(set(start) | set(objects_end)):
        colour = layers.object_colours.get(oid, (0.8, 0.2, 0.2))
        first, last = start.get(oid), objects_end.get(oid)
        if first is not None:
            ax.scatter([first[0]], [first[1]], marker='o', s=70, facecolor='none',
                       edgecolor=colour, linewidth=1.8, zorder=3)
        if last is not None:
            ax.scatter([last[0]], [last[1]], marker='o', s=70, color=colour,
                       edgecolor='black', linewidth=0.5, zorder=3)
            if first is not None and math.hypot(last[0] - first[0], last[1] - first[1]) > 0.05:
                ax.annotate('', xy=last, xytext=first, zorder=3,
                            arrowprops={'arrowstyle': '->', 'color': colour,
                                        'linestyle': ':', 'linewidth': 1.2})
        where = last if last is not None else first
        labels.append(Label(oid, where[0], where[1], _darker(colour)))
    return [Line2D([], [], linestyle='none', marker='o', markersize=8, markerfacecolor='none',
                   markeredgecolor='0.3', label='object at start (its colour)'),
            Line2D([], [], linestyle='none', marker='o', markersize=8, color='0.3',
                   label='object at end')]


def _darker(rgb) -> Tuple[float, float, float]:
    return tuple(0.7 * c for c in rgb[:3])


def _draw_collisions(ax, collisions: Dict[str, Sequence[Tuple[float, float]]]) -> list:
    points = [p for robot in sorted(collisions) for p in collisions[robot]]
    if not points:
        return []
    xy = np.asarray(points, dtype=float).reshape(-1, 2)
    return [ax.scatter(xy[:, 0], xy[:, 1], marker='x', s=140, color='red', linewidth=3.0,
                       zorder=10, label=f'collision ({len(xy)})')]


def _title(title: str, failure: str, width: int = 110) -> str:
    """Return the title with the failure reason under it, wrapped (at most three lines)."""
    if not failure:
        return title
    import textwrap
    lines = textwrap.wrap(f'why: {failure}', width)
    if len(lines) > 3:
        lines = lines[:3]
        lines[-1] = lines[-1][:width - 3] + '...'
    return '\n'.join([title, *lines])


@dataclass
class Label:
    """A text label for a point of the map (metres), placed where it collides with nothing."""

    text: str
    x: float
    y: float
    colour: object = 'black'
    bold: bool = False


Box = Tuple[float, float, float, float]  # x0, y0, x1, y1 (pixels)


def _overlap(a: Box, b: Box) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def place_labels(anchors: Sequence[Tuple[float, float]], sizes: Sequence[Tuple[float, float]],
                 bounds: Box, blocked: Sequence[Box] = (), gap: float = 8.0,
                 rings: int = 5) -> List[Box]:
    """Place labels one by one where each overlaps nothing placed before it (greedy).

    ``anchors`` are the points (pixels) the labels belong to, ``sizes`` their
    text extents; ``blocked`` boxes (markers) are avoided too and every label
    stays inside ``bounds``. Each label tries eight spots around its anchor,
    nearest first, then the same further out (``rings``); the first free one
    wins, else the one with the least overlap. Returns each label's box.
    """
    placed: List[Box] = []
    directions = ((1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1))
    for (ax_, ay), (w, h) in zip(anchors, sizes, strict=True):
        best, best_cost = None, math.inf
        for ring in range(rings):
            g = gap + ring * (h + gap)
            for dx, dy in directions:
                x0 = ax_ + g if dx > 0 else (ax_ - g - w if dx < 0 else ax_ - w / 2)
                y0 = ay + g if dy > 0 else (ay - g - h if dy < 0 else ay - h / 2)
                box = (x0, y0, x0 + w, y0 + h)
                outside = (max(0.0, bounds[0] - box[0]) + max(0.0, box[2] - bounds[2])
                           + max(0.0, bounds[1] - box[1]) + max(0.0, box[3] - bounds[3]))
                cost = outside * 1e6 + sum(_overlap(box, other) for other in placed) \
                    + sum(_overlap(box, other) for other in blocked) + ring
                if cost < best_cost:
                    best, best_cost = box, cost
                if cost <= ring:  # free: inside, overlapping nothing
                    break
            if best_cost <= ring:
                break
        placed.append(best)
    return placed


def _draw_labels(fig, ax, labels: Sequence[Label],
                 markers: Sequence[Tuple[float, float]] = (), marker_px: float = 8.0) -> None:
    """Measure the labels, place them (:func:`place_labels`) clear of ``markers``, draw them."""
    if not labels:
        return
    ax.apply_aspect()
    ax.set_autoscale_on(False)  # the limits are final: the labels are placed in them
    ax.set_xlim(ax.get_xlim())
    ax.set_ylim(ax.get_ylim())
    renderer = fig.canvas.get_renderer()
    texts = [ax.text(0, 0, lab.text, fontsize=9 if lab.bold else 8, color=lab.colour, zorder=11,
                     fontweight='bold' if lab.bold else 'normal', ha='left', va='bottom')
             for lab in labels]
    sizes = [(t.get_window_extent(renderer).width, t.get_window_extent(renderer).height)
             for t in texts]
    anchors = [tuple(ax.transData.transform((lab.x, lab.y))) for lab in labels]
    window = ax.get_window_extent(renderer)
    points = anchors + [tuple(ax.transData.transform(p)) for p in markers
                        if math.isfinite(p[0]) and math.isfinite(p[1])]
    blocked = [(x - marker_px, y - marker_px, x + marker_px, y + marker_px) for x, y in points]
    boxes = place_labels(anchors, sizes, (window.x0, window.y0, window.x1, window.y1), blocked,
                         gap=marker_px + 2)
    to_data = ax.transData.inverted()
    for text, lab, anchor, box in zip(texts, labels, anchors, boxes, strict=True):
        text.set_position(to_data.transform((box[0], box[1])))
        near_x = min(max(anchor[0], box[0]), box[2])
        near_y = min(max(anchor[1], box[1]), box[3])
        if math.hypot(near_x - anchor[0], near_y - anchor[1]) > 12:  # far: a leader line
            (x0, y0), (x1, y1) = to_data.transform([anchor, (near_x, near_y)])
            ax.plot([x0, x1], [y0, y1], color=lab.colour, linewidth=0.5, alpha=0.7, zorder=10)

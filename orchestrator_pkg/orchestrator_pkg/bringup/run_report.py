"""The run folder's picture, ``trajectory.png``, from plain data: pure, no ROS.

:func:`draw_trajectory` draws the map (the world's walls, shelves, crates,
pillars, objects, dock and named places), the planned paths, the driven
path of each robot and the mission's events (pick, place, dock, recovery,
failure) with matplotlib's Agg backend, in metres with equal aspect.
:func:`world_layers` reads the map from a world file and
:func:`events_from_changes` derives the events from ``mission.jsonl``'s
status changes, so everything here is tested without a running stack.
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


@dataclass
class WorldLayers:
    """The static picture of a world, in metres."""

    name: str = ''
    boxes: np.ndarray = field(default_factory=lambda: np.zeros((0, 5)))  # x, y, yaw, sx, sy
    discs: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))  # x, y, r
    objects: List[Tuple[str, float, float]] = field(default_factory=list)
    places: Dict[str, Tuple[float, float]] = field(default_factory=dict)
    dock: Optional[Tuple[float, float, float]] = None  # x, y, radius


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
        dock=(w.dock.x, w.dock.y, w.dock.radius) if w.dock is not None else None)


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
                    dpi: int = 100) -> Callable[[float, float], Tuple[float, float]]:
    """Write the run's picture to ``path`` (PNG of ``size_px`` pixels).

    ``driven`` maps a robot label to its ``(N, 2)`` ground-truth path;
    ``planned`` holds ``(robot, (N, 2) path)`` for every plan published.
    Returns ``to_pixel(x, y) -> (column, row)``: where a point in metres is
    in the image (row 0 at the top).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle, Polygon

    text_rows = []
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
        for name, (x, y) in layers.places.items():
            ax.annotate(name, (x, y), textcoords='offset points', xytext=(5, 5), fontsize=8,
                        color='0.25')
    if layers.objects:
        xy = np.array([(x, y) for _, x, y in layers.objects], dtype=float)
        handles.append(ax.scatter(xy[:, 0], xy[:, 1], marker='o', s=18, color='tab:red',
                                  zorder=3, label='objects (start)'))
    robots = sorted(set(driven) | {r for r, _ in planned})
    colour_of = {r: DRIVEN_COLOURS[i % len(DRIVEN_COLOURS)] for i, r in enumerate(robots)}
    plan_colour_of = {r: PLANNED_COLOURS[i % len(PLANNED_COLOURS)] for i, r in enumerate(robots)}
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
            ax.annotate(str(number), (e.x, e.y), textcoords='offset points',
                        xytext=(6, 4 + 9 * (len([p for p in listed if
                                                 math.hypot(p[0] - e.x, p[1] - e.y) < 0.4]))),
                        fontsize=8, color=colour, fontweight='bold', zorder=8)
            listed.append((e.x, e.y))
            robot = f'{e.robot}: ' if e.robot else ''
            text_rows.append(f'{number:>2}  {e.t:6.1f} s  {robot}{e.label}')
    if len(placed) > MAX_LISTED:
        text_rows.append(f'... and {len(placed) - MAX_LISTED} more (mission.jsonl)')
    ax.set_aspect('equal', adjustable='datalim')
    ax.autoscale_view()
    ax.set_xlabel('x (m)')
    ax.set_ylabel('y (m)')
    ax.grid(True, linewidth=0.3, alpha=0.6)
    ax.set_title(title or f'run in {layers.name or "the world"}')
    ax.legend(handles=handles, loc='upper left', bbox_to_anchor=(1.01, 1.0), fontsize=8,
              frameon=False)
    if text_rows:
        ax.text(1.02, 0.55, 'events (sim time)\n' + '\n'.join(text_rows),
                transform=ax.transAxes, va='top', ha='left', fontsize=7.5,
                family='monospace')
    fig.tight_layout()
    fig.savefig(path, dpi=dpi, format='png')
    height = fig.bbox.height

    def to_pixel(x: float, y: float) -> Tuple[float, float]:
        col, up = ax.transData.transform((x, y))
        return float(col), float(height - up)
    return to_pixel

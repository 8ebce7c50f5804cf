"""The run folder of ``orchestrator run --run-dir DIR``: names and the final picture.

``DIR`` holds ``summary.json`` (the summary as data), ``mission.jsonl`` (every
tree status change with sim time, mission start/result lines and, at the end,
each robot's localization error), ``run.mcap`` (the key topics, serialized as
received), ``trajectory.png`` (with amcl, the estimated path beside the true
one) and ``logs/`` (each node's output, one file per node).
This module is pure: it reads ``mission.jsonl`` back and hands plain data to
:func:`run_report.draw_trajectory`.
"""
import json
import os
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from orchestrator_pkg.bringup import run_report

SUMMARY = 'summary.json'
MISSION_LOG = 'mission.jsonl'
RECORDING = 'run.mcap'
PICTURE = 'trajectory.png'
LOGS = 'logs'


def paths(run_dir: str) -> Dict[str, str]:
    """Return the run folder's file paths by role."""
    return {'summary': os.path.join(run_dir, SUMMARY),
            'mission_log': os.path.join(run_dir, MISSION_LOG),
            'recording': os.path.join(run_dir, RECORDING),
            'picture': os.path.join(run_dir, PICTURE),
            'logs': os.path.join(run_dir, LOGS)}


def read_mission_log(path: str) -> List[dict]:
    """Read ``mission.jsonl``; a bad line raises ValueError naming the file and line."""
    records = []
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f'{path}:{number}: not JSON: {exc.msg}') from None
    return records


class Drawn(NamedTuple):
    """What :func:`write_picture` put on the picture."""

    events: int  # events placed on the driven path
    estimated_poses: Dict[str, int]  # robot -> estimated poses drawn (none: no estimate)


def write_picture(png_path: str, world: str,
                  driven: Dict[str, Sequence[Tuple[float, float, float]]],
                  plans: Sequence[Tuple[str, float, Sequence[Tuple[float, float]]]],
                  records: Sequence[dict], title: str, failure: str = '',
                  collisions: Optional[Dict[str, Sequence[Tuple[float, float]]]] = None,
                  objects_end: Optional[Dict[str, Tuple[float, float]]] = None,
                  estimated: Optional[Dict[str, Sequence[Tuple[float, float, float]]]] = None,
                  estimated_by: str = 'amcl') -> Drawn:
    """Draw ``trajectory.png``; return what it holds (:class:`Drawn`).

    ``driven`` maps a robot to ``(t, x, y)`` samples with ``t`` on the same
    clock as the records' ``t`` (absolute sim time); ``plans`` holds
    ``(robot, t, [(x, y), ...])``; ``collisions`` each robot's collision
    points, ``objects_end`` the objects' final positions, ``failure`` why the
    mission did not succeed, ``estimated`` each robot's localizer estimates
    ``(t, x, y)`` (``estimated_by`` names the localizer in the legend). The
    goals come from the records' inputs. An unreadable world gives a picture
    without the map rather than none.
    """
    try:
        layers = run_report.world_layers(world)
    except (ValueError, ImportError):
        layers = run_report.WorldLayers(name=str(world))
    tracks = {robot: np.asarray(samples, dtype=float).reshape(-1, 3)
              for robot, samples in driven.items()}
    estimated_xy = {robot: np.asarray(samples, dtype=float).reshape(-1, 3)[:, 1:]
                    for robot, samples in (estimated or {}).items()}
    events = run_report.place_events(run_report.events_from_changes(records),
                                     run_report.pose_lookup(tracks))
    run_report.draw_trajectory(
        png_path, layers, {r: t[:, 1:] for r, t in tracks.items()},
        planned=[(robot, np.asarray(xy, dtype=float).reshape(-1, 2)) for robot, _, xy in plans],
        events=events, title=title, failure=failure, collisions=collisions,
        objects_end=objects_end, goals=run_report.goals_from_records(records, layers.places),
        estimated=estimated_xy, estimated_by=estimated_by)
    return Drawn(len(events), {robot: len(xy) for robot, xy in estimated_xy.items() if len(xy)})

"""trajectory.png from plain data: size, map, driven path, events; and the world's layers."""
import json

import matplotlib.image
import numpy as np
import pytest

from orchestrator_pkg.bringup import run_folder, run_report

SIZE = (800, 500)


def _rgb(image, col, row):
    return image[int(round(row)), int(round(col)), :3]


def _near_colour(image, col, row, rgb, radius=2, tol=0.12):
    r0, c0 = int(round(row)), int(round(col))
    patch = image[max(r0 - radius, 0):r0 + radius + 1, max(c0 - radius, 0):c0 + radius + 1, :3]
    return bool((np.abs(patch - np.asarray(rgb)).max(axis=-1) < tol).any())


BLUE = matplotlib.colors.to_rgb('tab:blue')
GREEN = matplotlib.colors.to_rgb('tab:green')


def test_the_picture_has_the_size_asked_and_draws_the_driven_path(tmp_path):
    layers = run_report.WorldLayers(
        name='box', boxes=np.array([[0.0, 3.0, 0.0, 8.0, 0.2]]),  # a wall along y = 3
        discs=np.array([[2.0, 2.0, 0.3]]), places={'goal': (3.0, 0.0)}, dock=(-3.0, 0.0, 0.4))
    driven = {'': np.array([[-3.0, 0.0], [0.0, 0.0], [3.0, 0.0]])}
    png = tmp_path / 'trajectory.png'
    to_pixel = run_report.draw_trajectory(str(png), layers, driven, title='a test run',
                                          size_px=SIZE)
    image = matplotlib.image.imread(str(png))
    assert image.shape[:2] == (SIZE[1], SIZE[0])
    # the driven path is drawn where its points are, in its colour
    for x in (-1.5, 0.0, 1.5):
        assert _near_colour(image, *to_pixel(x, 0.0), BLUE), x
    # above and below it is background (white) or grid, not path
    assert not _near_colour(image, *to_pixel(0.0, 1.0), BLUE)
    # the wall is filled grey
    assert np.allclose(_rgb(image, *to_pixel(-2.0, 3.0)), 0.55, atol=0.05)


def test_absorbed_failures_are_not_events_and_docking_is():
    def status(t, path, kind, new, tick, old='RUNNING', failure=''):
        return {'event': 'status', 't': t, 'robot': '', 'tree': 'orchestrator', 'tick': tick,
                'path': path, 'type': kind, 'from': old, 'to': new, 'failure': failure}
    records = [
        # a Fallback's first child fails and the Fallback goes on: not an event
        status(3.0, 'F/M/Find/Or/AlreadyTracked', 'FindObject', 'FAILURE', 1, 'INVALID',
               'no red box among the tracked objects'),
        status(3.0, 'F/M/Find/Or', 'Fallback', 'RUNNING', 1, 'INVALID'),
        status(50.0, 'F/M/ReturnToDock', 'SubTree', 'SUCCESS', 900),
        status(60.0, 'Recharge/RechargeAtDock/Charge', 'WaitUntilCharged', 'RUNNING', 1000,
               'INVALID'),
        # a failure that ends the mission: drawn at the deepest node with a reason
        status(70.0, 'F/M/Go/Navigate', 'NavigateToPose', 'FAILURE', 1200, failure='aborted'),
        status(70.0, 'F/M/Go', 'SubTree', 'FAILURE', 1200),
        status(70.0, 'F/M', 'SequenceWithMemory', 'FAILURE', 1200),
    ]
    events = run_report.events_from_changes(records)
    assert [(e.kind, e.label, e.t) for e in events] == [
        ('dock', 'ReturnToDock', 50.0), ('dock', 'Charge', 60.0), ('failure', 'Navigate', 70.0)]


def test_events_are_marked_where_the_robot_was(tmp_path):
    driven = {'': np.array([[0.0, 0.0], [4.0, 0.0]])}
    records = [
        {'event': 'mission_start', 't': 10.0, 'robot': ''},
        {'event': 'status', 't': 12.0, 'robot': '', 'tree': 'orchestrator',
         'path': 'M/S/Pick', 'type': 'Gripper', 'from': 'RUNNING', 'to': 'SUCCESS'},
        {'event': 'status', 't': 13.0, 'robot': '', 'tree': 'bt_navigator',
         'path': 'N/Recovery/Spin', 'type': 'Spin', 'from': 'INVALID', 'to': 'RUNNING'},
        {'event': 'status', 't': 13.1, 'robot': '', 'tree': 'bt_navigator',
         'path': 'N/Recovery/Spin', 'type': 'Spin', 'from': 'RUNNING', 'to': 'RUNNING'},
        {'event': 'status', 't': 14.0, 'robot': '', 'tree': 'orchestrator',
         'path': 'M/S/Go', 'type': 'NavigateToPose', 'from': 'RUNNING', 'to': 'FAILURE',
         'failure': 'aborted'},
        {'event': 'status', 't': 14.0, 'robot': '', 'tree': 'orchestrator',
         'path': 'M/S', 'type': 'Sequence', 'from': 'RUNNING', 'to': 'FAILURE',
         'failure': 'aborted'},
    ]
    events = run_report.events_from_changes(records)
    assert [(e.kind, e.label) for e in events] == [
        ('gripper', 'Pick'), ('recovery', 'Spin'), ('failure', 'Go')]
    # t, x, y: the robot drove from x=0 at t=10 to x=4 at t=14
    track = {'': np.array([[10.0, 0.0, 0.0], [14.0, 4.0, 0.0]])}
    placed = run_report.place_events(events, run_report.pose_lookup(track))
    assert [round(e.x, 3) for e in placed] == [2.0, 3.0, 4.0]
    png = tmp_path / 'events.png'
    to_pixel = run_report.draw_trajectory(str(png), run_report.WorldLayers(), driven,
                                          events=placed, size_px=SIZE)
    image = matplotlib.image.imread(str(png))
    assert _near_colour(image, *to_pixel(2.0, 0.0), GREEN, radius=3)  # the pick star


def test_world_layers_of_the_warehouse():
    layers = run_report.world_layers('warehouse')
    assert layers.name == 'warehouse'
    assert len(layers.boxes) >= 9  # 5 walls, 4 shelves, crates
    assert len(layers.discs) >= 2  # pillars
    assert {'pickup_a', 'dropoff', 'office'} <= set(layers.places)
    assert layers.dock == pytest.approx((-6.5, -3.5, 0.4))
    assert 'red_box_1' in [o[0] for o in layers.objects]


def test_an_unknown_world_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match='no_such_world'):
        run_report.world_layers('no_such_world')


def test_write_picture_reads_the_mission_log(tmp_path):
    log = tmp_path / 'mission.jsonl'
    log.write_text('\n'.join(json.dumps(r) for r in [
        {'event': 'status', 't': 101.0, 'robot': '', 'tree': 'orchestrator',
         'path': 'D/S/Place', 'type': 'Gripper', 'from': 'RUNNING', 'to': 'SUCCESS'}]) + '\n')
    records = run_folder.read_mission_log(str(log))
    placed = run_folder.write_picture(
        str(tmp_path / 'p.png'), 'warehouse', {'': [(100.0, -6.5, -3.5), (102.0, -5.0, -3.5)]},
        [('', 100.0, [(-6.5, -3.5), (-5.0, -3.5)])], records, 'title')
    assert placed == 1
    assert matplotlib.image.imread(str(tmp_path / 'p.png')).shape[:2] == (1000, 1600)


def test_a_bad_mission_log_line_names_the_file_and_line(tmp_path):
    log = tmp_path / 'mission.jsonl'
    log.write_text('{"event": "status"}\nnot json\n')
    with pytest.raises(ValueError, match=r'mission.jsonl:2: not JSON'):
        run_folder.read_mission_log(str(log))


def test_the_mission_log_is_put_in_sim_time_order_with_results_after_their_last_tick(tmp_path):
    from orchestrator_pkg.bringup.recorder import order_mission_log
    log = tmp_path / 'mission.jsonl'
    arrived = [  # as written: the result came in before the last tick's changes
        {'event': 'mission_start', 't': 1.0, 'robot': ''},
        {'event': 'status', 't': 1.5, 'robot': '', 'tree': 'orchestrator', 'path': 'A'},
        {'event': 'status', 't': 1.4, 'robot': '', 'tree': 'bt_navigator', 'path': 'N'},
        {'event': 'mission_result', 't': 1.9, 'robot': '', 'outcome': 'SUCCEEDED'},
        {'event': 'status', 't': 2.0, 'robot': '', 'tree': 'orchestrator', 'path': 'B'},
        {'event': 'status', 't': 2.0, 'robot': '', 'tree': 'orchestrator', 'path': 'C'},
    ]
    log.write_text(''.join(json.dumps(r) + '\n' for r in arrived))
    order_mission_log(str(log))
    records = run_folder.read_mission_log(str(log))
    assert [r.get('path', r['event']) for r in records] == \
        ['mission_start', 'N', 'A', 'B', 'C', 'mission_result']
    assert records[-1]['t'] == 2.0

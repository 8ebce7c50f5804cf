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
MAGENTA = matplotlib.colors.to_rgb(run_report.ESTIMATED_COLOURS[0])
INDIGO = matplotlib.colors.to_rgb(run_report.ESTIMATED_COLOURS[3])
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
    assert placed == run_folder.Drawn(events=1, estimated_poses={})
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
    # the run's localization error (logged at its end) comes last, at the last time
    end = {'event': 'localization_error', 't': 1.95, 'robot': '', 'localization': 'amcl',
           'localization_error': {'poses': 3, 'mean_m': 0.05}}
    log.write_text(''.join(json.dumps(r) + '\n' for r in [end] + arrived))
    order_mission_log(str(log))
    records = run_folder.read_mission_log(str(log))
    assert records[-1] == {**end, 't': 2.0}
    assert records[-2]['event'] == 'mission_result'
    # the first tick stamped a step before the start (the orchestrator's clock lags
    # the session's): the start is lowered to it and still comes first
    early = [{'event': 'status', 't': 1.3, 'robot': '', 'tree': 'orchestrator', 'path': 'A'},
             {'event': 'status', 't': 1.3, 'robot': 'r2', 'tree': 'orchestrator', 'path': 'X'},
             {'event': 'mission_start', 't': 1.32, 'robot': ''},
             {'event': 'mission_start', 't': 1.2, 'robot': 'r2'},
             {'event': 'mission_result', 't': 1.4, 'robot': '', 'outcome': 'SUCCEEDED'}]
    log.write_text(''.join(json.dumps(r) + '\n' for r in early))
    order_mission_log(str(log))
    records = run_folder.read_mission_log(str(log))
    assert [(r['robot'], r.get('path', r['event']), r['t']) for r in records] == [
        ('r2', 'mission_start', 1.2), ('', 'mission_start', 1.3), ('', 'A', 1.3),
        ('r2', 'X', 1.3), ('', 'mission_result', 1.4)]


# -- collisions, objects, goals, the failure in the title, labels that do not collide -------
def test_labels_are_placed_where_they_collide_with_nothing():
    anchors = [(100.0, 100.0)] * 6 + [(300.0, 100.0)]  # six labels for one point
    sizes = [(40.0, 10.0)] * 7
    bounds = (0.0, 0.0, 400.0, 200.0)
    blocked = [(x - 6, y - 6, x + 6, y + 6) for x, y in anchors]
    boxes = run_report.place_labels(anchors, sizes, bounds, blocked)
    for i, a in enumerate(boxes):
        assert bounds[0] <= a[0] and a[2] <= bounds[2] and bounds[1] <= a[1] and a[3] <= bounds[3]
        for b in boxes[i + 1:] + blocked:
            assert run_report._overlap(a, b) == 0.0, (a, b)
    # the first label sits right next to its point, on its right
    assert boxes[0] == (108.0, 95.0, 148.0, 105.0)
    # at the right edge, a label goes left of its point instead of out of the picture
    edge = run_report.place_labels([(395.0, 100.0)], [(40.0, 10.0)], bounds)
    assert edge[0][2] <= 395.0


def test_goals_come_from_the_mission_inputs():
    records = [{'event': 'mission_start', 'robot': '', 'inputs': {
                    'goal': '0;map;-2.0;2.5;0;0;0.7071068;0.7071068'}},  # 8 fields: not a pose
               {'event': 'mission_start', 'robot': 'robot1', 'inputs': {
                    'goal': '0;map;-2.0;2.5;0;0;0;0.7071068;0.7071068'}},
               {'event': 'mission_start', 'robot': 'robot2', 'inputs': {
                    'place': 'office', 'goal': '0;map;9;9;0;0;0;0;1'}},  # a place wins
               {'event': 'mission_start', 'robot': '', 'inputs': {'place': 'nowhere'}},
               {'event': 'status', 'inputs': {'place': 'office'}}]
    goals = run_report.goals_from_records(records, {'office': (5.0, 3.0)})
    assert [(g.robot, g.x, g.y, g.label) for g in goals] == [
        ('robot1', -2.0, 2.5, 'goal (map -2.0, 2.5)'), ('robot2', 5.0, 3.0, 'goal: office')]
    assert goals[0].yaw == pytest.approx(1.5707963)


def test_collisions_objects_goal_and_failure_are_drawn(tmp_path):
    red, green = (0.8, 0.1, 0.1), (0.1, 0.7, 0.2)
    layers = run_report.WorldLayers(
        name='room', objects=[('box_r', 1.0, 1.0), ('box_g', -1.0, -1.0)],
        object_colours={'box_r': red, 'box_g': green})
    driven = {'': np.array([[-3.0, 0.0], [3.0, 0.0]])}
    png = tmp_path / 'p.png'
    goal = run_report.Goal('', 3.0, -1.5, 0.0, 'goal (map 3.0, -1.5)')
    failure = ('GoTo/PlanAndFollow/Follow [FollowPath] code 7 (nav2_msgs/action/FollowPath '
               'error 106): /follow_path aborted the goal: error_code 106 (collision ahead)')
    to_pixel = run_report.draw_trajectory(
        str(png), layers, driven, title='go_to in room: FAILED', size_px=SIZE, failure=failure,
        collisions={'': [(0.0, 0.0)]}, objects_end={'box_r': (2.0, 1.0), 'box_g': (-1.0, -1.0)},
        goals=[goal])
    image = matplotlib.image.imread(str(png))
    assert _near_colour(image, *to_pixel(0.0, 0.0), (1.0, 0.0, 0.0), radius=3)  # the red x
    assert _near_colour(image, *to_pixel(2.0, 1.0), red, radius=3)  # red box where it ended
    # where it started: a ring of its colour, hollow in the middle
    col, row = to_pixel(1.0, 1.0)
    assert _near_colour(image, col, row, red, radius=6)
    assert not _near_colour(image, col, row, red, radius=1)
    assert _near_colour(image, *to_pixel(-1.0, -1.0), green, radius=3)  # the green one
    assert _near_colour(image, *to_pixel(3.0, -1.5), matplotlib.colors.to_rgb('gold'),
                        radius=4)  # the goal star
    assert run_report._title('t', failure).startswith('t\nwhy: GoTo/PlanAndFollow/Follow')
    assert run_report._title('t', '') == 't'
    assert len(run_report._title('t', 'x ' * 1000).splitlines()) == 4  # at most three lines


def test_write_picture_draws_the_goal_of_the_inputs_and_the_warehouse_colours(tmp_path):
    records = [{'event': 'mission_start', 't': 100.0, 'robot': '', 'mission': 'navigate',
                'inputs': {'place': 'office'}}]
    layers = run_report.world_layers('warehouse')
    assert layers.object_colours['red_box_1'][0] > 0.5  # the world's own colour, not a default
    png = tmp_path / 'p.png'
    run_folder.write_picture(str(png), 'warehouse', {'': [(100.0, -6.5, -3.5)]}, [], records,
                             'navigate in warehouse: FAILED', failure='stopped by the user',
                             collisions={'': [(-6.0, -3.5)]},
                             objects_end={'red_box_1': (0.0, 0.0)})
    assert matplotlib.image.imread(str(png)).shape[:2] == (1000, 1600)


# -- the localizer's estimate beside the ground truth -------------------------------------------
def test_the_estimated_path_is_drawn_beside_the_true_one_in_its_own_colour(tmp_path):
    driven = {'': np.array([[-3.0, 0.0], [3.0, 0.0]])}
    estimated = {'': np.array([[-3.0, 0.5], [0.0, 0.6], [3.0, 0.5]])}  # 0.5 m off, above
    png = tmp_path / 'amcl.png'
    to_pixel = run_report.draw_trajectory(str(png), run_report.WorldLayers(), driven,
                                          size_px=SIZE, estimated=estimated)
    image = matplotlib.image.imread(str(png))
    for x in (-1.5, 1.5):
        assert _near_colour(image, *to_pixel(x, 0.0), BLUE), x  # the truth where it was
        assert not _near_colour(image, *to_pixel(x, 0.0), MAGENTA, radius=1), x
        assert _near_colour(image, *to_pixel(x, 0.55), MAGENTA, radius=3), x  # the estimate
    # without an estimate (truth localization) nothing is drawn there
    png = tmp_path / 'truth.png'
    to_pixel = run_report.draw_trajectory(str(png), run_report.WorldLayers(), driven,
                                          size_px=SIZE)
    image = matplotlib.image.imread(str(png))
    assert not any(_near_colour(image, *to_pixel(x, 0.55), MAGENTA, radius=3)
                   for x in (-1.5, 1.5))
    assert not (np.abs(image[..., :3] - MAGENTA).max(axis=-1) < 0.12).any()  # not even in a legend


def test_write_picture_draws_each_robots_estimate_and_says_how_many_poses(tmp_path):
    driven = {'robot1': [(100.0, -6.5, -3.5), (110.0, -4.0, -3.5)],
              'robot2': [(100.0, -6.5, 3.0), (110.0, -4.0, 3.0)]}
    estimated = {'robot1': [(100.0 + k, -6.5 + 0.25 * k, -3.0) for k in range(11)],
                 'robot2': [(100.0, -6.5, 3.5), (110.0, -4.0, 3.5)]}
    png = tmp_path / 'p.png'
    drawn = run_folder.write_picture(str(png), 'warehouse', driven, [], [], 'two robots',
                                     estimated=estimated)
    assert drawn == run_folder.Drawn(events=0, estimated_poses={'robot1': 11, 'robot2': 2})
    image = matplotlib.image.imread(str(png))
    # each robot's estimate in its own colour (somewhere: the legend at least)
    for colour in (MAGENTA, matplotlib.colors.to_rgb(run_report.ESTIMATED_COLOURS[1])):
        assert (np.abs(image[..., :3] - colour).max(axis=-1) < 0.05).any(), colour
    assert not (np.abs(image[..., :3] - INDIGO).max(axis=-1) < 0.05).any()  # a third: none
    no_estimate = run_folder.write_picture(str(png), 'warehouse', driven, [], [], 'truth')
    assert no_estimate.estimated_poses == {}

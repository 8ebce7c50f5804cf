"""The object tracker: stable ids, gating by class and colour, forgetting only in view."""
import math

import pytest

from orchestrator_pkg.perception.tracker import CameraModel, Observation, Tracker, TrackerError


def obs(cls, color, x, y):
    return Observation(cls, color, x, y)


def test_ids_stay_stable_under_noise_and_robot_motion():
    tr = Tracker(CameraModel(horizontal_fov=1.2, near=0.05, far=3.0), gate_m=0.4)
    tr.update([obs('box', 'red', 1.0, 0.5), obs('can', 'blue', 2.0, -0.3)], (0, 0, 0), 0.0)
    ids = {t.class_id: t.track_id for t in tr.tracks.values()}
    for k in range(1, 30):
        jitter = 0.05 * math.sin(k)
        tr.update([obs('can', 'blue', 2.0 - jitter, -0.3), obs('box', 'red', 1.0 + jitter, 0.5)],
                  (0.02 * k, 0, 0.01 * k), 0.2 * k)
    assert {t.class_id: t.track_id for t in tr.tracks.values()} == ids
    assert len(tr.tracks) == 2
    assert tr.tracks[ids['box']].x == pytest.approx(1.0, abs=0.06)


def test_class_and_colour_gate_association():
    tr = Tracker(CameraModel(), gate_m=0.5)
    tr.update([obs('box', 'red', 1.0, 0.0)], (0, 0, 0), 0.0)
    tr.update([obs('box', 'green', 1.1, 0.0), obs('can', 'red', 1.0, 0.1)], (0, 0, 0), 0.1)
    assert sorted(t.track_id for t in tr.tracks.values()) == ['box_1', 'box_2', 'can_1']
    assert tr.tracks['box_1'].missed_since == 0.1  # in view, not matched


def test_forgets_only_what_should_be_in_view():
    cam = CameraModel(horizontal_fov=1.0, near=0.1, far=3.0)
    tr = Tracker(cam, gate_m=0.5, forget_after_s=1.0)
    tr.update([obs('box', 'red', 1.0, 0.0), obs('can', 'blue', 1.5, 0.2)], (0, 0, 0), 0.0)
    # facing away: nothing is in view, nothing is forgotten however long
    for k in range(1, 20):
        assert tr.update([], (0, 0, math.pi), 0.5 * k) == []
    assert len(tr.tracks) == 2
    # facing them again, only the can is seen: the box is dropped after 1 s
    t0 = 10.0
    assert tr.update([obs('can', 'blue', 1.5, 0.2)], (0, 0, 0), t0) == []
    assert tr.update([obs('can', 'blue', 1.5, 0.2)], (0, 0, 0), t0 + 0.5) == []
    assert tr.update([obs('can', 'blue', 1.5, 0.2)], (0, 0, 0), t0 + 1.0) == ['box_1']
    assert list(tr.tracks) == ['can_1']
    # seen again later: a new id
    tr.update([obs('box', 'red', 1.0, 0.0)], (0, 0, 0), t0 + 2.0)
    assert 'box_2' in tr.tracks


def test_a_miss_is_forgiven_when_seen_again():
    tr = Tracker(CameraModel(), forget_after_s=1.0)
    tr.update([obs('box', 'red', 1.0, 0.0)], (0, 0, 0), 0.0)
    tr.update([], (0, 0, 0), 0.6)
    tr.update([obs('box', 'red', 1.0, 0.0)], (0, 0, 0), 0.8)
    tr.update([], (0, 0, 0), 1.5)
    assert list(tr.tracks) == ['box_1']


def test_nearest_query():
    tr = Tracker(CameraModel(far=10.0), gate_m=0.3)
    tr.update([obs('box', 'red', 1.0, 0.0), obs('box', 'green', 3.0, 0.0),
               obs('can', 'red', 0.5, 0.0)], (0, 0, 0), 0.0)
    assert tr.nearest('box', x=2.5).track_id == 'box_2'
    assert tr.nearest('box', 'red', x=2.5).track_id == 'box_1'
    assert tr.nearest('crate') is None


def test_bad_inputs():
    with pytest.raises(TrackerError, match='gate_m'):
        Tracker(CameraModel(), gate_m=0.0)
    tr = Tracker(CameraModel())
    with pytest.raises(TrackerError, match=r'detections\[0\]'):
        tr.update([obs('box', 'red', math.nan, 0.0)], (0, 0, 0), 0.0)


def test_a_held_object_leaves_the_tracks_until_it_is_released():
    tr = Tracker(CameraModel(horizontal_fov=1.2, near=0.5, far=3.0), gate_m=0.5)
    seen = [Observation('box', 'red', 1.0, 0.5, source_id='red_box_1'),
            Observation('can', 'blue', 2.0, -0.3, source_id='blue_can_1')]
    tr.update(seen, (0, 0, 0), 0.0)
    # the robot has come up to the box: too close to be in view, the track stays
    assert tr.update([seen[1]], (0.7, 0.5, 0.0), 1.0) == []
    assert sorted(tr.tracks) == ['box_1', 'can_1']
    # the gripper says it holds red_box_1: its track goes, the can's stays
    assert tr.set_held([Observation('box', 'red', 0.0, 0.0, source_id='red_box_1')]) == ['box_1']
    assert sorted(tr.tracks) == ['can_1']
    # a camera that still sees the carried box does not bring the track back
    tr.update([Observation('box', 'red', 0.95, 0.5, source_id='red_box_1')], (0.7, 0.5, 0.0), 2.0)
    assert sorted(tr.tracks) == ['can_1']
    # released and seen where it was put down: a new track, there
    assert tr.set_held([]) == []
    tr.update([Observation('box', 'red', 3.0, 1.0, source_id='red_box_1')], (2.0, 1.0, 0.0), 3.0)
    assert sorted(tr.tracks) == ['box_2', 'can_1']
    assert (tr.tracks['box_2'].x, tr.tracks['box_2'].y) == (3.0, 1.0)


def test_a_held_object_without_an_id_ends_the_nearest_compatible_track():
    tr = Tracker(CameraModel(), gate_m=0.5)
    tr.update([obs('box', 'red', 1.0, 0.0), obs('box', 'red', 1.0, 1.0),
               obs('box', 'green', 1.1, 0.1), obs('can', 'red', 0.9, 0.0)], (0, 0, 0), 0.0)
    assert sorted(tr.tracks) == ['box_1', 'box_2', 'box_3', 'can_1']
    # held: a red box at (1.2, 0.1) (a gripper that knows the class, not the object)
    assert tr.set_held([obs('box', 'red', 1.2, 0.1)]) == ['box_1']
    # nothing compatible within the gate: nothing dropped
    assert tr.set_held([obs('box', 'red', 3.0, 3.0), obs('cone', '', 1.0, 1.0)]) == []
    assert sorted(tr.tracks) == ['box_2', 'box_3', 'can_1']
    # no id and no position: a clear error, and nothing changes
    with pytest.raises(TrackerError, match=r"held\[0\] \('box'\): no id"):
        tr.set_held([obs('box', 'red', math.nan, 0.0)])
    assert sorted(tr.tracks) == ['box_2', 'box_3', 'can_1']

"""Collision events: one per collision, not one per flickering contact."""
import pytest

from orchestrator_sim.collisions import CollisionCounter


def test_continuous_and_flickering_contact_is_one_collision():
    counter = CollisionCounter(debounce_s=0.5)
    steps = [(0.000, ['wall']), (0.005, ['wall']), (0.010, []), (0.015, ['wall']),
             (0.300, ['wall']), (0.700, ['wall'])]
    onsets = [counter.update(t, names) for t, names in steps]
    assert onsets == [['wall'], [], [], [], [], []]
    assert counter.count == 1


def test_a_new_obstacle_or_a_later_touch_is_a_new_collision():
    counter = CollisionCounter(debounce_s=0.5)
    assert counter.update(0.0, ['wall']) == ['wall']
    assert counter.update(0.1, ['wall', 'box']) == ['box']
    assert counter.update(0.7, ['wall']) == ['wall']  # 0.6 s after the last touch
    assert counter.count == 3
    counter.reset()
    assert counter.count == 0 and counter.update(0.8, ['wall']) == ['wall']


def test_zero_debounce_counts_every_onset_after_a_gap_and_bad_values_are_refused():
    counter = CollisionCounter(debounce_s=0.0)
    assert counter.update(0.0, ['wall']) == ['wall']
    assert counter.update(0.0, ['wall']) == []
    assert counter.update(0.005, ['wall']) == ['wall']
    with pytest.raises(ValueError, match='debounce_s must be >= 0'):
        CollisionCounter(-1.0)

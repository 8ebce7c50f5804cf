"""The 2D transform tree composes and inverts transforms like tf."""
import math

import pytest

from orchestrator_pkg.planning.frames import (
    Backlog,
    ExtrapolationError,
    FrameError,
    FrameTree2D,
    PoseHistory,
    advance,
    compose,
    invert,
    yaw_of,
)


def _close(a, b):
    assert a[0] == pytest.approx(b[0], abs=1e-9)
    assert a[1] == pytest.approx(b[1], abs=1e-9)
    assert math.cos(a[2] - b[2]) == pytest.approx(1.0, abs=1e-9)


def test_inverse_undoes_a_transform():
    t = (1.0, -2.0, 0.7)
    _close(compose(t, invert(t)), (0.0, 0.0, 0.0))


def test_chain_map_odom_base_link():
    tree = FrameTree2D()
    tree.set_transform('map', 'odom', (2.0, 1.0, math.pi / 2))
    tree.set_transform('odom', 'base_link', (1.0, 0.0, 0.0))
    # base_link is 1 m along odom's x, which is map's +y
    _close(tree.lookup('map', 'base_link'), (2.0, 2.0, math.pi / 2))
    # a goal at map (2, 3) is 2 m ahead in odom x
    _close(tree.transform_pose((2.0, 3.0, math.pi / 2), 'map', 'odom'), (2.0, 0.0, 0.0))
    _close(tree.lookup('base_link', 'map'), invert(tree.lookup('map', 'base_link')))


def test_siblings_through_a_common_parent_and_identity():
    tree = FrameTree2D()
    tree.set_transform('/base_link', 'base_scan', (0.1, 0.0, 0.0))
    tree.set_transform('base_link', 'camera', (0.2, 0.0, math.pi))
    _close(tree.lookup('camera', 'base_scan'), (0.1, 0.0, math.pi))
    assert tree.lookup('map', 'map') == (0.0, 0.0, 0.0)


def test_unknown_frames_and_bad_input_are_named():
    tree = FrameTree2D()
    tree.set_transform('odom', 'base_link', (0.0, 0.0, 0.0))
    with pytest.raises(FrameError, match="no transform between 'map' and 'odom'"):
        tree.lookup('map', 'odom')
    assert 'known frames: base_link, odom' in tree.can_transform('map', 'odom')
    with pytest.raises(FrameError, match='non-finite'):
        tree.set_transform('map', 'odom', (math.nan, 0.0, 0.0))
    with pytest.raises(FrameError, match='invalid transform'):
        tree.set_transform('odom', 'odom', (0.0, 0.0, 0.0))


def test_yaw_from_quaternion():
    assert yaw_of(0.0, 0.0, math.sin(0.4), math.cos(0.4)) == pytest.approx(0.8)


def test_pose_history_interpolates_and_refuses_to_extrapolate():
    h = PoseHistory(span_s=10.0, name='odometry')
    h.add(1.0, (0.0, 0.0, 3.0))
    h.add(2.0, (1.0, 2.0, -3.0))  # yaw across +-pi: the short way round
    h.add(1.5, (0.5, 1.0, math.pi))  # out of order: inserted in place
    _close(h.at(1.25), (0.25, 0.5, (3.0 + math.pi) / 2))
    _close(h.at(2.0), (1.0, 2.0, -3.0))
    mid = h.at(1.75)
    assert math.cos(mid[2] - (math.pi + (2 * math.pi - 3.0 - math.pi) / 2)) == pytest.approx(1.0)
    with pytest.raises(ExtrapolationError, match=r'odometry at t=2.500 s is after the newest '
                                                 r'sample \(t=2.000 s\)') as ahead:
        h.at(2.5)
    assert ahead.value.ahead
    with pytest.raises(ExtrapolationError, match='before the oldest') as behind:
        h.at(0.5)
    assert not behind.value.ahead
    _close(h.at(2.5, clamp=True), (1.0, 2.0, -3.0))
    _close(h.at(0.5, clamp=True), (0.0, 0.0, 3.0))


def test_pose_history_keeps_its_span_and_restarts_when_time_goes_back():
    h = PoseHistory(span_s=1.0)
    for i in range(40):
        h.add(i * 0.1, (i * 0.1, 0.0, 0.0))
    assert len(h) == 11 and h.at(3.0)[0] == pytest.approx(3.0)
    with pytest.raises(ExtrapolationError):
        h.at(2.8)  # older than the span: forgotten
    h.add(0.2, (9.0, 9.0, 0.0))  # a sim reset
    assert len(h) == 1 and h.latest() == (9.0, 9.0, 0.0)
    with pytest.raises(FrameError, match='non-finite'):
        h.add(0.3, (float('nan'), 0.0, 0.0))
    with pytest.raises(FrameError, match='no sample yet'):
        PoseHistory().latest()


def test_lookup_at_a_stamp_uses_each_moving_edge_then_and_static_edges_always():
    tree = FrameTree2D()
    tree.set_transform('base_link', 'base_scan', (0.1, 0.0, 0.0))  # static
    tree.set_transform('map', 'odom', (1.0, 0.0, 0.0), stamp=11.0)  # post-dated, as amcl does
    for i in range(11):  # the robot turns in place at 1.5 rad/s for 1 s
        tree.set_transform('odom', 'base_link', (0.0, 0.0, 1.5 * i * 0.1), stamp=10.0 + i * 0.1)
    tree.set_transform('map', 'odom', (1.0, 0.0, 0.0), stamp=10.0)
    # the latest: the robot has turned 1.5 rad; at the stamp 10.25 s only 0.375 rad
    _close(tree.lookup('map', 'base_link'), (1.0, 0.0, 1.5))
    _close(tree.lookup('map', 'base_link', at=10.25), (1.0, 0.0, 0.375))
    _close(tree.lookup('map', 'base_scan', at=10.0), (1.1, 0.0, 0.0))
    with pytest.raises(ExtrapolationError, match='odom -> base_link at t=11.300 s is after') as exc:
        tree.lookup('map', 'base_link', at=11.3)
    assert exc.value.ahead
    assert 'odom -> base_link at t=9.000 s is before the oldest' in \
        tree.can_transform('map', 'base_link', at=9.0)
    # a static edge made a moving one (and back) keeps working
    tree.set_transform('base_link', 'base_scan', (0.2, 0.0, 0.0), stamp=10.0)
    _close(tree.lookup('odom', 'base_scan', at=10.0), (0.2, 0.0, 0.0))
    tree.set_transform('base_link', 'base_scan', (0.3, 0.0, 0.0))
    _close(tree.lookup('odom', 'base_scan', at=10.0), (0.3, 0.0, 0.0))
    with pytest.raises(FrameError, match='non-finite stamp'):
        tree.set_transform('odom', 'base_link', (0.0, 0.0, 0.0), stamp=float('inf'))


def test_backlog_waits_for_a_pose_then_drops_what_waited_too_long():
    h = PoseHistory(name='odometry')
    backlog = Backlog(max_wait_s=0.5, max_len=3)
    h.add(1.0, (1.0, 0.0, 0.0))
    backlog.push(1.1, 'scan 1.1')  # its pose has not come yet
    backlog.push(0.5, 'scan 0.5')  # older than any pose: never placeable
    ready, dropped = backlog.take(lambda t, _item: h.at(t))
    assert ready == [] and [item for item, _ in dropped] == ['scan 0.5']
    assert not dropped[0][1].ahead and len(backlog) == 1
    h.add(1.2, (3.0, 0.0, 0.0))
    ready, dropped = backlog.take(lambda t, _item: h.at(t))
    assert [item for item, _ in ready] == ['scan 1.1'] and ready[0][1][0] == pytest.approx(2.0)
    assert dropped == [] and len(backlog) == 0
    backlog.push(1.3, 'scan 1.3')  # odometry stops coming
    backlog.push(1.9, 'scan 1.9')
    ready, dropped = backlog.take(lambda t, _item: h.at(t))
    assert ready == [] and [item for item, _ in dropped] == ['scan 1.3']
    assert dropped[0][1].ahead and 'after waiting 0.60 s' in str(dropped[0][1])
    for t in (1.95, 2.0, 2.05):
        backlog.push(t, f'scan {t}')
    ready, dropped = backlog.take(lambda t, _item: h.at(t))
    assert [item for item, _ in dropped] == ['scan 1.9']
    assert 'more than 3 readings waiting' in str(dropped[0][1]) and len(backlog) == 3


def test_advance_follows_the_unicycle_along_a_line_and_an_arc():
    # straight: 0.5 m/s for 2 s heading +y
    x, y, yaw = advance((1.0, 1.0, math.pi / 2), 0.5, 0.0, 2.0)
    assert (x, y, yaw) == pytest.approx((1.0, 2.0, math.pi / 2), abs=1e-12)
    # a quarter circle of radius 1 m to the left, from the origin heading +x
    x, y, yaw = advance((0.0, 0.0, 0.0), 1.0, 1.0, math.pi / 2)
    assert (x, y, yaw) == pytest.approx((1.0, 1.0, math.pi / 2), abs=1e-12)
    # turning on the spot, and no time at all
    assert advance((2.0, 3.0, 0.1), 0.0, -2.0, 0.5) == pytest.approx((2.0, 3.0, -0.9))
    assert advance((2.0, 3.0, 0.1), 1.0, 1.0, 0.0) == pytest.approx((2.0, 3.0, 0.1))
    # the arc's formula meets the line's as the turn rate goes to 0
    assert advance((0.0, 0.0, 0.3), 1.0, 1e-7, 1.0) == pytest.approx(
        advance((0.0, 0.0, 0.3), 1.0, 0.0, 1.0), abs=1e-6)

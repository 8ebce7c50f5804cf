"""The 2D transform tree composes and inverts transforms like tf."""
import math

import pytest

from orchestrator_pkg.planning.frames import FrameError, FrameTree2D, compose, invert, yaw_of


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

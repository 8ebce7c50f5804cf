"""Fixtures shared by the orchestrator_pkg tests."""
import os
import shutil

import pytest

from orchestrator_pkg.testing.ros_domain import claim_domain


@pytest.fixture
def ros_domain():
    """Claim a ROS domain for this test; yields the claim (``.domain_id``, ``.env()``)."""
    with claim_domain() as claim:
        yield claim


@pytest.fixture
def barn_world_20(tmp_path):
    """Return a BARN worlds folder holding the committed world 20, its path file beside it.

    ``TMP/worlds/world_20.world`` and ``TMP/path_files/path_20.npy`` (copied from the
    BARN Challenge, MIT: orchestrator_sim/test/data), laid out as ``orchestrator barn``
    expects, so no test needs the BARN data in ../shared.
    """
    data = os.path.join(os.path.dirname(__file__), '..', '..', 'orchestrator_sim', 'test', 'data')
    worlds, paths = tmp_path / 'worlds', tmp_path / 'path_files'
    worlds.mkdir()
    paths.mkdir()
    shutil.copy(os.path.join(data, 'barn_world_20.world'), worlds / 'world_20.world')
    shutil.copy(os.path.join(data, 'barn_path_20.npy'), paths / 'path_20.npy')
    return worlds


@pytest.fixture(scope='module')
def ros_domain_module():
    """Claim a ROS domain for a whole module (one stack shared by its tests)."""
    with claim_domain() as claim:
        yield claim



def pytest_sessionfinish(session, exitstatus):
    """Fail the run if a test left an action server or client alive.

    One left behind keeps its node's DDS endpoints in the graph of a domain a
    later test reuses (the fault test saw a finished test's follow_path
    clients), and its finalizer at interpreter exit can block in Fast DDS, so
    pytest never exits. ``ros_edge.main.destroy_node_and_waitables`` is the cure.
    """
    import gc
    import sys
    if 'rclpy.action' not in sys.modules:
        return
    from rclpy.action import ActionClient, ActionServer
    gc.collect()
    alive = []
    for obj in gc.get_objects():
        if isinstance(obj, (ActionClient, ActionServer)) and obj in obj._node.waitables:
            alive.append(f'{type(obj).__name__} {getattr(obj, "_action_name", "")}'
                         f' of node {_node_name(obj._node)}')
    if alive:
        print(f'\nERROR: action entities left alive at the end of the session: {alive}',
              file=sys.stderr)
        session.exitstatus = 1


def _node_name(node) -> str:
    try:
        return node.get_fully_qualified_name()
    except Exception:  # noqa: BLE001 -- its node was destroyed: the name is gone with it
        return '(destroyed)'

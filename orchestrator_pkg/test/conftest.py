"""Fixtures shared by the orchestrator_pkg tests."""
import pytest

from orchestrator_pkg.testing.ros_domain import claim_domain


@pytest.fixture
def ros_domain():
    """Claim a ROS domain for this test; yields the claim (``.domain_id``, ``.env()``)."""
    with claim_domain() as claim:
        yield claim


@pytest.fixture(scope='module')
def ros_domain_module():
    """Claim a ROS domain for a whole module (one stack shared by its tests)."""
    with claim_domain() as claim:
        yield claim

"""Fixtures shared by the orchestrator_pkg tests."""
import pytest

from orchestrator_pkg.testing.ros_domain import claim_domain


@pytest.fixture
def ros_domain():
    """Claim a ROS domain for this test; yields the claim (``.domain_id``, ``.env()``)."""
    with claim_domain() as claim:
        yield claim

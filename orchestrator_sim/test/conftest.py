"""Fixtures shared by the orchestrator_sim tests."""
import os

import pytest

from orchestrator_pkg.testing.ros_domain import claim_domain

TEST_DIR = os.path.dirname(os.path.realpath(__file__))
PACKAGE_DIR = os.path.dirname(TEST_DIR)
REPO_DIR = os.path.dirname(PACKAGE_DIR)
DATA_DIR = os.path.join(TEST_DIR, 'data')
WORLDS_DIR = os.path.join(PACKAGE_DIR, 'worlds')
ROBOTS_DIR = os.path.join(PACKAGE_DIR, 'robots')
BARN_FIXTURE = os.path.join(DATA_DIR, 'barn_world_20.world')


def shared_barn_dir():
    """``<repo>/../shared/benchmarks/barn`` (CI puts shared/ beside the clone), or None."""
    path = os.path.join(os.path.dirname(os.path.realpath(REPO_DIR)), 'shared', 'benchmarks',
                        'barn')
    return path if os.path.isdir(os.path.join(path, 'worlds')) else None


@pytest.fixture
def ros_domain():
    """Claim a ROS domain for this test; yields the claim (``.domain_id``, ``.env()``)."""
    with claim_domain() as claim:
        yield claim

"""Installed package files (the ament index) and the ExecuteMission outcome names.

One place for every lookup of a package's share directory: missions,
behavior trees and config files of orchestrator_pkg, worlds of
orchestrator_sim when that optional package is installed. No rclpy.
"""
import os
from typing import Optional

PACKAGE = 'orchestrator_pkg'
SIM_PACKAGE = 'orchestrator_sim'
_SOURCE_ROOT = os.path.join(os.path.dirname(__file__), '..', '..')  # the package's source folder

# ExecuteMission.Result.outcome -> name (the constants of ExecuteMission.action)
OUTCOME_NAMES = {0: 'SUCCEEDED', 1: 'FAILED', 2: 'CANCELED', 3: 'REJECTED'}


def outcome_name(outcome: int) -> str:
    """Return the name of an ExecuteMission outcome code (the number for an unknown one)."""
    return OUTCOME_NAMES.get(outcome, str(outcome))


def share_dir(package: str) -> str:
    """Return ``package``'s installed share directory; LookupError when it is not installed."""
    from ament_index_python.packages import get_package_share_directory
    return get_package_share_directory(package)


def share_path(package: str, *parts: str) -> Optional[str]:
    """Return ``share/<package>/<parts>``, or None when the package is not installed."""
    try:
        return os.path.join(share_dir(package), *parts)
    except (ImportError, LookupError, ValueError):
        return None


def missions_dir() -> str:
    """Return the installed missions/ folder of orchestrator_pkg ('' if not installed)."""
    return share_path(PACKAGE, 'missions') or ''


def behavior_tree(name: str) -> str:
    """Return the installed copy of a shipped navigation tree, else the source one."""
    path = share_path(PACKAGE, 'behavior_trees', name)
    if path is not None and os.path.exists(path):
        return path
    return os.path.normpath(os.path.join(_SOURCE_ROOT, 'behavior_trees', name))


def config_file(value: str) -> str:
    """Return ``value`` if it is a path, else that file in orchestrator_pkg's config/."""
    if os.path.sep in value or os.path.exists(value):
        return value
    return os.path.join(share_dir(PACKAGE), 'config', value)


def sim_world(name: str) -> Optional[str]:
    """Return the path of a world shipped with orchestrator_sim, or None."""
    path = share_path(SIM_PACKAGE, 'worlds', name + '.yaml')
    return path if path is not None and os.path.isfile(path) else None

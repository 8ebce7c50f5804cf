"""The stack's DDS settings for the processes it starts (no rclpy: ros_domain uses it)."""
import os

# Fast DDS participant defaults (a 1 s lease, so a killed node leaves the ROS graph
# within about 1 s; config/fastdds.xml, docs/reliability.md), read by every process
# started with this variable set: env.sh sets it, and so does a ROS domain of
# orchestrator_pkg.testing.ros_domain (tests, `make test`, `make demo`).
DDS_PROFILE_VAR = 'FASTRTPS_DEFAULT_PROFILES_FILE'
DISCOVERY_RANGE_VAR = 'ROS_AUTOMATIC_DISCOVERY_RANGE'
# how the stack's profile names its participant profile (to recognise the file)
PROFILE_MARK = 'profile_name="orchestrator_participant"'


def dds_profile() -> str:
    """Return the path of the stack's Fast DDS profile (installed share), or ''."""
    try:
        from ament_index_python.packages import (
            PackageNotFoundError,
            get_package_share_directory,
        )
        path = os.path.join(get_package_share_directory('orchestrator_pkg'), 'config',
                            'fastdds.xml')
    except (ImportError, PackageNotFoundError):
        return ''
    return path if os.path.isfile(path) else ''


def is_stack_profile(path: str) -> bool:
    """Whether ``path`` is the stack's Fast DDS profile (source or installed copy)."""
    try:
        with open(path, encoding='utf-8') as f:
            return PROFILE_MARK in f.read()
    except (OSError, UnicodeDecodeError, TypeError):
        return False


def discovery_range(env) -> str:
    """Return the ``ROS_AUTOMATIC_DISCOVERY_RANGE`` to run with ``env``'s Fast DDS profile.

    The stack's profile is localhost-only by itself (UDPv4 on 127.0.0.1, no shared
    memory: config/fastdds.xml says why). ``SYSTEM_DEFAULT`` keeps rmw_fastrtps
    from changing it: with ``LOCALHOST`` it would add its shared-memory transport
    back. With another profile, or none, ``LOCALHOST``.
    """
    return 'SYSTEM_DEFAULT' if is_stack_profile(env.get(DDS_PROFILE_VAR, '')) else 'LOCALHOST'

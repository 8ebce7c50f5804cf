"""The stack's DDS settings for the processes it starts (no rclpy: ros_domain uses it)."""
import os

# Fast DDS participant defaults (a 1 s lease, so a killed node leaves the ROS graph
# within about 1 s; config/fastdds.xml, docs/reliability.md), read by every process
# started with this variable set: env.sh sets it, and so does a ROS domain of
# orchestrator_pkg.testing.ros_domain (tests, `make test`, `make demo`).
DDS_PROFILE_VAR = 'FASTRTPS_DEFAULT_PROFILES_FILE'


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

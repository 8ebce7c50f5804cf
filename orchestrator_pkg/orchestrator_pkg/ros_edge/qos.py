"""QoS profiles that nodes and leaves share (one definition each)."""
import os

from rclpy.qos import (
    DurabilityPolicy,
    HistoryPolicy,
    QoSProfile,
    ReliabilityPolicy,
    qos_profile_sensor_data,
)

# The last message stays with the topic for late joiners: maps, amcl_pose,
# Nav2's controller/planner selections.
LATCHED_QOS = QoSProfile(depth=1, history=HistoryPolicy.KEEP_LAST,
                         reliability=ReliabilityPolicy.RELIABLE,
                         durability=DurabilityPolicy.TRANSIENT_LOCAL)
SENSOR_QOS = qos_profile_sensor_data
TF_QOS = QoSProfile(depth=100)
TF_STATIC_QOS = QoSProfile(depth=100, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                           reliability=ReliabilityPolicy.RELIABLE)
# Status changes are a log, not a sample: published reliably with a deep queue,
# so a subscriber that falls behind for a while (the run recorder) loses none.
STATUS_CHANGES_QOS = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE,
                                history=HistoryPolicy.KEEP_LAST)


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

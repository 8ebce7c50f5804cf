"""QoS profiles that nodes and leaves share (one definition each)."""
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
# Odometry kept as a history (to place each scan at its stamp: the rolling costmaps,
# amcl): 1 s at the sim's 50 Hz, so a node starved for a moment loses no pose it
# needs (depth 10 lost the oldest of a burst in a loaded CI run: a scan could not be
# placed and was never marked).
ODOM_HISTORY_QOS = QoSProfile(depth=50)
TF_STATIC_QOS = QoSProfile(depth=100, durability=DurabilityPolicy.TRANSIENT_LOCAL,
                           reliability=ReliabilityPolicy.RELIABLE)
# Status changes are a log, not a sample: published reliably with a deep queue,
# so a subscriber that falls behind for a while (the run recorder) loses none.
STATUS_CHANGES_QOS = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE,
                                history=HistoryPolicy.KEEP_LAST)


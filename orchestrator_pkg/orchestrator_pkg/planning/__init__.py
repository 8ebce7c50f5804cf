"""Pure navigation algorithms: costmaps, path search, path following (numpy, no ROS)."""

"""ROS 2 nodes of the embedded sim: thin adapters over the pure modules."""

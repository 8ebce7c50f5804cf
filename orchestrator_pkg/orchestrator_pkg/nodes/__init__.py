"""ROS 2 nodes of the stack, one per module: thin adapters to the pure algorithms."""

"""ROS 2 nodes: thin adapters between topics/actions and the pure algorithms."""

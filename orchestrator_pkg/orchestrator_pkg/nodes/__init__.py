"""ROS 2 nodes of the stack, one per module; each is a thin adapter."""

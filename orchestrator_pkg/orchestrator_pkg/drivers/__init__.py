"""Pure logic of the robot drivers (no ROS): velocity limits, watchdog, e-stop."""

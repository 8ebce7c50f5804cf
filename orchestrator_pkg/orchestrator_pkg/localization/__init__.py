"""Localization on an occupancy map: a particle filter (pure numpy, no ROS)."""

"""Benchmark protocols (pure: no ROS)."""

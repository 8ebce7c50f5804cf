"""Helpers for the project's tests: ROS domain isolation and process handling."""

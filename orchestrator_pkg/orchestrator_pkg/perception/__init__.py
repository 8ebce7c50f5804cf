"""Perception: detections turned into tracked objects in the map frame (pure numpy, no ROS)."""

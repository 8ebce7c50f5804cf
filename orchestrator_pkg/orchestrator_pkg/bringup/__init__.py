"""Bringup: one declarative description of what runs, read by launch files and the runner."""

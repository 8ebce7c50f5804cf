"""Behaviours (py_trees) that tree files can name, grouped by kind."""

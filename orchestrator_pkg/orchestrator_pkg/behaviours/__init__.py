"""Behaviours that the tree loader maps XML node types onto."""

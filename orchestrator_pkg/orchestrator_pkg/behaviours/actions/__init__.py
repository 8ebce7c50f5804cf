"""Builtin leaves: AlwaysSuccess, AlwaysFailure, SetBlackboard, Sleep."""

"""Generic ROS node types for trees: topics, services, any action by type, task leaves.

The leaves live in one module per kind (:mod:`.action_client`,
:mod:`.service_client`, :mod:`.topics`, :mod:`.localization`, :mod:`.places`,
:mod:`.tasks`); :mod:`.register` builds them from tree ports and is the
``orchestrator.behaviours`` entry point ``ros``. Importing this package
imports no rclpy.
"""

"""The ROS edge: what nodes and ROS leaves share at the ROS boundary, each defined once.

Nodes (``nodes/``) and the ROS leaves of the behaviour library
(``behaviours/ros``, ``behaviours/nav2``) meet ROS here: the one way a node
declares its parameters (descriptors with ranges) and starts (one ``main``
helper), the engine clock read from a node's ROS clock, the odometry, battery
and tf caches, the message conversions (quaternion and yaw, Duration and
seconds, poses, costmaps, scans), package-share lookups, QoS profiles and the
base of every ROS leaf. It may import ``trees/`` and the pure algorithm rooms,
never ``nodes/``, ``behaviours/``, ``bringup/`` or ``commands/``.
"""

"""Make ROS unimportable in this process: rclpy, every *_msgs and *_interfaces package.

Importing this module installs the blocker (``sys.meta_path``), so it works as
a pytest plugin (``pytest -p ros_blocker``) and as a plain import in a script.
Used by test_engine_without_ros.py to show that the engine needs no ROS.
"""
import importlib.abc
import sys


def blocked(name: str) -> bool:
    """Tell whether module ``name`` belongs to ROS (rclpy or a message/interface package)."""
    top = name.partition('.')[0]
    return top == 'rclpy' or top.endswith(('_msgs', '_interfaces'))


class RosBlocker(importlib.abc.MetaPathFinder):
    """Refuse to find any ROS module."""

    def find_spec(self, name, path=None, target=None):
        if blocked(name):
            raise ModuleNotFoundError(f'{name} is blocked: this process runs without ROS',
                                      name=name)
        return None


_already = sorted(name for name in sys.modules if blocked(name))
if _already:
    raise RuntimeError(f'ROS modules were imported before the blocker: {_already}')
if not any(isinstance(finder, RosBlocker) for finder in sys.meta_path):
    sys.meta_path.insert(0, RosBlocker())

"""Launch the orchestrator and the navigator (ros2 launch orchestrator_pkg orchestrator.launch.py).

For a ROS 2 install with launch/launch_ros. On machines with ROS 2 from PyPI
(no ``ros2 launch``) run the console scripts ``orchestrator_node`` and
``navigator_node`` with ``--ros-args --params-file config/orchestrator.yaml``.
"""
import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node


def generate_launch_description():
    """Return the orchestrator (and optionally navigator) nodes with the package config."""
    share = get_package_share_directory('orchestrator_pkg')
    params = LaunchConfiguration('params_file')
    use_sim_time = LaunchConfiguration('use_sim_time')
    namespace = LaunchConfiguration('namespace')
    return LaunchDescription([
        DeclareLaunchArgument('params_file',
                              default_value=os.path.join(share, 'config', 'orchestrator.yaml'),
                              description='YAML parameters keyed by node name.'),
        DeclareLaunchArgument('use_sim_time', default_value='false',
                              description='Run on /clock (simulation time).'),
        DeclareLaunchArgument('namespace', default_value='',
                              description='Robot namespace for every node.'),
        DeclareLaunchArgument('navigator', default_value='true',
                              description='Also start the navigate_to_pose server.'),
        Node(package='orchestrator_pkg', executable='orchestrator_node', name='orchestrator',
             namespace=namespace, output='screen',
             parameters=[params, {'use_sim_time': use_sim_time}]),
        Node(package='orchestrator_pkg', executable='navigator_node', name='bt_navigator',
             namespace=namespace, output='screen',
             parameters=[params, {'use_sim_time': use_sim_time}],
             condition=IfCondition(LaunchConfiguration('navigator'))),
    ])

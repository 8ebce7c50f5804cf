"""Build description of the orchestrator_pkg ament_python package."""
from glob import glob

from setuptools import find_packages, setup

PACKAGE = 'orchestrator_pkg'

setup(
    name=PACKAGE,
    version='0.1.0',
    packages=find_packages(exclude=['test', 'test.*']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + PACKAGE]),
        ('share/' + PACKAGE, ['package.xml']),
        ('share/' + PACKAGE + '/launch', glob('launch/*.launch.py')),
        ('share/' + PACKAGE + '/config', glob('config/*.yaml') + glob('config/*.xml')),
        ('share/' + PACKAGE + '/config/robots', glob('config/robots/*.yaml')),
        ('share/' + PACKAGE + '/missions', glob('missions/*.xml')),
        ('share/' + PACKAGE + '/models/small_indoor', glob('models/small_indoor/*')),
        ('share/' + PACKAGE + '/behavior_trees',
         glob('behavior_trees/*.xml') + ['behavior_trees/LICENSE', 'behavior_trees/README.md']),
    ],
    install_requires=['setuptools'],
    zip_safe=True,
    maintainer='Orchestrator maintainers',
    maintainer_email='maintainers@orchestrator.invalid',
    description='Behaviour-tree orchestrator, navigation and robot nodes.',
    license='Apache-2.0',
    extras_require={'test': ['pytest']},
    entry_points={
        'console_scripts': [
            'orchestrator = orchestrator_pkg.cli:main',
            'base_driver = orchestrator_pkg.nodes.base_driver_node:main',
            'orchestrator_node = orchestrator_pkg.nodes.orchestrator_node:main',
            'navigator_node = orchestrator_pkg.nodes.navigator_node:main',
            'planner_server = orchestrator_pkg.nodes.planner_server:main',
            'controller_server = orchestrator_pkg.nodes.controller_server:main',
            'behavior_server = orchestrator_pkg.nodes.behavior_server:main',
            'waypoint_follower = orchestrator_pkg.nodes.waypoint_follower:main',
            'map_server = orchestrator_pkg.nodes.map_server:main',
            'localization_node = orchestrator_pkg.nodes.localization_node:main',
            'lifecycle_manager = orchestrator_pkg.nodes.lifecycle_manager:main',
            'perception_node = orchestrator_pkg.nodes.perception_node:main',
            'node_container = orchestrator_pkg.nodes.node_container:main',
        ],
        # node types for tree files; third parties add their own register(registry)
        'orchestrator.behaviours': [
            'builtin = orchestrator_pkg.behaviours.builtin:register',
            'ros = orchestrator_pkg.behaviours.ros.register:register',
            'nav2 = orchestrator_pkg.behaviours.nav2.register:register',
        ],
    },
)

"""Build description of the orchestrator_sim ament_python package."""
from glob import glob

from setuptools import find_packages, setup

PACKAGE = 'orchestrator_sim'

setup(
    name=PACKAGE,
    version='0.1.0',
    packages=find_packages(exclude=['test', 'test.*']),
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + PACKAGE]),
        ('share/' + PACKAGE, ['package.xml']),
        ('share/' + PACKAGE + '/worlds', glob('worlds/*.yaml') + glob('worlds/*.world')
         + glob('worlds/*.sdf')),
        ('share/' + PACKAGE + '/robots', glob('robots/*.yaml')),
        ('share/' + PACKAGE + '/config', glob('config/*.yaml')),
    ],
    install_requires=['setuptools'],
    zip_safe=True,
    maintainer='Orchestrator maintainers',
    maintainer_email='maintainers@orchestrator.invalid',
    description='Embedded MuJoCo world with ROS 2 sensor and actuator topics.',
    license='Apache-2.0',
    extras_require={'test': ['pytest']},
    entry_points={'console_scripts': [
        'sim_node = orchestrator_sim.nodes.sim_node:main',
    ]},
)

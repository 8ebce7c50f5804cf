"""Each node of the bringup runs with its robot preset's parameters (issue 19).

The default bringup is resolved for each robot preset as ``orchestrator run
--robot R`` resolves it, and base_driver and controller_server are started
with the command lines the runner builds from it. Their live parameters, read
through their ``get_parameters`` services (as ``orchestrator teleop`` reads
base_driver's limits), are the preset's: config/robots/R.yaml wins over the
nodes' own files.
"""
import os
import time

from ament_index_python.packages import get_package_share_directory
import pytest
import rclpy
import yaml

from orchestrator_pkg import cli_ros
from orchestrator_pkg.bringup.description import load, resolve
from orchestrator_pkg.bringup.runner import ament_executable, ros_arguments
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.testing.processes import ManagedProcess

SHARE = get_package_share_directory('orchestrator_pkg')
NODES = ('base_driver', 'controller_server')
ANSWER_S = 30.0  # wall: the nodes start and their parameter services answer


def _parameters(node, target, names):
    """cli_ros.get_parameters, asked again until the node is up (ANSWER_S at most).

    One call gives up at once while this process is alone in the domain, and
    after cli_ros.DISCOVERY_S (4 s) without the node in the graph: right after
    the processes start, they may not be there yet (fresh42: ``{}`` under load).
    """
    deadline = time.monotonic() + ANSWER_S
    while True:
        got = cli_ros.get_parameters(node, target, names, 5.0)
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.2)


def _preset_file(robot):
    with open(os.path.join(SHARE, 'config', 'robots', f'{robot}.yaml'), encoding='utf-8') as f:
        return yaml.safe_load(f)


@pytest.mark.parametrize('robot', ['small_indoor', 'jackal'])
def test_the_nodes_run_with_their_robots_parameters(ros_domain, robot):
    bringup = load(os.path.join(SHARE, 'config', 'bringup.yaml'))
    launches = resolve(bringup, get_package_share_directory,
                       {'world': 'warehouse', 'robot': robot, 'rtf': 1.0, 'seed': 0,
                        'mission': ''}, sim=False, only=NODES)
    expected = _preset_file(robot)
    env = ros_domain.env()
    procs = [ManagedProcess([ament_executable(launch.node.package, launch.node.executable),
                             *ros_arguments(launch)], env=env) for launch in launches]
    rclpy.init(domain_id=ros_domain.domain_id)
    try:
        for proc in procs:
            proc.start()
        node = rclpy.create_node('preset_probe')
        try:
            for name in NODES:
                want = {key: value for key, value in
                        expected[name]['ros__parameters'].items() if not isinstance(value, dict)}
                got = _parameters(node, f'/{name}', want)
                assert got == want, (name, [p.output()[-2000:] for p in procs])
            # a nested (plugin) parameter too, and one the preset leaves to nav.yaml
            ctl = _parameters(node, '/controller_server', ['FollowPath.vx_min', 'lookahead_time_s'])
            assert ctl == {'FollowPath.vx_min': expected['controller_server']['ros__parameters']
                           ['FollowPath']['vx_min'], 'lookahead_time_s': 1.2}
        finally:
            destroy_node_and_waitables(node)
    finally:
        rclpy.shutdown()
        for proc in procs:
            proc.stop()

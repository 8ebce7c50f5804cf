"""A real node_container (composed mode) under ``orchestrator run``: graph, parameters, stop.

The CLI runs as a subprocess in a ROS domain of its own with ``--no-sim
--composition --only ...``, so the runner starts one container process for
the named composable nodes; this process looks at them on the ROS graph.
"""
import re
import sys

import rclpy

from orchestrator_pkg import cli_ros
from orchestrator_pkg.bringup.runner import ament_executable
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.ros_edge.waiting import spin_until
from orchestrator_pkg.testing.processes import ManagedProcess

TIMEOUT_S = 60.0  # the machine is shared; start-up can be slow under load
COMPOSED = ('map_server', 'waypoint_follower', 'perception_node')


def _cli(ros_domain, *args):
    return ManagedProcess([sys.executable, '-m', 'orchestrator_pkg.cli', 'run', *args],
                          env=ros_domain.env(), stop_timeout_s=20.0)


def test_composed_nodes_run_in_one_process_each_with_its_own_name_and_parameters(ros_domain):
    with _cli(ros_domain, '--no-sim', '--composition', '--only', ','.join(COMPOSED)) as proc:
        assert proc.wait_for_output('[run] no mission given', TIMEOUT_S), proc.output()
        started = re.findall(r'\[runner\] starting \d+ node\(s\): (.*)', proc.output())
        assert started == ['node_container'], proc.output()
        rclpy.init(domain_id=ros_domain.domain_id)
        try:
            observer = rclpy.create_node('node_container_observer')
            assert spin_until(observer, lambda: set(COMPOSED) <= set(observer.get_node_names()),
                              TIMEOUT_S), (observer.get_node_names(), proc.output())
            # one process: every composed node's endpoints carry the same Fast DDS
            # participant (the GUID prefix), unlike the observer's
            prefixes = set()
            for name in COMPOSED:
                infos = observer.get_publishers_info_by_topic(f'/{name}/transition_event') \
                    if name != 'perception_node' else \
                    observer.get_publishers_info_by_topic('/tracked_objects')
                prefixes |= {bytes(info.endpoint_gid[:12]) for info in infos}
            assert len(prefixes) == 1, prefixes

            # the process's nodes share one tf listener (ros_edge.tf.TfShare), on a node
            # of its own: perception_node's is the container's only /tf subscription
            def tf_readers():
                return [info.node_name for info in observer.get_subscriptions_info_by_topic('/tf')
                        if bytes(info.endpoint_gid[:12]) in prefixes]
            assert spin_until(observer, lambda: tf_readers(), TIMEOUT_S), proc.output()
            readers = tf_readers()
            assert len(readers) == 1 and readers[0].startswith('tf_listener_'), readers
            # each node has its own parameters: the override for map_server (world) is
            # not map_server's neighbours', and each node read its own file's section
            world = cli_ros.get_parameters(observer, '/map_server', ['world'], TIMEOUT_S)
            assert world == {'world': 'warehouse'}, world
            assert cli_ros.get_parameters(observer, '/waypoint_follower', ['world'],
                                          TIMEOUT_S) == {}
            follower = cli_ros.get_parameters(observer, '/waypoint_follower',
                                              ['use_sim_time', 'autostart'], TIMEOUT_S)
            assert follower == {'use_sim_time': False, 'autostart': False}, follower
            destroy_node_and_waitables(observer)
        finally:
            rclpy.shutdown()
    # Ctrl-C: the container stops as one node process does, each node's teardown, code 0
    out = proc.output()
    assert 'stopped by the user' in out and proc.returncode == 1, out
    assert 'Traceback' not in out and 'exited uncleanly' not in out, out
    assert 'node_container exited with code' not in out, out


def test_a_container_given_no_node_says_so_and_exits_2(ros_domain):
    executable = ament_executable('orchestrator_pkg', 'node_container')
    proc = ManagedProcess([executable, '--ros-args', '-p', 'a:=1'], env=ros_domain.env())
    with proc:
        code = proc.wait(TIMEOUT_S)
    assert code == 2, proc.output()
    assert proc.output().strip().splitlines() == [
        'node_container: no node to run: give --node EXECUTABLE [--ros-args ...] -- for each']

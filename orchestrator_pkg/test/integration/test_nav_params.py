"""Parameter handling of the nav servers: ranges, read-only, cross-field rules, bad start-up."""
import subprocess

from nav_helpers import node_cmd
import rclpy
from rclpy.parameter import Parameter

from orchestrator_pkg.nodes.controller_server import MPPI_PLUGIN, ControllerServer
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables


def test_runtime_changes_are_validated_with_a_reason(ros_domain):
    rclpy.init(domain_id=ros_domain.domain_id)
    try:
        node = ControllerServer()
        ok = node.set_parameters([Parameter('desired_linear_vel', value=1.5)])[0]
        assert ok.successful
        out_of_range = node.set_parameters([Parameter('max_vel_x', value=9.0)])[0]
        assert not out_of_range.successful and 'max_vel_x' in out_of_range.reason
        cross = node.set_parameters([Parameter('desired_linear_vel', value=2.5)])[0]
        assert not cross.successful and 'desired_linear_vel' in cross.reason
        assert node.get_parameter('desired_linear_vel').value == 1.5
        frozen = node.set_parameters([Parameter('controller_frequency_hz', value=50.0)])[0]
        assert not frozen.successful
        d = node.describe_parameters(['max_vel_x'])[0]
        assert d.description and d.floating_point_range[0].to_value == 5.0
        destroy_node_and_waitables(node)
    finally:
        rclpy.shutdown()


def _start(cmd, env):
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)


def test_bad_start_up_is_one_line_and_exit_1(ros_domain, tmp_path):
    env = ros_domain.env()
    bad = _start(node_cmd('controller_server', 'desired_linear_vel:=1.9', 'max_vel_x:=1.0'), env)
    assert bad.returncode == 1
    assert 'desired_linear_vel' in bad.stderr and 'Traceback' not in bad.stderr
    missing = _start(node_cmd('map_server', f'yaml_filename:={tmp_path}/none.yaml'), env)
    assert missing.returncode == 1
    assert 'none.yaml: cannot read' in missing.stderr and 'Traceback' not in missing.stderr
    ranged = _start(node_cmd('planner_server', 'timeout_s:=-1.0'), env)
    assert ranged.returncode == 1 and 'Traceback' not in ranged.stderr
    # the FollowPath plugin by Nav2's class name; an unknown one names the choices
    plugin = _start(node_cmd('controller_server', 'FollowPath.plugin:=dwb_core::DWBLocalPlanner'),
                    env)
    assert plugin.returncode == 1 and 'Traceback' not in plugin.stderr
    assert "FollowPath.plugin 'dwb_core::DWBLocalPlanner' is not one of" in plugin.stderr
    assert 'nav2_mppi_controller::MPPIController' in plugin.stderr
    # MPPI's own parameters are checked at start-up when it is the plugin
    mppi = _start(node_cmd('controller_server', f'FollowPath.plugin:={MPPI_PLUGIN}',
                           'FollowPath.smoothing_window:=8'), env)
    assert mppi.returncode == 1 and 'smoothing_window must be odd' in mppi.stderr

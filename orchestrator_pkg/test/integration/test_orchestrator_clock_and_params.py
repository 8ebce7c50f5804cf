"""The orchestrator ticks on the ROS clock (sim time) and validates its parameters."""
import os
import time

from action_msgs.msg import GoalStatus
from builtin_interfaces.msg import Time
from rcl_interfaces.srv import SetParameters
import rclpy
from rclpy.action import ActionClient
from rclpy.parameter import Parameter
from rosgraph_msgs.msg import Clock

from orchestrator_interfaces.action import ExecuteMission
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.ros_edge.waiting import spin_until, wait_future
from orchestrator_pkg.testing.processes import ManagedProcess

TIMEOUT_S = 30.0
PKG = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def test_ticks_follow_sim_time_and_parameters_are_validated(ros_domain):
    node_proc = ManagedProcess.python(
        '-m', 'orchestrator_pkg.nodes.orchestrator_node', '--ros-args',
        '--params-file', os.path.join(PKG, 'config', 'orchestrator.yaml'),
        '-p', 'use_sim_time:=true', '-p', f'missions_dir:={os.path.join(PKG, "missions")}',
        env=ros_domain.env())
    with node_proc:
        assert node_proc.wait_for_output('orchestrator ready', TIMEOUT_S), node_proc.output()
        rclpy.init(domain_id=ros_domain.domain_id)
        node = rclpy.create_node('sim_clock_test')
        try:
            clock_pub = node.create_publisher(Clock, '/clock', 10)
            client = ActionClient(node, ExecuteMission, 'execute_mission')
            params = node.create_client(SetParameters, '/orchestrator/set_parameters')
            assert client.wait_for_server(timeout_sec=TIMEOUT_S)
            assert params.wait_for_service(timeout_sec=TIMEOUT_S)

            # a bad tick rate is refused with a reason
            bad = Parameter('tick_rate_hz', Parameter.Type.DOUBLE, 0.0).to_parameter_msg()
            answer = wait_future(node, params.call_async(SetParameters.Request(
                parameters=[bad])), TIMEOUT_S)
            assert not answer.results[0].successful
            assert answer.results[0].reason

            # the battery guard's low threshold must stay below the resume threshold
            bad = Parameter('battery_low_threshold', Parameter.Type.DOUBLE,
                            0.9).to_parameter_msg()
            answer = wait_future(node, params.call_async(SetParameters.Request(
                parameters=[bad])), TIMEOUT_S)
            assert not answer.results[0].successful
            assert answer.results[0].reason == ('battery_low_threshold (0.9) must be below '
                                                'battery_resume_threshold (0.8)')

            sim = [10.0]

            def publish_clock():
                sec = int(sim[0])
                clock_pub.publish(Clock(clock=Time(sec=sec, nanosec=int((sim[0] - sec) * 1e9))))
            publish_clock()
            # let the node's clock jump from 0 to 10 s before the mission starts: a
            # timer that was due before the jump fires once at the jump, and it must
            # not be taken for a tick while sim time stands still
            spin_until(node, lambda: False, 0.5)
            publish_clock()
            spin_until(node, lambda: False, 0.5)
            feedback = []
            handle = wait_future(node, client.send_goal_async(
                ExecuteMission.Goal(mission_name='hello'),
                feedback_callback=lambda m: feedback.append(m.feedback)), TIMEOUT_S)
            assert handle.accepted
            result_future = handle.get_result_async()
            # sim time stands still: the mission's first tick comes at its acceptance
            # (feedback at once), and no other, however long we wait: the Sleep's 0.3 s
            # of sim time do not pass
            spin_until(node, lambda: False, 1.0)
            assert len(feedback) == 1 and not result_future.done(), feedback
            assert feedback[0].status_text == 'sleeping, 0.300 s left', feedback[0]
            # advance sim time 50 ms per step: the 300 ms Sleep needs ~6 steps
            deadline = time.monotonic() + TIMEOUT_S
            while not result_future.done() and time.monotonic() < deadline:
                sim[0] += 0.05
                publish_clock()
                spin_until(node, result_future.done, 0.03)
            response = result_future.result()
            assert response.status == GoalStatus.STATUS_SUCCEEDED
            elapsed = response.result.elapsed.sec + response.result.elapsed.nanosec * 1e-9
            simulated = sim[0] - 10.0
            assert 0.3 <= elapsed <= simulated + 1e-6
            # the timer's ticks, one per 50 ms step at most, and the one at acceptance
            assert response.result.ticks <= round(simulated / 0.05) + 2
        finally:
            destroy_node_and_waitables(node)
            rclpy.shutdown()
    assert node_proc.returncode == 0, node_proc.output()

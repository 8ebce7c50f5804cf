"""No prior map: plans on costmaps from scans alone, followed by the controller.

Real processes: planner_server, controller_server and a kinematic robot
fixture. The client asks compute_path_to_pose from the robot's own pose
(use_start false) and hands the path to follow_path. A post hidden behind a
wall only shows up once the robot rounds the wall, so the first path (here) runs into
it: the controller must stop (NO_VALID_CONTROL) and the client replans, as a
navigation tree would. The robot must arrive without touching a box. This is
the BARN situation (no map) in small.
"""
import math

from action_msgs.msg import GoalStatus
from geometry_msgs.msg import PoseStamped
from nav2_msgs.action import ComputePathToPose, FollowPath
from nav_helpers import ROBOT, TIMEOUT_S, node_cmd, spin_until, wait_future
from nav_msgs.msg import Odometry
import numpy as np
import rclpy
from rclpy.action import ActionClient
from rosgraph_msgs.msg import Clock

from orchestrator_pkg.planning.controller import footprint_points
from orchestrator_pkg.planning.costmap import rectangle_footprint
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.testing.processes import ManagedProcess

# a wall across the direct line with a gap at its upper end, and a post after it
BOXES = [(2.0, -2.5, 2.3, 0.9), (4.2, 0.8, 4.5, 1.6)]
FOOTPRINT = footprint_points(rectangle_footprint(0.508, 0.430), 0.02)


def _touches(x, y, yaw):
    c, s = math.cos(yaw), math.sin(yaw)
    px = x + c * FOOTPRINT[:, 0] - s * FOOTPRINT[:, 1]
    py = y + s * FOOTPRINT[:, 0] + c * FOOTPRINT[:, 1]
    return any(np.any((px >= x0) & (px <= x1) & (py >= y0) & (py <= y1))
               for x0, y0, x1, y1 in BOXES)


def test_plan_from_scans_then_follow(ros_domain):
    env = ros_domain.env()
    boxes = ';'.join(','.join(str(v) for v in b) for b in BOXES)
    robot = ManagedProcess.python(ROBOT, f'--boxes={boxes}', '--start=0,0,0', env=env)
    # no map: the planner stays in odom, as in BARN
    plan_proc = ManagedProcess(node_cmd('planner_server', 'use_sim_time:=true',
                                        'global_frame:=odom'), env=env)
    ctl_proc = ManagedProcess(node_cmd('controller_server', 'use_sim_time:=true'), env=env)
    with robot, plan_proc, ctl_proc:
        for proc, text in ((robot, 'fixture ready'), (plan_proc, 'planner_server ready'),
                           (ctl_proc, 'controller_server ready')):
            assert proc.wait_for_output(text, TIMEOUT_S), proc.output()
        rclpy.init(domain_id=ros_domain.domain_id)
        node = rclpy.create_node('nav_chain_client')
        poses = []
        sim = {'t': 0.0}
        node.create_subscription(Odometry, 'odom', lambda m: poses.append(
            (m.pose.pose.position.x, m.pose.pose.position.y,
             2.0 * math.atan2(m.pose.pose.orientation.z, m.pose.pose.orientation.w))), 50)
        node.create_subscription(
            Clock, '/clock', lambda m: sim.update(t=m.clock.sec + m.clock.nanosec * 1e-9), 10)
        planner = ActionClient(node, ComputePathToPose, 'compute_path_to_pose')
        follower = ActionClient(node, FollowPath, 'follow_path')
        try:
            assert planner.wait_for_server(timeout_sec=TIMEOUT_S)
            assert follower.wait_for_server(timeout_sec=TIMEOUT_S)
            assert spin_until(node, lambda: sim['t'] > 1.5), 'no /clock from the fixture'
            goal = PoseStamped()
            goal.header.frame_id = 'odom'
            goal.pose.position.x = 6.0
            goal.pose.orientation.w = 1.0
            outcomes = []
            for _ in range(6):
                handle = wait_future(node, planner.send_goal_async(
                    ComputePathToPose.Goal(goal=goal, use_start=False)), what='plan response')
                plan = wait_future(node, handle.get_result_async(), what='plan')
                assert plan.status == GoalStatus.STATUS_SUCCEEDED, plan.result.error_msg
                if not outcomes:
                    pts = np.array([(p.pose.position.x, p.pose.position.y)
                                    for p in plan.result.path.poses])
                    # the scans showed the wall: the path goes round its upper end
                    assert pts[:, 1].max() > 0.9 + 0.2
                handle = wait_future(node, follower.send_goal_async(
                    FollowPath.Goal(path=plan.result.path)), what='follow response')
                done = wait_future(node, handle.get_result_async(), timeout_s=120.0,
                                   what='follow result')
                outcomes.append(done.result.error_code)
                if done.status == GoalStatus.STATUS_SUCCEEDED:
                    break
                assert done.result.error_code == FollowPath.Result.NO_VALID_CONTROL, \
                    (done.result.error_msg, ctl_proc.output()[-2000:])
            assert outcomes[-1] == FollowPath.Result.NONE, outcomes
            x, y, _ = poses[-1]
            assert math.hypot(x - 6.0, y) <= 0.3
            touching = [p for p in poses if _touches(*p)]
            assert not touching, touching[:3]
        finally:
            planner.destroy()
            follower.destroy()
            destroy_node_and_waitables(node)
            rclpy.shutdown()
    assert plan_proc.returncode == 0 and ctl_proc.returncode == 0

"""Fixture navigation servers for tests and benchmarks (not a navigation stack).

One node serves the Nav2 interfaces that the navigation trees call, with
scripted outcomes: ``compute_path_to_pose`` and ``compute_path_through_poses``
(a straight-line path, or an abort with ``--plan-error``; a goal beyond
``--outside-map-x`` aborts with GOAL_OUTSIDE_MAP), ``follow_path``
(runs ``--follow-s`` seconds, ``--slow-follow-s`` for a path ending beyond
``--slow-y``, or aborts with ``--follow-error``), ``spin``,
``backup``, ``drive_on_heading`` and ``wait`` (run ``--behavior-s``, Wait
runs its goal's time), the two ``clear_entirely_*_costmap`` services and
``is_path_valid``. It publishes ``odom`` at 10 Hz (x = 0.3 in ``odom``) and, on
``tf``, ``map → odom`` (x = 0.2) and ``odom → base_link``: the robot is at
x = 0.5 in ``map``, where the navigator looks it up.

Every goal, cancel request and service call is printed as a line
``EVENT <interface> <what> <time.monotonic()>`` (a plan's goal also as
``EVENT compute_path_to_pose to=<x>,<y> ...``) so that a test in another
process can check what the tree did, and when (CLOCK_MONOTONIC is shared by
all processes of a machine). Execution is timer driven; no callback sleeps.

Run: ``python -m orchestrator_pkg.testing.nav_fixture_servers [--plan-error 206] ...``
"""
import argparse
import sys
import time

from geometry_msgs.msg import PoseStamped, TransformStamped
from nav2_msgs.action import (
    BackUp,
    ComputePathThroughPoses,
    ComputePathToPose,
    DriveOnHeading,
    FollowPath,
    Spin,
    Wait,
)
from nav2_msgs.srv import ClearEntireCostmap, IsPathValid
from nav_msgs.msg import Odometry, Path
import rclpy
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.node import Node
from rclpy.utilities import remove_ros_args
from tf2_msgs.msg import TFMessage

from orchestrator_pkg.ros_edge import guard
from orchestrator_pkg.ros_edge.convert import seconds_of, to_duration
from orchestrator_pkg.ros_edge.main import run_node

ODOM_X = 0.3  # the robot in odom ...
MAP_TO_ODOM_X = 0.2  # ... and odom in map: the robot is at x = 0.5 in map


def event(interface: str, what: str) -> None:
    """Print one EVENT line, flushed."""
    print(f'EVENT {interface} {what} {time.monotonic():.6f}', flush=True)


def straight_path(start_xy, goal: PoseStamped, n: int = 10) -> Path:
    """Return a straight ``n``-pose path from ``start_xy`` to ``goal``."""
    path = Path()
    path.header.frame_id = goal.header.frame_id or 'map'
    x0, y0 = start_xy
    x1, y1 = goal.pose.position.x, goal.pose.position.y
    for i in range(n + 1):
        pose = PoseStamped()
        pose.header.frame_id = path.header.frame_id
        pose.pose.position.x = x0 + (x1 - x0) * i / n
        pose.pose.position.y = y0 + (y1 - y0) * i / n
        pose.pose.orientation.w = 1.0
        path.poses.append(pose)
    return path


class NavFixtureServers(Node):
    """Scripted Nav2 action and service servers."""

    def __init__(self, options):
        super().__init__('nav_fixture_servers')
        self.options = options
        self._servers = []
        for action_type, name, execute in (
                (ComputePathToPose, 'compute_path_to_pose', self._plan),
                (ComputePathThroughPoses, 'compute_path_through_poses', self._plan_through),
                (FollowPath, 'follow_path', self._follow),
                (Spin, 'spin', self._behavior),
                (BackUp, 'backup', self._behavior),
                (DriveOnHeading, 'drive_on_heading', self._behavior),
                (Wait, 'wait', self._behavior)):
            self._servers.append(ActionServer(
                self, action_type, name, execute_callback=self._wrap(name, action_type, execute),
                goal_callback=self._goal_cb(name),
                cancel_callback=self._cancel_cb(name),
                result_timeout=guard.RESULT_KEEP_S))
        for name in ('global_costmap/clear_entirely_global_costmap',
                     'local_costmap/clear_entirely_local_costmap'):
            self.create_service(ClearEntireCostmap, name, self._clear_cb(name))
        self.create_service(IsPathValid, 'is_path_valid', self._is_path_valid)
        self._odom = self.create_publisher(Odometry, 'odom', 10)
        self._tf = self.create_publisher(TFMessage, 'tf', 10)
        self.create_timer(0.1, self._publish_odom)
        self.get_logger().info('nav fixture ready')
        print('nav fixture ready', flush=True)

    # -- plumbing --------------------------------------------------------------
    def _goal_cb(self, name):
        def callback(goal):
            event(name, 'goal')
            return GoalResponse.ACCEPT
        return callback

    def _cancel_cb(self, name):
        def callback(handle):
            event(name, 'cancel')
            return CancelResponse.ACCEPT
        return callback

    def _clear_cb(self, name):
        def callback(request, response):
            event(name, 'call')
            return response
        return callback

    def _is_path_valid(self, request, response):
        event('is_path_valid', 'call')
        response.is_valid = not self.options.path_invalid
        return response

    def _publish_odom(self):
        odom = Odometry()
        odom.header.stamp = self.get_clock().now().to_msg()
        odom.header.frame_id = 'odom'
        odom.child_frame_id = 'base_link'
        odom.pose.pose.position.x = ODOM_X
        odom.pose.pose.orientation.w = 1.0
        self._odom.publish(odom)
        transforms = []
        for parent, child, x in (('map', 'odom', MAP_TO_ODOM_X), ('odom', 'base_link', ODOM_X)):
            t = TransformStamped()
            t.header.stamp = odom.header.stamp
            t.header.frame_id, t.child_frame_id = parent, child
            t.transform.translation.x = x
            t.transform.rotation.w = 1.0
            transforms.append(t)
        self._tf.publish(TFMessage(transforms=transforms))

    def _after(self, seconds: float):
        """Return a future done after ``seconds`` (one-shot timer; no sleeping)."""
        future = rclpy.task.Future()

        def fire():
            timer.cancel()
            self.destroy_timer(timer)
            future.set_result(True)
        timer = self.create_timer(max(seconds, 0.001), fire)
        return future

    def _wrap(self, name, action_type, execute):
        async def run(goal_handle):
            result = await execute(goal_handle, action_type)
            if goal_handle.is_cancel_requested:
                goal_handle.canceled()
                event(name, 'canceled')
            elif getattr(result, 'error_code', 0):
                goal_handle.abort()
                event(name, 'aborted')
            else:
                goal_handle.succeed()
                event(name, 'succeeded')
            return result
        return run

    async def _run_for(self, goal_handle, seconds, feedback=None):
        """Run ``seconds``, stopping early on cancel; returns False when canceled."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if goal_handle.is_cancel_requested or not goal_handle.is_active:
                return False
            if feedback is not None:
                goal_handle.publish_feedback(feedback)
            await self._after(min(0.02, max(end - time.monotonic(), 0.0)))
        return not goal_handle.is_cancel_requested

    # -- servers -----------------------------------------------------------------
    async def _plan(self, goal_handle, action_type):
        goal = goal_handle.request.goal.pose.position
        event('compute_path_to_pose', f'to={goal.x:g},{goal.y:g}')
        await self._run_for(goal_handle, self.options.plan_delay_s)
        result = action_type.Result()
        if self.options.plan_error:
            result.error_code = self.options.plan_error
            result.error_msg = f'fixture planner told to fail with {self.options.plan_error}'
            return result
        if goal_handle.request.goal.pose.position.x > self.options.outside_map_x:
            result.error_code = action_type.Result.GOAL_OUTSIDE_MAP
            result.error_msg = f'fixture map ends at x = {self.options.outside_map_x:g}'
            return result
        result.path = straight_path((0.0, 0.0), goal_handle.request.goal)
        return result

    async def _plan_through(self, goal_handle, action_type):
        await self._run_for(goal_handle, self.options.plan_delay_s)
        result = action_type.Result()
        goals = goal_handle.request.goals
        if self.options.plan_error or not goals:
            result.error_code = self.options.plan_error or action_type.Result.NO_VIAPOINTS_GIVEN
            result.error_msg = 'fixture planner failed'
            return result
        result.path = straight_path((0.0, 0.0), goals[-1])
        return result

    async def _follow(self, goal_handle, action_type):
        feedback = action_type.Feedback(distance_to_goal=1.0, speed=0.2)
        poses = goal_handle.request.path.poses
        slow = bool(poses) and poses[-1].pose.position.y > self.options.slow_y
        finished = await self._run_for(
            goal_handle, self.options.slow_follow_s if slow else self.options.follow_s, feedback)
        result = action_type.Result()
        if finished and self.options.follow_error:
            result.error_code = self.options.follow_error
            result.error_msg = f'fixture controller told to fail with {self.options.follow_error}'
        return result

    async def _behavior(self, goal_handle, action_type):
        seconds = self.options.behavior_s
        if action_type is Wait:
            seconds = seconds_of(goal_handle.request.time)
        finished = await self._run_for(goal_handle, seconds)
        result = action_type.Result()
        if finished and action_type is Spin and self.options.spin_error:
            result.error_code = self.options.spin_error
            result.error_msg = f'fixture spin told to fail with {self.options.spin_error}'
        result.total_elapsed_time = to_duration(seconds)
        return result


def parse_args(argv):
    """Parse the fixture's options (ROS arguments removed)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--plan-error', type=int, default=0,
                        help='abort compute_path_* with this error code (0: succeed)')
    parser.add_argument('--plan-delay-s', type=float, default=0.05)
    parser.add_argument('--follow-s', type=float, default=0.5,
                        help='how long follow_path runs before it succeeds')
    parser.add_argument('--follow-error', type=int, default=0,
                        help='abort follow_path with this error code at the end')
    parser.add_argument('--outside-map-x', type=float, default=float('inf'),
                        help='compute_path_to_pose to a goal beyond this x aborts with '
                             'GOAL_OUTSIDE_MAP')
    parser.add_argument('--slow-y', type=float, default=float('inf'),
                        help='follow_path of a path ending beyond this y runs --slow-follow-s')
    parser.add_argument('--slow-follow-s', type=float, default=60.0)
    parser.add_argument('--behavior-s', type=float, default=0.2,
                        help='duration of spin, backup, drive_on_heading')
    parser.add_argument('--spin-error', type=int, default=0,
                        help='abort spin with this error code at the end')
    parser.add_argument('--path-invalid', action='store_true',
                        help='is_path_valid answers false')
    return parser.parse_args(argv)


def main(args=None):
    """Spin the fixture servers until SIGINT."""
    argv = remove_ros_args(sys.argv if args is None else args)[1:]
    options = parse_args(argv)
    return run_node(lambda: NavFixtureServers(options), args, exit_process=True)


if __name__ == '__main__':
    sys.exit(main())

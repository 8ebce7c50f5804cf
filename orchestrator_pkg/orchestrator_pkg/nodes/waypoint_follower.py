"""waypoint_follower: the ``follow_waypoints`` action (nav2_msgs/FollowWaypoints), as Nav2's.

It navigates to each pose of the goal in turn through ``navigate_to_pose``
(bt_navigator), from ``goal_index`` on, ``number_of_loops`` more times round
after the first pass. A waypoint whose navigation does not succeed is a
missed waypoint (nav2_msgs/MissedWaypoint: its index, pose and the
navigation's error code); with ``stop_on_failure`` the goal then aborts (as
Jazzy: ``error_code`` NONE, the code is in ``missed_waypoints``),
otherwise it goes on and ends succeeded listing the missed ones. The
bookkeeping is :class:`orchestrator_pkg.planning.waypoints.WaypointRun`.

ROS interface
-------------
Parameters
    ``stop_on_failure``, ``loop_rate``, ``server_wait_timeout_s`` (:data:`SPECS`,
    ``config/nav.yaml``).
Actions (server)
    ``follow_waypoints`` (nav2_msgs/FollowWaypoints); feedback ``current_waypoint``.
Actions (client)
    ``navigate_to_pose`` (nav2_msgs/NavigateToPose).

Nothing blocks: a timer at ``loop_rate`` (on the node's clock) sends the next
navigate_to_pose goal and reads its futures; the execute callback only awaits
the result. Cancelling a follow_waypoints goal cancels its navigate_to_pose
goal; a new goal preempts the running one (aborted, UNKNOWN); a
navigate_to_pose server that leaves the ROS graph with the goal in flight
(bt_navigator died) aborts the goal (UNKNOWN, naming the node), as the tree's
action leaves end with SERVER_DIED; so does a client of ours that leaves the
graph (:class:`~orchestrator_pkg.ros_edge.graph.OrphanWatch`).

A managed node (:class:`~orchestrator_pkg.ros_edge.lifecycle.ManagedNode`): goals
are accepted and the loop runs only while active; deactivation cancels the
navigation and aborts the goal.
"""
import time

from action_msgs.msg import GoalStatus
from nav2_msgs.action import FollowWaypoints, NavigateToPose
from nav2_msgs.msg import MissedWaypoint
from rclpy.action import ActionClient, ActionServer, CancelResponse
from rclpy.task import Future

from orchestrator_pkg import nav2_codes
from orchestrator_pkg.behaviours.ros.action_client import SERVER_GONE_GRACE_S
from orchestrator_pkg.planning.waypoints import WaypointRun
from orchestrator_pkg.ros_edge import goals, graph, guard, params
from orchestrator_pkg.ros_edge.lifecycle import ManagedNode
from orchestrator_pkg.ros_edge.main import run_node
from orchestrator_pkg.ros_edge.params import Spec
from orchestrator_pkg.ros_edge.results import ResultRequest

SPECS = {
    'stop_on_failure': Spec(True, 'a waypoint not reached ends the goal (aborted); false: go '
                            'on to the next one and list it in missed_waypoints'),
    'loop_rate': Spec(20, 'how often the follower looks at its navigate_to_pose goal (Hz)',
                      1, 200, read_only=True),
    'server_wait_timeout_s': Spec(5.0, 'how long a goal waits for the navigate_to_pose server '
                                  'before it aborts (s)', 0.0, 600.0),
}
NAVIGATE = 'navigate_to_pose'
UNKNOWN = FollowWaypoints.Result.UNKNOWN


class _Follow:
    """One follow_waypoints goal: its handle, the awaited future, the run and its navigation."""

    def __init__(self, handle, run: WaypointRun, now: float):
        self.handle = handle
        self.future = Future()
        self.run = run
        self.state = 'send'  # send -> sending -> active -> send ...
        self.since = now  # steady time the current state began
        self.nav_send = None  # future of the navigate_to_pose goal handle
        self.nav_handle = None
        self.nav_result = None
        self.gone_since = None
        self.server_node = ''


class WaypointFollower(ManagedNode):
    """Serves ``follow_waypoints`` by sending ``navigate_to_pose`` goals (a managed node)."""

    def __init__(self, **kwargs):
        super().__init__('waypoint_follower', **kwargs)
        params.declare(self, SPECS)
        self._follow = None

    def configure_node(self):
        """Create the action server, the navigate_to_pose client, the orphan watch, the timer."""
        self._follow = None
        self._nav = ActionClient(self, NavigateToPose, NAVIGATE)
        self._server = ActionServer(
            self, FollowWaypoints, 'follow_waypoints',
            guard.execute(self, 'follow_waypoints', FollowWaypoints, self._execute,
                          check=goals.follow_waypoints_problem,
                          codes=nav2_codes.BAD_GOAL['follow_waypoints']),
            cancel_callback=lambda _: CancelResponse.ACCEPT,
            result_timeout=guard.RESULT_KEEP_S)
        self._orphans = graph.OrphanWatch(
            self, 'follow_waypoints',
            lambda: [self._follow.handle] if self._follow is not None else [], self._orphaned)
        self.create_timer(1.0 / self.get_parameter('loop_rate').value, self._cycle)

    def deactivate_node(self):
        """Cancel the navigation and abort a running goal."""
        if self._follow is not None:
            self._end(self._follow, 'waypoint_follower is deactivating', abort=True)

    async def _execute(self, goal_handle):
        request = goal_handle.request
        if self._follow is not None:
            self._end(self._follow, 'preempted by a new follow_waypoints goal', abort=True)
        run = WaypointRun(len(request.poses), request.goal_index, request.number_of_loops,
                          bool(self.get_parameter('stop_on_failure').value))
        follow = _Follow(goal_handle, run, time.monotonic())
        self._follow = follow
        self.get_logger().info(f'following {len(request.poses)} waypoints from index '
                               f'{request.goal_index}, {request.number_of_loops} more loops')
        return await follow.future

    def _orphaned(self, handle, message):
        follow = self._follow
        if follow is not None and follow.handle is handle:
            self._end(follow, message, abort=True)

    # -- the loop ------------------------------------------------------------------
    def _cycle(self):
        follow = self._follow
        if follow is None:
            return
        if follow.handle.is_cancel_requested:
            self._end(follow, 'canceled', canceled=True)
            return
        now = time.monotonic()
        if follow.state == 'send':
            self._send(follow, now)
        elif follow.state == 'sending':
            self._sending(follow, now)
        elif follow.state == 'active':
            self._active(follow, now)

    def _send(self, follow, now):
        if not self._nav.server_is_ready():
            wait = self.get_parameter('server_wait_timeout_s').value
            if now - follow.since > wait:
                self._end(follow, f'{NAVIGATE} server not available after {wait:g} s',
                          abort=True)
            return
        goal = NavigateToPose.Goal()
        goal.pose = follow.handle.request.poses[follow.run.index]
        follow.nav_send = self._nav.send_goal_async(goal)
        follow.state, follow.since, follow.gone_since = 'sending', now, None
        follow.handle.publish_feedback(
            FollowWaypoints.Feedback(current_waypoint=follow.run.index))

    def _sending(self, follow, now):
        if self._server_died(follow, now):
            return
        if not follow.nav_send.done():
            return
        handle = follow.nav_send.result()
        if handle is None or not handle.accepted:
            self.get_logger().warn(f'waypoint {follow.run.index}: {NAVIGATE} refused the goal')
            self._waypoint_done(follow, ok=False, code=nav2_codes.NAVIGATE_TO_POSE.UNKNOWN)
            return
        follow.nav_handle = handle
        index = follow.run.index
        follow.nav_result = ResultRequest(handle, lambda status: self.get_logger().warn(
            f'waypoint {index}: {NAVIGATE} ended the goal (status {status}) but its result '
            'did not come: asking again'))
        follow.state = 'active'

    def _active(self, follow, now):
        if follow.nav_result.done():
            response = follow.nav_result.response()
            ok = response is not None and response.status == GoalStatus.STATUS_SUCCEEDED
            code = 0 if ok or response is None else int(response.result.error_code)
            if not ok:
                why = response.result.error_msg if response is not None else 'no result'
                self.get_logger().warn(f'waypoint {follow.run.index} missed '
                                       f'(error_code {code}): {why}')
            self._waypoint_done(follow, ok, code or
                                (0 if ok else nav2_codes.NAVIGATE_TO_POSE.UNKNOWN))
            return
        self._server_died(follow, now)

    def _server_died(self, follow, now) -> bool:
        """End the goal once the navigate_to_pose server left the graph with a goal in flight."""
        if self._nav.server_is_ready():
            follow.gone_since = None
            if not follow.server_node:
                follow.server_node = graph.server_node_of(self, NAVIGATE)
            return False
        if follow.gone_since is None:
            follow.gone_since = now
        if now - follow.gone_since < SERVER_GONE_GRACE_S:
            return False
        who = follow.server_node or f'the {NAVIGATE} server'
        follow.nav_handle = None  # nothing to cancel: the server is gone
        self._end(follow, f'{who} died: its {NAVIGATE} action server left the ROS graph with '
                          f'waypoint {follow.run.index} in flight', abort=True)
        return True

    def _waypoint_done(self, follow, ok: bool, code: int):
        run = follow.run
        if ok:
            run.reached()
        else:
            run.failed(code)
        follow.nav_handle = follow.nav_send = follow.nav_result = None
        if run.stopped:
            # as Jazzy: aborted, the code is the missed waypoint's, error_code stays NONE
            self._end(follow, f'waypoint {run.missed[-1].index} missed (error_code '
                              f'{run.missed[-1].error_code}) and stop_on_failure is set',
                      abort=True, code=FollowWaypoints.Result.NONE)
        elif run.done:
            self._end(follow, '')
        else:
            follow.state, follow.since = 'send', time.monotonic()

    # -- the end of a goal -----------------------------------------------------------
    def _end(self, follow, message, abort=False, canceled=False, code=UNKNOWN):
        """End ``follow`` (cancelling its navigation) with the Jazzy result."""
        if self._follow is follow:
            self._follow = None
        if follow.nav_handle is not None:
            follow.nav_handle.cancel_goal_async()
        elif follow.nav_send is not None and not follow.nav_send.done():
            # the goal response is still on its way: cancel it once it is accepted
            follow.nav_send.add_done_callback(
                lambda f: f.result().cancel_goal_async() if f.result() is not None
                and f.result().accepted else None)
        result = FollowWaypoints.Result()
        poses = follow.handle.request.poses
        result.missed_waypoints = [
            MissedWaypoint(index=m.index, goal=poses[m.index], error_code=m.error_code)
            for m in follow.run.missed]
        result.error_msg = message
        if canceled:
            follow.handle.canceled()
        elif abort:
            result.error_code = code
            follow.handle.abort()
            self.get_logger().warn(f'follow_waypoints aborted: {message}')
        else:
            follow.handle.succeed()
            self.get_logger().info(f'follow_waypoints done, {len(result.missed_waypoints)} '
                                   'missed')
        follow.future.set_result(result)


def main(args=None):
    """Run the waypoint follower."""
    return run_node(WaypointFollower, args, exit_process=True)


if __name__ == '__main__':
    raise SystemExit(main())

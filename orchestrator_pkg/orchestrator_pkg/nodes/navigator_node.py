"""The navigator node: ``navigate_to_pose`` and ``navigate_through_poses`` servers (nav2_msgs).

Each runs a navigation tree. By default those are Nav2's own
``navigate_to_pose_w_replanning_and_recovery.xml`` and
``navigate_through_poses_w_replanning_and_recovery.xml``, unmodified (shipped
in share/orchestrator_pkg/behavior_trees). As Nav2's BT navigator does, the
goal pose goes to the blackboard key ``goal`` (the poses to ``goals``) and
``number_recoveries`` starts at 0. One navigation runs at a time.

ROS interface
-------------
Parameters
    ``default_nav_to_pose_bt_xml``, ``default_nav_through_poses_bt_xml``,
    ``error_code_names`` (Jazzy), ``error_code_name_prefixes`` (Kilted),
    ``global_frame``, ``robot_base_frame`` (:data:`SPECS`),
    and the tree host's.
Actions (server)
    ``navigate_to_pose`` (nav2_msgs/NavigateToPose),
    ``navigate_through_poses`` (nav2_msgs/NavigateThroughPoses)
Services, publishers
    the tree host's: ``~/pause``, ``~/resume``, ``~/snapshot``, ``~/status_changes``,
    and ``behavior_tree_log`` (nav2_msgs/BehaviorTreeLog, as Nav2's bt_navigator:
    each tick's status transitions, for RViz and Foxglove panels)
Subscribers
    ``tf``, ``tf_static``: the feedback's current_pose is ``global_frame →
    robot_base_frame`` (``map → odom → base_link``), the frame of the goals and paths;
    ``goal_pose`` (geometry_msgs/PoseStamped, RViz's "Nav2 Goal"): as Nav2's
    bt_navigator, each pose is sent as a goal to the node's own
    ``navigate_to_pose`` (so it preempts a running navigation); a bad pose
    (non-finite number, bad quaternion, empty frame_id) is dropped with a
    warning naming the field

A managed node (:class:`~orchestrator_pkg.ros_edge.lifecycle.ManagedNode`): the
tree host and its servers exist from configure on, goals are accepted and the
tree ticks only while active; deactivation halts a running navigation.

The tree host (:mod:`orchestrator_pkg.nodes.tree_host`) serves both actions
and ticks the tree; this node adds the choice of Nav2 tree, the
``goal``/``goals`` keys, the error-code rule and the feedback. A new goal while
one runs preempts it (the old goal is aborted) and the running tree continues
with the new ``goal``/``goals``, as in Nav2; a goal of the other action, or
naming a different ``behavior_tree``, restarts the tree.
"""
from functools import partial
import os
import sys

from geometry_msgs.msg import PoseStamped
from nav2_msgs.action import NavigateThroughPoses, NavigateToPose
from rclpy.action import ActionClient
from rclpy.duration import Duration

from orchestrator_pkg import nav2_codes
from orchestrator_pkg.behaviours.nav2 import geometry
from orchestrator_pkg.behaviours.nav2.actions import LAST_SERVER_ERROR_KEY
from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.nodes.tree_host import (
    CANCELED,
    FAILED,
    PREEMPTED,
    REJECTED,
    Ending,
    GoalRejected,
    TreeAction,
    TreeHost,
)
from orchestrator_pkg.planning.frames import FrameError
from orchestrator_pkg.ros_edge import goals, guard, params
from orchestrator_pkg.ros_edge.convert import yaw_to_quaternion
from orchestrator_pkg.ros_edge.lifecycle import ManagedNode
from orchestrator_pkg.ros_edge.main import run_node
from orchestrator_pkg.ros_edge.params import Spec
from orchestrator_pkg.ros_edge.share import behavior_tree
from orchestrator_pkg.ros_edge.tf import tf_listener
from orchestrator_pkg.trees.blackboard import Blackboard
from orchestrator_pkg.trees.loader import TreeLoadError, load_file_cached
from orchestrator_pkg.trees.runner import MissionRunner

DEFAULT_TREE = 'navigate_to_pose_w_replanning_and_recovery.xml'
DEFAULT_THROUGH_POSES_TREE = 'navigate_through_poses_w_replanning_and_recovery.xml'
SPECS = {
    'default_nav_to_pose_bt_xml': Spec(
        '', "Navigation tree file; '' = Nav2's navigate_to_pose_w_replanning_and_recovery.xml "
        'shipped with this package.', read_only=True),
    'default_nav_through_poses_bt_xml': Spec(
        '', "Tree for navigate_through_poses; '' = Nav2's navigate_through_poses_w_replanning_"
        'and_recovery.xml shipped with this package.', read_only=True),
    'error_code_names': Spec(
        list(nav2_codes.JAZZY_ERROR_CODE_NAMES),
        "Jazzy's list: blackboard keys whose lowest non-zero value is the result "
        'error_code on failure (read together with error_code_name_prefixes).'),
    'error_code_name_prefixes': Spec(
        list(nav2_codes.KILTED_ERROR_CODE_NAME_PREFIXES),
        "Kilted's list: each prefix names <prefix>_error_code (a candidate, as in "
        'error_code_names) and <prefix>_error_msg (the result error_msg when it wins).'),
    'global_frame': Spec('map', "frame of the feedback's current_pose (the goals' and "
                         "paths' frame)", read_only=True),
    'robot_base_frame': Spec('base_link', "the robot's frame on tf", read_only=True),
}
# the blackboard keys the navigator gives every tree (Nav2's): not written by its nodes
TREE_INPUTS = ('goal', 'goals', 'number_recoveries')
# kind -> (action type, action name, blackboard key of the goal)
KINDS = {'to_pose': (NavigateToPose, 'navigate_to_pose', 'goal'),
         'through_poses': (NavigateThroughPoses, 'navigate_through_poses', 'goals')}


def _codes(kind) -> nav2_codes.NavigatorCodes:
    """Return the navigator's own error codes for one action (Kilted's; Jazzy has only NONE)."""
    return nav2_codes.BY_ACTION[KINDS[kind][1]]


class NavigatorNode(ManagedNode):
    """Serves ``navigate_to_pose`` and ``navigate_through_poses`` by ticking a navigation tree."""

    def __init__(self, node_name: str = 'bt_navigator', **kwargs):
        super().__init__(node_name, **kwargs)
        params.declare(self, SPECS)
        self.host = None
        self._path_xy = None  # (path, its poses, their (N, 2) x, y): _xy_of's cache

    def configure_node(self):
        """Create the trees' registry, the tree host and its two actions."""
        self.default_trees = {
            'to_pose': self.get_parameter('default_nav_to_pose_bt_xml').value or
            behavior_tree(DEFAULT_TREE),
            'through_poses': self.get_parameter('default_nav_through_poses_bt_xml').value or
            behavior_tree(DEFAULT_THROUGH_POSES_TREE)}
        self.registry = default_registry()
        self.tf = tf_listener(self)
        self._frames = (self.get_parameter('global_frame').value,
                        self.get_parameter('robot_base_frame').value)
        self.host = TreeHost(self, 'navigation', tree_log=True)  # behavior_tree_log, as Nav2
        self._actions = {}
        for kind, (action, name, _) in KINDS.items():
            self._actions[kind] = TreeAction(
                action, name, on_goal=partial(self._start, kind),
                on_loop=partial(self._feedback, kind), on_completion=partial(self._result, kind),
                on_preempt=partial(self._preempt, kind))
            self.host.serve(self._actions[kind], cancel_orphans=True)
        # RViz's "Nav2 Goal": a goal for our own navigate_to_pose, as Nav2's bt_navigator
        self._self_client = ActionClient(self, NavigateToPose, 'navigate_to_pose')
        guard.subscribe(self, PoseStamped, 'goal_pose', self._on_goal_pose, 10)

    def _on_goal_pose(self, msg: PoseStamped):
        """Send a goal_pose to our own navigate_to_pose (never waits for the answer)."""
        problem = goals.pose_problem(msg, 'goal_pose')
        if problem is not None:
            self.get_logger().warning(f'goal_pose dropped: {problem[1]}')
            return
        if not self.is_active:
            self.get_logger().warning(f'goal_pose dropped: {self.get_name()} is '
                                      f'{self.lifecycle_state}, not active')
            return
        self.get_logger().info(
            f'goal_pose received: navigating to ({msg.pose.position.x:g}, '
            f'{msg.pose.position.y:g}) in {msg.header.frame_id}')
        self._self_client.send_goal_async(NavigateToPose.Goal(pose=msg))

    def activate_node(self):
        """Say which trees it runs."""
        self.get_logger().info(f'navigator ready: default trees {self.default_trees}')

    def deactivate_node(self):
        """Halt a running navigation (cancelling its goals)."""
        self.host.halt()

    def cleanup_node(self):
        """Let go of the tree host."""
        self.host.close()
        self.host = None

    # -- the tree host's hooks -----------------------------------------------------
    def _goal(self, kind, request):
        """Return (tree file, blackboard key, value) of a goal."""
        key = KINDS[kind][2]
        value = request.pose if kind == 'to_pose' else list(request.poses)
        return request.behavior_tree or self.default_trees[kind], key, value

    @staticmethod
    def _refuse_bad_goal(kind, request) -> None:
        """Raise GoalRejected with the navigator's code for a malformed goal (ros_edge.goals)."""
        check = (goals.navigate_to_pose_problem if kind == 'to_pose'
                 else goals.navigate_through_poses_problem)
        problem = check(request)
        if problem is not None:
            codes = nav2_codes.BAD_GOAL[KINDS[kind][1]]
            raise GoalRejected(codes.get(problem[0], codes['unknown']), problem[1])

    def _preempt(self, kind, request, runner, running) -> bool:
        """Continue the running tree with the new goal if it is this action's, from this file."""
        tree_file, key, value = self._goal(kind, request)
        try:
            self._refuse_bad_goal(kind, request)
        except GoalRejected:
            return False  # _start refuses it
        if running is not self._actions[kind] or runner.source != tree_file:
            return False
        runner.built.blackboard.set(key, value)
        return True

    def _start(self, kind, request) -> MissionRunner:
        self._refuse_bad_goal(kind, request)
        tree_file, key, value = self._goal(kind, request)
        try:
            document = load_file_cached(tree_file, self.registry, inputs=TREE_INPUTS)
            blackboard = Blackboard()
            blackboard.set(key, value)
            blackboard.set('number_recoveries', 0)
            built = document.build(clock=self.host.clock, blackboard=blackboard)
            runner = MissionRunner(built, os.path.basename(tree_file), self.host.clock,
                                   source=tree_file)
            runner.setup(node=self)
        except (TreeLoadError, OSError, RuntimeError) as exc:
            text = '; '.join(str(p) for p in exc.problems[:3]) \
                if isinstance(exc, TreeLoadError) else str(exc)
            self.get_logger().error(f'cannot load {tree_file}: {text}')
            raise GoalRejected(_codes(kind).FAILED_TO_LOAD_BEHAVIOR_TREE,
                               f'cannot load {tree_file}: {text}') from None
        self.get_logger().info(f'navigating with {tree_file}')
        return runner

    def _result(self, kind, ending: Ending):
        codes = _codes(kind)
        if ending.state == FAILED:
            code, message = self._failure(kind, ending.runner)
        elif ending.state in (PREEMPTED, REJECTED):
            code, message = ending.code or codes.UNKNOWN, ending.message
        else:
            code, message = codes.NONE, 'canceled' if ending.state == CANCELED else ''
        return KINDS[kind][0].Result(error_code=int(code), error_msg=message)

    def _failure(self, kind, runner) -> tuple[int, str]:
        """Return the (error_code, error_msg) of a failed navigation (Nav2 Jazzy's rule)."""
        failure = runner.failure()
        code, key, said = nav2_codes.priority_error(
            runner.built.blackboard, self.get_parameter('error_code_names').value,
            self.get_parameter('error_code_name_prefixes').value)
        if not code:
            code = failure.leaf_error_code or _codes(kind).UNKNOWN
        where = f'{key}={code}' + (f' ({said})' if said else '') + '; ' if key else ''
        server = runner.built.blackboard.get(LAST_SERVER_ERROR_KEY, '')
        server = f'; last server error: {server}' if server else ''
        return code, f'{where}{failure.node_path}: {failure.message}{server}'

    def _feedback(self, kind, runner):
        board = runner.built.blackboard
        if kind == 'through_poses':
            feedback = NavigateThroughPoses.Feedback()
            feedback.number_of_poses_remaining = len(board.get('goals', []) or [])
        else:
            feedback = NavigateToPose.Feedback()
        try:
            robot = self.tf.lookup(*self._frames)
        except FrameError:
            robot = None  # no pose on tf yet: current_pose stays empty
        if robot is not None:
            feedback.current_pose.header.frame_id = self._frames[0]
            feedback.current_pose.header.stamp = self.get_clock().now().to_msg()
            feedback.current_pose.pose.position.x = float(robot[0])
            feedback.current_pose.pose.position.y = float(robot[1])
            feedback.current_pose.pose.orientation = yaw_to_quaternion(robot[2])
        feedback.navigation_time = Duration(seconds=runner.elapsed()).to_msg()
        feedback.number_of_recoveries = int(board.get('number_recoveries', 0) or 0)
        path = board.get('path', None)
        if path is not None and path.poses and robot is not None:
            feedback.distance_remaining = geometry.remaining_length(self._xy_of(path), robot)
        return feedback

    def _xy_of(self, path):
        """Return the path's (N, 2) x, y, converted once per path (not once per tick)."""
        poses = path.poses
        cached = self._path_xy
        if cached is None or cached[0] is not path or cached[1] is not poses \
                or len(cached[2]) != len(poses):
            cached = self._path_xy = (path, poses, geometry.xy_of_poses(poses))
        return cached[2]

    def stop_node(self):
        """Halt a running navigation (cancelling its goals): the process is going away."""
        if self.host is not None:
            self.host.halt()

    def destroy_node(self):
        """Halt a running navigation (cancelling its goals) before going away."""
        self.stop_node()
        return super().destroy_node()


def main(args=None):
    """Run the navigator node; bad parameters are reported in one line, exit code 1."""
    return run_node(NavigatorNode, args, exit_process=True)


if __name__ == '__main__':
    sys.exit(main())

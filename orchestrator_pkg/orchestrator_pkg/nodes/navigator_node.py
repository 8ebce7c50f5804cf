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
    ``default_nav_to_pose_bt_xml`` (''), ``default_nav_through_poses_bt_xml`` (''),
    ``tick_rate_hz`` (20.0),
    ``server_wait_timeout_s`` (5.0), ``error_code_names``
    (['compute_path_error_code', 'follow_path_error_code']).
Actions (server)
    ``navigate_to_pose`` (nav2_msgs/NavigateToPose),
    ``navigate_through_poses`` (nav2_msgs/NavigateThroughPoses)
Subscribers
    ``odom`` (nav_msgs/Odometry): the feedback's current_pose (no tf here; see docs)
Publishers
    ``~/snapshot`` (orchestrator_interfaces/BehaviourTreeSnapshot)
    ``~/status_changes`` (orchestrator_interfaces/BehaviourStatusChanges), as the orchestrator's

A new goal while one runs preempts it (the old goal is aborted) and the
running tree continues with the new ``goal``/``goals``, as in Nav2; a goal of
the other action, or naming a different ``behavior_tree``, restarts the tree.
"""
import os
import sys

from geometry_msgs.msg import PoseStamped
from nav2_msgs.action import NavigateThroughPoses, NavigateToPose
from py_trees.common import Status
from rcl_interfaces.msg import FloatingPointRange, ParameterDescriptor, SetParametersResult
import rclpy
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.parameter import Parameter

from orchestrator_interfaces.msg import BehaviourStatusChanges, BehaviourTreeSnapshot
from orchestrator_pkg.behaviours.nav2 import geometry
from orchestrator_pkg.behaviours.nav2.actions import LAST_SERVER_ERROR_KEY
from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.node_main import spin_node
from orchestrator_pkg.nodes.mission_runner import STATUS_CHANGES_QOS, MissionRunner
from orchestrator_pkg.ros_edge.clock import RosClock
from orchestrator_pkg.ros_edge.share import behavior_tree
from orchestrator_pkg.ros_edge.state import odom_state
from orchestrator_pkg.trees.blackboard import Blackboard
from orchestrator_pkg.trees.loader import TreeLoadError, load_file

DEFAULT_TREE = 'navigate_to_pose_w_replanning_and_recovery.xml'
DEFAULT_THROUGH_POSES_TREE = 'navigate_through_poses_w_replanning_and_recovery.xml'
RETIRE_AFTER_S = 2.0


def highest_error_code(blackboard, names) -> tuple[int, str]:
    """Return (code, key): the highest non-zero error code among ``names`` (Nav2 Jazzy rule)."""
    best, best_key = 0, ''
    for name in names:
        try:
            code = int(blackboard.get(name, 0) or 0)
        except (TypeError, ValueError):
            continue
        if code > best:
            best, best_key = code, name
    return best, best_key


class NavigatorNode(Node):
    """Serves ``navigate_to_pose`` by ticking a navigation tree."""

    def __init__(self, node_name: str = 'bt_navigator', **kwargs):
        super().__init__(node_name, **kwargs)
        self.declare_parameter('default_nav_to_pose_bt_xml', '', ParameterDescriptor(
            description="Navigation tree file; '' = Nav2's navigate_to_pose_w_replanning_"
                        'and_recovery.xml shipped with this package.', read_only=True))
        self.declare_parameter('default_nav_through_poses_bt_xml', '', ParameterDescriptor(
            description="Tree for navigate_through_poses; '' = Nav2's navigate_through_poses_"
                        'w_replanning_and_recovery.xml shipped with this package.',
            read_only=True))
        self.declare_parameter('tick_rate_hz', 20.0, ParameterDescriptor(
            description='How often the navigation tree is ticked, on the ROS clock (Hz).',
            floating_point_range=[FloatingPointRange(from_value=0.1, to_value=1000.0)],
            read_only=True))
        self.declare_parameter('server_wait_timeout_s', 5.0, ParameterDescriptor(
            description='How long the tree leaves wait for their servers to appear (s).',
            floating_point_range=[FloatingPointRange(from_value=0.0, to_value=600.0)]))
        self.declare_parameter(
            'error_code_names', ['compute_path_error_code', 'follow_path_error_code'],
            ParameterDescriptor(description='Blackboard keys whose highest non-zero value is '
                                            'the result error_code on failure.'))
        self.add_on_set_parameters_callback(self._check_parameters)
        self.default_trees = {
            'to_pose': self.get_parameter('default_nav_to_pose_bt_xml').value or
            behavior_tree(DEFAULT_TREE),
            'through_poses': self.get_parameter('default_nav_through_poses_bt_xml').value or
            behavior_tree(DEFAULT_THROUGH_POSES_TREE)}
        self.kind = None
        self.registry = default_registry()
        self.clock_adapter = RosClock(self)
        self.odom = odom_state(self)
        self.runner = None
        self.tree_file = None
        self._handle = None
        self._done = None
        self._retired = []
        self._snapshots = self.create_publisher(BehaviourTreeSnapshot, '~/snapshot', 10)
        self._status_changes = self.create_publisher(BehaviourStatusChanges, '~/status_changes',
                                                     STATUS_CHANGES_QOS)
        self._servers = [ActionServer(
            self, action, name, execute_callback=self._executor(kind, action),
            goal_callback=lambda goal: GoalResponse.ACCEPT,
            cancel_callback=lambda handle: CancelResponse.ACCEPT)
            for kind, action, name in (('to_pose', NavigateToPose, 'navigate_to_pose'),
                                       ('through_poses', NavigateThroughPoses,
                                        'navigate_through_poses'))]
        self.create_timer(1.0 / self.get_parameter('tick_rate_hz').value, self._tick)
        self.get_logger().info(f'navigator ready: default trees {self.default_trees}')

    def _check_parameters(self, parameters):
        for parameter in parameters:
            if parameter.name == 'server_wait_timeout_s' and \
                    (parameter.type_ not in (Parameter.Type.DOUBLE, Parameter.Type.INTEGER)
                     or not 0.0 <= float(parameter.value) <= 600.0):
                return SetParametersResult(
                    successful=False,
                    reason=f'server_wait_timeout_s must be in [0, 600], got {parameter.value!r}')
            if parameter.name == 'error_code_names' and \
                    parameter.type_ != Parameter.Type.STRING_ARRAY:
                return SetParametersResult(successful=False,
                                           reason='error_code_names must be a list of strings')
        return SetParametersResult(successful=True)

    # -- goals -------------------------------------------------------------------
    def _executor(self, kind, action):
        async def execute(goal_handle):
            return await self._execute(goal_handle, kind, action)
        return execute

    async def _execute(self, goal_handle, kind, action):
        request = goal_handle.request
        tree_file = request.behavior_tree or self.default_trees[kind]
        key, value = ('goal', request.pose) if kind == 'to_pose' else \
            ('goals', list(request.poses))
        if self.runner is not None and self.tree_file == tree_file and self.kind == kind and \
                self._done is not None and not self._done.done():
            # preemption: the running tree continues towards the new goal
            self._finish(NavigateToPose.Result.UNKNOWN, 'preempted by a new goal', aborted=True)
            self.runner.built.blackboard.set(key, value)
        else:
            if self.runner is not None:
                self._finish(NavigateToPose.Result.UNKNOWN, 'preempted by a new goal '
                             'with another behavior tree', aborted=True)
                self.runner.halt()
                self._publish_changes(self.runner)
                self._retire()
            try:
                self.runner = self._load(tree_file, key, value)
            except (TreeLoadError, OSError, RuntimeError) as exc:
                self.runner = None
                text = '; '.join(str(p) for p in exc.problems[:3]) \
                    if isinstance(exc, TreeLoadError) else str(exc)
                self.get_logger().error(f'cannot load {tree_file}: {text}')
                goal_handle.abort()
                return action.Result(
                    error_code=action.Result.FAILED_TO_LOAD_BEHAVIOR_TREE,
                    error_msg=f'cannot load {tree_file}: {text}')
            self.tree_file = tree_file
            self.kind = kind
        self._handle = goal_handle
        done = self._done = rclpy.task.Future()
        state, code, message = await done
        result = action.Result(error_code=code, error_msg=message)
        if state == 'succeeded':
            goal_handle.succeed()
        elif state == 'canceled':
            goal_handle.canceled()
        else:
            goal_handle.abort()
        return result

    def _load(self, tree_file, key, value) -> MissionRunner:
        document = load_file(tree_file, self.registry, inputs=['goal', 'goals'])
        blackboard = Blackboard()
        blackboard.set(key, value)
        blackboard.set('number_recoveries', 0)
        blackboard.set('wait_for_service_timeout',
                       1000.0 * float(self.get_parameter('server_wait_timeout_s').value))
        built = document.build(clock=self.clock_adapter, blackboard=blackboard)
        runner = MissionRunner(built, os.path.basename(tree_file), self.clock_adapter)
        runner.setup(self)
        self.get_logger().info(f'navigating with {tree_file}')
        return runner

    def _publish_changes(self, runner):
        changes = runner.take_changes(self.get_clock().now().to_msg())
        if changes is not None:
            self._status_changes.publish(changes)

    def _finish(self, code, message, succeeded=False, canceled=False, aborted=False):
        if self._done is not None and not self._done.done():
            state = 'succeeded' if succeeded else 'canceled' if canceled else 'aborted'
            self._done.set_result((state, int(code), message))

    def _retire(self):
        if self.runner is not None:
            self._retired.append((self.clock_adapter.now() + RETIRE_AFTER_S, self.runner))
        self.runner = None
        self.tree_file = None
        self.kind = None

    # -- ticking -----------------------------------------------------------------
    def _tick(self):
        now = self.clock_adapter.now()
        while self._retired and self._retired[0][0] <= now:
            self._retired.pop(0)[1].shutdown()
        runner, handle = self.runner, self._handle
        if runner is None or handle is None or self._done is None or self._done.done():
            return
        if handle.is_cancel_requested:
            runner.halt()
            self._publish_changes(runner)
            self._finish(NavigateToPose.Result.NONE, 'canceled', canceled=True)
            self._retire()
            return
        status = runner.tick()
        stamp = self.get_clock().now().to_msg()
        changes = runner.take_changes(stamp)
        if changes is not None:
            self._status_changes.publish(changes)
        self._snapshots.publish(runner.snapshot(stamp))
        if status == Status.SUCCESS:
            self._finish(NavigateToPose.Result.NONE, '', succeeded=True)
            self._retire()
        elif status == Status.FAILURE:
            failure = runner.failure()
            names = list(self.get_parameter('error_code_names').value)
            code, key = highest_error_code(runner.built.blackboard, names)
            if not code:
                code = failure.leaf_error_code or NavigateToPose.Result.UNKNOWN
            where = f'{key}={code}; ' if key else ''
            server = runner.built.blackboard.get(LAST_SERVER_ERROR_KEY, '')
            server = f'; last server error: {server}' if server else ''
            self._finish(code, f'{where}{failure.node_path}: {failure.message}{server}',
                         aborted=True)
            self._retire()
        else:
            handle.publish_feedback(self._feedback(runner, self.kind))

    def _feedback(self, runner, kind):
        board = runner.built.blackboard
        if kind == 'through_poses':
            feedback = NavigateThroughPoses.Feedback()
            feedback.number_of_poses_remaining = len(board.get('goals', []) or [])
        else:
            feedback = NavigateToPose.Feedback()
        odom = self.odom.odometry
        if odom is not None:
            feedback.current_pose = PoseStamped(header=odom.header, pose=odom.pose.pose)
        feedback.navigation_time = Duration(seconds=runner.elapsed()).to_msg()
        feedback.number_of_recoveries = int(board.get('number_recoveries', 0) or 0)
        path = board.get('path', None)
        robot = self.odom.xy()
        if path is not None and path.poses and robot is not None:
            xy = [(p.pose.position.x, p.pose.position.y) for p in path.poses]
            nearest = min(range(len(xy)), key=lambda i: (xy[i][0] - robot[0]) ** 2 +
                          (xy[i][1] - robot[1]) ** 2)
            feedback.distance_remaining = float(geometry.path_length(xy[nearest:]))
        return feedback

    def destroy_node(self):
        """Halt a running navigation (cancelling its goals) before going away."""
        if self.runner is not None:
            self.runner.halt()
        return super().destroy_node()


def main(args=None):
    """Run the navigator node."""
    return spin_node(NavigatorNode, args)


if __name__ == '__main__':
    sys.exit(main())

"""Nav2's action node types: the server clients (on the generic ROS leaves), path tools.

Ports follow nav2_behavior_tree (Jazzy): names, types and defaults. Every
action node has ``server_name`` and ``server_timeout`` (ms: how long the
server may take to accept a goal) and writes the server's ``error_code`` to
its ``error_code_id`` output port. How long a leaf waits for a server to
appear is :class:`~orchestrator_pkg.ros_edge.leaf.RosLeaf`'s server wait:
the ``wait_for_server`` port (s), else the node's ``server_wait_timeout_s``.
TruncatePath and RemovePassedGoals change a path or a goal list;
RemovePassedGoals takes the robot pose from tf (``global_frame →
robot_base_frame``, :func:`~orchestrator_pkg.ros_edge.tf.tf_listener`), the
frame of the goals.
"""
import copy

from action_msgs.msg import GoalStatus
from action_msgs.srv import CancelGoal
from nav2_msgs.action import (
    BackUp,
    ComputePathThroughPoses,
    ComputePathToPose,
    DriveOnHeading,
    FollowPath,
    NavigateToPose,
    Spin,
    Wait,
)
from nav2_msgs.srv import ClearEntireCostmap, IsPathValid
from py_trees.common import Status
from std_srvs.srv import Empty

from orchestrator_pkg.behaviours.nav2 import geometry
from orchestrator_pkg.behaviours.ros.action_client import ActionClientBehaviour
from orchestrator_pkg.behaviours.ros.service_client import ServiceClientBehaviour
from orchestrator_pkg.planning.frames import FrameError
from orchestrator_pkg.ros_edge.convert import to_duration
from orchestrator_pkg.ros_edge.leaf import RosLeaf, server_ports, server_timeouts
from orchestrator_pkg.ros_edge.tf import tf_listener
from orchestrator_pkg.trees.failure import FailureCode
from orchestrator_pkg.trees.ports import PortError, input_port, output_port

LAST_SERVER_ERROR_KEY = '@last_server_error'  # root blackboard: the last failing server
# A planner answers within its own timeout (1 s by default); one that has not
# answered in this long (ROS time) is gone, e.g. killed and respawned.
PLANNER_RESULT_TIMEOUT_S = 10.0


def common_ports(server_name: str, what: str = 'action server', port: str = 'server_name'):
    """``server_name`` (or ``port``), ``server_timeout`` and ``wait_for_server``."""
    return (
        input_port(port, 'str', required=False, default=server_name,
                   description=f'{what[0].upper()}{what[1:]} name.'),
        *server_ports(what),
    )


def error_ports():
    """Return the ``error_code_id`` / ``error_msg`` outputs."""
    return (
        output_port('error_code_id', 'int', required=False,
                    description="The server's result error_code."),
        output_port('error_msg', 'str', required=False,
                    description="The server's result error_msg."),
    )


def action_leaf(ctx, action_type, default_server, goal_factory, on_result=None,
                resend_on_goal_change=False, recovery=False, result_timeout_s=None):
    """Build an :class:`ActionClientBehaviour` wired to a Nav2 node's ports."""
    ports = ctx.ports
    wait_s, response_s = server_timeouts(ports)

    def store_result(result, status):
        code = int(getattr(result, 'error_code', 0))
        message = str(getattr(result, 'error_msg', ''))
        if ports.has('error_code_id'):
            ports.set('error_code_id', code)
        if ports.has('error_msg'):
            ports.set('error_msg', message)
        if code:
            # the navigator quotes the last server error in its result, so a
            # failure explains itself even where the tree does not wire error_msg
            ctx.blackboard.set(LAST_SERVER_ERROR_KEY,
                               f'{ctx.type_name} "{ctx.name}" error {code}: {message}')
        if on_result is not None:
            on_result(result, status)

    def goal():
        if recovery and ports.get('is_recovery', True):
            board = ctx.blackboard
            board.set('@number_recoveries', int(board.get('@number_recoveries', 0)) + 1)
        return goal_factory()

    def timed_out():
        # the server's own TIMEOUT code, so Nav2's Would*RecoveryHelp conditions
        # treat it like a server-side timeout (recover, then retry)
        code = getattr(action_type.Result, 'TIMEOUT', getattr(action_type.Result, 'UNKNOWN', 0))
        if ports.has('error_code_id'):
            ports.set('error_code_id', int(code))

    return ActionClientBehaviour(
        ctx.name, action_type, ports.get('server_name', default_server), goal,
        on_result=store_result, server_wait_timeout_s=wait_s,
        goal_response_timeout_s=response_s, resend_on_goal_change=resend_on_goal_change,
        result_timeout_s=result_timeout_s, on_result_timeout=timed_out,
        wait_for_stack=True, node_type=ctx.type_name, clock=ctx.clock)


# -- planners -----------------------------------------------------------------------
# ComputePathToPose and ComputePathThroughPoses differ only in their action, their
# server and their destination port (``goal``, one pose; ``goals``, a list), which is
# also the goal message's field. One builder and one port list serve both.
PLANNERS = (
    # type name, action, default server, destination port: (name, type, description)
    ('ComputePathToPose', ComputePathToPose, 'compute_path_to_pose',
     ('goal', 'pose_stamped', 'Destination to plan to.'),
     'Plan a path to a pose (nav2_msgs/ComputePathToPose).'),
    ('ComputePathThroughPoses', ComputePathThroughPoses, 'compute_path_through_poses',
     ('goals', 'pose_stamped_list', 'Poses to plan through.'),
     'Plan a path through poses (nav2_msgs/ComputePathThroughPoses).'),
)


def planner_builder(action_type, server, destination: str, many: bool):
    """Return the build function of a planner node: ``destination`` (and optional start) → path.

    ``many``: the destination is a list of poses (copied into the goal as a list).
    """
    def build(ctx):
        ports = ctx.ports

        def goal():
            start = ports.get('start', None)
            target = ports.get(destination)
            return action_type.Goal(
                **{destination: list(target) if many else target},
                start=start if start is not None else action_type.Goal().start,
                planner_id=ports.get('planner_id', ''), use_start=start is not None)

        def result(res, status):
            if res.error_code == 0 and status == GoalStatus.STATUS_SUCCEEDED:
                ports.set('path', res.path)
        return action_leaf(ctx, action_type, server, goal, result,
                           result_timeout_s=PLANNER_RESULT_TIMEOUT_S)
    build.__doc__ = f'{action_type.__name__}: {destination} (and optional start) → path.'
    return build


def planner_specs():
    """Return the specs() rows of the planner node types, from PLANNERS."""
    return [
        (type_name, 'action', (
            input_port(port, port_type, description=port_text),
            input_port('start', 'pose_stamped', required=False,
                       description='Start pose; the robot pose when not given.'),
            input_port('planner_id', 'str', required=False, default='',
                       description='Mapped name of the planner plugin.'),
            output_port('path', 'path', required=False, description='Path created.'),
            *error_ports(), *common_ports(server)),
         planner_builder(action_type, server, port, port_type.endswith('_list')),
         description)
        for type_name, action_type, server, (port, port_type, port_text), description
        in PLANNERS]


def build_navigate_to_pose(ctx):
    """NavigateToPose: send a goal to a navigator (ours or Nav2's bt_navigator)."""
    ports = ctx.ports

    def goal():
        return NavigateToPose.Goal(pose=ports.get('goal'),
                                   behavior_tree=ports.get('behavior_tree', ''))
    return action_leaf(ctx, NavigateToPose, 'navigate_to_pose', goal,
                       resend_on_goal_change=True)


def build_follow_path(ctx):
    """FollowPath: re-sends its goal when the path (or controller) changes, as Nav2 does."""
    ports = ctx.ports

    def goal():
        return FollowPath.Goal(path=ports.get('path'),
                               controller_id=ports.get('controller_id', ''),
                               goal_checker_id=ports.get('goal_checker_id', ''),
                               progress_checker_id=ports.get('progress_checker_id', ''))
    return action_leaf(ctx, FollowPath, 'follow_path', goal, resend_on_goal_change=True)


# -- behaviours ---------------------------------------------------------------------
def build_spin(ctx):
    """Spin by ``spin_dist`` radians."""
    ports = ctx.ports
    return action_leaf(ctx, Spin, 'spin', lambda: Spin.Goal(
        target_yaw=float(ports.get('spin_dist')),
        time_allowance=to_duration(ports.get('time_allowance'))), recovery=True)


# BackUp and DriveOnHeading differ only in their action, server, port names and defaults.
STRAIGHT_LINES = (
    # type name, action, server, (distance port, text), (speed port, text), is_recovery default
    ('BackUp', BackUp, 'backup', ('backup_dist', 'Total distance to back up (m).'),
     ('backup_speed', 'Backup speed (m/s).'), True,
     'Back up in a straight line (nav2_msgs/BackUp).'),
    ('DriveOnHeading', DriveOnHeading, 'drive_on_heading',
     ('dist_to_travel', 'Distance to travel (m).'), ('speed', 'Speed (m/s).'), False,
     'Drive on the current heading (nav2_msgs/DriveOnHeading).'),
)


def straight_line_builder(action_type, server, distance_port, speed_port):
    """Return the build function of BackUp or DriveOnHeading: ``distance_port`` m along x."""
    def build(ctx):
        ports = ctx.ports

        def goal():
            message = action_type.Goal(speed=float(ports.get(speed_port)),
                                       time_allowance=to_duration(ports.get('time_allowance')))
            message.target.x = float(ports.get(distance_port))
            return message
        return action_leaf(ctx, action_type, server, goal, recovery=True)
    build.__doc__ = f'{action_type.__name__}: {distance_port} metres at {speed_port}.'
    return build


def straight_line_specs(time_allowance):
    """Return the specs() rows of BackUp and DriveOnHeading, from STRAIGHT_LINES."""
    return [
        (type_name, 'action', (
            input_port(distance, 'float', required=False, default=0.15,
                       description=distance_text),
            input_port(speed, 'float', required=False, default=0.025, description=speed_text),
            time_allowance,
            input_port('is_recovery', 'bool', required=False, default=recovery,
                       description='Count this run in number_recoveries.'),
            *error_ports(), *common_ports(server)),
         straight_line_builder(action_type, server, distance, speed), description)
        for type_name, action_type, server, (distance, distance_text), (speed, speed_text),
        recovery, description in STRAIGHT_LINES]


def build_wait(ctx):
    """Wait ``wait_duration`` seconds (on the server)."""
    ports = ctx.ports
    return action_leaf(ctx, Wait, 'wait', lambda: Wait.Goal(
        time=to_duration(ports.get('wait_duration'))), recovery=True)


# -- services -----------------------------------------------------------------------
def service_leaf(ctx, srv_type, default_service, request_factory=None, on_response=None):
    """Build a :class:`ServiceClientBehaviour` wired to a Nav2 node's ports."""
    wait_s, response_s = server_timeouts(ctx.ports)
    return ServiceClientBehaviour(
        ctx.name, srv_type, ctx.ports.get('service_name', default_service), request_factory,
        on_response=on_response, server_wait_timeout_s=wait_s, response_timeout_s=response_s,
        node_type=ctx.type_name, clock=ctx.clock)


def build_clear_entire_costmap(ctx):
    """Clear a costmap through its ``clear_entirely_*`` service."""
    return service_leaf(ctx, ClearEntireCostmap, 'clear_entirely_global_costmap')


def build_reinitialize_global_localization(ctx):
    """Spread the localizer's particles over the whole map (std_srvs/Empty)."""
    return service_leaf(ctx, Empty, 'reinitialize_global_localization')


def build_is_path_valid(ctx):
    """IsPathValid: ask the planner server whether ``path`` is still free.

    Non-blocking: RUNNING until the answer arrives (Nav2's condition blocks
    the tick for up to server_timeout instead).
    """
    ports = ctx.ports
    return service_leaf(
        ctx, IsPathValid, 'is_path_valid', lambda: IsPathValid.Request(path=ports.get('path')),
        lambda response: Status.SUCCESS if response.is_valid else Status.FAILURE)


def build_cancel_control(ctx):
    """CancelControl: cancel every goal of the controller server (FollowPath).

    Sends action_msgs/CancelGoal with an all-zero goal id and stamp, which
    cancels all goals, to ``<server_name>/_action/cancel_goal``.
    """
    server = ctx.ports.get('server_name', 'follow_path').rstrip('/')
    wait_s, response_s = server_timeouts(ctx.ports)
    return ServiceClientBehaviour(
        ctx.name, CancelGoal, f'{server}/_action/cancel_goal', CancelGoal.Request,
        server_wait_timeout_s=wait_s, response_timeout_s=response_s,
        node_type=ctx.type_name, clock=ctx.clock)


# -- path tools ---------------------------------------------------------------------
class TruncatePath(RosLeaf):
    """Remove the part of ``input_path`` within ``distance`` (along the path) of its end."""

    def __init__(self, ctx):
        super().__init__(ctx.name, node_type=ctx.type_name, clock=ctx.clock)
        self.ports = ctx.ports

    def update(self):
        """Write ``output_path``."""
        try:
            path = self.ports.get('input_path')
        except PortError as exc:
            return self.fail(FailureCode.INVALID_INPUT, str(exc))
        keep = geometry.truncate_end(geometry.xy_of_poses(path.poses),
                                     float(self.ports.get('distance')))
        out = copy.deepcopy(path)
        out.poses = list(path.poses[:keep])
        self.ports.set('output_path', out)
        return Status.SUCCESS


class RemovePassedGoals(RosLeaf):
    """Drop the leading goals the robot is within ``radius`` of (pose from tf in global_frame)."""

    def __init__(self, ctx):
        super().__init__(ctx.name, node_type=ctx.type_name, clock=ctx.clock)
        self.ports = ctx.ports
        self.tf = None

    def connect(self, node):
        """Use the node's tf listener."""
        self.tf = tf_listener(node)

    def update(self):
        """Write ``output_goals``."""
        try:
            goals = list(self.ports.get('input_goals'))
        except PortError as exc:
            return self.fail(FailureCode.INVALID_INPUT, str(exc))
        frame = str(self.ports.get('global_frame'))
        base = str(self.ports.get('robot_base_frame'))
        try:
            robot = self.tf.lookup(frame, base)[:2]
        except FrameError as exc:
            return self.fail(FailureCode.UNKNOWN, f'robot pose unknown: no transform '
                             f'{frame!r} -> {base!r} on tf: {exc}')
        removed = geometry.passed_goals(geometry.xy_of_poses(goals), robot,
                                        float(self.ports.get('radius')))
        self.ports.set('output_goals', goals[removed:])
        return Status.SUCCESS


def specs():
    """Return (type_name, category, ports, build, description) for each node type here."""
    pose = 'pose_stamped'
    recovery = input_port('is_recovery', 'bool', required=False, default=True,
                          description='Count this run in number_recoveries.')
    time_allowance = input_port('time_allowance', 'float', required=False, default=10.0,
                                description='Time to invoke behavior for (s).',
                                range=(0, None))
    return [
        ('NavigateToPose', 'action', (
            input_port('goal', pose, description='Destination.'),
            input_port('behavior_tree', 'str', required=False, default='',
                       description="Navigation tree file; '' = the navigator's default."),
            *error_ports(), *common_ports('navigate_to_pose')),
         build_navigate_to_pose, 'Navigate to a pose (nav2_msgs/NavigateToPose).'),
        *planner_specs(),
        ('FollowPath', 'action', (
            input_port('path', 'path', description='Path to follow.'),
            input_port('controller_id', 'str', required=False, default='',
                       description='Mapped name of the controller plugin.'),
            input_port('goal_checker_id', 'str', required=False, default='',
                       description='Mapped name of the goal checker plugin.'),
            input_port('progress_checker_id', 'str', required=False, default='',
                       description='Mapped name of the progress checker plugin.'),
            *error_ports(), *common_ports('follow_path')),
         build_follow_path, 'Follow a path (nav2_msgs/FollowPath).'),
        ('Spin', 'action', (
            input_port('spin_dist', 'float', required=False, default=1.57,
                       description='Spin distance (rad).'),
            time_allowance, recovery, *error_ports(), *common_ports('spin')),
         build_spin, 'Spin in place (nav2_msgs/Spin).'),
        *straight_line_specs(time_allowance),
        ('Wait', 'action', (
            input_port('wait_duration', 'float', required=False, default=1.0,
                       description='Wait time (s).', range=(0, None)),
            recovery, *error_ports(), *common_ports('wait')),
         build_wait, 'Wait on the behavior server (nav2_msgs/Wait).'),
        ('ClearEntireCostmap', 'action',
         common_ports('clear_entirely_global_costmap', 'service', 'service_name'),
         build_clear_entire_costmap, 'Clear a whole costmap (nav2_msgs/ClearEntireCostmap).'),
        ('ReinitializeGlobalLocalization', 'action',
         common_ports('reinitialize_global_localization', 'service', 'service_name'),
         build_reinitialize_global_localization,
         "Global localization: spread amcl's particles over the map (std_srvs/Empty)."),
        ('IsPathValid', 'condition', (
            input_port('path', 'path', description='Path to check.'),
            *common_ports('is_path_valid', 'service', 'service_name')),
         build_is_path_valid, 'SUCCESS if the path is still valid (nav2_msgs/IsPathValid).'),
        ('CancelControl', 'action', common_ports('follow_path'),
         build_cancel_control, 'Cancel every goal of the controller server.'),
        ('TruncatePath', 'action', (
            input_port('input_path', 'path', description='Path to truncate.'),
            output_port('output_path', 'path', description='Truncated path.'),
            input_port('distance', 'float', required=False, default=1.0,
                       description='Distance to cut from the end (m).')),
         TruncatePath, 'Cut the last metres off a path.'),
        ('RemovePassedGoals', 'action', (
            input_port('input_goals', 'pose_stamped_list', description='Goals.'),
            output_port('output_goals', 'pose_stamped_list', description='Goals left.'),
            input_port('radius', 'float', required=False, default=0.5,
                       description='A goal within this distance counts as passed (m).'),
            input_port('global_frame', 'str', required=False, default='map',
                       description='Frame of the goals; the robot pose is looked up in it.'),
            input_port('robot_base_frame', 'str', required=False, default='base_link',
                       description="The robot's frame on tf.")),
         RemovePassedGoals, 'Drop goals the robot has passed.'),
    ]

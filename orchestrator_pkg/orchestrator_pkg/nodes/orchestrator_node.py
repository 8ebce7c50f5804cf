"""The orchestrator node: runs BT.CPP v4 XML missions, served as an ExecuteMission action.

ROS interface
-------------
Parameters
    ``tick_rate_hz`` (20.0), ``missions_dir`` (''), ``server_wait_timeout_s`` (5.0),
    ``publish_snapshots`` (true), ``heartbeat_rate_hz`` (50.0), ``places_file`` (''),
    and the battery guard's
    ``battery_guard_enabled`` (true), ``battery_low_threshold`` (0.2),
    ``battery_resume_threshold`` (0.8), ``dock_place`` ('dock'),
    ``recharge_mission`` ('recharge'). See config/orchestrator.yaml.
Actions (server)
    ``execute_mission`` (orchestrator_interfaces/ExecuteMission)
Services (server)
    ``~/pause``, ``~/resume`` (std_srvs/Trigger)
Publishers
    ``~/snapshot`` (orchestrator_interfaces/BehaviourTreeSnapshot), after every tick
    ``~/heartbeat`` (std_msgs/Header, stamp = ROS clock) at ``heartbeat_rate_hz``, from the
    same executor as the ticks: base_driver stops the robot when it goes missing
    ``~/status_changes`` (orchestrator_interfaces/BehaviourStatusChanges), every status
    change of a tick (reliable, depth 1000, so a logger loses none)
Subscribers
    ``battery_state`` (sensor_msgs/BatteryState), for the battery guard

One mission runs at a time; a goal that arrives while one runs is rejected.
A mission that does not load or validate is accepted and ends at once with
outcome REJECTED and the reason (a ROS goal rejection cannot carry one).
Ticks happen in a timer on the node's clock, so ``use_sim_time`` applies.
With the battery guard enabled, every mission runs under a
:class:`~orchestrator_pkg.behaviours.controls.battery_guard.BatteryGuard`: a
low battery preempts it, the recharge mission runs, and it resumes.
"""
import os
import re
import sys

from py_trees.common import Status
from rcl_interfaces.msg import FloatingPointRange, ParameterDescriptor, SetParametersResult
import rclpy
from rclpy.action import ActionServer, CancelResponse, GoalResponse
from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.parameter import Parameter
from rclpy.qos import QoSProfile, ReliabilityPolicy
from std_msgs.msg import Header
from std_srvs.srv import Trigger

from orchestrator_interfaces.action import ExecuteMission
from orchestrator_interfaces.msg import BehaviourStatusChanges, BehaviourTreeSnapshot, FailureReason
from orchestrator_pkg.behaviours.controls.battery_guard import (
    RechargeTreeError,
    guard_tree,
    load_recharge_tree,
)
from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.node_main import spin_node
from orchestrator_pkg.nodes.mission_runner import STATUS_CHANGES_QOS, MissionRunner, failure_to_msg
from orchestrator_pkg.ros_edge.clock import RosClock
from orchestrator_pkg.ros_edge.share import missions_dir as default_missions_dir
from orchestrator_pkg.ros_edge.share import outcome_name
from orchestrator_pkg.ros_edge.state import BatteryMonitor
from orchestrator_pkg.trees.blackboard import Blackboard
from orchestrator_pkg.trees.loader import TreeLoadError, load_file, load_string
from orchestrator_pkg.trees.registry import RegistryError

MISSION_NAME = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_\-]*$')
# Keep a finished tree's clients alive this long, so cancel requests sent
# in its last tick reach the servers before the clients are destroyed.
RETIRE_AFTER_S = 2.0


class MissionRejected(Exception):
    """A mission that cannot start; carries the FailureReason code."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


def resolve_mission(goal, missions_dir: str, registry, source_label='inline'):
    """Load the goal's mission; return (TreeDocument, label). Raises MissionRejected."""
    inputs = [kv.key for kv in goal.inputs]
    if bool(goal.mission_name) == bool(goal.tree_xml):
        raise MissionRejected(FailureReason.INVALID_INPUT,
                              'give exactly one of mission_name and tree_xml')
    try:
        if goal.mission_name:
            if not MISSION_NAME.match(goal.mission_name):
                raise MissionRejected(FailureReason.UNKNOWN_MISSION,
                                      f'"{goal.mission_name}" is not a mission name '
                                      '(letters, digits, _ and -)')
            path = os.path.join(missions_dir, goal.mission_name + '.xml')
            if not missions_dir or not os.path.isfile(path):
                known = sorted(f[:-4] for f in os.listdir(missions_dir) if f.endswith('.xml')) \
                    if missions_dir and os.path.isdir(missions_dir) else []
                raise MissionRejected(FailureReason.UNKNOWN_MISSION,
                                      f'no mission "{goal.mission_name}" in '
                                      f'{missions_dir or "(no missions folder)"}; '
                                      f'known: {", ".join(known) or "none"}')
            return load_file(path, registry, inputs=inputs), goal.mission_name
        return load_string(goal.tree_xml, registry, source='<inline>', inputs=inputs), \
            source_label
    except TreeLoadError as exc:
        errors = [str(p) for p in exc.problems if p.severity == 'error'] or \
            [str(p) for p in exc.problems]
        raise MissionRejected(FailureReason.INVALID_TREE, '; '.join(errors[:5])) from None


class OrchestratorNode(Node):
    """Serves ``execute_mission``: loads, validates and ticks one mission at a time."""

    def __init__(self, node_name: str = 'orchestrator', **kwargs):
        super().__init__(node_name, **kwargs)
        self.declare_parameter('tick_rate_hz', 20.0, ParameterDescriptor(
            description='How often the mission tree is ticked, on the ROS clock (Hz).',
            floating_point_range=[FloatingPointRange(from_value=0.1, to_value=1000.0)]))
        self.declare_parameter('missions_dir', '', ParameterDescriptor(
            description="Folder of mission XML files; '' = the installed share/"
                        'orchestrator_pkg/missions.', read_only=True))
        self.declare_parameter('server_wait_timeout_s', 5.0, ParameterDescriptor(
            description='How long ROS leaves wait for their action/service server (s).',
            floating_point_range=[FloatingPointRange(from_value=0.0, to_value=600.0)]))
        self.declare_parameter('publish_snapshots', True, ParameterDescriptor(
            description='Publish a BehaviourTreeSnapshot on ~/snapshot after every tick.'))
        self.declare_parameter('places_file', '', ParameterDescriptor(
            description='Named places for GetPlacePose: a YAML file with a places: mapping, '
                        "or a shipped world's name (e.g. warehouse); read when a mission "
                        'is set up.'))
        self.declare_parameter('heartbeat_rate_hz', 50.0, ParameterDescriptor(
            description='Rate of ~/heartbeat on the ROS clock (Hz); base_driver stops the '
                        'robot when it is missing. 0 = no heartbeat.', read_only=True,
            floating_point_range=[FloatingPointRange(from_value=0.0, to_value=1000.0)]))
        self._declare_battery_parameters()
        self.add_on_set_parameters_callback(self._check_parameters)
        self.missions_dir = self.get_parameter('missions_dir').value or default_missions_dir()
        try:
            self.registry = default_registry()
        except RegistryError as exc:
            self.get_logger().fatal(str(exc))
            raise
        self.clock_adapter = RosClock(self)
        self.runner = None
        self._goal_handle = None
        self._done = None
        self._busy = False
        self._cancel_seen_at_tick = None
        self._retired = []
        self._timer_ticks = 0
        self.battery = BatteryMonitor(self, 'battery_state')
        self._snapshots = self.create_publisher(BehaviourTreeSnapshot, '~/snapshot', 10)
        self._status_changes = self.create_publisher(BehaviourStatusChanges, '~/status_changes',
                                                     STATUS_CHANGES_QOS)
        self._server = ActionServer(
            self, ExecuteMission, 'execute_mission', execute_callback=self._execute,
            goal_callback=self._on_goal, cancel_callback=self._on_cancel)
        heartbeat_hz = self.get_parameter('heartbeat_rate_hz').value
        if heartbeat_hz > 0:  # reliable: any subscriber's QoS matches
            beats = self.create_publisher(Header, '~/heartbeat', QoSProfile(
                depth=1, reliability=ReliabilityPolicy.RELIABLE))
            self.create_timer(1.0 / heartbeat_hz, lambda: beats.publish(
                Header(stamp=self.get_clock().now().to_msg())))
        self.create_service(Trigger, '~/pause', self._on_pause)
        self.create_service(Trigger, '~/resume', self._on_resume)
        self._timer = None
        self._start_timer(self.get_parameter('tick_rate_hz').value)
        self.add_post_set_parameters_callback(self._apply_parameters)
        self.get_logger().info(
            f'orchestrator ready: missions from {self.missions_dir or "(none)"}, '
            f'{len(self.registry.types())} node types, '
            f'{self.get_parameter("tick_rate_hz").value:g} Hz')

    # -- parameters ------------------------------------------------------------
    def _declare_battery_parameters(self):
        fraction = [FloatingPointRange(from_value=0.0, to_value=1.0)]
        self.declare_parameter('battery_guard_enabled', True, ParameterDescriptor(
            description='Run every mission under the battery guard: below '
                        'battery_low_threshold the mission is preempted, the recharge '
                        'mission runs, then the mission resumes.'))
        self.declare_parameter('battery_low_threshold', 0.2, ParameterDescriptor(
            description='State of charge (0..1) below which a mission is preempted to '
                        'recharge.', floating_point_range=fraction))
        self.declare_parameter('battery_resume_threshold', 0.8, ParameterDescriptor(
            description='State of charge (0..1) to charge to before the mission resumes; '
                        'above battery_low_threshold.', floating_point_range=fraction))
        self.declare_parameter('dock_place', 'dock', ParameterDescriptor(
            description='Named place (places_file) of the charging dock.'))
        self.declare_parameter('recharge_mission', 'recharge', ParameterDescriptor(
            description='Mission run to recharge (missions_dir, else the installed '
                        'missions); its inputs are dock_place and resume_threshold.'))

    def _check_battery_thresholds(self, parameters):
        values = {name: self.get_parameter(name).value
                  for name in ('battery_low_threshold', 'battery_resume_threshold')}
        for parameter in parameters:
            if parameter.name in values:
                if parameter.type_ not in (Parameter.Type.DOUBLE, Parameter.Type.INTEGER):
                    return f'{parameter.name} must be a number, got {parameter.value!r}'
                values[parameter.name] = float(parameter.value)
        low, resume = values['battery_low_threshold'], values['battery_resume_threshold']
        if not low < resume:
            return (f'battery_low_threshold ({low:g}) must be below '
                    f'battery_resume_threshold ({resume:g})')
        return None

    def _check_parameters(self, parameters):
        reason = self._check_battery_thresholds(parameters)
        if reason is not None:
            return SetParametersResult(successful=False, reason=reason)
        for parameter in parameters:
            if parameter.name == 'tick_rate_hz':
                if parameter.type_ not in (Parameter.Type.DOUBLE, Parameter.Type.INTEGER) or \
                        not 0.1 <= float(parameter.value) <= 1000.0:
                    return SetParametersResult(
                        successful=False,
                        reason=f'tick_rate_hz must be a number in [0.1, 1000], '
                               f'got {parameter.value!r}')
            if parameter.name == 'server_wait_timeout_s' and \
                    (parameter.type_ not in (Parameter.Type.DOUBLE, Parameter.Type.INTEGER)
                     or not 0.0 <= float(parameter.value) <= 600.0):
                return SetParametersResult(
                    successful=False,
                    reason=f'server_wait_timeout_s must be in [0, 600], got {parameter.value!r}')
        return SetParametersResult(successful=True)

    def _apply_parameters(self, parameters):
        for parameter in parameters:
            if parameter.name == 'tick_rate_hz':
                self._start_timer(float(parameter.value))

    def _start_timer(self, rate_hz: float):
        if self._timer is not None:
            self.destroy_timer(self._timer)
        self.tick_period_s = 1.0 / float(rate_hz)
        self._timer = self.create_timer(self.tick_period_s, self._tick)

    # -- action ------------------------------------------------------------------
    def _on_goal(self, goal):
        if self._busy:
            self.get_logger().warning('execute_mission goal rejected: a mission is running')
            return GoalResponse.REJECT
        self._busy = True
        return GoalResponse.ACCEPT

    def _on_cancel(self, goal_handle):
        if self._cancel_seen_at_tick is None and self.runner is not None:
            self._cancel_seen_at_tick = self._timer_ticks
        return CancelResponse.ACCEPT

    async def _execute(self, goal_handle):
        result = ExecuteMission.Result()
        try:
            runner = self._start(goal_handle.request)
        except MissionRejected as exc:
            self._busy = False
            self.get_logger().warning(f'mission rejected: {exc}')
            result.outcome = ExecuteMission.Result.REJECTED
            result.failure = FailureReason(code=int(exc.code), message=str(exc))
            goal_handle.abort()
            return result
        self.runner = runner
        self._goal_handle = goal_handle
        self._cancel_seen_at_tick = None
        self._done = rclpy.task.Future()
        try:
            outcome, failure = await self._done
        finally:
            self._retire(runner)
            self.runner = None
            self._goal_handle = None
            self._busy = False
        result.outcome = outcome
        result.failure = failure
        result.ticks = runner.ticks
        result.elapsed = Duration(seconds=runner.elapsed()).to_msg()
        if outcome == ExecuteMission.Result.SUCCEEDED:
            goal_handle.succeed()
        elif outcome == ExecuteMission.Result.CANCELED:
            goal_handle.canceled()
        else:
            goal_handle.abort()
        self.get_logger().info(
            f'mission {runner.mission!r} ended {outcome_name(outcome)} after {runner.ticks} ticks'
            + (f': {failure.node_path}: {failure.message}' if failure.code else ''))
        return result

    def _start(self, goal) -> MissionRunner:
        document, label = resolve_mission(goal, self.missions_dir, self.registry)
        blackboard = Blackboard()
        blackboard.set('wait_for_service_timeout',
                       1000.0 * float(self.get_parameter('server_wait_timeout_s').value))
        for kv in goal.inputs:
            blackboard.set(kv.key, kv.value)
        try:
            built = document.build(goal.main_tree or None, clock=self.clock_adapter,
                                   blackboard=blackboard)
        except TreeLoadError as exc:
            raise MissionRejected(FailureReason.INVALID_TREE,
                                  '; '.join(str(p) for p in exc.problems[:5])) from None
        if self.get_parameter('battery_guard_enabled').value:
            built = self._guard(built)
        runner = MissionRunner(built, label, self.clock_adapter)
        try:
            runner.setup(self)
        except Exception as exc:  # a behaviour that cannot connect: reject, do not crash
            runner.shutdown()
            raise MissionRejected(FailureReason.INVALID_TREE,
                                  f'setting up the tree failed: {type(exc).__name__}: '
                                  f'{exc}') from None
        self.get_logger().info(f'mission {label!r} started (tree {built.tree_id})')
        return runner

    def _guard(self, built):
        """Wrap a built mission in the battery guard with the recharge tree."""
        parameter = self.get_parameter
        inputs = {'dock_place': parameter('dock_place').value,
                  'resume_threshold': float(parameter('battery_resume_threshold').value),
                  'wait_for_service_timeout':
                      1000.0 * float(parameter('server_wait_timeout_s').value)}
        try:
            recharge = load_recharge_tree(parameter('recharge_mission').value,
                                          (self.missions_dir, default_missions_dir()),
                                          self.registry, self.clock_adapter, inputs)
        except RechargeTreeError as exc:
            raise MissionRejected(FailureReason.INVALID_TREE, str(exc)) from None
        return guard_tree(built, recharge, self.battery.level,
                          float(parameter('battery_low_threshold').value),
                          on_event=self.get_logger().info)

    def _retire(self, runner):
        self._retired.append((self.clock_adapter.now() + RETIRE_AFTER_S, runner))

    # -- ticking -----------------------------------------------------------------
    def _tick(self):
        self._timer_ticks += 1
        now = self.clock_adapter.now()
        while self._retired and self._retired[0][0] <= now:
            self._retired.pop(0)[1].shutdown()
        runner, handle = self.runner, self._goal_handle
        if runner is None or handle is None or self._done is None or self._done.done():
            return
        if handle.is_cancel_requested:
            runner.halt()
            self._publish_changes(runner)
            seen = self._cancel_seen_at_tick
            ticks = self._timer_ticks - (seen if seen is not None else self._timer_ticks - 1)
            self._finish(ExecuteMission.Result.CANCELED, FailureReason(
                code=FailureReason.CANCELED, node_path=runner.built.tree_id,
                message=f'mission canceled; the tree was halted (child goals canceled) '
                        f'{ticks} tick(s) after the cancel request'))
            return
        if runner.paused:
            return
        status = runner.tick()
        self._publish_changes(runner)
        if self.get_parameter('publish_snapshots').value:
            self._snapshots.publish(runner.snapshot(self.get_clock().now().to_msg()))
        if status == Status.SUCCESS:
            self._finish(ExecuteMission.Result.SUCCEEDED, FailureReason())
        elif status == Status.FAILURE:
            self._finish(ExecuteMission.Result.FAILED, failure_to_msg(runner.failure()))
        else:
            feedback = ExecuteMission.Feedback(
                active_node_path=runner.active_path(), progress=float(runner.progress()),
                status_text=runner.status_text()[:500],
                elapsed=Duration(seconds=runner.elapsed()).to_msg())
            handle.publish_feedback(feedback)

    def _publish_changes(self, runner):
        changes = runner.take_changes(self.get_clock().now().to_msg())
        if changes is not None:
            self._status_changes.publish(changes)

    def _finish(self, outcome, failure):
        if not self._done.done():
            self._done.set_result((outcome, failure))

    # -- pause / resume ----------------------------------------------------------
    def _on_pause(self, request, response):
        if self.runner is None:
            response.success, response.message = False, 'no mission is running'
        elif self.runner.paused:
            response.success, response.message = False, 'the mission is already paused'
        else:
            halted = self.runner.pause()
            self._publish_changes(self.runner)
            response.success = True
            response.message = f'paused at tick {self.runner.ticks}; halted {halted} leaves'
            self.get_logger().info(response.message)
        return response

    def _on_resume(self, request, response):
        if self.runner is None:
            response.success, response.message = False, 'no mission is running'
        elif not self.runner.paused:
            response.success, response.message = False, 'the mission is not paused'
        else:
            self.runner.resume()
            response.success = True
            response.message = f'resumed at tick {self.runner.ticks}'
            self.get_logger().info(response.message)
        return response

    def destroy_node(self):
        """Halt a running mission (cancelling its goals) before going away."""
        if self.runner is not None:
            self.runner.halt()
        return super().destroy_node()


def main(args=None):
    """Run the orchestrator node."""
    return spin_node(OrchestratorNode, args)


if __name__ == '__main__':
    sys.exit(main())

"""The orchestrator node: runs BT.CPP v4 XML missions, served as an ExecuteMission action.

ROS interface
-------------
Parameters
    ``missions_dir``, ``places_file``, ``heartbeat_rate_hz``, ``localization`` (read by
    IsLocalized / WaitUntilLocalized) and the battery guard's (:data:`SPECS`,
    config/orchestrator.yaml), and the tree host's.
Actions (server)
    ``execute_mission`` (orchestrator_interfaces/ExecuteMission)
Services, publishers
    the tree host's: ``~/pause``, ``~/resume``, ``~/snapshot``, ``~/status_changes``
Publishers
    ``~/heartbeat`` (std_msgs/Header, stamp = ROS clock) at ``heartbeat_rate_hz``, from the
    same executor as the ticks: base_driver stops the robot when it goes missing
Subscribers
    ``battery_state`` (sensor_msgs/BatteryState), for the battery guard

The tree host (:mod:`orchestrator_pkg.nodes.tree_host`) serves the action
and ticks the mission on the ROS clock; this node adds finding the mission,
the battery guard and the heartbeat. One mission runs at a time; a goal that
arrives while one runs is rejected. A mission that does not load or validate
is accepted and ends at once with outcome REJECTED and the reason (a ROS goal
rejection cannot carry one). With the battery guard enabled, every mission
runs under a
:class:`~orchestrator_pkg.behaviours.controls.battery_guard.BatteryGuard`: a
low battery preempts it, the recharge mission runs, and it resumes.
"""
import os
import re
import sys

from rclpy.duration import Duration
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from std_msgs.msg import Header

from orchestrator_interfaces.action import ExecuteMission
from orchestrator_interfaces.msg import FailureReason
from orchestrator_pkg.behaviours.controls.battery_guard import (
    RechargeTreeError,
    guard_tree,
    load_recharge_tree,
)
from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.nodes.tree_host import (
    CANCELED,
    FAILED,
    REJECTED,
    Ending,
    GoalRejected,
    TreeAction,
    TreeHost,
    failure_msg,
)
from orchestrator_pkg.ros_edge import params
from orchestrator_pkg.ros_edge.main import run_node
from orchestrator_pkg.ros_edge.params import Spec
from orchestrator_pkg.ros_edge.qos_events import QuietEvents
from orchestrator_pkg.ros_edge.share import missions_dir as default_missions_dir
from orchestrator_pkg.ros_edge.state import BatteryMonitor
from orchestrator_pkg.trees.blackboard import Blackboard
from orchestrator_pkg.trees.loader import TreeLoadError, load_file_cached, load_string
from orchestrator_pkg.trees.registry import RegistryError
from orchestrator_pkg.trees.runner import MissionRunner

MISSION_NAME = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_\-]*$')
SPECS = {
    'missions_dir': Spec('', "Folder of mission XML files; '' = the installed share/"
                         'orchestrator_pkg/missions.', read_only=True),
    'places_file': Spec('', 'Named places for GetPlacePose: a YAML file with a places: '
                        "mapping, or a shipped world's name (e.g. warehouse); read when a "
                        'mission is set up.'),
    'heartbeat_rate_hz': Spec(50.0, 'Rate of ~/heartbeat on the ROS clock (Hz); base_driver '
                              'stops the robot when it is missing. 0 = no heartbeat.',
                              0.0, 1000.0, read_only=True),
    'battery_guard_enabled': Spec(True, 'Run every mission under the battery guard: below '
                                  'battery_low_threshold the mission is preempted, the '
                                  'recharge mission runs, then the mission resumes.'),
    'battery_low_threshold': Spec(0.2, 'State of charge (0..1) below which a mission is '
                                  'preempted to recharge.', 0.0, 1.0),
    'battery_resume_threshold': Spec(0.8, 'State of charge (0..1) to charge to before the '
                                     'mission resumes; above battery_low_threshold.', 0.0, 1.0),
    'dock_place': Spec('dock', 'Named place (places_file) of the charging dock.'),
    'recharge_mission': Spec('recharge', 'Mission run to recharge (missions_dir, else the '
                             'installed missions); its inputs are dock_place and '
                             'resume_threshold.'),
    'localization': Spec('amcl', "Where the run's map -> odom comes from: 'amcl' (IsLocalized "
                         "and WaitUntilLocalized check amcl_pose and amcl/scan_match) or "
                         "'truth' (the sim's ground truth, no localizer: they succeed at "
                         'once). The bringup passes its --localization.', read_only=True),
}
LOCALIZATION_MODES = ('amcl', 'truth')


def _check_parameters(values: dict):
    low, resume = values['battery_low_threshold'], values['battery_resume_threshold']
    if not low < resume:
        return (f'battery_low_threshold ({low:g}) must be below '
                f'battery_resume_threshold ({resume:g})')
    if values['localization'] not in LOCALIZATION_MODES:
        return (f'localization {values["localization"]!r} is not one of '
                f'{", ".join(LOCALIZATION_MODES)}')
    return None




def resolve_mission(goal, missions_dir: str, registry, source_label='inline'):
    """Load the goal's mission; return (TreeDocument, label). Raises GoalRejected."""
    inputs = {kv.key: kv.value for kv in goal.inputs}
    if bool(goal.mission_name) == bool(goal.tree_xml):
        raise GoalRejected(FailureReason.INVALID_INPUT,
                           'give exactly one of mission_name and tree_xml')
    try:
        if goal.mission_name:
            if not MISSION_NAME.match(goal.mission_name):
                raise GoalRejected(FailureReason.UNKNOWN_MISSION,
                                   f'"{goal.mission_name}" is not a mission name '
                                   '(letters, digits, _ and -)')
            path = os.path.join(missions_dir, goal.mission_name + '.xml')
            if not missions_dir or not os.path.isfile(path):
                known = sorted(f[:-4] for f in os.listdir(missions_dir) if f.endswith('.xml')) \
                    if missions_dir and os.path.isdir(missions_dir) else []
                raise GoalRejected(FailureReason.UNKNOWN_MISSION,
                                   f'no mission "{goal.mission_name}" in '
                                   f'{missions_dir or "(no missions folder)"}; '
                                   f'known: {", ".join(known) or "none"}')
            return load_file_cached(path, registry, inputs=inputs), goal.mission_name
        return load_string(goal.tree_xml, registry, source='<inline>', inputs=inputs), \
            source_label
    except TreeLoadError as exc:
        errors = [str(p) for p in exc.problems if p.severity == 'error'] or \
            [str(p) for p in exc.problems]
        raise GoalRejected(FailureReason.INVALID_TREE, '; '.join(errors[:5])) from None


class OrchestratorNode(QuietEvents, Node):
    """Serves ``execute_mission``: loads, validates and ticks one mission at a time."""

    def __init__(self, node_name: str = 'orchestrator', **kwargs):
        super().__init__(node_name, **kwargs)
        params.declare(self, SPECS, _check_parameters)
        # the installed missions/ (the recharge tree's fallback), looked up once, not per goal
        self.installed_missions_dir = default_missions_dir()
        self.missions_dir = self.get_parameter('missions_dir').value or \
            self.installed_missions_dir
        try:
            self.registry = default_registry()
        except RegistryError as exc:
            self.get_logger().fatal(str(exc))
            raise
        self.battery = BatteryMonitor(self, 'battery_state')
        self.host = TreeHost(self, 'mission')
        self.host.serve(TreeAction(ExecuteMission, 'execute_mission', on_goal=self._start,
                                   on_loop=self._feedback, on_completion=self._result))
        heartbeat_hz = self.get_parameter('heartbeat_rate_hz').value
        if heartbeat_hz > 0:  # reliable: any subscriber's QoS matches
            beats = self.create_publisher(Header, '~/heartbeat', QoSProfile(
                depth=1, reliability=ReliabilityPolicy.RELIABLE))

            def beat():
                beats.publish(Header(stamp=self.get_clock().now().to_msg()))
            # while a mission ticks at least as often, its ticks beat instead of this timer
            self.host.carry_heartbeat(self.create_timer(1.0 / heartbeat_hz, beat), beat,
                                      heartbeat_hz)
        self.get_logger().info(
            f'orchestrator ready: missions from {self.missions_dir or "(none)"}, '
            f'{len(self.registry.types())} node types, '
            f'{self.get_parameter("tick_rate_hz").value:g} Hz')

    # -- the tree host's hooks -----------------------------------------------------
    def _start(self, goal) -> MissionRunner:
        document, label = resolve_mission(goal, self.missions_dir, self.registry)
        blackboard = Blackboard()
        for kv in goal.inputs:
            blackboard.set(kv.key, kv.value)
        try:
            built = document.build(goal.main_tree or None, clock=self.host.clock,
                                   blackboard=blackboard)
        except TreeLoadError as exc:
            raise GoalRejected(FailureReason.INVALID_TREE,
                               '; '.join(str(p) for p in exc.problems[:5])) from None
        if self.get_parameter('battery_guard_enabled').value:
            built = self._guard(built)
        runner = MissionRunner(built, label, self.host.clock)
        try:
            runner.setup(node=self)
        except Exception as exc:  # a behaviour that cannot connect: reject, do not crash
            runner.shutdown()
            raise GoalRejected(FailureReason.INVALID_TREE,
                               f'setting up the tree failed: {type(exc).__name__}: '
                               f'{exc}') from None
        self.host.log_later(f'mission {label!r} started (tree {built.tree_id})')
        return runner

    def _guard(self, built):
        """Wrap a built mission in the battery guard with the recharge tree."""
        parameter = self.get_parameter
        inputs = {'dock_place': parameter('dock_place').value,
                  'resume_threshold': float(parameter('battery_resume_threshold').value)}
        try:
            recharge = load_recharge_tree(parameter('recharge_mission').value,
                                          (self.missions_dir, self.installed_missions_dir),
                                          self.registry, self.host.clock, inputs)
        except RechargeTreeError as exc:
            raise GoalRejected(FailureReason.INVALID_TREE, str(exc)) from None
        return guard_tree(built, recharge, self.battery.level,
                          float(parameter('battery_low_threshold').value),
                          on_event=self.get_logger().warning)

    def _feedback(self, runner: MissionRunner) -> ExecuteMission.Feedback:
        return ExecuteMission.Feedback(
            active_node_path=runner.active_path(), progress=float(runner.progress()),
            status_text=runner.status_text()[:500],
            elapsed=Duration(seconds=runner.elapsed()).to_msg())

    def _result(self, ending: Ending) -> ExecuteMission.Result:
        result = ExecuteMission.Result(outcome=getattr(ExecuteMission.Result, ending.state))
        if ending.state == REJECTED:
            self.get_logger().warning(f'mission rejected: {ending.message}')
            result.failure = FailureReason(code=int(ending.code), message=ending.message)
            return result
        runner = ending.runner
        if ending.state == FAILED:
            result.failure = failure_msg(runner.failure())
        elif ending.state == CANCELED:
            result.failure = FailureReason(
                code=FailureReason.CANCELED, node_path=runner.built.tree_id,
                message=f'mission canceled; the tree was halted (child goals canceled) at '
                        f'the cancel request, the goal ended {ending.cancel_ticks} tick(s) later')
        result.ticks = runner.ticks
        result.elapsed = Duration(seconds=runner.elapsed()).to_msg()
        failure = result.failure
        self.host.log_later(
            f'mission {runner.mission!r} ended {ending.state} after {runner.ticks} ticks'
            + (f': {failure.node_path}: {failure.message}' if failure.code else ''))
        return result

    def stop_node(self):
        """Halt a running mission (cancelling its goals): the process is going away."""
        self.host.halt()

    def destroy_node(self):
        """Halt a running mission (cancelling its goals) before going away."""
        self.stop_node()
        return super().destroy_node()


def main(args=None):
    """Run the orchestrator node; bad parameters are reported in one line, exit code 1."""
    return run_node(OrchestratorNode, args, exit_process=True)


if __name__ == '__main__':
    sys.exit(main())

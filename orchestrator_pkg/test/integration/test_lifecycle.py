"""Real processes: managed navigation servers and lifecycle_manager_navigation.

One rig for the module: behavior_server and planner_server started with
``autostart:=false`` (as the bringup starts them), a kinematic robot fixture,
and the manager managing both. The cases run in order: a bad transition is
refused, goals are refused while inactive, STARTUP brings both up, PAUSE and
RESUME follow, and a SIGKILLed node makes the manager engage the e-stop and
report it.
"""
import os
import signal
import time

from builtin_interfaces.msg import Duration
from diagnostic_msgs.msg import DiagnosticStatus
from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState, GetState
from nav2_msgs.action import Spin
from nav2_msgs.srv import ManageLifecycleNodes
from nav_helpers import ROBOT, TIMEOUT_S, node_cmd, spin_until, wait_future
from py_trees.common import Status
import pytest
import rclpy
from rclpy.action import ActionClient
from std_msgs.msg import Bool
from std_srvs.srv import Trigger

from orchestrator_pkg.behaviours.ros.action_client import ActionClientBehaviour
from orchestrator_pkg.ros_edge import qos
from orchestrator_pkg.ros_edge.lifecycle import navigation_stack
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.testing.processes import ManagedProcess
from orchestrator_pkg.testing.ros_domain import claim_domain
from orchestrator_pkg.trees.failure import FailureCode

MANAGER = 'lifecycle_manager_navigation'
ASK_AGAIN_S = 5.0
_PROCESSES = {}  # the rig's processes, for the logs of a failed call
NODES = ('planner_server', 'behavior_server')


@pytest.fixture(scope='module')
def rig():
    with claim_domain() as claim:
        yield from _rig(claim)


def _rig(ros_domain):
    env = ros_domain.env()
    robot = ManagedProcess.python(ROBOT, '--start=0,0,0', env=env)
    planner = ManagedProcess(node_cmd('planner_server', 'autostart:=false'), env=env)
    behavior = ManagedProcess(node_cmd('behavior_server', 'use_sim_time:=true',
                                       'autostart:=false'), env=env)
    manager = ManagedProcess(node_cmd(
        'lifecycle_manager', 'node_names:=[planner_server,behavior_server]',
        'autostart:=false', 'bond_timeout:=8.0', 'attempt_respawn_reconnection:=false'),
        env=env)
    with robot, planner, behavior, manager:
        _PROCESSES.update(planner=planner, behavior=behavior, manager=manager)
        assert robot.wait_for_output('fixture ready', TIMEOUT_S), robot.output()
        assert manager.wait_for_output(f'{MANAGER} ready', TIMEOUT_S), manager.output()
        rclpy.init(domain_id=ros_domain.domain_id)
        node = rclpy.create_node('lifecycle_test_client')
        seen = {'estop': [], 'state': None}
        node.create_subscription(Bool, 'e_stop', lambda m: seen['estop'].append(m.data),
                                 qos.LATCHED_QOS)
        node.create_subscription(DiagnosticStatus, f'{MANAGER}/state',
                                 lambda m: seen.update(state=m), qos.LATCHED_QOS)
        try:
            yield {'node': node, 'seen': seen, 'behavior': behavior, 'manager': manager,
                   'planner': planner}
        finally:
            destroy_node_and_waitables(node)
            rclpy.try_shutdown()


def _call(node, srv_type, name, request):
    """One service call; an idempotent request is sent again every ASK_AGAIN_S unanswered.

    A client made just now can lose its first answer: the server's reply writer
    may not have discovered the new client's reader yet (slow discovery under
    load). get_state, is_active and the manager's commands are safe to send
    again (a command skips what is done); change_state is sent once. The
    answer has to come within TIMEOUT_S either way.
    """
    again = ASK_AGAIN_S if srv_type is not ChangeState else TIMEOUT_S
    client = node.create_client(srv_type, name)
    try:
        assert client.wait_for_service(timeout_sec=TIMEOUT_S), f'{name} not served'
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            future = client.call_async(request)
            if spin_until(node, future.done, min(again, deadline - time.monotonic())):
                return future.result()
            client.remove_pending_request(future)
        logs = '\n'.join(f'--- {key}:\n{process.output()[-3000:]}'
                         for key, process in _PROCESSES.items())
        raise AssertionError(f'no answer from {name} within {TIMEOUT_S} s\n{logs}')
    finally:
        node.destroy_client(client)


def _state(node, name):
    return _call(node, GetState, f'{name}/get_state', GetState.Request()).current_state.label


def _spin_goal(node):
    """Send a short Spin; return whether it was accepted."""
    client = ActionClient(node, Spin, 'spin')
    try:
        assert client.wait_for_server(timeout_sec=TIMEOUT_S)
        goal = Spin.Goal(target_yaw=0.5, time_allowance=Duration(sec=10))
        handle = wait_future(node, client.send_goal_async(goal), TIMEOUT_S, 'goal response')
        if handle.accepted:
            wait_future(node, handle.get_result_async(), TIMEOUT_S, 'spin result')
        return handle.accepted
    finally:
        client.destroy()


def test_activate_before_configure_is_refused(rig):
    node = rig['node']
    assert _state(node, 'behavior_server') == 'unconfigured'
    request = ChangeState.Request()
    request.transition.id = Transition.TRANSITION_ACTIVATE
    assert not _call(node, ChangeState, 'behavior_server/change_state', request).success
    assert rig['behavior'].wait_for_output("transition 'activate' refused", TIMEOUT_S)
    assert 'valid transitions from here: configure, shutdown' in rig['behavior'].output()
    assert rig['behavior'].poll() is None, 'the node must survive a bad request'
    assert _state(node, 'behavior_server') == 'unconfigured'


def test_inactive_node_refuses_goals_and_startup_activates(rig):
    node = rig['node']
    is_active = _call(node, Trigger, f'{MANAGER}/is_active', Trigger.Request())
    assert not is_active.success
    request = ChangeState.Request()
    request.transition.id = Transition.TRANSITION_CONFIGURE
    assert _call(node, ChangeState, 'behavior_server/change_state', request).success
    assert _state(node, 'behavior_server') == 'inactive'
    assert not _spin_goal(node), 'an inactive behavior_server must refuse goals'
    assert rig['behavior'].wait_for_output('Spin goal rejected: behavior_server is inactive',
                                           TIMEOUT_S)
    startup = ManageLifecycleNodes.Request(command=ManageLifecycleNodes.Request.STARTUP)
    assert _call(node, ManageLifecycleNodes, f'{MANAGER}/manage_nodes', startup).success
    assert [_state(node, name) for name in NODES] == ['active', 'active']
    assert _call(node, Trigger, f'{MANAGER}/is_active', Trigger.Request()).success
    assert _spin_goal(node)
    # STARTUP again skips what is done
    assert _call(node, ManageLifecycleNodes, f'{MANAGER}/manage_nodes', startup).success


def test_pause_and_resume(rig):
    node = rig['node']
    pause = ManageLifecycleNodes.Request(command=ManageLifecycleNodes.Request.PAUSE)
    assert _call(node, ManageLifecycleNodes, f'{MANAGER}/manage_nodes', pause).success
    assert [_state(node, name) for name in NODES] == ['inactive', 'inactive']
    assert not _call(node, Trigger, f'{MANAGER}/is_active', Trigger.Request()).success
    assert not _spin_goal(node)
    resume = ManageLifecycleNodes.Request(command=ManageLifecycleNodes.Request.RESUME)
    assert _call(node, ManageLifecycleNodes, f'{MANAGER}/manage_nodes', resume).success
    assert [_state(node, name) for name in NODES] == ['active', 'active']
    assert _spin_goal(node)


def test_a_navigation_leaf_sends_no_goal_while_the_stack_is_down(rig):
    """A paused stack's servers are there but refuse goals: the Nav2 leaves wait instead.

    The same holds while the manager brings a respawned node back (an inactive
    server would refuse the goal and fail the mission for nothing).
    """
    node, seen, behavior = rig['node'], rig['seen'], rig['behavior']

    def spin_leaf(name, wait_for_stack):
        leaf = ActionClientBehaviour(
            name, Spin, 'spin',
            lambda: Spin.Goal(target_yaw=0.5, time_allowance=Duration(sec=10)),
            server_wait_timeout_s=TIMEOUT_S, wait_for_stack=wait_for_stack)
        leaf.setup(node=node)
        return leaf

    pause = ManageLifecycleNodes.Request(command=ManageLifecycleNodes.Request.PAUSE)
    assert _call(node, ManageLifecycleNodes, f'{MANAGER}/manage_nodes', pause).success
    assert spin_until(node, lambda: seen['state'].level != DiagnosticStatus.OK, TIMEOUT_S)
    rejected = behavior.output().count('Spin goal rejected')
    plain, gated = spin_leaf('Plain', False), spin_leaf('Gated', True)
    try:
        # the leaves' shared watch of the manager's latched state (a new subscription
        # needs discovery first; in a tree it is made at setup, long before)
        assert spin_until(node, lambda: navigation_stack(node).message is not None, TIMEOUT_S)
        assert _tick_until(node, (plain, gated), lambda: plain.status == Status.FAILURE,
                           TIMEOUT_S), plain.feedback_message
        assert plain.failure.code == FailureCode.GOAL_REJECTED, plain.failure
        _tick_until(node, (plain, gated), lambda: False, 1.0)
        assert gated.status == Status.RUNNING, gated.feedback_message
        assert gated.feedback_message == 'waiting for the navigation stack: inactive'
        assert behavior.wait_for_output('Spin goal rejected', TIMEOUT_S)
        assert behavior.output().count('Spin goal rejected') == rejected + 1  # plain's only
        resume = ManageLifecycleNodes.Request(command=ManageLifecycleNodes.Request.RESUME)
        assert _call(node, ManageLifecycleNodes, f'{MANAGER}/manage_nodes', resume).success
        assert _tick_until(node, (gated,), lambda: gated.status != Status.RUNNING, TIMEOUT_S)
        assert gated.status == Status.SUCCESS, gated.feedback_message
    finally:
        plain.shutdown()
        gated.shutdown()


def _tick_until(node, leaves, predicate, timeout_s):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.02)
        for leaf in leaves:
            if leaf.status in (Status.RUNNING, Status.INVALID):
                leaf.tick_once()
        if predicate():
            return True
    return predicate()


def test_a_killed_node_engages_the_estop_and_is_reported(rig):
    node, seen = rig['node'], rig['seen']
    assert spin_until(node, lambda: seen['state'] is not None and seen['state'].message ==
                      'active', 5.0), seen['state']
    assert True not in seen['estop'], rig['manager'].output()  # no false alarm so far
    killed_at = time.monotonic()
    os.kill(rig['planner'].pid, signal.SIGKILL)
    assert spin_until(node, lambda: True in seen['estop'], 30.0), rig['manager'].output()
    latency = time.monotonic() - killed_at
    assert latency < 8.0 + 3.0, latency  # bond_timeout + two watch rounds at most
    assert spin_until(node, lambda: 'planner_server died' in seen['state'].message, 5.0)
    assert 'managed node planner_server died' in rig['manager'].output()
    assert not _call(node, Trigger, f'{MANAGER}/is_active', Trigger.Request()).success

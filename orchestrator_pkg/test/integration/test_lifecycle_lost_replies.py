"""lifecycle_manager_navigation and StackActive get over replies that never come.

Fast DDS drops a service reply when the server has not yet matched a new
client's reply reader ("client will not receive response"); a client that
waits for that reply waits forever. Here a node in the test process plays a
managed node that loses replies on purpose: the first get_state and the first
is-it-done answer of each transition are never sent (the transition itself
is made). The real manager (its own process) must still bring it up, and
StackActive must still see the manager say yes.
"""
import re
import threading
import time

from lifecycle_msgs.msg import State, Transition
from lifecycle_msgs.srv import ChangeState, GetState
from nav_helpers import TIMEOUT_S, node_cmd
import pytest
import rclpy
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.executors import MultiThreadedExecutor
from rclpy.task import Future
from std_srvs.srv import Trigger

from orchestrator_pkg.ros_edge.lifecycle import ASK_AGAIN_S, MANAGER, StackActive
from orchestrator_pkg.testing.processes import ManagedProcess

NAME = 'lossy_node'
_NEXT = {Transition.TRANSITION_CONFIGURE: (State.PRIMARY_STATE_INACTIVE, 'inactive'),
         Transition.TRANSITION_ACTIVATE: (State.PRIMARY_STATE_ACTIVE, 'active')}


class _LossyManagedNode:
    """get_state and change_state servers that leave the first request of each kind unanswered."""

    def __init__(self, node):
        group = ReentrantCallbackGroup()
        self.state = (State.PRIMARY_STATE_UNCONFIGURED, 'unconfigured')
        self.unanswered = {'get_state': 0, 'change_state': 0}
        self._never = Future()  # never done: awaiting it keeps a reply from being sent
        node.create_service(GetState, f'{NAME}/get_state', self._get_state,
                            callback_group=group)
        node.create_service(ChangeState, f'{NAME}/change_state', self._change_state,
                            callback_group=group)

    async def _get_state(self, request, response):
        if self.unanswered['get_state'] == 0:
            self.unanswered['get_state'] += 1
            await self._never
        response.current_state = State(id=self.state[0], label=self.state[1])
        return response

    async def _change_state(self, request, response):
        self.state = _NEXT[request.transition.id]
        self.unanswered['change_state'] += 1
        await self._never  # the transition is made, the reply is lost
        return response


class _Rig:
    """Nodes of this test process, in a context of their own, spun on two threads."""

    def __init__(self, domain_id: int):
        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=domain_id)
        self.executor = MultiThreadedExecutor(num_threads=2, context=self.context)

    def node(self, name: str):
        """Return a new node of the rig (spin it once its entities are made)."""
        return rclpy.create_node(name, context=self.context)

    def spin(self, node) -> None:
        """Spin ``node`` in a thread until the test ends."""
        self.executor.add_node(node)
        threading.Thread(target=self.executor.spin, daemon=True).start()

    def close(self) -> None:
        self.executor.shutdown()
        rclpy.try_shutdown(context=self.context)


@pytest.fixture
def rig(ros_domain):
    rig = _Rig(ros_domain.domain_id)
    try:
        yield rig
    finally:
        rig.close()


def test_startup_and_is_active_get_over_lost_replies(ros_domain, rig):
    manager = ManagedProcess(node_cmd(
        'lifecycle_manager', f'node_names:=[{NAME}]', 'autostart:=true',
        'transition_timeout_s:=20.0'), env=ros_domain.env())
    node = rig.node('lossy_rig')
    lossy = _LossyManagedNode(node)
    rig.spin(node)
    with manager:
        active = StackActive(node)
        deadline = time.monotonic() + TIMEOUT_S
        while not active.poll() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert active.active, f'{active.message}\n{manager.output()}'
        assert lossy.state[1] == 'active'
        assert lossy.unanswered == {'get_state': 1, 'change_state': 2}, lossy.unanswered
        assert 'STARTUP done' in manager.output(), manager.output()


def test_stack_active_asks_again_when_a_reply_is_lost(rig):
    asked = []
    never = Future()

    async def is_active(request, response):
        asked.append(time.monotonic())
        if len(asked) == 1:
            await never  # the first reply is lost
        response.success, response.message = True, 'active'
        return response
    node = rig.node('stack_active_rig')
    node.create_service(Trigger, f'/robot9/{MANAGER}/is_active', is_active,
                        callback_group=ReentrantCallbackGroup())
    rig.spin(node)
    active = StackActive(node, 'robot9')
    deadline = time.monotonic() + TIMEOUT_S
    while not active.poll() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert active.active and active.message == 'active'
    assert len(asked) == 2
    assert asked[1] - asked[0] >= ASK_AGAIN_S - 0.1  # asked again, not flooded


def test_a_node_that_never_answers_fails_startup_with_what_was_asked(ros_domain, rig):
    asked = []
    never = Future()

    async def get_state(request, response):
        asked.append(time.monotonic())
        await never  # matched, and silent
        return response
    manager = ManagedProcess(node_cmd(
        'lifecycle_manager', 'node_names:=[mute_node]', 'autostart:=true',
        'transition_timeout_s:=3.0'), env=ros_domain.env())
    node = rig.node('mute_rig')
    node.create_service(GetState, 'mute_node/get_state', get_state,
                        callback_group=ReentrantCallbackGroup())
    rig.spin(node)
    with manager:
        failed = 'STARTUP: mute_node did not reach the next state'
        assert manager.wait_for_output(failed, TIMEOUT_S), manager.output()
        line = next(x for x in manager.output().splitlines() if failed in x)
        # the failure says what the manager tried: how often it asked, for how long
        assert f'(it is unknown: no answer to {len(asked)} get_state requests in ' in line, \
            (line, len(asked))
        waited = float(re.search(r'requests in ([0-9.]+) s', line).group(1))
        assert len(asked) >= 2 and waited >= 3.0, line

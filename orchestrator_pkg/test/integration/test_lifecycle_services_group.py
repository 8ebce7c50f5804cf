"""A managed node answers get_state while a long callback of its default group runs.

In process: a ManagedNode whose timer blocks for a while (a slow costmap
update, say) spins on a two-thread executor; a client asks get_state during
the block. Before the lifecycle services had their own callback group, the
answer waited for the timer to end.
"""
import threading
import time

from lifecycle_msgs.srv import GetState
import rclpy
from rclpy.executors import MultiThreadedExecutor

from orchestrator_pkg.ros_edge.lifecycle import ManagedNode

BLOCK_S = 4.0


class _SlowNode(ManagedNode):
    def __init__(self, context):
        super().__init__('slow_managed_node', context=context)
        self.blocking = threading.Event()
        self.create_timer(0.05, self._slow)

    def _slow(self):
        if self.blocking.is_set():
            return
        self.blocking.set()
        time.sleep(BLOCK_S)  # on purpose: a callback that holds the default group


def test_get_state_is_answered_during_a_long_default_group_callback(ros_domain):
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=ros_domain.domain_id)
    executor = MultiThreadedExecutor(num_threads=2, context=context)
    try:
        slow = _SlowNode(context)
        client_node = rclpy.create_node('get_state_asker', context=context)
        executor.add_node(slow)
        executor.add_node(client_node)
        spinner = threading.Thread(target=executor.spin, daemon=True)
        spinner.start()
        client = client_node.create_client(GetState, 'slow_managed_node/get_state')
        assert client.wait_for_service(timeout_sec=10.0)
        assert slow.blocking.wait(10.0), 'the slow timer never ran'
        asked_at = time.monotonic()
        future = client.call_async(GetState.Request())
        deadline = asked_at + BLOCK_S - 1.0
        while not future.done() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert future.done(), f'get_state waited for the default group ({BLOCK_S} s block)'
        assert future.result().current_state.label == 'unconfigured'
    finally:
        executor.shutdown()
        rclpy.try_shutdown(context=context)

"""NodeExecutor's kept waits (ros_edge.lean_wait): what rclpy's executor does, with fewer waits."""
import threading
import time

import pytest
import rclpy
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup, ReentrantCallbackGroup
from std_msgs.msg import Int32
from std_srvs.srv import Trigger

from orchestrator_pkg.ros_edge.main import NodeExecutor


@pytest.fixture
def node(ros_domain):
    rclpy.init(domain_id=ros_domain.domain_id)
    node = rclpy.create_node('lean_wait_test')
    yield node
    node.destroy_node()
    rclpy.shutdown()


def _spin_until(executor, predicate, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        executor.spin_once(timeout_sec=0.05)
    return predicate()


def _count_waits(executor):
    waits = []
    wait_once = executor._wait_once

    def counted(*args):
        waits.append(1)
        return wait_once(*args)
    executor._wait_once = counted
    return waits


def test_a_subscription_made_in_a_callback_receives_and_a_destroyed_one_does_not(node):
    executor = NodeExecutor()
    executor.add_node(node)
    pub = node.create_publisher(Int32, 'lean_topic', 10)
    got, subs = [], []

    def make_subscription():
        # in the spinning thread, after the executor has waited on the node's entities
        if not subs:
            subs.append(node.create_subscription(Int32, 'lean_topic', got.append, 10))
    timer = node.create_timer(0.02, make_subscription)
    assert _spin_until(executor, lambda: bool(subs))
    timer.cancel()  # not destroyed: a destroyed handle alone would make the executor look again
    assert _spin_until(executor, lambda: pub.get_subscription_count() == 1)
    pub.publish(Int32(data=1))
    assert _spin_until(executor, lambda: [m.data for m in got] == [1])

    node.destroy_subscription(subs[0])
    pub.publish(Int32(data=2))
    for _ in range(20):
        executor.spin_once(timeout_sec=0.02)
    assert [m.data for m in got] == [1]
    executor.shutdown()


def test_a_callback_costs_one_wait_not_two(node):
    # rclpy's own executor triggers its guard condition after each callback, so the next
    # wait returns at once with nothing to do and is made again; the kept waits are not
    executor = NodeExecutor()
    executor.add_node(node)
    pub = node.create_publisher(Int32, 'lean_count', 10)
    got = []
    node.create_subscription(Int32, 'lean_count', got.append, 10)
    assert _spin_until(executor, lambda: pub.get_subscription_count() == 1)
    waits = _count_waits(executor)
    idle_waits = []
    for k in range(10):
        pub.publish(Int32(data=k))
        assert _spin_until(executor, lambda n=k + 1: len(got) == n)
        before = len(waits)
        executor.spin_once(timeout_sec=0.05)  # nothing arrives: one wait, to its timeout
        idle_waits.append(len(waits) - before)
    assert [m.data for m in got] == list(range(10))
    assert idle_waits == [1] * 10
    executor.shutdown()


def test_a_task_from_another_thread_wakes_a_wait_without_timeout(node):
    executor = NodeExecutor()
    executor.add_node(node)
    ran = threading.Event()
    spun = threading.Event()

    def spin():
        executor.spin_once()  # no timeout: only the task can end this wait
        spun.set()
    thread = threading.Thread(target=spin, daemon=True)
    thread.start()
    time.sleep(0.3)
    assert not spun.is_set()
    executor.create_task(ran.set)
    assert spun.wait(5.0) and ran.is_set()
    executor.shutdown()


def test_an_async_service_callback_awaiting_a_timer_answers_a_client(node):
    # a coroutine callback waits across several waits; a client's response is taken
    executor = NodeExecutor()
    executor.add_node(node)
    group = ReentrantCallbackGroup()
    ticks = []
    node.create_timer(0.02, lambda: ticks.append(1), callback_group=group)

    async def answer(request, response):
        start = len(ticks)
        while len(ticks) < start + 3:
            future = rclpy.task.Future()
            executor.create_task(future.set_result, True)
            await future
        response.success = True
        response.message = f'after {len(ticks) - start} ticks'
        return response
    node.create_service(Trigger, 'lean_trigger', answer, callback_group=group)
    client = node.create_client(Trigger, 'lean_trigger')
    assert _spin_until(executor, client.service_is_ready)
    future = client.call_async(Trigger.Request())
    executor.spin_until_future_complete(future, timeout_sec=10.0)
    assert future.done() and future.result().success
    assert future.result().message.startswith('after ')
    executor.shutdown()


def test_spin_once_with_a_timeout_returns_with_nothing_ready(node):
    executor = NodeExecutor()
    executor.add_node(node)
    called = []
    node.create_timer(3600.0, lambda: called.append(1))
    start = time.monotonic()
    executor.spin_once(timeout_sec=0.2)
    assert time.monotonic() - start >= 0.19
    assert called == []
    executor.shutdown()


def test_plain_callbacks_run_without_a_task_and_coroutine_ones_as_tasks(node):
    executor = NodeExecutor()
    executor.add_node(node)
    pub = node.create_publisher(Int32, 'lean_direct', 10)
    got, awaited = [], []

    async def coroutine_callback(msg):
        future = rclpy.task.Future()
        executor.create_task(future.set_result, msg.data)
        awaited.append(await future)
    node.create_subscription(Int32, 'lean_direct', got.append, 10)
    node.create_subscription(Int32, 'lean_direct', coroutine_callback, 10)
    assert _spin_until(executor, lambda: pub.get_subscription_count() == 2)
    tasks = []
    make_handler = executor._make_handler

    def counted(entity, *args):
        tasks.append(entity.callback)
        return make_handler(entity, *args)
    executor._make_handler = counted
    for k in range(5):
        pub.publish(Int32(data=k))
    assert _spin_until(executor, lambda: len(got) == 5 and len(awaited) == 5)
    assert [m.data for m in got] == list(range(5)) and sorted(awaited) == list(range(5))
    assert got.append not in tasks and tasks.count(coroutine_callback) == 5
    executor.shutdown()


def test_a_plain_callback_that_raises_ends_spin_once_and_frees_its_group(node):
    executor = NodeExecutor()
    executor.add_node(node)
    calls = []

    def fails():
        calls.append(1)
        raise ValueError('from the callback')
    timer = node.create_timer(0.01, fails)  # the default group: mutually exclusive
    with pytest.raises(ValueError, match='from the callback'):
        for _ in range(100):
            executor.spin_once(timeout_sec=0.05)
    assert calls == [1]
    # the group was freed: the timer is waited on and called again
    with pytest.raises(ValueError):
        for _ in range(100):
            executor.spin_once(timeout_sec=0.05)
    assert calls == [1, 1]
    timer.cancel()
    executor.shutdown()


def test_a_plain_callback_waits_while_its_mutually_exclusive_group_is_busy(node):
    executor = NodeExecutor()
    executor.add_node(node)
    group = MutuallyExclusiveCallbackGroup()
    release = rclpy.task.Future()
    order = []

    async def holds_the_group():
        order.append('start')
        await release  # the group stays taken while this coroutine awaits
        order.append('end')
    long_timer = node.create_timer(0.01, holds_the_group, callback_group=group)
    assert _spin_until(executor, lambda: order == ['start'])
    long_timer.cancel()
    node.create_timer(0.01, lambda: order.append('plain'), callback_group=group)
    for _ in range(20):
        executor.spin_once(timeout_sec=0.02)
    assert order == ['start']  # the plain timer was not called meanwhile
    executor.create_task(release.set_result, True)
    assert _spin_until(executor, lambda: 'plain' in order)
    assert order[:3] == ['start', 'end', 'plain']
    executor.shutdown()


def test_a_busy_group_holds_only_its_own_entities(node):
    # the wait asks each callback group once whether its entities may run: the answer
    # of a busy group must not hold another group's entities, nor a free one's let a
    # busy one's through
    executor = NodeExecutor()
    executor.add_node(node)
    busy, free = MutuallyExclusiveCallbackGroup(), MutuallyExclusiveCallbackGroup()
    release = rclpy.task.Future()
    calls = []

    async def holds_the_group():
        calls.append('held')
        await release
    holder = node.create_timer(0.01, holds_the_group, callback_group=busy)
    assert _spin_until(executor, lambda: calls == ['held'])
    holder.cancel()
    # the busy group's subscription comes first in the node's list
    node.create_subscription(Int32, 'lean_wait_groups', lambda m: calls.append('busy'), 10,
                             callback_group=busy)
    node.create_subscription(Int32, 'lean_wait_groups', lambda m: calls.append(m.data), 10,
                             callback_group=free)
    pub = node.create_publisher(Int32, 'lean_wait_groups', 10)
    client = node.create_client(Trigger, 'lean_wait_groups_srv', callback_group=free)
    node.create_service(Trigger, 'lean_wait_groups_srv',
                        lambda req, res: setattr(res, 'success', True) or res,
                        callback_group=free)
    assert client.wait_for_service(timeout_sec=5.0)
    pub.publish(Int32(data=7))
    reply = client.call_async(Trigger.Request())
    assert _spin_until(executor, lambda: 7 in calls and reply.done())
    assert reply.result().success
    assert 'busy' not in calls  # its group is still held
    executor.create_task(release.set_result, True)
    assert _spin_until(executor, lambda: 'busy' in calls)
    executor.shutdown()

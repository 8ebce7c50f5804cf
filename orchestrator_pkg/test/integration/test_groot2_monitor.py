"""Groot2 monitor: a ZeroMQ client, written from the protocol, against a real orchestrator.

The client below is this test's own, from BehaviorTree.CPP's protocol
description (docs/orchestrator.md, "Groot2 monitor"): 6-byte request headers
(protocol 2, type, request id), 22-byte reply headers (the same, then the
tree's UUID), ``T`` for the tree XML, ``S`` for the statuses (uid uint16 +
status uint8 per node), ``B`` for blackboards (MessagePack).
"""
import struct
import threading
import time

from defusedxml import ElementTree
from diagnostic_msgs.msg import KeyValue
import msgpack
import pytest
import rclpy
from rclpy.action import ActionClient
import zmq

from orchestrator_interfaces.action import ExecuteMission
from orchestrator_interfaces.msg import BehaviourTreeSnapshot
from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.ros_edge.waiting import spin_until, wait_future
from orchestrator_pkg.testing.ports import free_port_pair
from orchestrator_pkg.testing.processes import ManagedProcess
from orchestrator_pkg.testing.ros_domain import claim_domain

TIMEOUT_S = 30.0
RUNNING, SUCCESS, IDLE_AFTER_SUCCESS = 1, 2, 12
MISSION = '''<root BTCPP_format="4" main_tree_to_execute="Steps">
  <BehaviorTree ID="Steps">
    <Sequence name="Both">
      <Script name="Count" code="count:=2"/>
      <Sleep name="First" msec="1500"/>
      <SubTree ID="Second" name="Then" _autoremap="true"/>
    </Sequence>
  </BehaviorTree>
  <BehaviorTree ID="Second">
    <Sleep name="Nap" msec="1500"/>
  </BehaviorTree>
</root>'''


class Groot2Client:
    """A REQ socket speaking Groot2's protocol."""

    def __init__(self, port):
        self.context = zmq.Context()
        self.socket = self.context.socket(zmq.REQ)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.setsockopt(zmq.RCVTIMEO, 5000)
        self.socket.connect(f'tcp://127.0.0.1:{port}')
        self.request_id = 0

    def raw(self, parts):
        self.socket.send_multipart(parts)
        return self.socket.recv_multipart()

    def ask(self, kind, *more):
        self.request_id += 1
        header = struct.pack('<BBI', 2, ord(kind), self.request_id)
        reply = self.raw([header, *more])
        assert reply[0] != b'error', reply
        assert reply[0][:6] == header and len(reply[0]) == 22
        return reply[0][6:], reply[1]

    def statuses(self):
        _, payload = self.ask('S')
        return dict(struct.iter_unpack('<HB', payload))

    def close(self):
        self.context.destroy(linger=0)


@pytest.fixture
def stack():
    port = free_port_pair()
    with claim_domain() as claim:
        orchestrator = ManagedProcess.python(
            '-m', 'orchestrator_pkg.nodes.orchestrator_node', '--ros-args',
            '-p', f'groot2_port:={port}', '-p', 'groot2_address:=127.0.0.1', env=claim.env())
        with orchestrator:
            assert orchestrator.wait_for_output('orchestrator ready', TIMEOUT_S), \
                orchestrator.output()
            assert f'Groot2 monitor on tcp 127.0.0.1 port {port}' in orchestrator.output()
            rclpy.init(domain_id=claim.domain_id)
            node = rclpy.create_node('groot2_test_client')
            action = ActionClient(node, ExecuteMission, 'execute_mission')
            snapshots = []
            node.create_subscription(BehaviourTreeSnapshot, '/orchestrator/snapshot',
                                     snapshots.append, 100)
            client = Groot2Client(port)
            try:
                assert action.wait_for_server(timeout_sec=TIMEOUT_S)
                yield node, action, client, snapshots, orchestrator, port
            finally:
                client.close()
                action.destroy()
                destroy_node_and_waitables(node)
                rclpy.shutdown()
        assert orchestrator.returncode == 0, orchestrator.output()


def test_groot2_sees_the_tree_and_its_statuses_change_tick_by_tick(stack):
    node, action, client, snapshots, _, _ = stack
    # before any mission: an error reply, and the server goes on
    assert client.raw([struct.pack('<BBI', 2, ord('T'), 1)]) == [b'error', b'no tree is running']
    handle = wait_future(node, action.send_goal_async(ExecuteMission.Goal(
        tree_xml=MISSION, inputs=[KeyValue(key='laps', value='3')])), TIMEOUT_S)
    assert handle.accepted
    result = handle.get_result_async()
    seen = []  # (time, {uid: status}) while the mission runs
    tree_id, xml = None, None
    while not result.done():
        rclpy.spin_once(node, timeout_sec=0.05)
        try:
            tree_id, payload = client.ask('T')
        except AssertionError:  # the first tick is still to come
            continue
        xml = payload.decode()
        seen.append((time.monotonic(), client.statuses()))
    assert result.result().result.outcome == ExecuteMission.Result.SUCCEEDED
    root = ElementTree.fromstring(xml)
    # every node has a uid, the one the orchestrator's own snapshots use (id + 1);
    # the mission sits under the orchestrator's BatteryGuard root, uid 1
    uids = {e.get('name') or e.get('_fullpath').rsplit('/', 1)[-1]: int(e.get('_uid'))
            for e in root.iter() if e.get('_uid')}
    assert spin_until(node, lambda: snapshots, 5.0)
    assert uids == {row.name: row.id + 1 for row in snapshots[-1].behaviours}
    assert uids['Both'] == 2 and uids['Nap'] == uids['Then'] + 1
    assert root.find('BehaviorTree').find('*').get('_uid') == '1'
    subtree = root.findall('BehaviorTree')[1]
    assert (subtree.get('ID'), subtree.get('_fullpath')) == ('Second', 'Both/Then')
    assert [int(e.get('_uid')) for e in subtree] == [uids['Nap']]
    first, nap = uids['First'], uids['Nap']
    # statuses: First running, then First done and Nap running, then all done
    phases = []
    for _, status in seen:
        phase = ('first' if status[first] == RUNNING else
                 'nap' if status[nap] == RUNNING and status[first] in (SUCCESS,
                                                                       IDLE_AFTER_SUCCESS)
                 else None)
        if phase and (not phases or phases[-1] != phase):
            phases.append(phase)
    assert phases == ['first', 'nap'], seen[:3]
    final = client.statuses()
    assert final[uids['Both']] in (SUCCESS, IDLE_AFTER_SUCCESS)
    assert final[nap] in (SUCCESS, IDLE_AFTER_SUCCESS)
    # the tree's UUID stays the same for the whole run
    assert client.ask('S')[0] == tree_id
    # blackboards by the main tree's ID and by the subtree's path
    _, packed = client.ask('B', b'Steps;Both/Then')
    blackboards = msgpack.unpackb(packed)
    assert blackboards['Steps']['count'] == 2
    assert str(blackboards['Steps']['laps']) == '3'  # the mission input


def test_malformed_requests_get_error_replies_and_do_not_disturb_the_ticks(stack):
    node, action, client, snapshots, orchestrator, port = stack
    handle = wait_future(node, action.send_goal_async(ExecuteMission.Goal(
        tree_xml=MISSION, inputs=[KeyValue(key='laps', value='1')])), TIMEOUT_S)
    assert handle.accepted
    result = handle.get_result_async()
    assert spin_until(node, lambda: len(snapshots) >= 5, 10.0)
    stop = threading.Event()
    replies = []

    def flood():  # a second client: bad requests as fast as it gets replies
        bad = Groot2Client(port)
        try:
            garbage = [[b''], [b'\x02'], [b'\x09T\x00\x00\x00\x00'], [b'\x02B\x01\x00\x00\x00'],
                       [b'\x02I\x01\x00\x00\x00', b'{'], [b'\x02\xffabcd'], [b'x' * 10_000]]
            while not stop.is_set():
                for parts in garbage:
                    replies.append(bad.raw(parts))
        finally:
            bad.close()
    flooder = threading.Thread(target=flood)
    ticks_before = snapshots[-1].tick
    stamps = []
    node.create_subscription(BehaviourTreeSnapshot, '/orchestrator/snapshot',
                             lambda m: stamps.append(time.monotonic()), 100)
    flooder.start()
    try:
        wait_future(node, result, TIMEOUT_S)
    finally:
        stop.set()
        flooder.join(10.0)
    assert result.result().result.outcome == ExecuteMission.Result.SUCCEEDED
    assert len(replies) > 50
    assert all(reply[0] == b'error' and len(reply) == 2 for reply in replies)
    reasons = {reply[1].decode() for reply in replies}
    assert any('wrong request header' in r for r in reasons)
    assert any('protocol 9 is not supported' in r for r in reasons)
    assert any('must be 2 parts message' in r for r in reasons)
    assert any('hook_insert is not supported' in r for r in reasons)
    # ticks went on at 20 Hz (the snapshots, one per tick): no gap of a second or more
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    assert stamps and max(gaps, default=0.0) < 1.0, gaps
    assert snapshots[-1].tick > ticks_before
    # and the well-behaved client is still served
    assert client.statuses()
    assert 'Traceback' not in orchestrator.output()

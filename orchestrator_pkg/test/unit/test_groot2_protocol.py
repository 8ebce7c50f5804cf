"""Groot2's monitor protocol (trees/groot2.py, pure): headers, tree XML, statuses, blackboards."""
import struct

from defusedxml import ElementTree
from py_trees.common import Status
import pytest

from orchestrator_pkg.behaviours.builtin import register as register_builtin
from orchestrator_pkg.trees import groot2
from orchestrator_pkg.trees.clock import ManualClock
from orchestrator_pkg.trees.loader import load_string
from orchestrator_pkg.trees.registry import Registry
from orchestrator_pkg.trees.runner import MissionRunner

XML = """<root BTCPP_format="4" main_tree_to_execute="Main">
  <BehaviorTree ID="Main">
    <Sequence name="Steps">
      <Script name="Set" code="count:=3"/>
      <SubTree ID="Wait" name="Pause" delay="{count}"/>
      <AlwaysSuccess name="Done" _failureIf="count==0"/>
    </Sequence>
  </BehaviorTree>
  <BehaviorTree ID="Wait">
    <Sleep name="Nap" msec="{delay}"/>
  </BehaviorTree>
</root>"""


def runner(clock=None):
    registry = Registry()
    register_builtin(registry)
    clock = clock or ManualClock()
    return MissionRunner(load_string(XML, registry).build(clock=clock), 'test', clock)


def request(kind, request_id=7, *more):
    return [struct.pack('<BBI', 2, ord(kind), request_id), *more]


def status_of(tree):
    payload = tree.status_buffer()
    assert len(payload) % 3 == 0
    return {uid: code for uid, code in struct.iter_unpack('<HB', payload)}


def test_the_reply_header_repeats_the_request_and_carries_the_tree_uuid():
    tree = groot2.Groot2Tree.of(runner())
    header, payload = groot2.answer(request('T', 0xDEADBEEF), tree, None)
    assert len(header) == 22
    assert struct.unpack('<BBI', header[:6]) == (2, ord('T'), 0xDEADBEEF)
    assert header[6:] == tree.uuid and len(tree.uuid) == 16
    assert payload == tree.xml.encode()


def test_the_tree_xml_has_a_uid_on_every_node_and_subtrees_in_their_own_element():
    built = runner()
    tree = groot2.Groot2Tree.of(built)
    root = ElementTree.fromstring(tree.xml)
    assert root.tag == 'root' and root.get('BTCPP_format') == '4'
    main, wait = root.findall('BehaviorTree')
    assert (main.get('ID'), main.get('_fullpath')) == ('Main', '')
    assert (wait.get('ID'), wait.get('_fullpath')) == ('Wait', 'Steps/Pause')
    # depth-first uids, the root 1; the _failureIf guard is no node of its own
    steps = main.find('Sequence')
    assert (steps.get('name'), steps.get('_uid')) == ('Steps', '1')
    assert [(c.tag, c.get('_uid')) for c in steps] == [
        ('Script', '2'), ('SubTree', '3'), ('AlwaysSuccess', '6')]
    assert steps.find('SubTree').get('ID') == 'Wait'
    assert [(c.tag, c.get('name'), c.get('_uid')) for c in wait] == [('Sleep', 'Nap', '4')]
    models = {m.get('ID'): m.tag for m in root.find('TreeNodesModel')}
    assert models == {'Sequence': 'Control', 'Script': 'Action', 'Sleep': 'Action',
                      'AlwaysSuccess': 'Action'}
    # the same uids as behavior_tree_log: depth-first index + 1 over the runner's tree
    uids = {int(e.get('_uid')) for e in root.iter() if e.get('_uid')}
    assert uids == set(status_of(tree)) == {1, 2, 3, 4, 6}


def test_statuses_follow_the_ticks_and_a_reset_is_idle_after_its_last_status():
    clock = ManualClock()
    built = runner(clock)
    tree = groot2.Groot2Tree.of(built)
    assert set(status_of(tree).values()) == {groot2.IDLE}
    built.tick()
    tree.apply(built.take_changes())
    assert status_of(tree) == {1: groot2.RUNNING, 2: groot2.SUCCESS, 3: groot2.RUNNING,
                               4: groot2.RUNNING, 6: groot2.IDLE}
    built.pause()  # halts the Sleep: IDLE after RUNNING
    tree.apply(built.take_changes())
    assert status_of(tree)[4] == groot2.IDLE_AFTER + groot2.RUNNING
    built.resume()
    built.tick()  # the Sleep starts again
    clock.advance(1.1)
    assert built.tick() == Status.SUCCESS
    tree.apply(built.take_changes())
    assert status_of(tree)[1] in (groot2.SUCCESS, groot2.IDLE_AFTER + groot2.SUCCESS)
    assert status_of(tree)[6] in (groot2.SUCCESS, groot2.IDLE_AFTER + groot2.SUCCESS)


def test_blackboards_by_main_tree_id_and_subtree_path():
    built = runner()
    built.tick()
    tree = groot2.Groot2Tree.of(built)
    values = tree.blackboard_values(['Main', 'Steps/Pause', 'Nowhere'])
    assert values['Main']['count'] == 3
    assert 'Nowhere' not in values
    packed = []
    header, payload = groot2.answer(request('B', 1, b'Main;Steps/Pause'), tree,
                                    lambda v: packed.append(v) or b'packed')
    assert payload == b'packed' and set(packed[0]) == {'Main', 'Steps/Pause'}


@pytest.mark.parametrize('value, expected', [
    (None, None), (True, True), (3, 3), (2.5, 2.5), ('x', 'x'), ((1, 'a'), [1, 'a']),
    ({1: object}, {'1': str(object)}), (2**70, str(2**70)), (Status.SUCCESS, 'Status.SUCCESS')])
def test_blackboard_values_are_made_plain(value, expected):
    assert groot2.plain(value) == expected


@pytest.mark.parametrize('parts, reason', [
    ([], 'empty request'),
    ([b'\x02T'], 'wrong request header: 2 bytes, not 6'),
    ([struct.pack('<BBI', 1, ord('T'), 1)], 'protocol 1 is not supported'),
    (request('B'), 'must be 2 parts message'),
    (request('I', 1, b'{}'), 'hook_insert is not supported'),
    (request('r', 1, b'start'), 'toggle_recording is not supported'),
    (request('Q'), "unknown request type 81"),
])
def test_malformed_or_unsupported_requests_get_an_error_reply_naming_why(parts, reason):
    tree = groot2.Groot2Tree.of(runner())
    kind, message = groot2.answer(parts, tree, lambda v: b'')
    assert kind == b'error' and reason in message.decode()


def test_with_no_tree_every_request_gets_an_error_reply():
    assert groot2.answer(request('S'), None, None) == [b'error', b'no tree is running']

"""Groot2's monitor protocol, as BehaviorTree.CPP's ``Groot2Publisher`` speaks it (pure).

Groot2 talks to a running tree over ZeroMQ request/reply (the server binds
``tcp://*:PORT``, 1667 by default, and a publisher on PORT + 1 for
breakpoints). Every request and reply is a multipart message:

- request part 0, 6 bytes: protocol id (uint8, 2), request type (one ASCII
  byte), a request id (uint32, little-endian); a later part carries arguments;
- reply part 0, 22 bytes: the request's 6 bytes, then the tree's 16-byte UUID;
  part 1 the payload;
- an error reply is ``["error", reason]``.

Served here: ``T`` the whole tree as BehaviorTree.CPP XML with a ``_uid`` on
every node (and ``_fullpath`` on subtrees), ``S`` the status of every node
(3 bytes each: uid as uint16 little-endian, then the status: IDLE 0,
RUNNING 1, SUCCESS 2, FAILURE 3, SKIPPED 4, and 10 + the previous status for
a node reset to IDLE after running), ``B`` the blackboards named in part 1
(``;``-separated; the main tree's is its ID, a subtree's its ``_fullpath``),
as a MessagePack map. The breakpoint, hook and recording requests get an
error reply: this monitor watches, it does not step the tree.

The uids are the ones ``behavior_tree_log`` uses: a node's depth-first index
plus one, the root 1. A ``SubTree`` node's tree is listed under its own
``<BehaviorTree ID=... _fullpath=...>`` element, as BehaviorTree.CPP writes it.

Nothing here touches the tree: :class:`Groot2Tree` is built once per tree
and then fed the status changes of each tick; the server thread reads it.
"""
from dataclasses import dataclass
import struct
import uuid
import xml.etree.ElementTree as ET

from py_trees.common import Status

from orchestrator_pkg.trees.behaviour import SubTreeNode
from orchestrator_pkg.trees.guard import Guarded

PROTOCOL_ID = 2
REQUEST_HEADER = struct.Struct('<BBI')  # protocol id, request type, request id
FULLTREE, STATUS, BLACKBOARD = ord('T'), ord('S'), ord('B')
# the rest of BehaviorTree.CPP's request types (hooks, breakpoints, recording)
UNSUPPORTED = {ord(c): name for c, name in (
    ('I', 'hook_insert'), ('R', 'hook_remove'), ('N', 'breakpoint_reached'),
    ('U', 'breakpoint_unlock'), ('D', 'hooks_dump'), ('A', 'hooks_remove_all'),
    ('X', 'disable_hooks'), ('r', 'toggle_recording'), ('t', 'get_transitions'))}
IDLE, RUNNING, SUCCESS, FAILURE, SKIPPED = 0, 1, 2, 3, 4
IDLE_AFTER = 10  # + the previous status: reset to IDLE after it
_CODE = {Status.RUNNING: RUNNING, Status.SUCCESS: SUCCESS, Status.FAILURE: FAILURE}
_TAG = {'action': 'Action', 'condition': 'Condition', 'control': 'Control',
        'decorator': 'Decorator', 'subtree': 'SubTree'}
MAX_UID = 0xFFFF


def uid_of(index: int) -> int:
    """Return the uid of the behaviour at depth-first ``index`` (the root 1), as BT.CPP's."""
    return min(index + 1, MAX_UID)


class ProtocolError(ValueError):
    """A request this server cannot answer; the message goes back in the error reply."""


@dataclass(frozen=True)
class MonitorNode:
    """One node as Groot2 sees it."""

    uid: int
    parent_uid: int  # 0 for the root
    type: str
    name: str
    category: str  # action, condition, control, decorator, subtree
    path: str  # the XML path (``MainTree/Seq/Leaf``)
    subtree_id: str = ''  # a SubTree's BehaviorTree ID


def status_code(previous: Status, status: Status) -> int:
    """Return Groot2's status byte of a node that went from ``previous`` to ``status``."""
    if status in _CODE:
        return _CODE[status]
    return IDLE_AFTER + _CODE[previous] if previous in _CODE else IDLE


_TRANSITIONS = {(previous, status): status_code(previous, status)
                for previous in Status for status in Status}


def parse_header(part: bytes) -> tuple[int, int]:
    """Return (request type, request id) of a request's first part; ProtocolError if bad."""
    if len(part) != REQUEST_HEADER.size:
        raise ProtocolError(f'wrong request header: {len(part)} bytes, not '
                            f'{REQUEST_HEADER.size}')
    protocol, kind, request_id = REQUEST_HEADER.unpack(part)
    if protocol != PROTOCOL_ID:
        raise ProtocolError(f'protocol {protocol} is not supported (this server speaks '
                            f'{PROTOCOL_ID})')
    return kind, request_id


def reply_header(kind: int, request_id: int, tree_uuid: bytes) -> bytes:
    """Return a reply's first part: the request's header, then the tree's UUID."""
    return REQUEST_HEADER.pack(PROTOCOL_ID, kind, request_id) + tree_uuid


def error_reply(reason: str) -> list:
    """Return the parts of an error reply."""
    return [b'error', reason.encode('utf-8', 'replace')]


class Groot2Tree:
    """A tree's XML, uids and the latest status of each node, for Groot2's requests."""

    def __init__(self, nodes: list, tree_id: str, blackboards: dict | None = None):
        """``nodes``: :class:`MonitorNode` in depth-first order, the root first.

        ``blackboards``: {uid of a SubTree node, 0 for the main tree: its
        :class:`~orchestrator_pkg.trees.blackboard.Blackboard`}.
        """
        self.nodes = nodes
        self.tree_id = tree_id
        self._blackboards = dict(blackboards or {})
        self.uuid = uuid.uuid4().bytes
        self._status = {node.uid: IDLE for node in nodes}
        self.xml = self._xml()

    @classmethod
    def of(cls, runner) -> 'Groot2Tree':
        """Describe a :class:`~orchestrator_pkg.trees.runner.MissionRunner`'s tree."""
        blackboards = {0: runner.built.blackboard}
        for index, (behaviour, _) in enumerate(runner.depth_first_order()):
            if isinstance(behaviour, SubTreeNode) and behaviour.scope is not None:
                blackboards[uid_of(index)] = behaviour.scope
        return cls(monitor_nodes(runner), runner.built.tree_id, blackboards)

    def blackboard_values(self, names) -> dict:
        """Return {name: {key: value}} of the named blackboards (unknown names left out).

        Values are made plain (numbers, strings, booleans, None, lists, maps;
        anything else as its ``str``), ready for MessagePack.
        """
        uids = self.blackboard_names()
        return {name: {key: plain(value) for key, value in
                       self._blackboards[uids[name]].as_dict().items()}
                for name in names if uids.get(name) in self._blackboards}

    def apply(self, changes) -> None:
        """Take a tick's :class:`~orchestrator_pkg.trees.runner.StatusChange` list."""
        status, codes = self._status, _TRANSITIONS  # this runs in the tick: kept lean
        for change in changes:
            uid = change.id + 1  # uid_of inlined; a uid over MAX_UID is not in status
            if uid in status:
                status[uid] = codes[change.previous, change.status]

    def status_buffer(self) -> bytes:
        """Return the ``S`` payload: uid (uint16 LE) and status (uint8) per node."""
        items = list(self._status.items())  # one copy: the tick thread updates the dict
        return struct.pack('<' + 'HB' * len(items), *[x for item in items for x in item])

    def subtree_path(self, node: MonitorNode) -> str:
        """Return BehaviorTree.CPP's path of a node (without the main tree's ID)."""
        prefix = self.tree_id + '/'
        return node.path[len(prefix):] if node.path.startswith(prefix) else node.path

    def blackboard_names(self) -> dict:
        """Return {name Groot2 asks by: uid of the SubTree node (0: the main tree)}."""
        names = {self.tree_id: 0}
        for node in self.nodes:
            if node.category == 'subtree':
                names[self.subtree_path(node)] = node.uid
        return names

    def _xml(self) -> str:
        root = ET.Element('root', BTCPP_format='4')
        children = {}
        for node in self.nodes:
            children.setdefault(node.parent_uid, []).append(node)
        trees = [(self.tree_id, '', self.nodes[:1])] if self.nodes else []
        models = {}
        while trees:
            tree_id, fullpath, tops = trees.pop(0)
            element = ET.SubElement(root, 'BehaviorTree', ID=tree_id, _fullpath=fullpath)
            stack = [(element, top) for top in tops]
            while stack:
                parent, node = stack.pop(0)
                if node.category == 'subtree':
                    path = self.subtree_path(node)
                    ET.SubElement(parent, 'SubTree', ID=node.subtree_id, _fullpath=path,
                                  _uid=str(node.uid))
                    trees.append((node.subtree_id, path, children.get(node.uid, [])))
                    continue
                tag = node.type
                models.setdefault(tag, _TAG.get(node.category, 'Action'))
                element_of = ET.SubElement(parent, tag, name=node.name, _uid=str(node.uid))
                stack[:0] = [(element_of, child) for child in children.get(node.uid, [])]
        model_root = ET.SubElement(root, 'TreeNodesModel')
        for tag in sorted(models):
            ET.SubElement(model_root, models[tag], ID=tag)
        return ET.tostring(root, encoding='unicode')


def plain(value, depth: int = 0):
    """Return ``value`` as MessagePack can carry it: plain types as they are, else ``str``."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value if not isinstance(value, int) or -2**63 <= value < 2**64 else str(value)
    if depth < 8 and isinstance(value, (list, tuple)):
        return [plain(item, depth + 1) for item in value[:1000]]
    if depth < 8 and isinstance(value, dict):
        return {str(key): plain(item, depth + 1) for key, item in list(value.items())[:1000]}
    return str(value)[:10_000]


def monitor_nodes(runner) -> list:
    """Return the :class:`MonitorNode` list of a runner's tree, depth-first.

    A ``Guarded`` wrapper (a node's pre/post-conditions) is not a node of its
    own in BehaviorTree.CPP: it is left out and its child takes its place.
    """
    built = runner.built
    order = runner.depth_first_order()
    skipped = {index for index, (behaviour, _) in enumerate(order)
               if isinstance(behaviour, Guarded)}
    nodes = []
    for index, (behaviour, parent) in enumerate(order):
        if index in skipped:
            continue
        while parent in skipped:
            parent = order[parent][1]
        nodes.append(MonitorNode(
            uid=uid_of(index), parent_uid=uid_of(parent) if parent >= 0 else 0,
            type=built.type_of(behaviour), name=behaviour.name,
            category=built.category_of(behaviour), path=built.path_of(behaviour),
            subtree_id=behaviour.subtree_id if isinstance(behaviour, SubTreeNode) else ''))
    return nodes


def answer(parts: list, tree: 'Groot2Tree | None', pack) -> list:
    """Return the reply parts of one request.

    ``tree`` is the tree being run (None when there is none: every request then
    gets an error reply); ``pack(values)`` encodes the ``B`` reply's
    {blackboard: {key: value}} map (MessagePack, in the server).
    """
    if not parts:
        return error_reply('empty request')
    try:
        kind, request_id = parse_header(parts[0])
        if tree is None:
            raise ProtocolError('no tree is running')
        header = reply_header(kind, request_id, tree.uuid)
        if kind == FULLTREE:
            return [header, tree.xml.encode('utf-8')]
        if kind == STATUS:
            return [header, tree.status_buffer()]
        if kind == BLACKBOARD:
            if len(parts) != 2:
                raise ProtocolError('must be 2 parts message')
            names = [n for n in parts[1].decode('utf-8', 'replace').split(';') if n]
            return [header, pack(tree.blackboard_values(names))]
        if kind in UNSUPPORTED:
            raise ProtocolError(f'{UNSUPPORTED[kind]} is not supported: this server '
                                'only monitors')
        raise ProtocolError(f'unknown request type {kind!r}')
    except ProtocolError as exc:
        return error_reply(str(exc))

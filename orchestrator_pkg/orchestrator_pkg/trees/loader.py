"""Load and validate BehaviorTree.CPP v4 XML, then build py_trees behaviours from it.

Loading is all-or-nothing: every file is parsed safely (defusedxml, size,
depth, node-count and include-depth limits), every tree is checked against
the registry (node types, children, ports, literal types, SubTree IDs,
cycles, blackboard flow), and only a document without errors can be built.
Each :class:`Problem` names the file, the line and the reason.

Supported XML (see docs/behaviour_trees.md): ``<root BTCPP_format="4"
main_tree_to_execute="...">``, several ``<BehaviorTree ID>``, ``<SubTree ID
... _autoremap>`` with port remapping, ``<include path>`` (relative to the
including file), ``<TreeNodesModel>`` (accepted; SubTree port declarations
are read), and the explicit ``<Action ID="X">`` / ``<Condition ID>`` /
``<Control ID>`` / ``<Decorator ID>`` forms.
"""
from dataclasses import dataclass, field
import difflib
import os
from typing import Any
import xml.etree.ElementTree as ElementTree

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
import py_trees

from orchestrator_pkg.trees.behaviour import SubTreeNode
from orchestrator_pkg.trees.blackboard import Blackboard
from orchestrator_pkg.trees.clock import MonotonicClock
from orchestrator_pkg.trees.guard import Guarded
from orchestrator_pkg.trees.ports import convert, looks_like_reference, parse_reference
from orchestrator_pkg.trees.registry import BuildContext, Ports, Registry
from orchestrator_pkg.trees.script import Script, ScriptError, parse_script

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 10_000
MAX_INCLUDE_DEPTH = 8

# Attributes any node may carry besides its ports.
COMMON_ATTRIBUTES = ('name', 'ID')
# BehaviorTree.CPP v4 pre/post conditions, in the safe script language of .script.
CONDITION_ATTRIBUTES = ('_failureIf', '_successIf', '_onSuccess', '_onFailure', '_onHalted',
                        '_post')
# These need BT.CPP's SKIPPED status, which py_trees does not have.
UNSUPPORTED_CONDITIONS = ('_skipIf', '_while')
EXPLICIT_TAGS = {'Action': 'action', 'Condition': 'condition', 'Control': 'control',
                 'Decorator': 'decorator'}
UNSUPPORTED_TYPES = {
    'Precondition': 'use the _failureIf / _successIf attributes, or a ScriptCondition '
                    'in a Sequence',
    'SubTreePlus': 'SubTreePlus is BehaviorTree.CPP v3; in v4 use SubTree (with _autoremap)',
}


@dataclass(frozen=True)
class Problem:
    """One finding about a tree file: where, how bad, and why."""

    file: str
    line: int
    severity: str  # 'error' | 'warning'
    message: str

    def __str__(self) -> str:
        return f'{self.file}:{self.line}: {self.severity}: {self.message}'


class TreeLoadError(Exception):
    """The tree files have errors; ``problems`` lists every one (and the warnings)."""

    def __init__(self, problems):
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == 'error']
        text = '; '.join(str(p) for p in errors[:5])
        more = f' (and {len(errors) - 5} more)' if len(errors) > 5 else ''
        super().__init__(f'{len(errors)} error(s): {text}{more}')


class _Abort(Exception):
    """Stop parsing one file (a limit was hit); the problem is already recorded."""


@dataclass
class XNode:
    """One parsed XML element with its source position."""

    tag: str
    attrs: dict
    file: str
    line: int
    children: list = field(default_factory=list)
    # filled by validation for known node types
    type_name: str = ''
    spec: Any = None
    literals: dict = field(default_factory=dict)
    refs: dict = field(default_factory=dict)
    conditions: dict = field(default_factory=dict)


@dataclass
class _TreeDef:
    tree_id: str
    root: XNode | None
    file: str
    line: int


class _Builder:
    """An ElementTree parser target that builds XNodes and enforces depth/count limits."""

    def __init__(self, file: str, loader: '_Loader'):
        self.file = file
        self.loader = loader
        self.parser = None
        self.stack: list[XNode] = []
        self.root: XNode | None = None
        self.count = 0

    def _line(self) -> int:
        return self.parser.parser.CurrentLineNumber if self.parser else 0

    def start(self, tag, attrs):
        line = self._line()
        if len(self.stack) >= MAX_DEPTH + 2:  # root + BehaviorTree + MAX_DEPTH nodes
            self.loader.error(self.file, line, f'elements are nested deeper than the limit '
                                               f'of {MAX_DEPTH} tree levels')
            raise _Abort()
        self.count += 1
        if self.count > MAX_NODES + 100:
            self.loader.error(self.file, line, f'more than {MAX_NODES} elements '
                                               '(node count limit)')
            raise _Abort()
        node = XNode(tag, dict(attrs), self.file, line)
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.root = node
        self.stack.append(node)

    def end(self, tag):
        self.stack.pop()

    def data(self, text):
        pass

    def close(self):
        return self.root


class _Loader:
    """Collects trees from a file and its includes, then validates them."""

    def __init__(self, registry: Registry):
        self.registry = registry
        self.problems: list[Problem] = []
        self.trees: dict[str, _TreeDef] = {}
        self.tree_models: dict[str, dict[str, str]] = {}  # SubTree ID -> port -> direction
        self.loaded_files: list[str] = []
        self.main_tree_id: str | None = None
        self._stack: list[str] = []

    # -- problems ---------------------------------------------------------------
    def error(self, file, line, message):
        self.problems.append(Problem(file, int(line or 0), 'error', message))

    def warning(self, file, line, message):
        self.problems.append(Problem(file, int(line or 0), 'warning', message))

    @property
    def has_errors(self) -> bool:
        return any(p.severity == 'error' for p in self.problems)

    # -- parsing ------------------------------------------------------------------
    def parse_text(self, data: bytes | str, file: str) -> XNode | None:
        builder = _Builder(file, self)
        parser = DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True,
                                  forbid_external=True)
        builder.parser = parser
        try:
            parser.feed(data)
            return parser.close()
        except _Abort:
            return None
        except DefusedXmlException as exc:
            line = parser.parser.CurrentLineNumber if parser.parser else 0
            self.error(file, line, f'forbidden XML construct ({type(exc).__name__}): DTDs and '
                                   'entity declarations are rejected (entity-expansion and '
                                   'external-entity attacks)')
        except ElementTree.ParseError as exc:
            line = exc.position[0] if getattr(exc, 'position', None) else 0
            self.error(file, line, f'malformed XML: {exc}')
        except (ValueError, UnicodeError) as exc:
            self.error(file, 0, f'unreadable XML: {exc}')
        return None

    def load_path(self, path: str, include_depth: int = 0, where: tuple | None = None,
                  top: bool = False) -> None:
        where = where or (path, 0)
        real = os.path.realpath(path)
        if real in self._stack:
            chain = ' -> '.join(os.path.basename(p) for p in self._stack + [real])
            self.error(where[0], where[1], f'include cycle: {chain}')
            return
        if real in self.loaded_files:
            return  # included twice through different files: load once
        if include_depth > MAX_INCLUDE_DEPTH:
            self.error(where[0], where[1], f'includes nested deeper than the limit of '
                                           f'{MAX_INCLUDE_DEPTH}')
            return
        try:
            size = os.path.getsize(path)
            if size > MAX_FILE_BYTES:
                self.error(path, 0, f'file is {size} bytes, over the limit of '
                                    f'{MAX_FILE_BYTES} bytes')
                return
            with open(path, 'rb') as stream:
                data = stream.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            self.error(where[0], where[1], f'cannot read {path}: {exc.strerror or exc}')
            return
        self.loaded_files.append(real)
        self._stack.append(real)
        try:
            self.load_data(data, path, os.path.dirname(os.path.abspath(path)), include_depth,
                           top)
        finally:
            self._stack.pop()

    def load_data(self, data, file: str, base_dir: str | None, include_depth: int,
                  top: bool) -> None:
        if len(data) > MAX_FILE_BYTES:
            self.error(file, 0, f'document is {len(data)} bytes, over the limit of '
                                f'{MAX_FILE_BYTES} bytes')
            return
        root = self.parse_text(data, file)
        if root is None:
            if not self.has_errors:
                self.error(file, 0, 'empty document')
            return
        if root.tag != 'root':
            self.error(file, root.line, f'the document element must be <root>, not <{root.tag}>')
            return
        fmt = root.attrs.get('BTCPP_format')
        if fmt is None:
            self.warning(file, root.line, 'no BTCPP_format attribute on <root>; reading it as '
                                          'BehaviorTree.CPP v4')
        elif fmt.strip() != '4':
            self.error(file, root.line, f'BTCPP_format="{fmt}" is not supported; only '
                                        'version 4 files are read')
        for attr in root.attrs:
            if attr not in ('BTCPP_format', 'main_tree_to_execute'):
                self.error(file, root.line, f'unknown attribute "{attr}" on <root>')
        if top:
            self.main_tree_id = root.attrs.get('main_tree_to_execute') or None
            self._main_where = (file, root.line)
        for child in root.children:
            if child.tag == 'BehaviorTree':
                self._add_tree(child)
            elif child.tag == 'include':
                self._include(child, base_dir, include_depth)
            elif child.tag == 'TreeNodesModel':
                self._read_model(child)
            else:
                self.error(file, child.line, f'unexpected element <{child.tag}> under <root> '
                                             '(expected BehaviorTree, include or '
                                             'TreeNodesModel)')

    def _add_tree(self, element: XNode) -> None:
        tree_id = element.attrs.get('ID')
        if not tree_id:
            self.error(element.file, element.line, '<BehaviorTree> without an ID attribute')
            return
        for attr in element.attrs:
            if attr not in ('ID', '_description'):
                self.error(element.file, element.line,
                           f'unknown attribute "{attr}" on <BehaviorTree ID="{tree_id}">')
        if tree_id in self.trees:
            first = self.trees[tree_id]
            self.error(element.file, element.line, f'BehaviorTree ID "{tree_id}" is defined '
                                                   f'twice (first at {first.file}:{first.line})')
            return
        if len(element.children) != 1:
            self.error(element.file, element.line,
                       f'BehaviorTree "{tree_id}" must have exactly one root node, '
                       f'it has {len(element.children)}')
        root = element.children[0] if element.children else None
        self.trees[tree_id] = _TreeDef(tree_id, root, element.file, element.line)

    def _include(self, element: XNode, base_dir: str | None, include_depth: int) -> None:
        if 'ros_pkg' in element.attrs:
            self.error(element.file, element.line, '<include ros_pkg=...> is not supported; '
                                                   'give a path relative to this file')
            return
        path = element.attrs.get('path')
        if not path:
            self.error(element.file, element.line, '<include> without a path attribute')
            return
        if base_dir is None:
            self.error(element.file, element.line, f'<include path="{path}">: an inline tree '
                                                   'has no directory to resolve includes from')
            return
        full = path if os.path.isabs(path) else os.path.normpath(os.path.join(base_dir, path))
        self.load_path(full, include_depth + 1, (element.file, element.line))

    def _read_model(self, element: XNode) -> None:
        for entry in element.children:
            if entry.tag != 'SubTree' or not entry.attrs.get('ID'):
                continue  # models of leaf/control types are documentation for Groot2
            ports = {}
            for port in entry.children:
                direction = {'input_port': 'input', 'output_port': 'output',
                             'inout_port': 'inout'}.get(port.tag)
                if direction and port.attrs.get('name'):
                    ports[port.attrs['name']] = direction
            self.tree_models[entry.attrs['ID']] = ports

    # -- static validation of each tree definition ----------------------------------
    def validate_trees(self) -> None:
        if self.main_tree_id is not None and self.main_tree_id not in self.trees:
            file, line = getattr(self, '_main_where', ('<unknown>', 0))
            self.error(file, line, f'main_tree_to_execute="{self.main_tree_id}" names no '
                                   f'BehaviorTree (defined: {self._tree_list()})')
        for tree in self.trees.values():
            if tree.root is not None:
                self._check_node(tree.root)

    def _tree_list(self) -> str:
        return ', '.join(sorted(self.trees)) or 'none'

    def _check_node(self, node: XNode) -> None:
        stack = [node]
        while stack:
            current = stack.pop()
            self._check_one(current)
            stack.extend(reversed(current.children))

    def _check_one(self, node: XNode) -> None:
        attrs = dict(node.attrs)
        tag = node.tag
        if tag == 'SubTree':
            self._check_subtree(node)
            return
        if tag in EXPLICIT_TAGS:
            type_name = attrs.pop('ID', None)
            if not type_name:
                self.error(node.file, node.line, f'<{tag}> without an ID naming its node type')
                return
        else:
            type_name = tag
        node.type_name = type_name
        if type_name in UNSUPPORTED_TYPES:
            self.error(node.file, node.line, f'{type_name} is not supported: '
                                             f'{UNSUPPORTED_TYPES[type_name]}')
            return
        if type_name not in self.registry:
            hint = difflib.get_close_matches(type_name, self.registry.types(), n=1,
                                           cutoff=0.8)
            extra = f' (did you mean {hint[0]}?)' if hint else ''
            self.error(node.file, node.line, f'unknown node type "{type_name}"{extra}')
            return
        spec = self.registry.get(type_name)
        node.spec = spec
        label = f'{type_name}' + (f' "{attrs["name"]}"' if attrs.get('name') else '')
        count = len(node.children)
        if count < spec.min_children or (spec.max_children is not None
                                         and count > spec.max_children):
            if spec.max_children == 0:
                want = 'no children'
            elif spec.max_children is None:
                want = f'at least {spec.min_children} child(ren)'
            elif spec.min_children == spec.max_children:
                want = f'exactly {spec.min_children} child(ren)'
            else:
                want = f'{spec.min_children} to {spec.max_children} children'
            self.error(node.file, node.line, f'{label} takes {want}, it has {count}')
        for attr, value in attrs.items():
            if attr in COMMON_ATTRIBUTES:
                continue
            if attr in CONDITION_ATTRIBUTES or attr in UNSUPPORTED_CONDITIONS:
                self._check_condition(node, label, attr, value)
                continue
            port = spec.port(attr)
            if port is None:
                names = ', '.join(p.name for p in spec.ports) or 'none'
                self.error(node.file, node.line, f'{label} has no port "{attr}" '
                                                 f'(its ports: {names})')
                continue
            self._check_port_value(node, label, port, value)
        for port in spec.ports:
            if port.name in attrs:
                continue
            if port.default is not None:
                node.literals[port.name] = port.default
            elif port.required:
                self.error(node.file, node.line, f'{label} is missing required port '
                                                 f'"{port.name}"')

    def _check_condition(self, node, label, attr, value) -> None:
        if attr in UNSUPPORTED_CONDITIONS:
            self.error(node.file, node.line, f'{label}: the {attr} condition is not supported '
                                             "(it needs BehaviorTree.CPP's SKIPPED status, "
                                             'which py_trees does not have)')
            return
        try:
            node.conditions[attr] = parse_script(value)
        except ScriptError as exc:
            self.error(node.file, node.line, f'{label}: {attr} script "{value}": {exc}')

    def _check_port_value(self, node, label, port, value) -> None:
        key = parse_reference(value, port.name)
        if key is not None:
            node.refs[port.name] = key
            return
        if looks_like_reference(value):
            self.error(node.file, node.line, f'{label}: port "{port.name}" has a malformed '
                                             f'blackboard reference "{value}"')
            return
        if port.direction == 'output':
            stripped = value.strip()
            if stripped and parse_reference('{' + stripped + '}', port.name) is not None:
                node.refs[port.name] = stripped  # BT.CPP accepts a bare key name here
                return
            self.error(node.file, node.line, f'{label}: output port "{port.name}" needs a '
                                             f'blackboard key like {{key}}, not "{value}"')
            return
        try:
            node.literals[port.name] = convert(port.type, value)
        except ValueError as exc:
            self.error(node.file, node.line, f'{label}: port "{port.name}" ({port.type}): '
                                             f'{exc}')

    def _check_subtree(self, node: XNode) -> None:
        node.type_name = 'SubTree'
        tree_id = node.attrs.get('ID')
        if not tree_id:
            self.error(node.file, node.line, '<SubTree> without an ID attribute')
            return
        if tree_id not in self.trees:
            hint = difflib.get_close_matches(tree_id, list(self.trees), n=1)
            extra = f'; did you mean "{hint[0]}"?' if hint else ''
            self.error(node.file, node.line, f'SubTree ID "{tree_id}" names no BehaviorTree '
                                             f'(defined: {self._tree_list()}){extra}')
        if node.children:
            self.error(node.file, node.line, f'SubTree "{tree_id}" must not have children '
                                             '(its content is the BehaviorTree it names)')
        autoremap = node.attrs.get('_autoremap', 'false').strip().lower()
        if autoremap not in ('true', 'false', '1', '0'):
            self.error(node.file, node.line, f'SubTree "{tree_id}": _autoremap must be true '
                                             f'or false, not "{node.attrs["_autoremap"]}"')
        for attr, value in node.attrs.items():
            if attr in ('ID', 'name', '_autoremap'):
                continue
            if attr in CONDITION_ATTRIBUTES or attr in UNSUPPORTED_CONDITIONS:
                self._check_condition(node, f'SubTree "{tree_id}"', attr, value)
                continue
            key = parse_reference(value, attr)
            if key is not None:
                node.refs[attr] = key
            elif looks_like_reference(value):
                self.error(node.file, node.line, f'SubTree "{tree_id}": port "{attr}" has a '
                                                 f'malformed blackboard reference "{value}"')
            else:
                node.literals[attr] = value
            model = self.tree_models.get(tree_id)
            if model is not None and attr not in model:
                self.warning(node.file, node.line, f'SubTree "{tree_id}": port "{attr}" is '
                                                   'not declared in its TreeNodesModel')


@dataclass
class _Instance:
    """A node of the expanded tree (SubTrees inlined)."""

    xnode: XNode
    path: str
    scope: Blackboard
    children: list


class _Expander:
    """Expands SubTrees from one tree, checking cycles, depth and node count."""

    def __init__(self, loader: _Loader):
        self.loader = loader
        self.count = 0
        self.failed = False

    def expand(self, tree_id: str, scope: Blackboard) -> _Instance | None:
        tree = self.loader.trees[tree_id]
        if tree.root is None:
            return None
        return self._node(tree.root, tree_id, scope, [tree_id], 1)

    def _node(self, x: XNode, parent_path: str, scope: Blackboard, chain: list,
              depth: int) -> _Instance | None:
        if self.failed:
            return None
        self.count += 1
        if self.count > MAX_NODES:
            self.loader.error(x.file, x.line, f'the expanded tree has more than {MAX_NODES} '
                                              'nodes (node count limit)')
            self.failed = True
            return None
        if depth > MAX_DEPTH:
            self.loader.error(x.file, x.line, f'the expanded tree is deeper than the limit of '
                                              f'{MAX_DEPTH} levels')
            self.failed = True
            return None
        name = x.attrs.get('name') or (x.attrs.get('ID') if x.tag == 'SubTree'
                                       else x.type_name or x.tag)
        path = f'{parent_path}/{name}'
        if x.tag == 'SubTree':
            tree_id = x.attrs.get('ID')
            if tree_id not in self.loader.trees:
                return None
            if tree_id in chain:
                cycle = ' -> '.join(chain[chain.index(tree_id):] + [tree_id])
                self.loader.error(x.file, x.line, f'SubTree cycle: {cycle}')
                self.failed = True
                return None
            autoremap = x.attrs.get('_autoremap', 'false').strip().lower() in ('true', '1')
            child_scope = scope.scope(remap=x.refs, autoremap=autoremap)
            for key, value in x.literals.items():
                child_scope.set_local(key, value)
            tree = self.loader.trees[tree_id]
            children = []
            if tree.root is not None:
                child = self._node(tree.root, path, child_scope, chain + [tree_id], depth + 1)
                if child is not None:
                    children.append(child)
            return _Instance(x, path, scope, children)
        children = []
        for xc in x.children:
            child = self._node(xc, path, scope, chain, depth + 1)
            if child is not None:
                children.append(child)
        return _Instance(x, path, scope, children)


def _ident(scope: Blackboard, key: str) -> tuple[int, str]:
    board, real = scope.resolve(key)
    return id(board), real


def _script_keys(scope, script, order, x, port_name, reads, writes) -> None:
    for key in script.read_keys():
        reads.setdefault(_ident(scope, key), (order, x, port_name, key))
    for key in script.assigned_keys():
        writes.setdefault(_ident(scope, key), (order, x))


def _analyse_blackboard(loader: _Loader, root: _Instance, inputs) -> None:
    """Warn about keys read (in tick order) before the first node that writes them.

    Keys that no node writes at all are inputs the caller provides (a mission's
    blackboard inputs, Nav2's ``goal``), so they are not reported.
    """
    reads: dict = {}
    writes: dict = {}
    external = {_ident(root.scope, key) for key in inputs}
    order = 0
    stack = [root]
    while stack:
        inst = stack.pop()
        order += 1
        x = inst.xnode
        if x.tag == 'SubTree':
            if inst.children:
                board = inst.children[0].scope
                for key in x.literals:
                    writes.setdefault(_ident(board, key), (order, x))
        elif x.spec is not None:
            for port in x.spec.ports:
                key = x.refs.get(port.name)
                if key is None:
                    script = x.literals.get(port.name)
                    if isinstance(script, Script):
                        _script_keys(inst.scope, script, order, x, port.name, reads, writes)
                    continue
                ident = _ident(inst.scope, key)
                if port.direction == 'input':
                    reads.setdefault(ident, (order, x, port.name, key))
                else:
                    writes.setdefault(ident, (order, x))
        for attr, script in x.conditions.items():
            _script_keys(inst.scope, script, order, x, attr, reads, writes)
        stack.extend(reversed(inst.children))
    for ident, (order_read, x, port_name, key) in reads.items():
        if ident in external or ident not in writes:
            continue
        order_write, writer = writes[ident]
        if order_read < order_write:
            loader.warning(x.file, x.line,
                           f'{x.type_name}: port "{port_name}" reads blackboard key "{key}" '
                           f'before any node can write it (first writer: {writer.type_name} '
                           f'at {writer.file}:{writer.line})')


def _validate_all(loader: _Loader, inputs=()) -> None:
    loader.validate_trees()
    if loader.main_tree_id in loader.trees:
        roots = [loader.main_tree_id]
    else:
        referenced = set()
        for tree in loader.trees.values():
            stack = [tree.root] if tree.root else []
            while stack:
                x = stack.pop()
                if x.tag == 'SubTree' and x.attrs.get('ID'):
                    referenced.add(x.attrs['ID'])
                stack.extend(x.children)
        roots = [t for t in loader.trees if t not in referenced] or list(loader.trees)
    for tree_id in roots:
        expander = _Expander(loader)
        instance = expander.expand(tree_id, Blackboard())
        if instance is not None and not expander.failed:
            _analyse_blackboard(loader, instance, inputs)
    # de-duplicate (a subtree used twice reports once), keep order
    seen = set()
    unique = []
    for problem in loader.problems:
        if problem not in seen:
            seen.add(problem)
            unique.append(problem)
    loader.problems[:] = unique


class BuiltTree:
    """A built tree: the py_trees root and tree, its blackboard, and XML paths."""

    def __init__(self, root, blackboard: Blackboard, tree_id: str, info: dict, clock=None):
        self.root = root
        self.blackboard = blackboard
        self.tree_id = tree_id
        self.clock = clock or MonotonicClock()
        self._info = info  # id(behaviour) -> (path, type, category, (file, line))
        self._paused_at: float | None = None
        self.tree = py_trees.trees.BehaviourTree(root)

    def path_of(self, behaviour) -> str:
        """Return the XML path of a behaviour, e.g. ``MainTree/NavigateRecovery/FollowPath``."""
        info = self._info.get(id(behaviour))
        return info[0] if info else behaviour.name

    def type_of(self, behaviour) -> str:
        """Return the registered node type of a behaviour."""
        info = self._info.get(id(behaviour))
        return info[1] if info else type(behaviour).__name__

    def category_of(self, behaviour) -> str:
        """Return the category (action, condition, control, decorator) of a behaviour."""
        info = self._info.get(id(behaviour))
        return info[2] if info else ''

    def source_of(self, behaviour) -> tuple[str, int]:
        """Return the (file, line) a behaviour was declared at."""
        info = self._info.get(id(behaviour))
        return info[3] if info else ('<unknown>', 0)

    def behaviours(self):
        """Iterate over every behaviour of the tree (children before parents)."""
        return self.root.iterate()

    def tick(self) -> py_trees.common.Status:
        """Tick the tree once and return the root's status."""
        self.tree.tick()
        return self.root.status

    def halt(self) -> None:
        """Halt the whole tree (running leaves get ``terminate(INVALID)``)."""
        self._paused_at = None
        self.root.stop(py_trees.common.Status.INVALID)

    @property
    def paused(self) -> bool:
        """Tell whether :meth:`pause` was called without :meth:`resume`."""
        return self._paused_at is not None

    def pause(self) -> list:
        """Halt every running leaf, keeping the control nodes' place; return the halted leaves.

        Do not tick the tree while paused. After :meth:`resume`, the next tick
        goes down the same branches: each control node still points at the
        child it was running, and the halted leaves start again (an action leaf
        sends its goal anew). Timers of Timeout, Delay and RateController do
        not count the paused time.
        """
        if self._paused_at is not None:
            return []
        self._paused_at = self.clock.now()
        running = py_trees.common.Status.RUNNING
        halted = [b for b in self.root.iterate() if not b.children and b.status is running]
        for leaf in halted:
            leaf.stop(py_trees.common.Status.INVALID)
        return halted

    def resume(self) -> None:
        """End a pause: shift the timers by the paused time; the next tick carries on."""
        if self._paused_at is None:
            return
        paused_for = max(0.0, self.clock.now() - self._paused_at)
        self._paused_at = None
        for behaviour in self.root.iterate():
            shift = getattr(behaviour, 'shift_time', None)
            if shift is not None:
                shift(paused_for)


class TreeDocument:
    """A loaded, validated set of trees (one file and its includes)."""

    def __init__(self, loader: _Loader, source: str):
        self.source = source
        self.registry = loader.registry
        self.problems: list[Problem] = list(loader.problems)  # only warnings remain
        self.main_tree_id: str | None = loader.main_tree_id
        self.files = list(loader.loaded_files)
        self._loader = loader
        if self.main_tree_id is None and len(loader.trees) == 1:
            self.main_tree_id = next(iter(loader.trees))

    @property
    def tree_ids(self) -> list[str]:
        """Return the IDs of every BehaviorTree, in file order."""
        return list(self._loader.trees)

    def build(self, tree_id: str | None = None, clock=None,
              blackboard: Blackboard | None = None) -> BuiltTree:
        """Instantiate a tree as py_trees behaviours (the main tree by default)."""
        tree_id = tree_id or self.main_tree_id
        if tree_id is None:
            raise TreeLoadError([Problem(self.source, 0, 'error', 'several BehaviorTrees and no '
                                         'main_tree_to_execute: say which tree to run '
                                         f'(one of {", ".join(self.tree_ids)})')])
        if tree_id not in self._loader.trees:
            raise TreeLoadError([Problem(self.source, 0, 'error', f'no BehaviorTree "{tree_id}" '
                                         f'(defined: {", ".join(self.tree_ids)})')])
        clock = clock or MonotonicClock()
        blackboard = blackboard if blackboard is not None else Blackboard()
        expander = _Expander(self._loader)
        before = len(self._loader.problems)
        instance = expander.expand(tree_id, blackboard)
        if instance is None or expander.failed:
            raise TreeLoadError(self._loader.problems[before:] or [
                Problem(self.source, 0, 'error', f'BehaviorTree "{tree_id}" is empty')])
        info: dict = {}
        root = _build_instance(instance, clock, info)
        return BuiltTree(root, blackboard, tree_id, info, clock)


def _build_instance(inst: _Instance, clock, info: dict):
    # iterative post-order build (no deep recursion on the Python stack beyond MAX_DEPTH)
    children = [_build_instance(child, clock, info) for child in inst.children]
    x = inst.xnode
    name = x.attrs.get('name') or (x.attrs.get('ID') if x.tag == 'SubTree' else x.type_name)
    if x.tag == 'SubTree':
        behaviour = SubTreeNode(name, children[0])
        info[id(behaviour)] = (inst.path, 'SubTree', 'subtree', (x.file, x.line))
        return _guard(behaviour, inst, info)
    spec = x.spec
    specs = {port.name: port for port in spec.ports}
    owner = f'{spec.type_name} "{name}" ({x.file}:{x.line})'
    ports = Ports(specs, dict(x.literals), dict(x.refs), inst.scope, owner)
    context = BuildContext(name=name, type_name=spec.type_name, ports=ports, children=children,
                           clock=clock, blackboard=inst.scope, source=(x.file, x.line),
                           attributes=dict(x.attrs))
    try:
        behaviour = spec.build(context)
    except Exception as exc:
        raise TreeLoadError([Problem(x.file, x.line, 'error', f'building {spec.type_name} '
                                     f'"{name}" failed: {type(exc).__name__}: {exc}')]) from exc
    if not isinstance(behaviour, py_trees.behaviour.Behaviour):
        raise TreeLoadError([Problem(x.file, x.line, 'error', f'the builder of {spec.type_name} '
                                     f'returned {type(behaviour).__name__}, not a Behaviour')])
    info[id(behaviour)] = (inst.path, spec.type_name, spec.category, (x.file, x.line))
    return _guard(behaviour, inst, info)


def _guard(behaviour, inst: _Instance, info: dict):
    """Wrap a behaviour whose XML node has pre/post-conditions; both share its path."""
    if not inst.xnode.conditions:
        return behaviour
    guarded = Guarded(behaviour.name, behaviour, inst.scope, dict(inst.xnode.conditions))
    info[id(guarded)] = info[id(behaviour)]
    return guarded


def _finish(loader: _Loader, source: str, inputs) -> TreeDocument:
    if not loader.has_errors:
        _validate_all(loader, inputs)
    if loader.has_errors:
        raise TreeLoadError(loader.problems)
    return TreeDocument(loader, source)


def load_file(path: str, registry: Registry, inputs=()) -> TreeDocument:
    """Load, validate and return the trees of ``path`` (and its includes).

    ``inputs`` names blackboard keys the caller will provide (mission inputs).
    Raises :class:`TreeLoadError` listing every problem when anything is wrong.
    """
    loader = _Loader(registry)
    loader.load_path(str(path), top=True)
    return _finish(loader, str(path), inputs)


def load_string(xml: str, registry: Registry, source: str = '<inline>',
                base_dir: str | None = None, inputs=()) -> TreeDocument:
    """Load trees from a string; ``<include>`` needs ``base_dir``.

    Raises :class:`TreeLoadError` listing every problem when anything is wrong.
    """
    loader = _Loader(registry)
    data = xml.encode('utf-8') if isinstance(xml, str) else xml
    loader.load_data(data, source, base_dir, 0, True)
    return _finish(loader, source, inputs)


def _problems_of(run) -> list[Problem]:
    try:
        document = run()
    except TreeLoadError as exc:
        return exc.problems
    return document.problems


def validate_file(path: str, registry: Registry, inputs=()) -> list[Problem]:
    """Return every problem (errors and warnings) of a tree file; never raises for a bad file."""
    return _problems_of(lambda: load_file(path, registry, inputs))


def validate_string(xml: str, registry: Registry, source: str = '<inline>',
                    base_dir: str | None = None, inputs=()) -> list[Problem]:
    """Return every problem of an XML string; never raises for bad XML."""
    return _problems_of(lambda: load_string(xml, registry, source, base_dir, inputs))

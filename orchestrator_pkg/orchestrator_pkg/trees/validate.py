"""Static checks of loaded trees against a registry, SubTree expansion, blackboard flow.

:class:`Checker` checks every node of every tree (node types, children, ports,
literal types, conditions, SubTree IDs); :class:`Expander` inlines SubTrees
from one tree (cycles, depth, node count); :func:`validate` runs both, warns
about blackboard keys read before any node writes them, and reports keys read
that nothing writes (:func:`_check_unwritten_keys`), values with unbalanced
braces (:func:`_check_braces`) and, given the known names, literal values of
ports such as place names (:func:`_check_known_values`). Problems are recorded
in the :class:`~orchestrator_pkg.trees.xml_source.TreeSource`.
"""
from collections.abc import Mapping
from dataclasses import dataclass
import difflib

from orchestrator_pkg.trees.blackboard import Blackboard
from orchestrator_pkg.trees.ports import looks_like_reference, parse_reference
from orchestrator_pkg.trees.registry import Registry
from orchestrator_pkg.trees.script import Script, ScriptError, parse_script
from orchestrator_pkg.trees.xml_source import MAX_DEPTH, MAX_NODES, TreeSource, XNode

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


class Checker:
    """Checks each tree definition of ``source`` against ``registry``."""

    def __init__(self, source: TreeSource, registry: Registry):
        self.source = source
        self.registry = registry
        self.trees = source.trees
        self.error = source.error
        self.warning = source.warning


    def check(self) -> None:
        """Check every tree; each problem goes to the source."""
        main = self.source.main_tree_id
        if main is not None and main not in self.trees:
            file, line = self.source.main_where
            self.error(file, line, f'main_tree_to_execute="{main}" names no '
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
            node.literals[port.name] = self.registry.port_types.convert(port.type, value)
        except ValueError as exc:
            self.error(node.file, node.line, f'{label}: port "{port.name}" ({port.type}): '
                                             f'{exc}')
            return
        self._check_literal_range(node, label, port)

    def _check_literal_range(self, node, label, port) -> None:
        """Report a literal outside the port's range, at the node's line."""
        reason = port.check_range(node.literals[port.name], literal=True)
        if reason:
            self.error(node.file, node.line, f'{label}: port "{port.name}": {reason}')

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
            model = self.source.tree_models.get(tree_id)
            if model is not None and attr not in model:
                self.warning(node.file, node.line, f'SubTree "{tree_id}": port "{attr}" is '
                                                   'not declared in its TreeNodesModel')


@dataclass
class Instance:
    """A node of the expanded tree (SubTrees inlined)."""

    xnode: XNode
    path: str
    scope: Blackboard
    children: list


class Expander:
    """Expands SubTrees from one tree, checking cycles, depth and node count."""

    def __init__(self, source: TreeSource):
        self.source = source
        self.count = 0
        self.failed = False

    def expand(self, tree_id: str, scope: Blackboard) -> Instance | None:
        """Expand tree ``tree_id`` on blackboard ``scope``; None if it is empty or failed."""
        tree = self.source.trees[tree_id]
        if tree.root is None:
            return None
        return self._node(tree.root, tree_id, scope, [tree_id], 1)

    def _node(self, x: XNode, parent_path: str, scope: Blackboard, chain: list,
              depth: int) -> Instance | None:
        if self.failed:
            return None
        self.count += 1
        if self.count > MAX_NODES:
            self.source.error(x.file, x.line, f'the expanded tree has more than {MAX_NODES} '
                                              'nodes (node count limit)')
            self.failed = True
            return None
        if depth > MAX_DEPTH:
            self.source.error(x.file, x.line, f'the expanded tree is deeper than the limit of '
                                              f'{MAX_DEPTH} levels')
            self.failed = True
            return None
        name = x.attrs.get('name') or (x.attrs.get('ID') if x.tag == 'SubTree'
                                       else x.type_name or x.tag)
        path = f'{parent_path}/{name}'
        if x.tag == 'SubTree':
            tree_id = x.attrs.get('ID')
            if tree_id not in self.source.trees:
                return None
            if tree_id in chain:
                cycle = ' -> '.join(chain[chain.index(tree_id):] + [tree_id])
                self.source.error(x.file, x.line, f'SubTree cycle: {cycle}')
                self.failed = True
                return None
            autoremap = x.attrs.get('_autoremap', 'false').strip().lower() in ('true', '1')
            child_scope = scope.scope(remap=x.refs, autoremap=autoremap)
            for key, value in x.literals.items():
                child_scope.set_local(key, value)
            tree = self.source.trees[tree_id]
            children = []
            if tree.root is not None:
                child = self._node(tree.root, path, child_scope, chain + [tree_id], depth + 1)
                if child is not None:
                    children.append(child)
            return Instance(x, path, scope, children)
        children = []
        for xc in x.children:
            child = self._node(xc, path, scope, chain, depth + 1)
            if child is not None:
                children.append(child)
        return Instance(x, path, scope, children)


def _ident(scope: Blackboard, key: str) -> tuple[int, str]:
    board, real = scope.resolve(key)
    return id(board), real


def _script_keys(scope, script, order, x, port_name, reads, writes) -> None:
    for key in script.read_keys():
        reads.setdefault(_ident(scope, key), (order, x, port_name, key))
    for key in script.assigned_keys():
        writes.setdefault(_ident(scope, key), (order, x))


def _analyse_blackboard(source: TreeSource, root: Instance, inputs) -> tuple[dict, dict]:
    """Warn about keys read (in tick order) before the first node that writes them.

    Keys that no node writes at all are checked by :func:`_check_unwritten_keys`.
    Returns the first read and the first write of every key, by identity.
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
            source.warning(x.file, x.line,
                           f'{x.type_name}: port "{port_name}" reads blackboard key "{key}" '
                           f'before any node can write it (first writer: {writer.type_name} '
                           f'at {writer.file}:{writer.line})')
    return reads, writes


def _check_input_values(source: TreeSource, root: Instance, inputs: Mapping,
                        types) -> None:
    """Check the mission's input values against the type and range of the ports that read them.

    A port with a range that reads an input key (e.g. ``Repeat num_cycles="{laps}"``
    with the input ``laps=-1``) makes an out-of-range input an error at that
    node's line, before anything runs.
    """
    given = {_ident(root.scope, key): (key, value) for key, value in inputs.items()
             if value is not None}  # None: given, value not known here
    stack = [root]
    while stack:
        inst = stack.pop()
        stack.extend(inst.children)
        spec = inst.xnode.spec
        if spec is None or inst.xnode.tag == 'SubTree':
            continue
        for port in spec.ports:
            ref = inst.xnode.refs.get(port.name)
            if port.range is None or port.direction == 'output' or ref is None:
                continue
            found = given.get(_ident(inst.scope, ref))
            if found is None:
                continue
            key, value = found
            try:
                reason = port.check_range(types.check_native(port.type, value), literal=False)
            except ValueError as exc:
                reason = str(exc)
            if reason:
                x = inst.xnode
                label = x.type_name + (f' "{x.attrs["name"]}"' if x.attrs.get('name') else '')
                source.error(x.file, x.line, f'{label}: port "{port.name}" reads input '
                                             f'"{key}" = {value!r}: {reason}')


def validate(source: TreeSource, registry: Registry, inputs=(), known_values=None) -> None:
    """Check every tree, expand each root tree and analyse its blackboard flow.

    ``inputs`` names the keys the caller provides, or maps them to their values
    (None: given, value unknown); given values are checked against the ports
    that read them. ``known_values``
    maps a port type to ``(names, what)``: every literal value that reaches a
    port of that type must be one of ``names`` (e.g. ``{'place': (world_places,
    'world warehouse')}``).
    """
    Checker(source, registry).check()
    _check_braces(source)
    if source.main_tree_id in source.trees:
        roots = [source.main_tree_id]
    else:
        referenced = set()
        for tree in source.trees.values():
            stack = [tree.root] if tree.root else []
            while stack:
                x = stack.pop()
                if x.tag == 'SubTree' and x.attrs.get('ID'):
                    referenced.add(x.attrs['ID'])
                stack.extend(x.children)
        roots = [t for t in source.trees if t not in referenced] or list(source.trees)
    for tree_id in roots:
        expander = Expander(source)
        instance = expander.expand(tree_id, Blackboard())
        if instance is not None and not expander.failed:
            reads, writes = _analyse_blackboard(source, instance, inputs)
            _check_unwritten_keys(source, tree_id, instance, reads, writes, inputs)
            if isinstance(inputs, Mapping):
                _check_input_values(source, instance, inputs, registry.port_types)
            if known_values:
                _check_known_values(source, instance, known_values, inputs)
    # de-duplicate (a subtree used twice reports once), keep order
    seen = set()
    unique = []
    for problem in source.problems:
        if problem not in seen:
            seen.add(problem)
            unique.append(problem)
    source.problems[:] = unique


def declared_inputs(source: TreeSource, tree_id: str) -> list:
    """Return the input ports a tree declares in its ``<TreeNodesModel>`` (BT.CPP 4.4+).

    A mission declares its inputs this way (name, default, description); each is
    a :class:`~orchestrator_pkg.trees.xml_source.ModelPort`.
    """
    model = source.tree_models.get(tree_id) or {}
    return [port for port in model.values() if port.direction in ('input', 'inout')]


def _check_unwritten_keys(source: TreeSource, tree_id: str, root: Instance, reads: dict,
                          writes: dict, inputs) -> None:
    """Report keys read that no node writes and that are neither given nor declared.

    A key one typo away from a key the tree writes or declares (``{targt}`` when
    ``target`` is written) is an error with a "did you mean"; that read would fail
    at run time, or make a Fallback take its other branch. Any other such key is a
    warning: it may be an input the caller gives (say so with ``--inputs`` or
    declare it in the TreeNodesModel).
    """
    external = {_ident(root.scope, key) for key in inputs}
    declared = [port.name for port in declared_inputs(source, tree_id)]
    external |= {_ident(root.scope, key) for key in declared}
    known = sorted({real for _, real in writes} | set(declared) | set(inputs))
    for ident, (_, x, port_name, key) in reads.items():
        if ident in external or ident in writes:
            continue
        hint = difflib.get_close_matches(ident[1], known, n=1, cutoff=0.75)
        what = f'{x.type_name}: port "{port_name}" reads blackboard key "{key}", which no node ' \
               'writes'
        if hint:
            source.error(x.file, x.line, f'{what} (did you mean "{hint[0]}"?)')
        else:
            source.warning(x.file, x.line,
                           f'{what} and which is not a declared input of tree "{tree_id}" '
                           '(give it as an input, or declare it as an input_port of '
                           f'<SubTree ID="{tree_id}"> in <TreeNodesModel>)')


def _unbalanced(text: str) -> bool:
    depth = 0
    for char in text:
        if char == '{':
            depth += 1
        elif char == '}':
            depth -= 1
            if depth < 0:
                return True
    return depth != 0


def _check_braces(source: TreeSource) -> None:
    """Report port values with unbalanced braces (``{place`` or ``place}``).

    Such a value is not a blackboard reference, so it would be taken as a
    literal and the key never read or written. Scripts are not checked (their
    strings may hold any character).
    """
    for tree in source.trees.values():
        stack = [tree.root] if tree.root else []
        while stack:
            x = stack.pop()
            stack.extend(reversed(x.children))
            for attr, value in x.attrs.items():
                # only values taken as text: other literals failed their conversion
                # already, and output ports, scripts and conditions say so themselves
                if not isinstance(x.literals.get(attr), str) or attr in COMMON_ATTRIBUTES:
                    continue
                if _unbalanced(value):
                    label = x.type_name or x.tag
                    if x.tag == 'SubTree':
                        label = f'SubTree "{x.attrs.get("ID", "")}"'
                    elif x.attrs.get('name'):
                        label += f' "{x.attrs["name"]}"'
                    source.error(x.file, x.line, f'{label}: port "{attr}" value "{value}" has '
                                                 'unbalanced braces (a blackboard reference is '
                                                 'written {key})')


def _walk(root: Instance):
    stack = [root]
    while stack:
        inst = stack.pop()
        yield inst
        stack.extend(reversed(inst.children))


def _check_known_values(source: TreeSource, root: Instance, known_values, inputs) -> None:
    """Check every literal value that reaches a port of a known-value type.

    Values start as literals (on the port itself, a SubTree's literal, a
    mission input's value) and follow ``NodeSpec.forwards`` (SetDefault's value
    to its key, a LoopString's elements to its ``value``) to the ports that use
    them. A value that is not among the known names is an error where it was
    written, naming the port that would use it.
    """
    values: dict = {}  # key identity -> {(value, file, line, origin)}
    given = inputs if isinstance(inputs, Mapping) else {}
    for key, value in given.items():
        if value is None:  # given, value not known here
            continue
        values.setdefault(_ident(root.scope, key), set()).add(
            (str(value), '', 0, f'the input {key}="{value}"'))
    instances = list(_walk(root))
    for inst in instances:
        x = inst.xnode
        if x.tag == 'SubTree' and inst.children:
            board = inst.children[0].scope
            for key, value in x.literals.items():
                if isinstance(value, str):
                    values.setdefault(_ident(board, key), set()).add(
                        (value, x.file, x.line, f'SubTree "{x.attrs.get("ID", "")}"'))

    def port_values(inst, port_name):
        x = inst.xnode
        key = x.refs.get(port_name)
        if key is not None:
            return values.get(_ident(inst.scope, key), set())
        if port_name in x.attrs:
            name = x.attrs.get('name')
            return {(x.attrs[port_name], x.file, x.line,
                     x.type_name + (f' "{name}"' if name else ''))}
        return set()

    changed, rounds = True, 0
    while changed and rounds <= len(instances):  # values only grow: a fixed point
        changed, rounds = False, rounds + 1
        for inst in instances:
            spec = inst.xnode.spec
            if inst.xnode.tag == 'SubTree' or spec is None:
                continue
            for source_port, target_port, separator in spec.forwards:
                key = inst.xnode.refs.get(target_port)
                if key is None:
                    continue
                target = values.setdefault(_ident(inst.scope, key), set())
                for value, file, line, origin in list(port_values(inst, source_port)):
                    pieces = value.split(separator) if separator else [value]
                    for piece in pieces:
                        entry = (piece.strip() if separator else piece, file, line, origin)
                        if entry not in target:
                            target.add(entry)
                            changed = True
    reported = set()
    for inst in instances:
        x = inst.xnode
        if x.tag == 'SubTree' or x.spec is None:
            continue
        for port in x.spec.ports:
            if port.type not in known_values or port.direction == 'output':
                continue
            names, what = known_values[port.type]
            for value, file, line, origin in sorted(port_values(inst, port.name)):
                if not value or value in names or (value, file, line) in reported:
                    continue
                reported.add((value, file, line))
                hint = difflib.get_close_matches(value, list(names), n=1, cutoff=0.6)
                extra = f'did you mean "{hint[0]}"? ' if hint else ''
                user = x.type_name + (f' "{x.attrs["name"]}"' if x.attrs.get('name') else '')
                where = f'{x.file}:{x.line}'
                source.error(file or x.file, line or x.line,
                             f'{origin}: "{value}" is not a {port.type} of {what}, and it '
                             f'reaches {user} (port "{port.name}", {where}) '
                             f'({extra}known: {", ".join(sorted(names)) or "none"})')

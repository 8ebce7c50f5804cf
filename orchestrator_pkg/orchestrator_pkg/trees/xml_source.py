"""Safe reading of BehaviorTree.CPP v4 XML into :class:`XNode` elements with file and line.

Files are parsed with defusedxml (no DTDs, no entities) under size, depth,
element-count and include-depth limits; nothing is checked against a registry
here (:mod:`.validate` does). Supported XML (see docs/behaviour_trees.md):
``<root BTCPP_format="4" main_tree_to_execute="...">``, several
``<BehaviorTree ID>``, ``<SubTree ID ... _autoremap>`` with port remapping,
``<include path>`` (relative to the including file), ``<TreeNodesModel>``
(accepted; SubTree port declarations are read), and the explicit
``<Action ID="X">`` / ``<Condition ID>`` / ``<Control ID>`` / ``<Decorator ID>`` forms.
"""
from dataclasses import dataclass, field
import os
from typing import Any
import xml.etree.ElementTree as ElementTree

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 10_000
MAX_INCLUDE_DEPTH = 8


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
    text: str = ''  # character data (a TreeNodesModel port's description)
    # filled by validation for known node types
    type_name: str = ''
    spec: Any = None
    literals: dict = field(default_factory=dict)
    refs: dict = field(default_factory=dict)
    conditions: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ModelPort:
    """A port of a tree declared in ``<TreeNodesModel><SubTree ID>`` (BT.CPP 4.4+)."""

    name: str
    direction: str  # 'input' | 'output' | 'inout'
    default: str | None = None
    description: str = ''
    file: str = ''
    line: int = 0


@dataclass
class _TreeDef:
    tree_id: str
    root: XNode | None
    file: str
    line: int


class _Builder:
    """An ElementTree parser target that builds XNodes and enforces depth/count limits."""

    def __init__(self, file: str, source: 'TreeSource'):
        self.file = file
        self.source = source
        self.parser = None
        self.stack: list[XNode] = []
        self.root: XNode | None = None
        self.count = 0
        self.leading_comment = ''  # the first comment before the document element

    def _line(self) -> int:
        return self.parser.parser.CurrentLineNumber if self.parser else 0

    def start(self, tag, attrs):
        line = self._line()
        if len(self.stack) >= MAX_DEPTH + 2:  # root + BehaviorTree + MAX_DEPTH nodes
            self.source.error(self.file, line, f'elements are nested deeper than the limit '
                                               f'of {MAX_DEPTH} tree levels')
            raise _Abort()
        self.count += 1
        if self.count > MAX_NODES + 100:
            self.source.error(self.file, line, f'more than {MAX_NODES} elements '
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
        if self.stack:
            self.stack[-1].text += text

    def comment(self, text):
        if self.root is None and not self.leading_comment:
            self.leading_comment = text

    def close(self):
        return self.root


class TreeSource:
    """The trees of a file and its includes (or of a string), and the problems found."""

    def __init__(self):
        self.problems: list[Problem] = []
        self.trees: dict[str, _TreeDef] = {}
        self.tree_models: dict[str, dict[str, ModelPort]] = {}  # SubTree ID -> port name -> port
        self.loaded_files: list[str] = []
        self.main_tree_id: str | None = None
        self.main_where = ('<unknown>', 0)  # where main_tree_to_execute was given
        self.description = ''  # the top document's leading comment (what the mission does)
        self._stack: list[str] = []
        self._leading_comment = ''

    # -- problems ---------------------------------------------------------------
    def error(self, file, line, message):
        """Record an error at ``file``:``line``."""
        self.problems.append(Problem(file, int(line or 0), 'error', message))

    def warning(self, file, line, message):
        """Record a warning at ``file``:``line``."""
        self.problems.append(Problem(file, int(line or 0), 'warning', message))

    @property
    def has_errors(self) -> bool:
        """Tell whether any error was recorded."""
        return any(p.severity == 'error' for p in self.problems)

    # -- parsing ------------------------------------------------------------------
    def _parse(self, data: bytes | str, file: str) -> XNode | None:
        builder = _Builder(file, self)
        parser = DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True,
                                  forbid_external=True)
        builder.parser = parser
        try:
            parser.feed(data)
            root = parser.close()
            self._leading_comment = builder.leading_comment
            return root
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
        """Read the trees of file ``path`` (an include when not ``top``)."""
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
        """Read the trees of a document's bytes; includes resolve from ``base_dir``."""
        if len(data) > MAX_FILE_BYTES:
            self.error(file, 0, f'document is {len(data)} bytes, over the limit of '
                                f'{MAX_FILE_BYTES} bytes')
            return
        root = self._parse(data, file)
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
            self.main_where = (file, root.line)
            self.description = self._leading_comment.strip()
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
                name = port.attrs.get('name')
                if direction and name:
                    ports[name] = ModelPort(name, direction, port.attrs.get('default'),
                                            ' '.join(port.text.split()), port.file, port.line)
            self.tree_models[entry.attrs['ID']] = ports

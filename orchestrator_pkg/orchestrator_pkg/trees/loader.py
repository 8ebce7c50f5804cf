"""Load and validate BehaviorTree.CPP v4 XML, then build py_trees behaviours from it.

The engine's public face. Loading is all-or-nothing: the files are parsed
safely (:mod:`.xml_source`), every tree is checked against the registry
(:mod:`.validate`), and only a document without errors can be built
(:mod:`.runtime`). Each :class:`Problem` names the file, the line and the reason.
"""
import os

from orchestrator_pkg.trees.blackboard import Blackboard
from orchestrator_pkg.trees.registry import Registry
from orchestrator_pkg.trees.runtime import BuiltTree, build_tree
from orchestrator_pkg.trees.validate import validate
from orchestrator_pkg.trees.xml_source import Problem, TreeLoadError, TreeSource


class TreeDocument:
    """A loaded, validated set of trees (one file and its includes)."""

    def __init__(self, parsed: TreeSource, registry: Registry, source: str):
        self.source = source
        self.registry = registry
        self.problems: list[Problem] = list(parsed.problems)  # only warnings remain
        self.main_tree_id: str | None = parsed.main_tree_id
        self.files = list(parsed.loaded_files)
        self._parsed = parsed
        if self.main_tree_id is None and len(parsed.trees) == 1:
            self.main_tree_id = next(iter(parsed.trees))

    @property
    def tree_ids(self) -> list[str]:
        """Return the IDs of every BehaviorTree, in file order."""
        return list(self._parsed.trees)

    def build(self, tree_id: str | None = None, clock=None,
              blackboard: Blackboard | None = None) -> BuiltTree:
        """Instantiate a tree as py_trees behaviours (the main tree by default)."""
        tree_id = tree_id or self.main_tree_id
        if tree_id is None:
            raise TreeLoadError([Problem(self.source, 0, 'error', 'several BehaviorTrees and no '
                                         'main_tree_to_execute: say which tree to run '
                                         f'(one of {", ".join(self.tree_ids)})')])
        if tree_id not in self._parsed.trees:
            raise TreeLoadError([Problem(self.source, 0, 'error', f'no BehaviorTree "{tree_id}" '
                                         f'(defined: {", ".join(self.tree_ids)})')])
        return build_tree(self._parsed, self.registry, tree_id, clock, blackboard, self.source)


def _finish(parsed: TreeSource, registry: Registry, source: str, inputs,
            known_values=None) -> TreeDocument:
    if not parsed.has_errors:
        validate(parsed, registry, inputs, known_values)
    if parsed.has_errors:
        raise TreeLoadError(parsed.problems)
    return TreeDocument(parsed, registry, source)


def load_file(path: str, registry: Registry, inputs=(), known_values=None) -> TreeDocument:
    """Load, validate and return the trees of ``path`` (and its includes).

    ``inputs`` names blackboard keys the caller will provide (mission inputs),
    or maps them to their values, which are then checked against the type and
    range of every port that reads them; ``known_values`` is :func:`validate`'s.
    Raises :class:`TreeLoadError` listing every problem when anything is wrong.
    """
    parsed = TreeSource()
    parsed.load_path(str(path), top=True)
    return _finish(parsed, registry, str(path), inputs, known_values)


# (real path, registry, inputs) -> (the files' stamps, TreeDocument): load_file_cached
_DOCUMENTS: dict = {}
MAX_CACHED_DOCUMENTS = 32


def _stamps(files) -> tuple | None:
    """(path, mtime in ns, size) of each file; None when one cannot be read."""
    try:
        return tuple((f, st.st_mtime_ns, st.st_size) for f in files for st in (os.stat(f),))
    except OSError:
        return None


def load_file_cached(path: str, registry: Registry, inputs=()) -> TreeDocument:
    """:func:`load_file`, parsed and validated again only when one of its files changed.

    A tree host loads the same file for every goal (a navigator's tree, the battery
    guard's recharge mission, a named mission). Each file the document read (its
    includes too) is compared by modification time and size with what was read
    last time; an edited file is read again, as Nav2's navigator re-reads a
    changed tree file. A file that fails to load is not kept, so its errors are
    reported on every goal. The document may be built any number of times: each
    :meth:`TreeDocument.build` makes new behaviours.
    """
    names = tuple(sorted(inputs.items())) if isinstance(inputs, dict) else tuple(sorted(inputs))
    key = (os.path.realpath(path), id(registry), names)
    kept = _DOCUMENTS.get(key)
    if kept is not None and kept[1].registry is registry and _stamps(kept[1].files) == kept[0]:
        return kept[1]
    before = _stamps([key[0]])  # a file written while it was read is not kept
    document = load_file(path, registry, inputs=inputs)
    stamps = _stamps(document.files)
    if stamps is not None and before is not None and before[0] in stamps:
        _DOCUMENTS.pop(key, None)
        while len(_DOCUMENTS) >= MAX_CACHED_DOCUMENTS:
            _DOCUMENTS.pop(next(iter(_DOCUMENTS)))  # the oldest
        _DOCUMENTS[key] = (stamps, document)
    return document


def load_string(xml: str, registry: Registry, source: str = '<inline>',
                base_dir: str | None = None, inputs=(), known_values=None) -> TreeDocument:
    """Load trees from a string; ``<include>`` needs ``base_dir``.

    Raises :class:`TreeLoadError` listing every problem when anything is wrong.
    """
    parsed = TreeSource()
    data = xml.encode('utf-8') if isinstance(xml, str) else xml
    parsed.load_data(data, source, base_dir, 0, True)
    return _finish(parsed, registry, source, inputs, known_values)


def _problems_of(run) -> list[Problem]:
    try:
        document = run()
    except TreeLoadError as exc:
        return exc.problems
    return document.problems


def validate_file(path: str, registry: Registry, inputs=(), known_values=None) -> list[Problem]:
    """Return every problem (errors and warnings) of a tree file; never raises for a bad file."""
    return _problems_of(lambda: load_file(path, registry, inputs, known_values))


def validate_string(xml: str, registry: Registry, source: str = '<inline>',
                    base_dir: str | None = None, inputs=(), known_values=None) -> list[Problem]:
    """Return every problem of an XML string; never raises for bad XML."""
    return _problems_of(lambda: load_string(xml, registry, source, base_dir, inputs,
                                            known_values))

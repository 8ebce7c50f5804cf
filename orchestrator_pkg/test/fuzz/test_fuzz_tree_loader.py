"""Fuzzing the tree loader: any input loads or raises TreeLoadError with file:line, never hangs.

Inputs: the seeds (every shipped mission and Nav2 tree, and test/fuzz/corpus/trees)
mutated byte-wise; trees generated from the registry's node types with random
ports, values and nesting; arbitrary text. A tree that loads is built and
ticked a few times by a MissionRunner (no exception escapes it). Every
example has a deadline (orchestrator_pkg.testing.fuzz), so a loader or tick
that takes seconds on one input fails.
"""
import copy
import glob
import os
from xml.etree import ElementTree
from xml.sax.saxutils import escape, quoteattr

from hypothesis import given
from hypothesis import strategies as st

from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.testing.fuzz import load_profile, mutated_bytes, read_corpus
from orchestrator_pkg.trees.clock import ManualClock
from orchestrator_pkg.trees.loader import TreeLoadError, load_string
from orchestrator_pkg.trees.runner import MissionRunner

PACKAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
load_profile(os.path.join(PACKAGE, '..', 'build'))
SOURCE = 'fuzz.xml'
REGISTRY = default_registry()
CORPUS = read_corpus(os.path.join(os.path.dirname(__file__), 'corpus', 'trees'), ('.xml',))
SEEDS = (CORPUS + [open(p, 'rb').read() for p in sorted(
             glob.glob(os.path.join(PACKAGE, 'missions', '*.xml'))
             + glob.glob(os.path.join(PACKAGE, 'test', 'data', 'nav2_jazzy_trees', '*.xml')))])
TYPES = REGISTRY.types()
# text that XML can carry (no control characters or lone surrogates)
XML_TEXT = st.text(st.characters(blacklist_categories=('Cc', 'Cs')), max_size=16)
VALUES = st.one_of(
    st.sampled_from(('-1', '-3', '0', '1', '2', '1000000000', '99999999999999999999', '1e999',
                     'nan', '-0.5', '2.5', 'true', 'false', 'SUCCESS', 'SKIPPED', '{x}', '{=}',
                     '{@x}', '{x', 'x}', '{}', 'a;b;c', ';', '0;map;1.0;2.0;0;0;0;0;1',
                     'x := 1', 'x &gt; 1', "x == 'a' ? 1 : 2", '', ' ')),
    st.integers(-10**12, 10**12).map(str),
    XML_TEXT)
ATTRIBUTES = ('name', 'ID', '_failureIf', '_successIf', '_onSuccess', '_post', '_skipIf',
              '_autoremap', 'num_cycles', 'num_attempts', 'msec', 'queue', 'value', 'bogus')


def check(data) -> None:
    """Load ``data``; on success build every tree and tick it; only TreeLoadError may escape."""
    try:
        document = load_string(data, REGISTRY, source=SOURCE)
    except TreeLoadError as exc:
        assert exc.problems, 'a TreeLoadError without problems'
        for problem in exc.problems:
            assert problem.file == SOURCE, problem
            assert isinstance(problem.line, int) and problem.line >= 0, problem
            assert problem.severity in ('error', 'warning') and problem.message, problem
            assert str(problem).startswith(f'{SOURCE}:{problem.line}: '), problem
        return
    for tree_id in document.tree_ids:
        clock = ManualClock()
        try:
            built = document.build(tree_id, clock=clock)
        except TreeLoadError as exc:
            assert exc.problems
            continue
        runner = MissionRunner(built, 'fuzz', clock)
        for _ in range(5):  # ROS leaves without a node fail (EXCEPTION); nothing escapes
            if runner.tick().name != 'RUNNING':
                break
            clock.advance(0.05)
        runner.halt()
        assert all(b.status.name != 'RUNNING' for b in built.root.iterate())


@st.composite
def node(draw, depth=0):
    """Draw one XML element: a registered type (or not), ports, odd attributes, children."""
    type_name = draw(st.one_of(st.sampled_from(TYPES), st.sampled_from(
        ('SubTree', 'Unknown', 'Action', 'Precondition', 'include'))))
    attrs = {}
    spec = REGISTRY.get(type_name) if type_name in REGISTRY else None
    ports = [p.name for p in spec.ports] if spec else ['ID', 'path']
    for name in draw(st.lists(st.sampled_from(ports + ['name', '_failureIf', '_successIf',
                                                       '_onSuccess', '_skipIf', 'bogus']),
                              max_size=4, unique=True)):
        attrs[name] = draw(VALUES)
    if type_name == 'SubTree' and draw(st.booleans()):
        attrs['ID'] = draw(st.sampled_from(('Main', 'Other', 'Missing')))
    children = []
    if depth < 4:
        count = draw(st.integers(0, 3 if spec is None or spec.max_children != 0 else 1))
        children = [draw(node(depth + 1)) for _ in range(count)]
    text = ''.join(f' {key}={quoteattr(value)}' for key, value in attrs.items())
    inner = ''.join(children) + (escape(draw(XML_TEXT)) if draw(st.booleans()) else '')
    return f'<{type_name}{text}>{inner}</{type_name}>' if inner else f'<{type_name}{text}/>'


@st.composite
def documents(draw):
    """Draw a whole file: one or two trees, maybe a main tree, maybe a TreeNodesModel."""
    main = draw(st.sampled_from(('', ' main_tree_to_execute="Main"') * 3
                                + (' main_tree_to_execute="Nope"',)))
    version = draw(st.sampled_from((' BTCPP_format="4"',) * 6 + ('', ' BTCPP_format="3"')))
    trees = [f'<BehaviorTree ID="Main">{draw(node())}</BehaviorTree>']
    if draw(st.booleans()):
        trees.append(f'<BehaviorTree ID="Other">{draw(node())}</BehaviorTree>')
    if draw(st.booleans()):
        trees.append('<TreeNodesModel><SubTree ID="Other"><input_port name="x"/></SubTree>'
                     '</TreeNodesModel>')
    return f'<root{version}{main}>{"".join(trees)}</root>'


@st.composite
def mutated_trees(draw):
    """Draw a seed with its elements edited: values, attributes, children, tags."""
    root = ElementTree.fromstring(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        element = draw(st.sampled_from(list(root.iter())))
        kind = draw(st.sampled_from(('value', 'attribute', 'drop', 'copy', 'tag')))
        children = list(element)
        if kind == 'value' and element.attrib:
            element.set(draw(st.sampled_from(sorted(element.attrib))), draw(VALUES))
        elif kind == 'attribute':
            element.set(draw(st.sampled_from(ATTRIBUTES)), draw(VALUES))
        elif kind == 'drop' and children:
            element.remove(draw(st.sampled_from(children)))
        elif kind == 'copy' and children:
            element.insert(draw(st.integers(0, len(children))),
                           copy.deepcopy(draw(st.sampled_from(children))))
        elif kind == 'tag' and element is not root:
            element.tag = draw(st.sampled_from(TYPES + ['SubTree', 'BehaviorTree', 'include']))
    return ElementTree.tostring(root)


@given(mutated_trees())
def test_edited_trees_load_or_fail_with_file_and_line(data):
    check(data)


@given(mutated_bytes(SEEDS))
def test_mutated_trees_load_or_fail_with_file_and_line(data):
    check(data)


@given(documents())
def test_generated_trees_load_or_fail_with_file_and_line(xml):
    check(xml)


@given(st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_arbitrary_input_loads_or_fails_with_file_and_line(data):
    check(data)


def test_the_corpus_seeds_are_valid_trees():
    """The corpus loads (so mutations start from the interesting, valid side)."""
    for seed in CORPUS:
        load_string(seed, REGISTRY, source=SOURCE)

"""Property-based fuzzing of the loaders (hypothesis): budgets, the seed corpus, mutations.

Two hypothesis profiles, chosen by ``ORCHESTRATOR_FUZZ``:

- ``ci`` (the default, what ``colcon test`` runs): a fixed budget of
  :data:`CI_EXAMPLES` examples per test, derandomized (every run tries the same
  examples, so CI is stable) and no example database;
- ``long`` (``make fuzz``): :data:`LONG_EXAMPLES` examples per test (or
  ``ORCHESTRATOR_FUZZ_EXAMPLES``), random, and an example database under
  ``build/`` that replays earlier failures.

Both give every example a deadline (:data:`DEADLINE_S`): a loader that takes
longer on one input fails the test. The corpus is a folder of seed inputs
kept in the repository (``test/fuzz/corpus/`` of each package); the fuzzers
mutate the seeds byte-wise (:func:`mutated_bytes`) and structurally
(:func:`mutated_document`). A failure the long run finds is kept by adding
its input to the corpus.
"""
import copy
from datetime import timedelta
import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

CI_EXAMPLES = 200
LONG_EXAMPLES = 5000
DEADLINE_S = 5.0
PROFILE_VARIABLE = 'ORCHESTRATOR_FUZZ'
_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

# Bytes worth splicing into any text input: numbers at and beyond the edges,
# XML and YAML syntax, references, escapes, control bytes.
TOKENS = (
    b'-1', b'-3', b'0', b'-0', b'1e999', b'-1e999', b'nan', b'inf', b'99999999999999999999',
    b'0x1F', b'1000000000', b'true', b'', b'{x}', b'{=}', b'{@x}', b'{', b'}', b'{{x}}', b'<', b'>',
    b'"', b"'", b'&', b'&amp;', b'&x;', b'&#0;', b'\x00', b'\xff', b'\n', b':', b'- ', b'[', b']',
    b'~', b'null', b'!!python/object:os.system', b'*a', b'&a ', b'<!DOCTYPE x [<!ENTITY x "y">]>',
    b'<include path="x.xml"/>', b'<SubTree ID="M"/>', b'<BehaviorTree ID="M">', b'</root>',
    b'_failureIf="x ==', b'<![CDATA[', b'<?xml version="1.0"?>', b'\xc3\x28', b'a;b;;c',
)


def load_profile(storage_dir: str) -> str:
    """Register both profiles and load the one ``ORCHESTRATOR_FUZZ`` names; return its name.

    Hypothesis keeps its own files in ``storage_dir`` (the repository's
    ``build/``), not in the folder the tests run from.
    """
    os.environ.setdefault('HYPOTHESIS_STORAGE_DIRECTORY', os.path.join(storage_dir, 'hypothesis'))
    deadline = timedelta(seconds=DEADLINE_S)
    settings.register_profile('ci', max_examples=CI_EXAMPLES, derandomize=True, database=None,
                              deadline=deadline, suppress_health_check=_SLOW_OK,
                              print_blob=True)
    folder = os.environ.get('ORCHESTRATOR_FUZZ_DB',
                            os.path.join(storage_dir, 'hypothesis-fuzz'))
    settings.register_profile(
        'long', max_examples=int(os.environ.get('ORCHESTRATOR_FUZZ_EXAMPLES', LONG_EXAMPLES)),
        derandomize=False, database=DirectoryBasedExampleDatabase(folder), deadline=deadline,
        suppress_health_check=_SLOW_OK, print_blob=True)
    name = os.environ.get(PROFILE_VARIABLE, 'ci')
    if name not in ('ci', 'long'):
        raise ValueError(f'{PROFILE_VARIABLE}={name!r}: expected ci or long')
    settings.load_profile(name)
    return name


def read_corpus(folder: str, suffixes=()) -> list:
    """Return the bytes of every seed file in ``folder`` (sorted, so runs are repeatable)."""
    seeds = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isfile(path) and (not suffixes or name.endswith(tuple(suffixes))):
            with open(path, 'rb') as stream:
                seeds.append(stream.read())
    if not seeds:
        raise FileNotFoundError(f'no seed inputs in {folder}')
    return seeds


@st.composite
def mutated_bytes(draw, seeds, tokens=TOKENS, max_mutations=8):
    """Draw a seed with 1..``max_mutations`` edits: bit flips, cuts, copies, spliced tokens."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, max_mutations))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(('flip', 'cut', 'copy', 'token', 'replace')))
        if kind == 'flip' and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == 'cut':
            del data[at:at + draw(st.integers(1, 64))]
        elif kind == 'copy' and data:
            start = draw(st.integers(0, len(data) - 1))
            data[at:at] = data[start:start + draw(st.integers(1, 256))]
        elif kind == 'token':
            data[at:at] = draw(st.sampled_from(tokens))
        elif kind == 'replace':
            data[at:at + draw(st.integers(1, 8))] = draw(st.sampled_from(tokens))
    return bytes(data)


def scalars():
    """Any YAML-ish scalar: None, bools, edge integers and floats (nan, inf), short text."""
    return st.one_of(st.none(), st.booleans(),
                     st.integers(-2**70, 2**70), st.sampled_from((0, -1, 1, 10**9)),
                     st.floats(allow_nan=True, allow_infinity=True),
                     st.text(max_size=12))


def values():
    """Any YAML-ish value: a scalar, or a small list or mapping of them."""
    return st.recursive(scalars(), lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
        max_leaves=8)


def _paths(doc, prefix=()):
    """Every path (tuple of keys/indices) to a value inside ``doc``, the root included."""
    found = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            found.extend(_paths(value, prefix + (key,)))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found.extend(_paths(value, prefix + (index,)))
    return found


@st.composite
def mutated_document(draw, doc, max_mutations=4):
    """Draw a copy of a parsed document (dicts, lists, scalars) with values changed."""
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, max_mutations))):
        path = draw(st.sampled_from(_paths(doc)))
        if not path:
            if draw(st.booleans()):
                return draw(values())
            continue
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        kind = draw(st.sampled_from(('replace', 'remove', 'add')))
        if kind == 'replace':
            parent[path[-1]] = draw(values())
        elif kind == 'remove':
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=8))] = draw(values())
        else:
            parent.insert(path[-1], draw(values()))
    return doc

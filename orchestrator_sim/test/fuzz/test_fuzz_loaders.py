"""Fuzzing the world loaders (YAML, SDF) and the robot preset loader: clear errors only.

Inputs: the seeds (the shipped worlds and presets, and test/fuzz/corpus) mutated
byte-wise and, for the YAML files, structurally (values of the parsed document
replaced, removed or added). Each input either loads, with finite numbers
everywhere, or raises the loader's own error (WorldError, RobotPresetError)
naming the file; never another exception. Budgets and profiles:
orchestrator_pkg.testing.fuzz (``make fuzz`` runs the long profile).
"""
import dataclasses
import glob
import math
import os
import tempfile

from hypothesis import given
import yaml

from orchestrator_pkg.testing.fuzz import (
    load_profile,
    mutated_bytes,
    mutated_document,
    read_corpus,
)
from orchestrator_sim.robots import RobotPresetError, load_robot, parse_robot
from orchestrator_sim.world import load_world
from orchestrator_sim.world.model import WorldError
from orchestrator_sim.world.yaml_world import parse_yaml_world

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.dirname(os.path.dirname(HERE))
load_profile(os.path.join(os.path.dirname(PACKAGE), 'build'))
CORPUS = os.path.join(HERE, 'corpus')


def _files(*patterns):
    return [open(path, 'rb').read() for pattern in patterns
            for path in sorted(glob.glob(os.path.join(PACKAGE, pattern)))]


YAML_WORLDS = read_corpus(os.path.join(CORPUS, 'worlds'), ('.yaml',)) + _files('worlds/*.yaml')
SDF_WORLDS = read_corpus(os.path.join(CORPUS, 'worlds'), ('.world',))
ROBOTS = read_corpus(os.path.join(CORPUS, 'robots'), ('.yaml',)) + _files('robots/*.yaml')
WORLD_DOCS = [yaml.safe_load(seed) for seed in YAML_WORLDS]
ROBOT_DOCS = [yaml.safe_load(seed) for seed in ROBOTS]
SCRATCH = tempfile.mkdtemp(prefix='fuzz_loaders_')


def _write(data: bytes, suffix: str) -> str:
    path = os.path.join(SCRATCH, 'input' + suffix)
    with open(path, 'wb') as stream:
        stream.write(data)
    return path


def _numbers(value):
    """Every number inside a loaded dataclass (tuples, lists, dicts and nested dataclasses)."""
    if dataclasses.is_dataclass(value):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _numbers(item)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield value


def _assert_finite(loaded, source):
    bad = [n for n in _numbers(loaded) if isinstance(n, float) and not math.isfinite(n)]
    assert not bad, f'{source} loaded with non-finite numbers {bad[:3]}'


def check_world(load, source):
    try:
        world = load()
    except WorldError as exc:
        assert str(exc).startswith(f'{exc.path}: ') and exc.message, exc
        return
    _assert_finite(world, source)


def check_robot(load, source):
    try:
        preset = load()
    except RobotPresetError as exc:
        assert str(exc) and source in str(exc), exc
        return
    _assert_finite(preset, source)


@given(mutated_bytes(YAML_WORLDS))
def test_mutated_yaml_worlds_load_or_fail_clearly(data):
    path = _write(data, '.yaml')
    check_world(lambda: load_world(path), path)


@given(mutated_document(WORLD_DOCS[0]) | mutated_document(WORLD_DOCS[-1]))
def test_edited_yaml_world_documents_load_or_fail_clearly(doc):
    check_world(lambda: parse_yaml_world(doc, 'fuzz.yaml'), 'fuzz.yaml')


@given(mutated_bytes(SDF_WORLDS))
def test_mutated_sdf_worlds_load_or_fail_clearly(data):
    path = _write(data, '.world')
    check_world(lambda: load_world(path), path)


@given(mutated_bytes(ROBOTS))
def test_mutated_robot_presets_load_or_fail_clearly(data):
    path = _write(data, '.yaml')
    check_robot(lambda: load_robot(path), path)


@given(mutated_document(ROBOT_DOCS[0]) | mutated_document(ROBOT_DOCS[-1]))
def test_edited_robot_preset_documents_load_or_fail_clearly(doc):
    check_robot(lambda: parse_robot(doc, 'fuzz.yaml'), 'fuzz.yaml')


def test_the_seeds_load():
    """The corpus loads (so mutations start from the valid side)."""
    for index, seed in enumerate(YAML_WORLDS + SDF_WORLDS):
        load_world(_write(seed, '.world' if index >= len(YAML_WORLDS) else '.yaml'))
    for seed in ROBOTS:
        load_robot(_write(seed, '.yaml'))


def test_files_that_are_not_utf8_are_clear_errors():
    """Found by this fuzzer: a non-UTF-8 byte raised UnicodeDecodeError out of both loaders."""
    path = _write(b'\xa3 name: x\n', '.yaml')
    try:
        load_world(path)
        raise AssertionError('loaded')
    except WorldError as exc:
        assert str(exc).startswith(f'{path}: file: not UTF-8 text: byte 0')
    try:
        load_robot(path)
        raise AssertionError('loaded')
    except RobotPresetError as exc:
        assert 'not UTF-8 text: byte 0' in str(exc) and path in str(exc)

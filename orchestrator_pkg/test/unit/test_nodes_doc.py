"""``orchestrator nodes``: every node type with its ports; docs/nodes.md is generated from it."""
import os

from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.cli import main
from orchestrator_pkg.commands import nodes

DOC = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'docs', 'nodes.md')


def test_docs_nodes_md_is_current():
    with open(DOC, encoding='utf-8') as f:
        written = f.read()
    assert written == nodes.render_markdown(default_registry()), (
        f'docs/nodes.md is out of date: regenerate it with `{nodes.GENERATED_BY}`')


def test_the_doc_has_every_type_with_its_ports():
    registry = default_registry()
    text = nodes.render_markdown(registry)
    for name in registry.types():
        assert f'\n### {name}\n' in text, name
    # a port row: name, direction, type, default, description
    assert '| `place` | input | `place` | required | Name of a place in the places file. |' \
        in text
    assert '| `frame_id` | input | `str` | "map" |' in text


def test_nodes_lists_and_shows_one_type(capsys):
    assert main(['nodes']) == 0
    out = capsys.readouterr().out
    assert 'Actions (' in out and 'GetPlacePose' in out and 'Decorators (' in out
    assert main(['nodes', 'NavigateToPose']) == 0
    out = capsys.readouterr().out
    assert out.startswith('NavigateToPose  (action, no children; from entry point "nav2")')
    assert 'goal ' in out and 'pose_stamped' in out and 'server_timeout' in out
    assert main(['nodes', 'NavigateToPse']) == 2
    err = capsys.readouterr().err
    assert "no node type 'NavigateToPse'" in err and 'did you mean NavigateToPose' in err

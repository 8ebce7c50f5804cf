"""Node types come from ``orchestrator.behaviours`` entry points; broken plugins are named."""
from importlib import metadata

import pytest

from orchestrator_pkg.behaviours import plugins as plugins_module
from orchestrator_pkg.behaviours.actions.basic import AlwaysSuccess
from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.trees import NodeSpec, PortSpec, RegistryError, load_string

GROUP = plugins_module.ENTRY_POINT_GROUP


def register_greeter(registry):
    registry.register(NodeSpec('Greet', 'action', (PortSpec('who', 'input', 'str'),),
                               lambda ctx: AlwaysSuccess(ctx.name), 'say hello'))


def register_broken(registry):
    raise ValueError('cannot find my config')


def entry_points(*specs):
    builtin = metadata.EntryPoint('builtin', 'orchestrator_pkg.behaviours.builtin:register',
                                  GROUP)
    return lambda: [builtin] + [metadata.EntryPoint(name, value, GROUP) for name, value in specs]


def test_the_installed_builtin_entry_point_is_found():
    names = [ep.name for ep in metadata.entry_points(group=GROUP)]
    assert 'builtin' in names


def test_a_plugin_adds_node_types(monkeypatch):
    monkeypatch.setattr(plugins_module, '_entry_points',
                        entry_points(('greeter', f'{__name__}:register_greeter')))
    registry = default_registry()
    assert 'Greet' in registry and 'Sequence' in registry
    assert registry.origin('Greet') == 'entry point "greeter"'
    document = load_string('<root BTCPP_format="4"><BehaviorTree ID="T">'
                           '<Greet who="world"/></BehaviorTree></root>', registry)
    assert document.build().tick().name == 'SUCCESS'


@pytest.mark.parametrize('value, reason', [
    ('no_such_module_xyz:register', "ModuleNotFoundError: No module named 'no_such_module_xyz'"),
    (f'{__name__}:register_broken', 'ValueError: cannot find my config'),
    (f'{__name__}:no_such_function', 'AttributeError'),
])
def test_a_broken_plugin_is_named(monkeypatch, value, reason):
    monkeypatch.setattr(plugins_module, '_entry_points', entry_points(('acme', value)))
    with pytest.raises(RegistryError) as info:
        default_registry()
    message = str(info.value)
    assert f'entry point "acme = {value}"' in message and reason in message


def register_clash(registry):
    registry.register(NodeSpec('Sequence', 'control', (), lambda ctx: None, '', 1, None))


def test_a_plugin_cannot_silently_replace_a_builtin(monkeypatch):
    monkeypatch.setattr(plugins_module, '_entry_points',
                        entry_points(('clash', f'{__name__}:register_clash')))
    with pytest.raises(RegistryError) as info:
        default_registry()
    assert str(info.value).startswith('behaviour plugin entry point "clash = ')
    assert '"Sequence" is already registered (by entry point "builtin")' in str(info.value)


def test_validate_cli_reports_a_broken_plugin(monkeypatch, capsys):
    from orchestrator_pkg.cli import main
    monkeypatch.setattr(plugins_module, '_entry_points',
                        entry_points(('acme', f'{__name__}:register_broken')))
    assert main(['validate', 'whatever.xml']) == 2
    assert 'entry point "acme' in capsys.readouterr().err

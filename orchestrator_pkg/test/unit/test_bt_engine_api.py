"""The engine's public API: registry, ports, blackboard scopes, clock, loading and building."""
import pytest

from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.trees import (
    Blackboard,
    ManualClock,
    NodeSpec,
    PortError,
    PortSpec,
    PortTypes,
    Registry,
    RegistryError,
    TreeLoadError,
    load_string,
)


def test_default_registry_has_the_builtins():
    registry = default_registry(plugins=False)
    for name in ('Sequence', 'ReactiveFallback', 'Parallel', 'RecoveryNode', 'Timeout',
                 'RateController', 'SetBlackboard', 'Sleep', 'RunOnce', 'WhileDoElse'):
        assert name in registry
    assert registry.get('Parallel').category == 'control'
    assert registry.get('Parallel').port('success_count').default == -1


def test_registering_twice_is_an_error_naming_the_type():
    registry = Registry()
    spec = NodeSpec('Thing', 'action', (), lambda ctx: None)
    registry.register(spec)
    with pytest.raises(RegistryError, match='"Thing" is already registered'):
        registry.register(spec)
    registry.register(spec, replace=True)


def test_port_types_convert_and_reject():
    types = PortTypes()
    assert types.convert('int', ' 42 ') == 42
    assert types.convert('bool', 'true') is True
    assert types.convert('duration_s', '1.5') == 1.5
    for type_name, text in (('int', '4.2'), ('float', 'fast'), ('bool', 'yes'),
                            ('duration_s', '-1')):
        with pytest.raises(ValueError):
            types.convert(type_name, text)
    with pytest.raises(ValueError, match='unknown port type'):
        types.convert('no_such_type', 'x')
    with pytest.raises(RegistryError, match='port "p": unknown port type "no_such_type"'):
        Registry().register(NodeSpec('P', 'action', (PortSpec('p', 'input', 'no_such_type'),),
                                     lambda ctx: None))


def test_custom_port_type_only_from_blackboard():
    def never(text):
        raise ValueError('only from the blackboard')
    registry = default_registry(plugins=False)
    registry.register_port_type('test_pose', never, native=(tuple,))
    assert 'test_pose' not in default_registry(plugins=False).port_types, 'one per registry'
    seen = {}

    class Probe:
        pass

    def build(ctx):
        from orchestrator_pkg.behaviours.actions.basic import AlwaysSuccess
        seen['ports'] = ctx.ports
        return AlwaysSuccess(ctx.name)
    registry.register(NodeSpec('UsePose', 'action', (PortSpec('pose', 'input', 'test_pose'),),
                               build))
    with pytest.raises(TreeLoadError, match='only from the blackboard'):
        load_string('<root BTCPP_format="4"><BehaviorTree ID="T"><UsePose pose="1,2"/>'
                    '</BehaviorTree></root>', registry)
    doc = load_string('<root BTCPP_format="4"><BehaviorTree ID="T"><UsePose pose="{p}"/>'
                      '</BehaviorTree></root>', registry)
    built = doc.build()
    ports = seen['ports']
    with pytest.raises(PortError, match='"p", which is not set'):
        ports.get('pose')
    built.blackboard.set('p', 'text')
    with pytest.raises(PortError, match='only from the blackboard'):
        ports.get('pose')
    built.blackboard.set('p', (1.0, 2.0))
    assert ports.get('pose') == (1.0, 2.0)


def test_blackboard_scopes_remap_autoremap_and_root_keys():
    root = Blackboard()
    root.set('target', 1)
    child = root.scope(remap={'goal': 'target'})
    assert child.get('goal') == 1
    child.set('goal', 2)
    assert root.get('target') == 2
    child.set('local', 3)
    assert 'local' not in root and child.get('local') == 3
    auto = root.scope(autoremap=True)
    auto.set('shared', 4)
    auto.set('_private', 5)
    assert root.get('shared') == 4 and not root.has('_private')
    assert child.get('@target') == 2
    assert child.as_dict() == {'local': 3}


def test_manual_clock():
    clock = ManualClock(10.0)
    clock.advance(0.5)
    assert clock.now() == 10.5
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_load_build_and_tick_with_subtree_remapping():
    doc = load_string('''<root BTCPP_format="4" main_tree_to_execute="Main">
      <BehaviorTree ID="Main">
        <Sequence name="steps">
          <SetBlackboard value="42" output_key="answer"/>
          <SubTree ID="Copy" src="{answer}" dst="{copied}"/>
          <Sleep name="nap" msec="100"/>
        </Sequence>
      </BehaviorTree>
      <BehaviorTree ID="Copy"><SetBlackboard value="{src}" output_key="{dst}"/></BehaviorTree>
    </root>''', default_registry(plugins=False))
    assert doc.tree_ids == ['Main', 'Copy'] and doc.main_tree_id == 'Main'
    clock = ManualClock()
    built = doc.build(clock=clock)
    assert built.tick().name == 'RUNNING'
    assert built.blackboard.get('copied') == '42'
    paths = {built.path_of(b) for b in built.behaviours()}
    assert {'Main/steps', 'Main/steps/Copy/SetBlackboard', 'Main/steps/nap'} <= paths
    clock.advance(0.1)
    assert built.tick().name == 'SUCCESS'

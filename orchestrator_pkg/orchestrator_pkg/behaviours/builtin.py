"""Registration of the builtin node types (entry point ``builtin`` of ``orchestrator.behaviours``).

Names and ports follow BehaviorTree.CPP v4 (and Nav2 for PipelineSequence,
RecoveryNode, RoundRobin and RateController).
"""
from orchestrator_pkg.behaviours.actions.basic import (
    AlwaysFailure,
    AlwaysSuccess,
    SetBlackboard,
    Sleep,
)
from orchestrator_pkg.behaviours.actions.script import Script, ScriptCondition
from orchestrator_pkg.behaviours.controls.conditional import IfThenElse, WhileDoElse
from orchestrator_pkg.behaviours.controls.fallback import Fallback, ReactiveFallback
from orchestrator_pkg.behaviours.controls.nav2 import PipelineSequence, RecoveryNode, RoundRobin
from orchestrator_pkg.behaviours.controls.parallel import Parallel
from orchestrator_pkg.behaviours.controls.sequence import (
    ReactiveSequence,
    Sequence,
    SequenceWithMemory,
)
from orchestrator_pkg.behaviours.decorators.basic import (
    ForceFailure,
    ForceSuccess,
    Inverter,
    KeepRunningUntilFailure,
)
from orchestrator_pkg.behaviours.decorators.loop_queue import (
    LOOP_TYPES,
    STATUS_PORT_TYPE,
    LoopQueue,
    queue_port_type,
    register_loop_port_types,
)
from orchestrator_pkg.behaviours.decorators.loops import Repeat, RetryUntilSuccessful
from orchestrator_pkg.behaviours.decorators.run_once import RunOnce
from orchestrator_pkg.behaviours.decorators.timing import Delay, RateController, Timeout
from orchestrator_pkg.trees.behaviour import SUCCESS
from orchestrator_pkg.trees.ports import Range, inout_port, input_port, output_port
from orchestrator_pkg.trees.registry import NodeSpec, Registry

# Repeat's num_cycles, RetryUntilSuccessful's num_attempts: a count, or -1 (forever)
# where the tree file says so (docs/behaviour_trees.md, "Port ranges").
FOREVER_OR_COUNT = Range(0, None, literal_only=(-1,), meaning='forever')


def _composite(cls):
    return lambda ctx: cls(ctx.name, ctx.children)


def _decorator(cls):
    return lambda ctx: cls(ctx.name, ctx.children[0])


def _control(registry, type_name, build, description, ports=(), min_children=1,
             max_children=None):
    registry.register(NodeSpec(type_name, 'control', tuple(ports), build, description,
                               min_children, max_children))


def _decor(registry, type_name, build, description, ports=(), forwards=()):
    registry.register(NodeSpec(type_name, 'decorator', tuple(ports), build, description, 1, 1,
                               forwards))


def _register_loops(registry: Registry) -> None:
    register_loop_port_types(registry)
    for type_name, element_type in LOOP_TYPES.items():
        def build(ctx, element_type=element_type):
            return LoopQueue(ctx.name, ctx.children[0], ctx.ports, element_type,
                             registry.port_types)
        _decor(registry, type_name, build,
               f'Run the child once per element of queue ({element_type}), '
               'the element in value.',
               ports=(inout_port('queue', queue_port_type(element_type), True, None,
                                 f'elements ({element_type}): "a;b;c", or a key holding such '
                                 'a string, a list or a deque (popped in place)'),
                      output_port('value', element_type, False,
                                  'the element of the current run'),
                      input_port('if_empty', STATUS_PORT_TYPE, False, SUCCESS,
                                 'status once the queue is empty: SUCCESS, FAILURE or '
                                 'SKIPPED (= SUCCESS here)')),
               forwards=(('queue', 'value', ';'),))


def register(registry: Registry) -> None:
    """Register every builtin control node, decorator and leaf."""
    _control(registry, 'Sequence', _composite(Sequence),
             'Tick children in order; resume a RUNNING child; restart on FAILURE.')
    _control(registry, 'SequenceWithMemory', _composite(SequenceWithMemory),
             'Sequence that does not re-tick children that already succeeded.')
    _control(registry, 'ReactiveSequence', _composite(ReactiveSequence),
             'Sequence that re-ticks every child each tick; RUNNING halts the others.')
    _control(registry, 'Fallback', _composite(Fallback),
             'Tick children in order until one succeeds.')
    _control(registry, 'ReactiveFallback', _composite(ReactiveFallback),
             'Fallback that re-ticks every child each tick; RUNNING halts the others.')
    _control(registry, 'Parallel', lambda ctx: Parallel(
                 ctx.name, ctx.children, ctx.ports.get('success_count'),
                 ctx.ports.get('failure_count')),
             'Tick all children; success/failure by counting results.',
             ports=(input_port('success_count', 'int', False, -1,
                               'successes needed (-1: all children)'),
                    input_port('failure_count', 'int', False, 1,
                               'failures that make it fail (-1: all children)')))
    _control(registry, 'IfThenElse', _composite(IfThenElse),
             'If the first child succeeds tick the second, else the third.',
             min_children=2, max_children=3)
    _control(registry, 'WhileDoElse', _composite(WhileDoElse),
             'Reactive if-then-else: the condition is re-checked every tick.',
             min_children=2, max_children=3)
    _control(registry, 'PipelineSequence', _composite(PipelineSequence),
             'Nav2: re-tick every child up to the furthest one reached.')
    _control(registry, 'RecoveryNode', lambda ctx: RecoveryNode(
                 ctx.name, ctx.children, ctx.ports.get('number_of_retries')),
             'Nav2: an action and its recovery, retried number_of_retries times.',
             ports=(input_port('number_of_retries', 'int', False, 1,
                               'how many times the recovery may run', range=(0, None)),),
             min_children=2, max_children=2)
    _control(registry, 'RoundRobin', _composite(RoundRobin),
             'Nav2: one child per activation, in turn.')

    _decor(registry, 'Inverter', _decorator(Inverter), 'Swap SUCCESS and FAILURE.')
    _decor(registry, 'ForceSuccess', _decorator(ForceSuccess), 'SUCCESS when the child ends.')
    _decor(registry, 'ForceFailure', _decorator(ForceFailure), 'FAILURE when the child ends.')
    _decor(registry, 'KeepRunningUntilFailure', _decorator(KeepRunningUntilFailure),
           'Child SUCCESS becomes RUNNING; FAILURE ends it.')
    _decor(registry, 'RetryUntilSuccessful', lambda ctx: RetryUntilSuccessful(
               ctx.name, ctx.children[0], ports=ctx.ports),
           'Retry the child after FAILURE.',
           ports=(input_port('num_attempts', 'int', True, None,
                             'tries before giving up (-1: forever)', range=FOREVER_OR_COUNT),))
    _decor(registry, 'Repeat', lambda ctx: Repeat(ctx.name, ctx.children[0], ports=ctx.ports),
           'Repeat the child while it succeeds.',
           ports=(input_port('num_cycles', 'int', True, None,
                             'successful cycles to run (-1: forever)', range=FOREVER_OR_COUNT),))
    _register_loops(registry)
    _decor(registry, 'Timeout', lambda ctx: Timeout(
               ctx.name, ctx.children[0], ctx.clock, ctx.ports.get('msec')),
           'Halt the child and fail after msec milliseconds.',
           ports=(input_port('msec', 'int', True, None, 'timeout in milliseconds (0: none)',
                             range=(0, None)),))
    _decor(registry, 'Delay', lambda ctx: Delay(
               ctx.name, ctx.children[0], ctx.clock, ctx.ports.get('delay_msec')),
           'Wait delay_msec milliseconds, then tick the child.',
           ports=(input_port('delay_msec', 'int', True, None,
                             'delay in milliseconds', range=(0, None)),))
    _decor(registry, 'RunOnce', lambda ctx: RunOnce(
               ctx.name, ctx.children[0], ctx.ports.get('then_skip')),
           'Run the child once; then skip it or repeat its result.',
           ports=(input_port('then_skip', 'bool', False, True,
                             'after the first run: skip (true) or repeat the result'),))
    _decor(registry, 'RateController', lambda ctx: RateController(
               ctx.name, ctx.children[0], ctx.clock, ctx.ports.get('hz')),
           'Nav2: tick the child at most hz times per second.',
           ports=(input_port('hz', 'float', False, 10.0, 'rate in Hz',
                             range=Range(0, None, lo_open=True)),))

    registry.register(NodeSpec('AlwaysSuccess', 'action', (), lambda ctx: AlwaysSuccess(
        ctx.name), 'Return SUCCESS.'))
    registry.register(NodeSpec('AlwaysFailure', 'action', (), lambda ctx: AlwaysFailure(
        ctx.name), 'Return FAILURE.'))
    registry.register(NodeSpec(
        'SetBlackboard', 'action',
        (input_port('value', 'any', True, None, 'value to write (literal or {key})'),
         output_port('output_key', 'any', True, 'blackboard key to write ({key} or a bare name)')),
        lambda ctx: SetBlackboard(ctx.name, ctx.ports), 'Write a value to the blackboard.',
        forwards=(('value', 'output_key', ''),)))
    registry.register(NodeSpec(
        'Sleep', 'action', (input_port('msec', 'int', True, None, 'milliseconds',
                                       range=(0, None)),),
        lambda ctx: Sleep(ctx.name, ctx.clock, ctx.ports),
        'RUNNING for msec milliseconds on the tree clock, then SUCCESS.'))
    registry.register(NodeSpec(
        'Script', 'action',
        (input_port('code', 'script', True, None, 'statements, e.g. "count := count + 1"'),),
        lambda ctx: Script(ctx.name, ctx.ports.get('code'), ctx.blackboard),
        'Run a script (safe expression language) on the blackboard.'))
    registry.register(NodeSpec(
        'ScriptCondition', 'condition',
        (input_port('code', 'script', True, None, 'a boolean expression, e.g. "battery > 0.2"'),),
        lambda ctx: ScriptCondition(ctx.name, ctx.ports.get('code'), ctx.blackboard),
        'SUCCESS when the expression is true.'))

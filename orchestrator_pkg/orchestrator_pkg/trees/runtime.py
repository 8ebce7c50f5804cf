"""Building py_trees behaviours from validated trees, and the built tree (:class:`BuiltTree`).

Each XML node becomes the behaviour its registered builder returns; a node
with pre/post-conditions is wrapped in a :class:`~orchestrator_pkg.trees.guard.Guarded`
and a ``<SubTree>`` becomes a :class:`~orchestrator_pkg.trees.behaviour.SubTreeNode`.
"""
import py_trees

from orchestrator_pkg.trees.behaviour import SubTreeNode
from orchestrator_pkg.trees.blackboard import Blackboard
from orchestrator_pkg.trees.clock import MonotonicClock
from orchestrator_pkg.trees.guard import Guarded
from orchestrator_pkg.trees.registry import BuildContext, Ports, Registry
from orchestrator_pkg.trees.validate import Expander, Instance
from orchestrator_pkg.trees.xml_source import Problem, TreeLoadError, TreeSource


class BuiltTree:
    """A built tree: the py_trees root and tree, its blackboard, and XML paths."""

    def __init__(self, root, blackboard: Blackboard, tree_id: str, info: dict, clock=None):
        self.root = root
        self.blackboard = blackboard
        self.tree_id = tree_id
        self.clock = clock or MonotonicClock()
        self._info = info  # id(behaviour) -> (path, type, category, (file, line))
        self._paused_at: float | None = None
        self.tree = py_trees.trees.BehaviourTree(root)

    def path_of(self, behaviour) -> str:
        """Return the XML path of a behaviour, e.g. ``MainTree/NavigateRecovery/FollowPath``."""
        info = self._info.get(id(behaviour))
        return info[0] if info else behaviour.name

    def type_of(self, behaviour) -> str:
        """Return the registered node type of a behaviour."""
        info = self._info.get(id(behaviour))
        return info[1] if info else type(behaviour).__name__

    def category_of(self, behaviour) -> str:
        """Return the category (action, condition, control, decorator) of a behaviour."""
        info = self._info.get(id(behaviour))
        return info[2] if info else ''

    def source_of(self, behaviour) -> tuple[str, int]:
        """Return the (file, line) a behaviour was declared at."""
        info = self._info.get(id(behaviour))
        return info[3] if info else ('<unknown>', 0)

    def behaviours(self):
        """Iterate over every behaviour of the tree (children before parents)."""
        return self.root.iterate()

    def tick(self) -> py_trees.common.Status:
        """Tick the tree once and return the root's status."""
        self.tree.tick()
        return self.root.status

    def halt(self) -> None:
        """Halt the whole tree (running leaves get ``terminate(INVALID)``).

        Nothing is left RUNNING, even after a tick that was cut short (an
        exception, the tick budget): a behaviour still RUNNING under a parent
        that never finished its tick is halted too, children first.
        """
        self._paused_at = None
        invalid = py_trees.common.Status.INVALID
        self.root.stop(invalid)
        for behaviour in self.root.iterate():
            if behaviour.status is py_trees.common.Status.RUNNING:
                behaviour.stop(invalid)

    @property
    def paused(self) -> bool:
        """Tell whether :meth:`pause` was called without :meth:`resume`."""
        return self._paused_at is not None

    def pause(self) -> list:
        """Halt every running leaf, keeping the control nodes' place; return the halted leaves.

        Do not tick the tree while paused. After :meth:`resume`, the next tick
        goes down the same branches: each control node still points at the
        child it was running, and the halted leaves start again (an action leaf
        sends its goal anew). Timers of Timeout, Delay and RateController do
        not count the paused time.
        """
        if self._paused_at is not None:
            return []
        self._paused_at = self.clock.now()
        running = py_trees.common.Status.RUNNING
        halted = [b for b in self.root.iterate() if not b.children and b.status is running]
        for leaf in halted:
            leaf.stop(py_trees.common.Status.INVALID)
        return halted

    def resume(self) -> None:
        """End a pause: shift the timers by the paused time; the next tick carries on."""
        if self._paused_at is None:
            return
        paused_for = max(0.0, self.clock.now() - self._paused_at)
        self._paused_at = None
        for behaviour in self.root.iterate():
            shift = getattr(behaviour, 'shift_time', None)
            if shift is not None:
                shift(paused_for)


def build_tree(source: TreeSource, registry: Registry, tree_id: str, clock=None,
               blackboard: Blackboard | None = None, name: str = '<inline>') -> BuiltTree:
    """Instantiate the validated tree ``tree_id`` of ``source`` (read from ``name``)."""
    clock = clock or MonotonicClock()
    blackboard = blackboard if blackboard is not None else Blackboard()
    expander = Expander(source)
    before = len(source.problems)
    instance = expander.expand(tree_id, blackboard)
    if instance is None or expander.failed:
        raise TreeLoadError(source.problems[before:] or [
            Problem(name, 0, 'error', f'BehaviorTree "{tree_id}" is empty')])
    info: dict = {}
    root = _build_instance(instance, clock, info, registry.port_types)
    return BuiltTree(root, blackboard, tree_id, info, clock)


def _build_instance(inst: Instance, clock, info: dict, types):
    # iterative post-order build (no deep recursion on the Python stack beyond MAX_DEPTH)
    children = [_build_instance(child, clock, info, types) for child in inst.children]
    x = inst.xnode
    name = x.attrs.get('name') or (x.attrs.get('ID') if x.tag == 'SubTree' else x.type_name)
    if x.tag == 'SubTree':
        behaviour = SubTreeNode(name, children[0], x.attrs.get('ID', ''),
                                inst.children[0].scope)
        info[id(behaviour)] = (inst.path, 'SubTree', 'subtree', (x.file, x.line))
        return _guard(behaviour, inst, info)
    spec = x.spec
    specs = {port.name: port for port in spec.ports}
    owner = f'{spec.type_name} "{name}" ({x.file}:{x.line})'
    ports = Ports(specs, dict(x.literals), dict(x.refs), inst.scope, types, owner)
    context = BuildContext(name=name, type_name=spec.type_name, ports=ports, children=children,
                           clock=clock, blackboard=inst.scope, source=(x.file, x.line),
                           attributes=dict(x.attrs))
    try:
        behaviour = spec.build(context)
    except Exception as exc:
        raise TreeLoadError([Problem(x.file, x.line, 'error', f'building {spec.type_name} '
                                     f'"{name}" failed: {type(exc).__name__}: {exc}')]) from exc
    if not isinstance(behaviour, py_trees.behaviour.Behaviour):
        raise TreeLoadError([Problem(x.file, x.line, 'error', f'the builder of {spec.type_name} '
                                     f'returned {type(behaviour).__name__}, not a Behaviour')])
    info[id(behaviour)] = (inst.path, spec.type_name, spec.category, (x.file, x.line))
    return _guard(behaviour, inst, info)


def _guard(behaviour, inst: Instance, info: dict):
    """Wrap a behaviour whose XML node has pre/post-conditions; both share its path."""
    if not inst.xnode.conditions:
        return behaviour
    guarded = Guarded(behaviour.name, behaviour, inst.scope, dict(inst.xnode.conditions))
    info[id(guarded)] = info[id(behaviour)]
    return guarded

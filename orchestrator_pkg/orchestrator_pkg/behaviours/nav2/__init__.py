"""Every Nav2 node type that Nav2's own (Jazzy) behavior trees use.

One module per kind: :mod:`.actions` (server clients, path tools),
:mod:`.conditions`, :mod:`.selectors` and the decorators; :mod:`.register`
is the ``orchestrator.behaviours`` entry point ``nav2``. Control nodes that
Nav2 adds to BT.CPP (PipelineSequence, RecoveryNode, RoundRobin,
RateController) are engine builtins and not registered here. Importing this
package imports no rclpy.
"""

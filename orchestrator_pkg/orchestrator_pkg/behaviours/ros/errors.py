"""Which exceptions mean "bad input" when a leaf builds a goal, request or message."""
from orchestrator_pkg.trees.ports import PortError

# Raised by port reads (PortError: unset or ill-typed blackboard entry) and by
# message construction with a wrong value. Anything else is a bug and propagates.
INPUT_ERRORS = (PortError, ValueError, LookupError, TypeError, AttributeError)

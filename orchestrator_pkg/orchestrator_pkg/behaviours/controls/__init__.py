"""Control nodes (composites) with BehaviorTree.CPP v4 and Nav2 semantics."""

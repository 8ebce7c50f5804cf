"""The pure behaviour-tree engine: BT.CPP v4 XML loading, validation, registry."""

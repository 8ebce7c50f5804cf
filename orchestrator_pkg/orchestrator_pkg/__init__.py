"""The orchestrator stack: behaviour-tree orchestrator, navigation and robot nodes."""

__version__ = '0.1.0'

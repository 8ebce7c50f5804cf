"""Sub-commands of the ``orchestrator`` command, one module each.

A module here defines ``register(subparsers)``, which adds its parser and
sets ``func`` to a callable taking the parsed arguments and returning an exit
code. :mod:`orchestrator_pkg.cli` discovers the modules; nothing else needs
editing to add a command.
"""

"""Sub-commands of the ``orchestrator`` command, one module each.

A module here defines ``register(subparsers)``, which adds its parser and
sets ``func`` to a callable taking the parsed arguments and returning an exit
code. :mod:`orchestrator_pkg.cli` discovers the modules; nothing else needs
editing to add a command whose name is its module's (dashes for
underscores). A module that registers more commands names them in
:data:`MODULE_OF`, so that ``orchestrator CMD`` imports that module only.
"""
# command -> the module that registers it, where the names differ
MODULE_OF = {'resume': 'pause'}

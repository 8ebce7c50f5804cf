"""Load only the run-time half of ``rosidl_generator_py`` in a running node.

Every generated Python message module runs ``from rosidl_generator_py import
import_type_support`` the first time its type is used (rclpy creating a
publisher, a subscription, a client or a server). The package's ``__init__``
also imports its code generator, ``generate_py_impl``, which needs
``rosidl_parser`` (the lark IDL grammar), ``rosidl_pycommon`` and empy. A
node never generates code, yet that import costs 7 MiB of RSS in a process
with one node and one publisher, and 2-6 MiB stay in each process of the
running stack (docs/performance.md, "Imports and idle work").

:func:`defer_codegen` registers the package with ``import_type_support``
only. ``rosidl_generator_py.generate_py`` still works: the generator is
imported the first time someone asks for it. Code generation at build time
runs in its own interpreter (colcon's CMake step) and never sees this.

It must run before the first message type is used; ``orchestrator_sim`` and
``orchestrator_pkg`` call it from their package ``__init__`` so that every node
process of the stack, and ``orchestrator run``, start with it. Where the
package is already imported, or is not installed, it does nothing.
"""
import importlib
import importlib.util
import sys

PACKAGE = 'rosidl_generator_py'
_DEFERRED = {'generate_py': 'generate_py_impl'}


def defer_codegen() -> bool:
    """Register rosidl_generator_py without its code generator; True if it did."""
    if PACKAGE in sys.modules:
        return False
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return False
    if spec is None or spec.submodule_search_locations is None:
        return False
    package = importlib.util.module_from_spec(spec)  # not executed: no generator import
    sys.modules[PACKAGE] = package
    try:
        impl = importlib.import_module(f'{PACKAGE}.import_type_support_impl')
    except ImportError:
        del sys.modules[PACKAGE]
        return False
    package.import_type_support = impl.import_type_support
    package.__all__ = ['import_type_support', *_DEFERRED]

    def __getattr__(name):  # PEP 562: the generator on first use
        if name not in _DEFERRED:
            raise AttributeError(f'module {PACKAGE!r} has no attribute {name!r}')
        value = getattr(importlib.import_module(f'{PACKAGE}.{_DEFERRED[name]}'), name)
        setattr(package, name, value)
        return value

    package.__getattr__ = __getattr__
    return True

"""``orchestrator validate FILE...``: check behaviour-tree files before anything runs.

Prints one line per problem, ``FILE:LINE: error|warning: reason``, and a
summary on stderr. Exits 0 only when every file is valid (warnings allowed),
1 when any file has an error, 2 when the node-type plugins or the world's
places cannot be loaded. ``--world W`` checks place names against W's places.
"""
import sys

from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.commands import _missions
from orchestrator_pkg.trees import RegistryError, validate_file


def run(args) -> int:
    """Validate every file given."""
    try:
        registry = default_registry(plugins=not args.builtin_only)
        known = _missions.place_names(args.world) if args.world else None
    except (RegistryError, _missions.MissionError) as exc:
        print(f'orchestrator validate: {exc}', file=sys.stderr)
        return 2
    inputs = {key: None for key in (args.inputs or '').split(',') if key}
    for pair in args.input or []:
        key, sep, value = pair.partition('=')
        if not sep or not key:
            print(f'orchestrator validate: --input {pair!r}: expected KEY=VALUE', file=sys.stderr)
            return 2
        inputs[key] = value
    invalid = 0
    errors = warnings = 0
    for path in args.files:
        problems = validate_file(path, registry, inputs=inputs, known_values=known)
        file_errors = sum(1 for p in problems if p.severity == 'error')
        errors += file_errors
        warnings += len(problems) - file_errors
        invalid += 1 if file_errors else 0
        for problem in problems:
            print(problem)
    count = len(args.files)
    print(f'{count} file(s) checked: {count - invalid} valid, {invalid} invalid '
          f'({errors} error(s), {warnings} warning(s))', file=sys.stderr)
    return 1 if invalid else 0


def register(subparsers) -> None:
    """Add ``validate``."""
    parser = subparsers.add_parser(
        'validate', help='check BehaviorTree.CPP v4 XML tree files (exit 0 only if all valid)')
    parser.add_argument('files', nargs='+', metavar='FILE', help='tree files to check')
    parser.add_argument('--inputs', metavar='KEY[,KEY...]',
                        help='blackboard keys the caller provides (mission inputs)')
    parser.add_argument('--input', action='append', metavar='KEY=VALUE',
                        help='a mission input with its value, as for run and submit '
                             '(repeatable; values are checked, e.g. place names with --world)')
    parser.add_argument('--world', metavar='W',
                        help='check place names (GetPlacePose, patrol places, SubTree '
                             'literals, defaults) against world W (a name or a places file)')
    parser.add_argument('--builtin-only', action='store_true',
                        help='use only the builtin node types, no plugins')
    parser.set_defaults(func=run)

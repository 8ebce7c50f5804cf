"""``orchestrator export FILE --format dot|svg|png``: a picture of a tree.

``dot`` writes Graphviz DOT text; ``svg`` is drawn by this package itself (no
Graphviz needed); ``png`` needs Graphviz's ``dot`` program and says so
clearly when it is not installed. Node types the registry does not know are
drawn dashed and reported on stderr.
"""
import os
import shutil
import subprocess
import sys

from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.trees import RegistryError
from orchestrator_pkg.trees.render import RenderError, load_boxes, to_dot, to_svg


def run(args) -> int:
    """Render the tree file."""
    try:
        registry = default_registry(plugins=not args.builtin_only)
    except RegistryError as exc:
        print(f'orchestrator export: {exc}', file=sys.stderr)
        return 2
    if args.format == 'png' and shutil.which('dot') is None:
        print('orchestrator export: --format png needs Graphviz\'s "dot" program, which is '
              'not installed (install graphviz, or use --format svg, which needs nothing, '
              'or --format dot)', file=sys.stderr)
        return 2
    try:
        root, problems = load_boxes(args.file, registry, args.tree)
    except RenderError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    for problem in problems:
        print(problem, file=sys.stderr)
    title = os.path.basename(args.file)
    if args.format == 'svg':
        data = to_svg(root, title).encode('utf-8')
    else:
        data = to_dot(root, title).encode('utf-8')
        if args.format == 'png':
            result = subprocess.run(['dot', '-Tpng'], input=data, capture_output=True,
                                    timeout=60, check=False)
            if result.returncode != 0:
                print(f'orchestrator export: dot failed: {result.stderr.decode()[:500]}',
                      file=sys.stderr)
                return 1
            data = result.stdout
    output = args.output
    if output in (None, '-'):
        if args.format == 'png' and output is None:
            output = os.path.splitext(os.path.basename(args.file))[0] + '.png'
        else:
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
            return 0
    with open(output, 'wb') as stream:
        stream.write(data)
    print(f'wrote {output}', file=sys.stderr)
    return 0


def register(subparsers) -> None:
    """Add ``export``."""
    parser = subparsers.add_parser('export', help='draw a tree file as DOT, SVG or PNG')
    parser.add_argument('file', metavar='FILE', help='tree file')
    parser.add_argument('--format', choices=('dot', 'svg', 'png'), default='dot',
                        help='dot (text), svg (drawn natively) or png (needs Graphviz)')
    parser.add_argument('-o', '--output', metavar='OUT',
                        help='output file ("-" or omitted: stdout; png defaults to FILE.png)')
    parser.add_argument('--tree', metavar='ID', help='tree to draw (default: the main tree)')
    parser.add_argument('--builtin-only', action='store_true',
                        help='use only the builtin node types, no plugins')
    parser.set_defaults(func=run)

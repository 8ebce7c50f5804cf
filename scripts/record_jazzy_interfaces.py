#!/usr/bin/env python3
r"""Record the facts of the real Jazzy interfaces that compat/ stands in for.

Run it against a colcon install of the real packages (nav2_msgs from Nav2's
jazzy branch, tf2_msgs from geometry2's jazzy branch, geographic_msgs from
geographic_info's ros2 branch), built with this workspace's venv, outside the
repository. For every interface that compat/ defines it writes, from that
build:
- the RIHS01 type hashes of the interface and of each of its parts, computed
  from the installed type description JSON (and checked against the hashes
  the generator recorded there);
- the layout of each message part: fields and types in order, constants,
  field defaults.
The result is the data the conformance tests compare our build with
(orchestrator_pkg/test/data/jazzy_interfaces.json). Nothing here is needed to
build or test the workspace; it is how that data file was made. See
compat/README.md for the steps.

    python scripts/record_jazzy_interfaces.py --install /tmp/jazzy_ws/install \
        --source nav2_msgs=ros-navigation/navigation2@jazzy@<commit> ... --output FILE
"""
import argparse
import glob
import importlib.metadata
import json
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMPAT = os.path.join(REPO, 'compat')


def compat_types() -> list[str]:
    """Every interface that compat/ defines, as ``pkg/kind/Name``."""
    found = []
    for path in glob.glob(os.path.join(COMPAT, '*', '*', '*.*')):
        package, kind, filename = path.split(os.sep)[-3:]
        name, ext = os.path.splitext(filename)
        if ext == f'.{kind}' and kind in ('msg', 'srv', 'action'):
            found.append(f'{package}/{kind}/{name}')
    return sorted(found)


def package_version(share_dir: str) -> str:
    """Return the <version> of a package.xml."""
    with open(os.path.join(share_dir, 'package.xml'), encoding='utf-8') as stream:
        match = re.search(r'<version>([^<]+)</version>', stream.read())
    return match.group(1) if match else ''


def main(argv=None) -> int:
    """Record the facts; exit 1 with a message when the build is not the real one."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--install', required=True,
                        help='colcon install base of the real packages (isolated layout)')
    parser.add_argument('--source', action='append', default=[], required=True,
                        help='package=owner/repo@branch@commit, once per package')
    parser.add_argument('--output', required=True)
    parser.add_argument('--note', default='',
                        help='how the install was made, where it was not a plain colcon build')
    args = parser.parse_args(argv)

    sources = {}
    for item in args.source:
        package, _, where = item.partition('=')
        repository, branch, commit = (where.split('@') + ['', ''])[:3]
        if not (package and repository and branch and commit):
            parser.error(f'--source {item!r}: expected package=owner/repo@branch@commit')
        sources[package] = {'repository': repository, 'branch': branch, 'commit': commit}

    install = os.path.abspath(args.install)
    types = compat_types()
    packages = sorted({t.split('/')[0] for t in types})
    for package in packages:
        if package not in sources:
            parser.error(f'no --source for {package}')
        share = os.path.join(install, package, 'share', package)
        if not os.path.isdir(share):
            print(f'{share} not found: build {package} into {install} first', file=sys.stderr)
            return 1
        with open(os.path.join(share, 'package.xml'), encoding='utf-8') as stream:
            if 'orchestrator-compat' in stream.read():
                print(f'{share} is our compat package, not the real one', file=sys.stderr)
                return 1
        sources[package]['version'] = package_version(share)
        sys.path[:0] = glob.glob(os.path.join(install, package, 'lib', 'python3*',
                                              'site-packages'))

    from orchestrator_pkg.testing import interfaces  # after sys.path points at the build

    recorded = {}
    for type_name in types:
        package = type_name.split('/')[0]
        share = os.path.join(install, package, 'share', package)
        hashes = interfaces.type_hashes(type_name, share)
        if hashes['computed'] != hashes['recorded']:
            print(f'{type_name}: computed hashes differ from the generator\'s', file=sys.stderr)
            return 1
        classes = interfaces.message_classes(type_name)
        for cls in classes.values():
            module = sys.modules[cls.__module__].__file__
            if not os.path.realpath(module).startswith(os.path.realpath(install)):
                print(f'{type_name} was imported from {module}, not from {install}',
                      file=sys.stderr)
                return 1
        recorded[type_name] = {
            'hashes': hashes['computed'],
            'layouts': {part: interfaces.layout(cls) for part, cls in classes.items()},
        }

    data = {
        'about': 'Facts of the real ROS 2 Jazzy interfaces that compat/ stands in for: '
                 'RIHS01 type hashes (REP-2011) and message layouts. Written by '
                 'scripts/record_jazzy_interfaces.py; see compat/README.md.',
        'sources': sources,
        'method': {
            'build': 'colcon build of the packages at the commits above, with the '
                     'workspace venv (requirements/ros-jazzy.txt) as the underlay',
            'hashes': 'RIHS01 of each type from share/<pkg>/<kind>/<Name>.json, '
                      'computed with rosidl_generator_type_description.calculate_type_hash '
                      'and equal to the type_hashes the generator wrote',
            'rosidl_generator_type_description': importlib.metadata.version(
                'ros-rosidl-generator-type-description'),
            'layouts': 'get_fields_and_field_types(), the constants and the __DEFAULT '
                       'values of the generated Python classes',
        },
        'interfaces': recorded,
    }
    if args.note:
        data['method']['note'] = args.note
    with open(args.output, 'w', encoding='utf-8') as stream:
        json.dump(data, stream, indent=1, sort_keys=False)
        stream.write('\n')
    print(f'{args.output}: {len(recorded)} interfaces, '
          f'{sum(len(r["hashes"]) for r in recorded.values())} type hashes')
    return 0


if __name__ == '__main__':
    sys.exit(main())

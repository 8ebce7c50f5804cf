"""``orchestrator missions [NAME|FILE]``: the shipped missions, what they do, their inputs.

Read from the mission files themselves: the leading comment says what a
mission does, and its main tree's ``<TreeNodesModel>`` entry declares its
inputs (name, default, description). With a NAME or FILE, one mission in full.
"""
import shutil
import sys
import textwrap

from orchestrator_pkg.commands import _missions


def _first_sentence(text: str) -> str:
    end = text.find('. ')
    return text if end < 0 else text[:end + 1]


def _input_list(inputs) -> str:
    if not inputs:
        return 'none'
    return ', '.join(f'{i.name}={i.default or "{!r}".format(i.default)}'
                     if i.default is not None else f'{i.name} (required)' for i in inputs)


def render_list(infos, width: int = 100) -> str:
    """Return the one-paragraph-per-mission listing."""
    column = max((len(i.name) for i in infos), default=0) + 2
    wrap = max(40, width - column)
    lines = []
    for i in infos:
        text = textwrap.wrap(_first_sentence(i.summary) or '(no description)', wrap) + \
            textwrap.wrap(f'inputs: {_input_list(i.inputs)}', wrap)
        lines.append(f'{i.name:<{column}}{text[0]}')
        lines += [' ' * column + rest for rest in text[1:]]
    return '\n'.join(lines)


def render_one(i, width: int = 100) -> str:
    """Return one mission in full: description, inputs, how to run it."""
    lines = [f'{i.name}  ({i.path}, main tree {i.main_tree})', '']
    lines += [textwrap.fill(' '.join(p.split()), width) for p in
              i.description.split('\n\n')] if i.description else ['(no description)']
    lines += ['', 'inputs:' if i.inputs else 'inputs: none']
    for item in i.inputs:
        default = f' (default {item.default!r})' if item.default is not None else ' (required)'
        lines.append(f'  {item.name}{default}')
        if item.description:
            lines += textwrap.wrap(item.description, width, initial_indent='      ',
                                   subsequent_indent='      ')
    example = ' '.join(f'--input {x.name}=...' for x in i.inputs if x.default is None)
    mission = i.name if i.name in _missions.names() else i.path
    lines += ['', f'run: orchestrator run --mission {mission}' + (f' {example}' if example else '')]
    return '\n'.join(lines)


def run(args) -> int:
    """List the shipped missions, or show one."""
    width = min(shutil.get_terminal_size((100, 24)).columns, 120)
    try:
        if args.mission:
            print(render_one(_missions.info(_missions.resolve(args.mission)), width))
            return 0
        infos = [_missions.info(_missions.resolve(name)) for name in _missions.names()]
    except _missions.MissionError as exc:
        print(f'orchestrator missions: {exc}', file=sys.stderr)
        return 2
    if not infos:
        print('orchestrator missions: no missions installed (run `make setup`)', file=sys.stderr)
        return 1
    print(render_list(infos, width))
    print('\n`orchestrator missions NAME` shows one in full; '
          '`orchestrator run --mission NAME|FILE.xml` runs one.')
    return 0


def register(subparsers) -> None:
    """Add ``missions``."""
    parser = subparsers.add_parser('missions', help='list the shipped missions and their inputs')
    parser.add_argument('mission', nargs='?', metavar='NAME|FILE',
                        help='show this mission in full')
    parser.set_defaults(func=run)

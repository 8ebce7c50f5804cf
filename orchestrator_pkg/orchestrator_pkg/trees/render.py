"""Pictures of trees: Graphviz DOT text and a self-contained SVG (no Graphviz needed).

Both render the expanded tree (SubTrees inlined under a SubTree box) of a
file as loaded and checked by the loader. Rendering tolerates node types the
registry does not know (they are drawn dashed), so a tree can be looked at
before its plugins are installed; any other error stops rendering.
"""
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from orchestrator_pkg.trees.blackboard import Blackboard
from orchestrator_pkg.trees.validate import Checker, Expander
from orchestrator_pkg.trees.xml_source import Problem, TreeSource

COLOURS = {'control': '#cfe2ff', 'decorator': '#e2d9f3', 'action': '#d1e7dd',
           'condition': '#fff3cd', 'subtree': '#f8f9fa', 'unknown': '#f8d7da'}


class RenderError(Exception):
    """The file cannot be drawn; ``problems`` says why."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__('; '.join(str(p) for p in self.problems[:3]))


@dataclass
class Box:
    """One drawn node."""

    type_name: str
    name: str
    category: str
    attrs: dict
    children: list = field(default_factory=list)
    x: float = 0.0
    y: float = 0.0


def load_boxes(path: str, registry, tree_id: str | None = None) -> tuple[Box, list[Problem]]:
    """Load ``path`` and return the expanded tree as boxes, with the problems found."""
    parsed = TreeSource()
    parsed.load_path(path, top=True)
    if not parsed.has_errors:
        Checker(parsed, registry).check()
    blocking = [p for p in parsed.problems if p.severity == 'error'
                and not p.message.startswith('unknown node type')]
    if blocking or not parsed.trees:
        raise RenderError(blocking or [Problem(path, 0, 'error', 'no BehaviorTree in the file')])
    tree_id = tree_id or parsed.main_tree_id or next(iter(parsed.trees))
    if tree_id not in parsed.trees:
        raise RenderError([Problem(path, 0, 'error', f'no BehaviorTree "{tree_id}"')])
    expander = Expander(parsed)
    instance = expander.expand(tree_id, Blackboard())
    if instance is None or expander.failed:
        raise RenderError([p for p in parsed.problems if p.severity == 'error'])
    return _to_box(instance), list(parsed.problems)


def _to_box(inst) -> Box:
    x = inst.xnode
    if x.tag == 'SubTree':
        category, type_name = 'subtree', f'SubTree {x.attrs.get("ID", "")}'
    elif x.spec is None:
        category, type_name = 'unknown', x.type_name or x.tag
    else:
        category, type_name = x.spec.category, x.spec.type_name
    attrs = {k: v for k, v in x.attrs.items() if k not in ('name', 'ID')}
    box = Box(type_name, x.attrs.get('name', ''), category, attrs)
    box.children = [_to_box(child) for child in inst.children]
    return box


def _label_lines(box: Box) -> list[str]:
    lines = [box.type_name]
    if box.name and box.name != box.type_name:
        lines.append(f'"{box.name}"')
    for key, value in box.attrs.items():
        lines.append(f'{key}={value}')
    return lines


def _dot_quote(text: str) -> str:
    return text.replace('\\', '\\\\').replace('"', '\\"')


def to_dot(root: Box, title: str = 'tree') -> str:
    """Return Graphviz DOT text for a tree of boxes."""
    out = [f'digraph "{_dot_quote(title)}" {{', '  rankdir=TB;',
           '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];']
    counter = 0
    stack = [(root, None)]
    while stack:
        box, parent = stack.pop()
        ident = f'n{counter}'
        counter += 1
        label = '\\n'.join(_dot_quote(line) for line in _label_lines(box))
        style = ', style="rounded,filled,dashed"' if box.category == 'unknown' else ''
        out.append(f'  {ident} [label="{label}", fillcolor="{COLOURS[box.category]}"{style}];')
        if parent is not None:
            out.append(f'  {parent} -> {ident};')
        for child in reversed(box.children):
            stack.append((child, ident))
    out.append('}')
    return '\n'.join(out) + '\n'


def _layout(root: Box, x_gap: float, y_gap: float) -> float:
    """Place leaves on consecutive columns and parents above the middle of their children."""
    next_x = [0.0]

    def place(box: Box, depth: int) -> None:
        box.y = depth * y_gap
        if not box.children:
            box.x = next_x[0]
            next_x[0] += x_gap
            return
        for child in box.children:
            place(child, depth + 1)
        box.x = (box.children[0].x + box.children[-1].x) / 2.0

    place(root, 0)
    return next_x[0]


def to_svg(root: Box, title: str = 'tree') -> str:
    """Return a standalone SVG drawing of a tree of boxes."""
    box_w, line_h, x_gap, y_gap, margin = 170.0, 13.0, 185.0, 110.0, 20.0
    width = _layout(root, x_gap, y_gap)
    boxes = []
    stack = [root]
    depth_max = 0.0
    while stack:
        box = stack.pop()
        boxes.append(box)
        depth_max = max(depth_max, box.y)
        stack.extend(box.children)
    total_w = max(width, x_gap) + 2 * margin
    total_h = depth_max + y_gap + 2 * margin
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w:.0f}" '
           f'height="{total_h:.0f}" viewBox="0 0 {total_w:.0f} {total_h:.0f}" '
           'font-family="Helvetica, Arial, sans-serif" font-size="10">',
           f'<title>{escape(title)}</title>']

    def top_left(box):
        return margin + box.x, margin + box.y

    for box in boxes:
        x, y = top_left(box)
        lines = _label_lines(box)
        height = line_h * len(lines) + 8
        for child in box.children:
            cx, cy = top_left(child)
            out.append(f'<line x1="{x + box_w / 2:.1f}" y1="{y + height:.1f}" '
                       f'x2="{cx + box_w / 2:.1f}" y2="{cy:.1f}" stroke="#555"/>')
    for box in boxes:
        x, y = top_left(box)
        lines = _label_lines(box)
        height = line_h * len(lines) + 8
        dash = ' stroke-dasharray="4 3"' if box.category == 'unknown' else ''
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{box_w:.0f}" height="{height:.0f}" '
                   f'rx="6" fill="{COLOURS[box.category]}" stroke="#333"{dash}/>')
        for i, line in enumerate(lines):
            weight = ' font-weight="bold"' if i == 0 else ''
            text = line if len(line) <= 30 else line[:29] + '…'
            out.append(f'<text x="{x + box_w / 2:.1f}" y="{y + 14 + i * line_h:.1f}" '
                       f'text-anchor="middle"{weight}>{escape(text)}</text>')
    out.append('</svg>')
    return '\n'.join(out) + '\n'

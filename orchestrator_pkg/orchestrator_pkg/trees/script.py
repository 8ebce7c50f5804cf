"""A small, safe expression language for ``Script``, ``ScriptCondition`` and pre/post-conditions.

It follows the shape of BehaviorTree.CPP v4's scripting language, with its
own parser and evaluator (no ``eval``): statements separated by ``;``,
assignments ``key := expr`` (create or set), ``key = expr`` (set an existing
key), ``+= -= *= /=``, and expressions with numbers, 'strings', ``true`` /
``false``, blackboard keys (``@key`` for the root blackboard), ``+ - * /``,
``..`` (string concatenation), ``& | ^ ~`` (integers), ``== != < <= > >=``,
``&& || !`` and ``cond ? a : b``. There are no loops, calls or attribute
access, so every script ends; results are bounded in size.
"""
from dataclasses import dataclass
import re
from typing import Any

MAX_SCRIPT_CHARS = 2000
MAX_STRING_CHARS = 65536
MAX_INT = 2 ** 63

_TOKEN = re.compile(r'''\s*(?:
    (?P<num>0[xX][0-9a-fA-F]+|(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<str>'[^']*'|"[^"]*")
  | (?P<name>@?[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>:=|\+=|-=|\*=|/=|==|!=|<=|>=|&&|\|\||\.\.|[-+*/!~<>()?:;=&|^])
)''', re.VERBOSE)

_ASSIGN = (':=', '=', '+=', '-=', '*=', '/=')
_BINARY = {'||': 2, '&&': 3, '==': 4, '!=': 4, '<': 4, '<=': 4, '>': 4, '>=': 4,
           '|': 5, '^': 6, '&': 7, '..': 8, '+': 9, '-': 9, '*': 10, '/': 10}
_UNARY_POWER = 11


class ScriptError(ValueError):
    """A script does not parse, or failed while running (names the reason)."""


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ScriptError(f'unexpected character {text[position:].lstrip()[:1]!r} at '
                              f'column {position + 1}')
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens):
        self.tokens = tokens
        self.index = 0

    def peek(self):
        return self.tokens[self.index] if self.index < len(self.tokens) else ('end', '')

    def take(self):
        token = self.peek()
        self.index += 1
        return token

    def expect(self, value):
        kind, text = self.take()
        if text != value:
            raise ScriptError(f'expected "{value}", found "{text or "end of script"}"')

    def statements(self):
        result = []
        while self.peek()[0] != 'end':
            if self.peek()[1] == ';':
                self.take()
                continue
            result.append(self.statement())
            if self.peek()[0] != 'end':
                self.expect(';')
        if not result:
            raise ScriptError('empty script')
        return result

    def statement(self):
        kind, text = self.peek()
        if kind == 'name' and self.index + 1 < len(self.tokens):
            op = self.tokens[self.index + 1][1]
            if op in _ASSIGN:
                self.index += 2
                return ('assign', op, text, self.expression(0))
        return self.expression(0)

    def expression(self, min_power):
        left = self.prefix()
        while True:
            op = self.peek()[1]
            if op == '?' and min_power <= 1:
                self.take()
                then = self.expression(1)
                self.expect(':')
                other = self.expression(1)
                left = ('if', left, then, other)
                continue
            power = _BINARY.get(op) if self.peek()[0] == 'op' else None
            if power is None or power < min_power:
                return left
            self.take()
            left = ('bin', op, left, self.expression(power + 1))

    def prefix(self):
        kind, text = self.take()
        if kind == 'num':
            if text.lower().startswith('0x'):
                return ('lit', int(text, 16))
            if re.fullmatch(r'\d+', text):
                return ('lit', int(text))
            return ('lit', float(text))
        if kind == 'str':
            return ('lit', text[1:-1])
        if kind == 'name':
            if text == 'true':
                return ('lit', True)
            if text == 'false':
                return ('lit', False)
            return ('key', text)
        if text == '(':
            inner = self.expression(0)
            self.expect(')')
            return inner
        if text in ('-', '!', '~'):
            return ('un', text, self.expression(_UNARY_POWER))
        raise ScriptError(f'unexpected "{text or "end of script"}"')


@dataclass(frozen=True)
class Script:
    """A parsed script; :meth:`run` evaluates it against a blackboard."""

    source: str
    statements: tuple

    def run(self, blackboard) -> Any:
        """Run every statement; return the value of the last one."""
        value = None
        for statement in self.statements:
            value = _evaluate(statement, blackboard)
        return value

    def test(self, blackboard) -> bool:
        """Run the script and return its value as a boolean."""
        return _truth(self.run(blackboard))

    def assigned_keys(self) -> list[str]:
        """Return the blackboard keys the script assigns (for the blackboard analysis)."""
        keys = []
        stack = list(self.statements)
        while stack:
            node = stack.pop()
            if node[0] == 'assign':
                keys.append(node[2])
                stack.append(node[3])
            elif node[0] in ('un', 'bin', 'if'):
                stack.extend(part for part in node[1:] if isinstance(part, tuple))
        return keys

    def read_keys(self) -> list[str]:
        """Return the blackboard keys the script reads."""
        keys = []
        stack = list(self.statements)
        while stack:
            node = stack.pop()
            if node[0] == 'key':
                keys.append(node[1])
            elif node[0] == 'assign':
                if node[1] != ':=':
                    keys.append(node[2])
                stack.append(node[3])
            elif node[0] in ('un', 'bin', 'if'):
                stack.extend(part for part in node[1:] if isinstance(part, tuple))
        return keys

    def __str__(self) -> str:
        return self.source


def parse_script(text: str) -> Script:
    """Parse ``text``; raises :class:`ScriptError` naming the problem."""
    if len(text) > MAX_SCRIPT_CHARS:
        raise ScriptError(f'script longer than {MAX_SCRIPT_CHARS} characters')
    parser = _Parser(_tokenize(text))
    return Script(text.strip(), tuple(parser.statements()))


def _number(value, other):
    if isinstance(value, str) and isinstance(other, (int, float)) and not isinstance(other, bool):
        try:
            return int(value) if re.fullmatch(r'[+-]?\d+', value.strip()) else float(value)
        except ValueError:
            raise ScriptError(f'"{value}" is not a number') from None
    return value


def _truth(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str) and value.strip().lower() in ('true', 'false', '1', '0'):
        return value.strip().lower() in ('true', '1')
    raise ScriptError(f'{value!r} is not a boolean')


def _check(value):
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= MAX_INT:
        raise ScriptError('integer overflow')
    if isinstance(value, str) and len(value) > MAX_STRING_CHARS:
        raise ScriptError(f'string longer than {MAX_STRING_CHARS} characters')
    return value


def _arith(op, left, right):
    if op == '..':
        return _check(f'{_text(left)}{_text(right)}')
    try:
        left, right = _number(left, right), _number(right, left)
    except ScriptError:
        if op in ('==', '!='):
            return op == '!='
        raise
    numeric = (int, float)
    if (not isinstance(left, numeric) or not isinstance(right, numeric)
            or isinstance(left, bool) or isinstance(right, bool)):
        if op in ('==', '!='):
            return (left == right) == (op == '==')
        if op in ('<', '<=', '>', '>=') and isinstance(left, str) and isinstance(right, str):
            pass
        else:
            raise ScriptError(f'cannot apply "{op}" to {left!r} and {right!r}')
    if op == '+':
        return _check(left + right)
    if op == '-':
        return _check(left - right)
    if op == '*':
        return _check(left * right)
    if op == '/':
        if right == 0:
            raise ScriptError('division by zero')
        return _check(left // right if isinstance(left, int) and isinstance(right, int)
                      and left % right == 0 else left / right)
    if op in ('&', '|', '^'):
        if not isinstance(left, int) or not isinstance(right, int):
            raise ScriptError(f'"{op}" needs integers')
        return {'&': left & right, '|': left | right, '^': left ^ right}[op]
    return {'==': left == right, '!=': left != right, '<': left < right, '<=': left <= right,
            '>': left > right, '>=': left >= right}[op]


def _text(value) -> str:
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return str(value)


def _evaluate(node, blackboard):
    kind = node[0]
    if kind == 'lit':
        return node[1]
    if kind == 'key':
        try:
            return blackboard.get(node[1])
        except KeyError:
            raise ScriptError(f'blackboard key "{node[1]}" is not set') from None
    if kind == 'un':
        value = _evaluate(node[2], blackboard)
        if node[1] == '!':
            return not _truth(value)
        if isinstance(value, str):
            value = _number(value, 0)
        if node[1] == '-' and isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value
        if node[1] == '~' and isinstance(value, int) and not isinstance(value, bool):
            return ~value
        raise ScriptError(f'cannot apply "{node[1]}" to {value!r}')
    if kind == 'if':
        branch = node[2] if _truth(_evaluate(node[1], blackboard)) else node[3]
        return _evaluate(branch, blackboard)
    if kind == 'bin':
        op = node[1]
        if op == '&&':
            return _truth(_evaluate(node[2], blackboard)) and _truth(_evaluate(node[3],
                                                                               blackboard))
        if op == '||':
            return _truth(_evaluate(node[2], blackboard)) or _truth(_evaluate(node[3],
                                                                              blackboard))
        return _arith(op, _evaluate(node[2], blackboard), _evaluate(node[3], blackboard))
    if kind == 'assign':
        _, op, key, expression = node
        value = _evaluate(expression, blackboard)
        if op != ':=':
            if not blackboard.has(key):
                raise ScriptError(f'blackboard key "{key}" is not set (use := to create it)')
            if op != '=':
                value = _arith(op[0], blackboard.get(key), value)
        blackboard.set(key, value)
        return value
    raise ScriptError(f'bad script node {kind}')  # pragma: no cover

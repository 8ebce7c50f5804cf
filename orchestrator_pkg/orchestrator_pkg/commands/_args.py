"""Argument types shared by the sub-commands: a bad value is one clear argparse error."""
import argparse
import math


def _number(text: str, kind):
    try:
        return kind(text)
    except ValueError:
        noun = 'an integer' if kind is int else 'a number'
        raise argparse.ArgumentTypeError(f'expected {noun}, got {text!r}') from None


def non_negative(text: str) -> float:
    """Parse a finite number >= 0 (rates, durations, real-time factors)."""
    value = _number(text, float)
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f'must be a finite number >= 0, got {text!r}')
    return value


def positive_float(text: str) -> float:
    """Parse a finite number > 0 (a share of CPUs)."""
    value = _number(text, float)
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f'must be a finite number > 0, got {text!r}')
    return value


def positive_int(text: str) -> int:
    """Parse an integer >= 1 (counts)."""
    value = _number(text, int)
    if value < 1:
        raise argparse.ArgumentTypeError(f'must be >= 1, got {text!r}')
    return value


def seed(text: str) -> int:
    """Parse a random seed in [0, 2^31), the sim's range."""
    value = _number(text, int)
    if not 0 <= value < 2 ** 31:
        raise argparse.ArgumentTypeError(f'must be in [0, 2^31), got {text!r}')
    return value


def param(text: str):
    """Parse ``NODE.PARAMETER=VALUE`` (VALUE as YAML: 0.5, true, text) into a triple."""
    import re

    import yaml
    target, sep, value = text.partition('=')
    node, dot, name = target.partition('.')
    if not sep or not dot or not re.match(r'^[A-Za-z][A-Za-z0-9_]*$', node) \
            or not re.match(r'^[A-Za-z_][A-Za-z0-9_.]*$', name):
        raise argparse.ArgumentTypeError(
            f'expected NODE.PARAMETER=VALUE (e.g. controller_server.FollowPath.'
            f'FollowPath.batch_size=400), got {text!r}')
    try:
        typed = yaml.safe_load(value) if value.strip() else ''
    except yaml.YAMLError:
        typed = value
    if not isinstance(typed, (str, int, float, bool)) or \
            (isinstance(typed, float) and not math.isfinite(typed)):
        raise argparse.ArgumentTypeError(f'{text!r}: the value must be a finite number, '
                                         'true/false or text')
    return node, name, typed


def add_param_option(parser, scope: str) -> None:
    """Add ``--param NODE.PARAMETER=VALUE`` (repeatable) to a command that starts a bringup."""
    parser.add_argument('--param', type=param, action='append', default=[],
                        metavar='NODE.PARAMETER=VALUE',
                        help=f"override a node's parameter {scope}, over its parameter "
                             'files (repeatable)')

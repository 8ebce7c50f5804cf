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

"""One short line from an action's feedback, for a leaf's ``feedback_message``.

Nav2's feedback messages (and ours) carry a few numbers worth showing while
a goal runs: distance remaining, time remaining, recoveries, speed, distance
or angle travelled, the gripper's opening. This picks the ones a feedback
message has, by field name, and renders them with units. Pure: it only reads
attributes, so any object with those fields works.
"""

# (field, label, unit, kind); kind: number, duration (builtin_interfaces/Duration),
# count; an ETA or a recovery count of 0 is left out (0 is also "not estimated")
_FIELDS = (
    ('distance_remaining', '', 'm to go', 'number'),
    ('distance_to_goal', '', 'm to go', 'number'),
    ('estimated_time_remaining', 'ETA', 's', 'duration'),
    ('number_of_poses_remaining', 'poses left', '', 'count'),
    ('number_of_recoveries', 'recoveries', '', 'count'),
    ('speed', 'speed', 'm/s', 'number'),
    ('distance_traveled', 'travelled', 'm', 'number'),
    ('angular_distance_traveled', 'turned', 'rad', 'number'),
    ('time_left', '', 's left', 'duration'),
    ('opening', 'opening', 'm', 'number'),
)

_OMIT_ZERO = frozenset(('estimated_time_remaining', 'number_of_recoveries'))


def _seconds(duration) -> float:
    return float(getattr(duration, 'sec', 0)) + float(getattr(duration, 'nanosec', 0)) * 1e-9


def describe_feedback(feedback) -> str:
    """Return e.g. ``'4.21 m to go, ETA 12 s, recoveries 0'`` ('' when nothing is known)."""
    parts = []
    for field, label, unit, kind in _FIELDS:
        if not hasattr(feedback, field):
            continue
        value = getattr(feedback, field)
        try:
            if field in _OMIT_ZERO and not float(_seconds(value) if kind == 'duration'
                                                 else value):
                continue
            if kind == 'duration':
                text = f'{_seconds(value):.0f}'
            elif kind == 'count':
                text = str(int(value))
            else:
                text = f'{float(value):.2f}'
        except (TypeError, ValueError):
            continue
        parts.append(' '.join(p for p in (label, text, unit) if p))
    return ', '.join(parts)

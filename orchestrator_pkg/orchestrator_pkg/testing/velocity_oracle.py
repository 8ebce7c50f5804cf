"""The velocity oracle (issue 12): a run's motion judged against the base's limits.

Pure: :func:`check` takes the base driver's output (``cmd_vel``) and the sim's
ground truth as ``(t, linear, angular)`` samples in sim seconds and returns
every violation as one line naming the time and the value:

- a non-finite number in either;
- a command over the limits (``max_vel_x``, ``min_vel_x``, ``max_vel_theta``);
- a command that speeds up by more than the acceleration limits allow from one
  message to the next (base_driver's ``max_step_s``; slowing down is always
  allowed: a stop may be a step to zero), times the number of messages sent
  in between (the publisher's sequence numbers show what the recording
  missed). Judged on the commands, not on the ground truth: a starved sim at
  rtf 2 applied a stale command for 0.36 s of sim time, then the robot caught
  up faster than the limit, which is the sim's doing, not the stack's;
- a true speed over the limits (with :data:`TRUTH_SPEED_MARGIN` for the physics);
- motion after a stop: once the command has been zero for :data:`STOP_SETTLE_S`
  (the base's deceleration from full speed, plus a margin), the robot must be
  still (:data:`STILL_MPS`, :data:`STILL_RADPS`) until :data:`RECORDER_LAG_S`
  before the next non-zero command, or until the last zero command before
  messages the recording missed (they may have moved the robot), or until the
  recorder's own clock was behind (:data:`RECORDER_STALE_S`, seen on the
  ground truth: the commands it took then are timed too early).

Commands are timed when base_driver sent them (the recording's publish time),
the ground truth by the sim's own stamps.

:func:`read_run` reads both series of every robot from a run folder's
``run.mcap`` (``orchestrator run --run-dir``); :func:`check_run` does both.
Every system test that runs ``orchestrator run`` ends with :func:`assert_run_within_limits`.
"""
from dataclasses import dataclass
import math
import os
from typing import Dict, List, Sequence, Tuple

import yaml

from orchestrator_pkg.drivers.velocity_limits import VelocityLimits

Sample = Tuple[float, float, float]  # (sim time s, linear m/s, angular rad/s)
# a command: a Sample, or a Sample and its publisher's sequence number (int);
# a ground-truth sample: a Sample, or a Sample and the time the recorder took it

STOP_SETTLE_S = 0.6   # zero command -> still: 0.5 m/s at 2 m/s^2 is 0.25 s, plus contact
# how much later than its publish time a command may have reached the sim: base_driver
# hears /clock late under load, so it sends a command at a sim time (its publish time)
# somewhat before its own clock says so
RECORDER_LAG_S = 1.0
# a recorder whose clock is this far behind the sim's stamps (seen: 5 s, its process
# starved on a loaded machine) timed the commands it took then too early
RECORDER_STALE_S = 0.25
STILL_MPS = 0.03
STILL_RADPS = 0.05
TRUTH_SPEED_MARGIN = 1.15  # physics overshoot allowed on the true speed (factor)
TRUTH_SPEED_SLACK = 0.03   # plus this (m/s or rad/s)
CMD_STEP_PERIODS = 4       # a command's rise per message: accel x this many timer periods


@dataclass(frozen=True)
class Limits(VelocityLimits):
    """base_driver's limits (config/base_driver.yaml) and its output rate."""

    rate_hz: float = 50.0

    @classmethod
    def from_yaml(cls, *paths: str, node: str = 'base_driver') -> 'Limits':
        """Read the limits from ROS parameters files (``node: ros__parameters: ...``).

        A later file overrides an earlier one, as in the bringup.
        """
        params = {}
        for path in paths:
            with open(path, encoding='utf-8') as f:
                params.update((yaml.safe_load(f) or {}).get(node, {}).get('ros__parameters', {}))
        fields = {k: float(params[k]) for k in cls.__dataclass_fields__ if k in params}
        return cls(**fields)


def _finite(*values) -> bool:
    return all(math.isfinite(v) for v in values)


def check(cmd: Sequence[Sample], truth: Sequence[Sample], limits: Limits) -> List[str]:
    """Every violation of the limits, the commands and the stops, one line each."""
    out = []
    for t, v, w, *_ in cmd:
        if not _finite(t, v, w):
            out.append(f'cmd_vel not finite at t={t}: ({v}, {w})')
        elif v > limits.max_vel_x + 1e-6 or v < limits.min_vel_x - 1e-6:
            out.append(f'cmd_vel linear {v:.3f} m/s at t={t:.2f} outside '
                       f'[{limits.min_vel_x}, {limits.max_vel_x}]')
        elif abs(w) > limits.max_vel_theta + 1e-6:
            out.append(f'cmd_vel angular {w:.3f} rad/s at t={t:.2f} over {limits.max_vel_theta}')
    finite_cmd = [s for s in cmd if _finite(*s[:3])]
    finite_truth = [s for s in truth if _finite(*s[:3])]
    step = CMD_STEP_PERIODS / limits.rate_hz
    out += _speeding_up(finite_cmd, 1, limits.max_accel_x * step, 'linear', 'm/s', 'max_accel_x')
    out += _speeding_up(finite_cmd, 2, limits.max_accel_theta * step, 'angular', 'rad/s',
                        'max_accel_theta')
    top_v = max(limits.max_vel_x, -limits.min_vel_x) * TRUTH_SPEED_MARGIN + TRUTH_SPEED_SLACK
    top_w = limits.max_vel_theta * TRUTH_SPEED_MARGIN + TRUTH_SPEED_SLACK
    for t, v, w, *_ in truth:
        if not _finite(t, v, w):
            out.append(f'ground truth not finite at t={t}: ({v}, {w})')
        elif abs(v) > top_v or abs(w) > top_w:
            out.append(f'true speed ({v:.3f} m/s, {w:.3f} rad/s) at t={t:.2f} over the limits')
    out += _motion_after_stops(finite_cmd, finite_truth)
    return out


def _sent_between(c0, c1) -> int:
    """Count the messages the publisher sent from ``c0`` to ``c1``.

    1 unless sequence numbers show a gap (a restarted publisher counts from 1
    again: 1).
    """
    if len(c0) > 3 and len(c1) > 3 and c1[3] > c0[3]:
        return c1[3] - c0[3]
    return 1


def _speeding_up(cmd, index, most, what, unit, name) -> List[str]:
    """Commands that speed up by more than ``most`` per message sent.

    base_driver speeds up by at most two timer periods' worth of acceleration
    per message (its ``max_step_s``); ``most`` allows twice that. Between two
    recorded messages, ``most`` times the messages sent from one to the other
    (sequence numbers: the recorder of 27 processes on 2 cores missed some),
    never by time, which the stack's late clocks stretch and squeeze. A fall
    is never flagged: a stop may be a step to zero.
    """
    out = []
    for c0, c1 in zip(cmd, cmd[1:], strict=False):
        before, after = c0[index], c1[index]
        rise = abs(after) - (abs(before) if before * after > 0 else 0.0)
        sent = _sent_between(c0, c1)
        if rise > most * sent + 1e-9:
            missed = f', {sent - 1} not recorded between' if sent > 1 else ''
            out.append(f'cmd_vel {what} {before:.3f} -> {after:.3f} {unit} in one message at '
                       f't={c1[0]:.2f}: more than {most:.3f} ({name}){missed}')
    return out


def stops(cmd: Sequence[Sample]) -> List[Tuple[float, float]]:
    """(from, until) of every span of zero commands, judged still from ``from`` to ``until``.

    A span ends at the next non-zero command (``until`` is that command's time
    less :data:`RECORDER_LAG_S`), or where the recording missed messages (they
    may have moved the robot; ``until`` is the last zero command's time), or
    never (``until`` is inf).
    """
    spans, start, last = [], None, None
    for c in cmd:
        t, v, w = c[:3]
        if start is not None and last is not None and _sent_between(last, c) > 1:
            spans.append((start, last[0]))  # messages missed: what they said is unknown
            start = None
        if v == 0.0 and w == 0.0:
            start = t if start is None else start
        elif start is not None:
            spans.append((start, t - RECORDER_LAG_S))
            start = None
        last = c
    if start is not None:
        spans.append((start, math.inf))
    return spans


def _stale_from(truth, begin: float, until: float) -> float:
    """Return the first ground-truth time in [begin, until) taken with a stale clock.

    A truth sample carries its receive (log) time as a 4th element; one stamped
    more than :data:`RECORDER_STALE_S` after it was received shows the
    recorder's clock, and so the publish times it gave commands then, behind.
    """
    for t, _v, _w, *log in truth:
        if begin <= t < until and log and t - log[0] > RECORDER_STALE_S:
            return t
    return until


def _motion_after_stops(cmd, truth) -> List[str]:
    out = []
    for begin, until in stops(cmd):
        settled = begin + STOP_SETTLE_S
        until = _stale_from(truth, begin, until)  # the commands' times are unknown from there
        moving = [(t, v, w) for t, v, w, *_ in truth
                  if settled <= t < until and (abs(v) > STILL_MPS or abs(w) > STILL_RADPS)]
        if moving:
            t, v, w = moving[0]
            out.append(f'moving ({v:.3f} m/s, {w:.3f} rad/s) at t={t:.2f}, '
                       f'{t - begin:.2f} s after cmd_vel went to zero at t={begin:.2f} '
                       f'({len(moving)} samples)')
    return out


def read_run(run_dir: str) -> Dict[str, Tuple[List[tuple], List[Sample]]]:
    """``{robot namespace: (cmd_vel samples, ground-truth samples)}`` from ``run.mcap``.

    Commands in the order they arrived, timed by the recording's publish time
    (the sim time when base_driver sent them) and carrying their sequence
    number; ground truth by its own stamp (sim time), carrying the time the
    recorder took it (its log time). A robot is any
    namespace with a ``cmd_vel`` or ``ground_truth/odom`` topic.
    """
    from mcap.reader import make_reader
    from mcap_ros2.decoder import DecoderFactory
    factory = DecoderFactory()
    robots: Dict[str, Tuple[List[tuple], List[Sample]]] = {}
    suffixes = (('/cmd_vel', 0), ('/ground_truth/odom', 1))
    with open(os.path.join(run_dir, 'run.mcap'), 'rb') as f:
        reader = make_reader(f, decoder_factories=[factory])
        summary = reader.get_summary()
        channels = summary.channels.values() if summary is not None else ()
        wanted = [c.topic for c in channels if c.topic.endswith(tuple(s for s, _ in suffixes))]
        if not wanted:
            return robots
        for _schema, channel, message, msg in reader.iter_decoded_messages(
                topics=wanted, log_time_order=False):  # as written: as they arrived
            for suffix, index in suffixes:
                if not channel.topic.endswith(suffix):
                    continue
                ns = channel.topic[:-len(suffix)].strip('/')
                if index == 0:
                    twist = getattr(msg, 'twist', msg)  # TwistStamped or Twist
                    sample = (message.publish_time * 1e-9, twist.linear.x, twist.angular.z,
                              message.sequence)
                else:  # the sim's own stamp: receive times stall when /clock is late
                    tw, stamp = msg.twist.twist, msg.header.stamp
                    sample = (stamp.sec + stamp.nanosec * 1e-9,
                              math.hypot(tw.linear.x, tw.linear.y), tw.angular.z,
                              message.log_time * 1e-9)
                robots.setdefault(ns, ([], []))[index].append(sample)
    return robots


def check_run(run_dir: str, limits: Limits) -> List[str]:
    """:func:`check` over every robot of a run folder, each line naming the robot."""
    out = []
    for ns, (cmd, truth) in sorted(read_run(run_dir).items()):
        out += [f'{ns or "robot"}: {line}' for line in check(cmd, truth, limits)]
    return out


def default_limits(robot: str = 'small_indoor') -> Limits:
    """Return base_driver's limits in the bringup for ``robot`` (installed config files)."""
    from ament_index_python.packages import get_package_share_directory
    config = os.path.join(get_package_share_directory('orchestrator_pkg'), 'config')
    return Limits.from_yaml(os.path.join(config, 'base_driver.yaml'),
                            os.path.join(config, 'robots', f'{robot}.yaml'))


def assert_run_within_limits(run_dir, limits: Limits = None, min_samples: int = 50) -> None:
    """Fail (AssertionError naming the first violations) unless the run kept its limits.

    ``min_samples``: a run must have recorded at least this many commands and
    ground-truth samples per robot, so an empty recording is not a pass.
    """
    run_dir = str(run_dir)
    robots = read_run(run_dir)
    assert robots, f'{run_dir}/run.mcap: no cmd_vel nor ground_truth/odom recorded'
    for ns, (cmd, truth) in robots.items():
        assert len(cmd) >= min_samples and len(truth) >= min_samples, \
            f'{run_dir}: {ns or "robot"}: {len(cmd)} commands, {len(truth)} truth samples'
    found = check_run(run_dir, limits or default_limits())
    assert not found, f'velocity oracle, {len(found)} violations in {run_dir}:\n' + \
        '\n'.join(found[:10])

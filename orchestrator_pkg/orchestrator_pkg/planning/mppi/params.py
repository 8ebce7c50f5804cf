"""MPPI parameters: one dataclass per critic, grouped under :class:`MPPIParams`.

Names follow Nav2's MPPI controller where Nav2 has the same notion (``batch_size``,
``time_steps``, ``model_dt``, ``vx_std``, ``temperature``, ``gamma``, and per critic
``cost_weight``, ``cost_power``, ``threshold_to_consider``, ...); the critics'
groups are named as Nav2's plugins (``CostCritic``, ``PathFollowCritic``, ...), so
a flat parameter name is ``PathFollowCritic.cost_weight``. Everything is in SI
units (m, s, rad). Our own additions (the speed critic, the smoothing window, the
goal tolerances shared with regulated pure pursuit, the seed) say so in their
descriptions.

Every field carries its description and range as dataclass metadata, so a node
can declare the parameters with descriptors (:func:`parameter_specs`) and build
the dataclass back from the declared values (:func:`params_from_dict`).
"""
import copy
from dataclasses import dataclass, field, fields, is_dataclass
import math
from typing import NamedTuple


def _p(default, description: str, lo=None, hi=None):
    """Make a dataclass field with its description and (inclusive) range as metadata."""
    return field(default=default, metadata={'description': description, 'range': (lo, hi)})


def _group(cls, name: str, description: str):
    """Make a critic group field holding a ``cls()``; ``name`` is its Nav2 plugin name."""
    return field(default_factory=cls, metadata={'name': name, 'description': description})


@dataclass
class ConstraintCriticParams:
    """Penalises sampled controls beyond the speed limits (before the model clips them)."""

    enabled: bool = _p(True, 'use this critic')
    cost_weight: float = _p(4.0, 'weight of the term', 0.0, 1000.0)
    cost_power: int = _p(1, 'power applied to the term before the weight', 1, 4)


@dataclass
class CostCriticParams:
    """Obstacles from the inflated local costmap, with the footprint checked near them."""

    enabled: bool = _p(True, 'use this critic')
    cost_weight: float = _p(2.0, 'weight of the mean costmap cost (/254) along a trajectory',
                            0.0, 1000.0)
    cost_power: int = _p(1, 'power applied to the term before the weight', 1, 4)
    consider_footprint: bool = _p(True, 'check the footprint polygon (not only its centre) '
                                  'where an obstacle is within the circumscribed radius')
    collision_cost: float = _p(1.0e6, 'cost of a trajectory whose footprint touches a lethal '
                               'cell (it is also reported as colliding)', 0.0, 1.0e9)
    critical_cost: float = _p(100.0, 'cost of a near miss at vx_max: a pose whose footprint '
                              'is within collision_margin_distance of a lethal cell; scaled '
                              'by (speed / vx_max)^2', 0.0, 1.0e6)
    collision_margin_distance: float = _p(0.05, 'margin (m, rounded up to whole cells) around '
                                          'the footprint within which a lethal cell makes the '
                                          'pose a near miss', 0.0, 1.0)
    near_goal_distance: float = _p(0.5, 'within this distance (m) of the goal only collisions '
                                   'count, so the robot can reach a goal close to obstacles',
                                   0.0, 10.0)


@dataclass
class GoalCriticParams:
    """Pulls the trajectories to the goal position once the robot is near it."""

    enabled: bool = _p(True, 'use this critic')
    cost_weight: float = _p(5.0, 'weight of the mean distance (m) of the poses to the goal',
                            0.0, 1000.0)
    cost_power: int = _p(1, 'power applied to the term before the weight', 1, 4)
    threshold_to_consider: float = _p(1.4, 'active when the robot is within this distance (m) '
                                      'of the goal', 0.0, 100.0)


@dataclass
class GoalAngleCriticParams:
    """Turns the robot to the goal heading once it is near the goal (if the path has one)."""

    enabled: bool = _p(True, 'use this critic')
    cost_weight: float = _p(3.0, 'weight of the mean heading error (rad) to the goal yaw',
                            0.0, 1000.0)
    cost_power: int = _p(1, 'power applied to the term before the weight', 1, 4)
    threshold_to_consider: float = _p(0.5, 'active when the robot is within this distance (m) '
                                      'of the goal', 0.0, 100.0)


@dataclass
class PathAlignCriticParams:
    """Keeps the trajectories on the path (mean distance of their poses to it)."""

    enabled: bool = _p(True, 'use this critic')
    cost_weight: float = _p(14.0, 'weight of the mean distance (m) of the poses to the path',
                            0.0, 1000.0)
    cost_power: int = _p(1, 'power applied to the term before the weight', 1, 4)
    threshold_to_consider: float = _p(0.5, 'inactive when the robot is within this distance '
                                      '(m) of the goal', 0.0, 100.0)
    offset_from_furthest: int = _p(20, 'active only once the furthest trajectory reaches this '
                                   'many path points (5 cm apart) along the path', 0, 1000)
    trajectory_point_step: int = _p(4, 'score every n-th pose of a trajectory (compute time)',
                                    1, 50)
    max_path_occupancy_ratio: float = _p(0.07, 'inactive when more than this fraction of the '
                                         'path ahead lies in inscribed or lethal cells (the '
                                         'path is blocked: leave it to go around)', 0.0, 1.0)


@dataclass
class PathFollowCriticParams:
    """Draws the trajectory ends to a path point beyond the furthest one reached."""

    enabled: bool = _p(True, 'use this critic')
    cost_weight: float = _p(5.0, 'weight of the distance (m) of a trajectory end to the '
                            'target path point', 0.0, 1000.0)
    cost_power: int = _p(1, 'power applied to the term before the weight', 1, 4)
    offset_from_furthest: int = _p(6, 'target = this many path points (5 cm apart) beyond the '
                                   'furthest point any trajectory reaches (and no further than '
                                   'desired_linear_vel reaches over the horizon)', 0, 1000)
    threshold_to_consider: float = _p(1.4, 'inactive when the robot is within this distance '
                                      '(m) of the goal (the goal critic takes over)',
                                      0.0, 100.0)


@dataclass
class PathAngleCriticParams:
    """Turns the robot towards the path when it points away from it."""

    enabled: bool = _p(True, 'use this critic')
    cost_weight: float = _p(2.0, 'weight of the mean angle (rad) between a trajectory\'s '
                            'heading and the bearing to the target path point', 0.0, 1000.0)
    cost_power: int = _p(1, 'power applied to the term before the weight', 1, 4)
    offset_from_furthest: int = _p(4, 'target = this many path points (5 cm apart) beyond the '
                                   'furthest point any trajectory reaches', 0, 1000)
    threshold_to_consider: float = _p(0.5, 'inactive when the robot is within this distance '
                                      '(m) of the goal', 0.0, 100.0)
    max_angle_to_furthest: float = _p(1.0, 'active when the robot\'s heading is off the '
                                      'bearing to the target by more than this (rad)',
                                      0.0, math.pi)
    forward_preference: bool = _p(True, 'the robot has a front; if false, pointing the back '
                                  'at the path is as good')


@dataclass
class PreferForwardCriticParams:
    """Penalises driving backwards."""

    enabled: bool = _p(True, 'use this critic')
    cost_weight: float = _p(5.0, 'weight of the distance (m) driven backwards', 0.0, 1000.0)
    cost_power: int = _p(1, 'power applied to the term before the weight', 1, 4)
    threshold_to_consider: float = _p(0.5, 'inactive when the robot is within this distance '
                                      '(m) of the goal', 0.0, 100.0)


@dataclass
class SpeedCriticParams:
    """Ours (Nav2 has no such critic): keeps the speed near the desired cruise speed."""

    enabled: bool = _p(True, 'use this critic')
    cost_weight: float = _p(4.0, 'weight of the mean ||vx| - desired_linear_vel| / '
                            'desired_linear_vel (the top-level cruise speed)', 0.0, 1000.0)
    cost_power: int = _p(1, 'power applied to the term before the weight', 1, 4)
    threshold_to_consider: float = _p(1.4, 'inactive when the robot is within this distance '
                                      '(m) of the goal (it has to slow down there)',
                                      0.0, 100.0)


@dataclass
class TwirlingCriticParams:
    """Penalises turning (mean |wz|), for straighter, calmer motion."""

    enabled: bool = _p(True, 'use this critic')
    cost_weight: float = _p(1.0, 'weight of the mean |wz| (rad/s)', 0.0, 1000.0)
    cost_power: int = _p(1, 'power applied to the term before the weight', 1, 4)


@dataclass
class MPPIParams:
    """Model predictive path integral controller parameters (Nav2 names; SI units)."""

    batch_size: int = _p(800, 'number of sampled control sequences per iteration', 16, 20000)
    time_steps: int = _p(40, 'steps per sampled sequence (horizon = time_steps * model_dt)',
                         2, 200)
    model_dt: float = _p(0.05, 'time step (s) of the rollouts; best equal to the control '
                         'period', 0.01, 0.5)
    iteration_count: int = _p(1, 'optimisation iterations per control cycle', 1, 10)
    vx_std: float = _p(0.2, 'sampling standard deviation of vx (m/s)', 0.0, 5.0)
    wz_std: float = _p(0.4, 'sampling standard deviation of wz (rad/s)', 0.0, 10.0)
    desired_linear_vel: float = _p(1.0, 'cruise speed (m/s), as regulated pure pursuit\'s: the '
                                   'speed critic keeps to it and the path follow critic draws '
                                   'no further than it reaches', 0.01, 10.0)
    noise_correlation_time_s: float = _p(0.5, 'ours: time constant (s) of the sampling noise '
                                         'along the horizon (0 = white noise, as Nav2)',
                                         0.0, 10.0)
    vx_max: float = _p(2.0, 'forward speed limit (m/s)', 0.01, 10.0)
    vx_min: float = _p(-0.35, 'reverse speed limit (m/s, <= 0)', -10.0, 0.0)
    wz_max: float = _p(2.0, 'angular speed limit (rad/s), both directions', 0.01, 20.0)
    ax_max: float = _p(2.5, 'linear acceleration limit when speeding up (m/s^2)', 0.01, 50.0)
    ax_min: float = _p(-2.5, 'linear acceleration limit when slowing down (m/s^2, < 0)',
                       -50.0, -0.01)
    az_max: float = _p(3.2, 'angular acceleration limit (rad/s^2)', 0.01, 100.0)
    temperature: float = _p(0.3, 'softmax temperature (lambda): near 0 takes the best '
                            'sample, large values average all samples', 1e-4, 1000.0)
    gamma: float = _p(0.015, 'weight of the control cost that trades smoothness against low '
                      'energy (information-theoretic MPPI)', 0.0, 10.0)
    prune_distance: float = _p(4.0, 'length (m) of the path ahead of the robot given to the '
                               'critics; at least vx_max times the horizon', 0.1, 100.0)
    smoothing_window: int = _p(9, 'ours: odd window (steps) of the Savitzky-Golay smoothing '
                               'of the optimal sequence; 1 = off', 1, 51)
    smoothing_order: int = _p(3, 'ours: polynomial order of that smoothing', 0, 10)
    xy_goal_tolerance_m: float = _p(0.25, 'goal reached within this distance (m)', 0.01, 5.0)
    yaw_goal_tolerance: float = _p(0.25, 'goal heading tolerance (rad), when the path gives '
                                   'a goal heading', 0.01, 2.0 * math.pi)
    seed: int = _p(0, 'ours: seed of the sampling noise (runs are repeatable)', 0, 2**31 - 1)
    constraint: ConstraintCriticParams = _group(ConstraintCriticParams, 'ConstraintCritic',
                                                'limits')
    cost: CostCriticParams = _group(CostCriticParams, 'CostCritic', 'obstacles')
    goal: GoalCriticParams = _group(GoalCriticParams, 'GoalCritic', 'goal position')
    goal_angle: GoalAngleCriticParams = _group(GoalAngleCriticParams, 'GoalAngleCritic',
                                               'goal heading')
    path_align: PathAlignCriticParams = _group(PathAlignCriticParams, 'PathAlignCritic',
                                               'stay on the path')
    path_follow: PathFollowCriticParams = _group(PathFollowCriticParams, 'PathFollowCritic',
                                                 'progress along the path')
    path_angle: PathAngleCriticParams = _group(PathAngleCriticParams, 'PathAngleCritic',
                                               'face the path')
    prefer_forward: PreferForwardCriticParams = _group(PreferForwardCriticParams,
                                                       'PreferForwardCritic', 'drive forward')
    speed: SpeedCriticParams = _group(SpeedCriticParams, 'SpeedCritic', 'cruise speed')
    twirling: TwirlingCriticParams = _group(TwirlingCriticParams, 'TwirlingCritic',
                                            'turn less')

    def validate(self) -> None:
        """Raise ValueError naming the first field out of range or inconsistent."""
        for spec in parameter_specs(self):
            _check_spec(spec)
        if self.desired_linear_vel > self.vx_max:
            raise ValueError(f'desired_linear_vel ({self.desired_linear_vel}) must be <= '
                             f'vx_max ({self.vx_max})')
        if self.smoothing_window % 2 == 0:
            raise ValueError(f'smoothing_window must be odd, got {self.smoothing_window}')
        if self.smoothing_window > 1 and self.smoothing_order >= self.smoothing_window:
            raise ValueError(f'smoothing_order ({self.smoothing_order}) must be < '
                             f'smoothing_window ({self.smoothing_window})')


class ParamSpec(NamedTuple):
    """One flat parameter: dotted name, value, description, range (None for bools)."""

    name: str
    value: object
    description: str
    lo: object
    hi: object


def _check_spec(spec: ParamSpec) -> None:
    v = spec.value
    default_type = type(spec.lo) if spec.lo is not None else bool
    if default_type is bool:
        if not isinstance(v, bool):
            raise ValueError(f'{spec.name} must be true or false, got {v!r}')
        return
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError(f'{spec.name} must be a number, got {v!r}')
    if default_type is int and not isinstance(v, int):
        raise ValueError(f'{spec.name} must be an integer, got {v!r}')
    if not (math.isfinite(v) and spec.lo <= v <= spec.hi):
        raise ValueError(f'{spec.name} must be in [{spec.lo}, {spec.hi}], got {v}')


def parameter_specs(params: MPPIParams = None) -> list:
    """Every parameter as a :class:`ParamSpec`, critics as ``CriticName.field``."""
    params = MPPIParams() if params is None else params
    out = []
    for f in fields(params):
        value = getattr(params, f.name)
        if is_dataclass(value):
            group = f.metadata['name']
            for g in fields(value):
                lo, hi = g.metadata['range']
                out.append(ParamSpec(f'{group}.{g.name}', getattr(value, g.name),
                                     f'{group}: {g.metadata["description"]}', lo, hi))
        else:
            lo, hi = f.metadata['range']
            out.append(ParamSpec(f.name, value, f.metadata['description'], lo, hi))
    return out


def params_from_dict(values: dict, base: MPPIParams = None) -> MPPIParams:
    """Build validated params from flat names (``batch_size``, ``CostCritic.cost_weight``).

    Names not given keep the value of ``base`` (defaults if None); ``base`` is not
    modified. An unknown name or a bad value raises ValueError naming it. Integers
    are accepted for float fields.
    """
    out = copy.deepcopy(MPPIParams() if base is None else base)
    known = {spec.name: spec for spec in parameter_specs(out)}
    for name, value in values.items():
        spec = known.get(name)
        if spec is None:
            raise ValueError(f'unknown MPPI parameter {name!r}')
        if isinstance(spec.lo, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        group, _, key = name.rpartition('.')
        target = out
        if group:
            target = next(getattr(out, f.name) for f in fields(out)
                          if f.metadata.get('name') == group)
        setattr(target, key, value)
    out.validate()
    return out

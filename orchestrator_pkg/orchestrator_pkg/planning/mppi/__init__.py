"""Model predictive path integral (MPPI) control for a differential-drive robot, in numpy.

MPPI is a sampling-based model predictive controller. It keeps a control
sequence (``time_steps`` pairs of linear and angular velocity, ``model_dt``
apart) from one cycle to the next. Every cycle it

- draws ``batch_size`` noisy variants of that sequence,
- makes each one drivable with the robot's speed and acceleration limits and
  integrates it into a trajectory (:mod:`.model`),
- scores every trajectory with a set of critics: obstacles from the local
  costmap with the footprint, following and facing the path, reaching the goal
  and its heading, driving forwards, keeping the cruise speed, respecting the
  limits, not twirling (:mod:`.critics`),
- and replaces the sequence by the average of the samples weighted by
  ``exp(-cost / temperature)`` (:mod:`.optimizer`).

Cheap samples dominate the average, so the sequence improves from cycle to
cycle while the robot drives its first control. Unlike a single arc check it
weighs thousands of candidate motions at once, so it keeps speed where a
pure-pursuit controller slows down and finds its way through gaps that one
fixed arc would call blocked. :class:`MPPIController` (:mod:`.controller`) has
the interface of regulated pure pursuit (``set_path``, ``compute`` returning a
``Command``), so the controller server can use either. Parameters and their
descriptions and ranges: :mod:`.params`.

The algorithm follows Williams et al.'s information-theoretic MPPI and the
concepts and parameter names of Nav2's MPPI controller; the code is ours.
"""
from orchestrator_pkg.planning.mppi.controller import MPPIController
from orchestrator_pkg.planning.mppi.params import (
    MPPIParams,
    ParamSpec,
    parameter_specs,
    params_from_dict,
)

__all__ = ['MPPIController', 'MPPIParams', 'ParamSpec', 'parameter_specs', 'params_from_dict']

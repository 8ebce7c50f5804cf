"""Nav2's costmap services, the same for the global and the local costmap.

For a costmap named ``name`` (``global_costmap`` on planner_server,
``local_costmap`` on controller_server), under ``<name>/`` as Nav2's
costmap_2d serves them:

- ``get_costmap`` (nav2_msgs/GetCostmap): the master costmap, raw costs
  (:func:`~orchestrator_pkg.ros_edge.convert.costmap_to_msg`); the request's
  ``specs`` are ignored, as Nav2 does;
- ``clear_entirely_<name>`` (ClearEntireCostmap): every obstacle observation;
- ``clear_around_<name>`` (ClearCostmapAroundRobot): the observations in the
  square of side ``reset_distance`` centred on the robot;
- ``clear_except_<name>`` (ClearCostmapExceptRegion): those outside it.

The static map always stays. The clearing is the pure costmap's
(:meth:`~orchestrator_pkg.planning.costmap.LayeredCostmap.clear_around`). A
request that cannot be served (a non-finite or negative ``reset_distance``, no
robot pose) clears nothing and logs a warning naming the value; the services
answer anyway (their responses are empty, as Nav2's on Jazzy). Every callback
goes through the edge guard.
"""
import contextlib

from nav2_msgs.srv import (
    ClearCostmapAroundRobot,
    ClearCostmapExceptRegion,
    ClearEntireCostmap,
    GetCostmap,
)

from orchestrator_pkg.planning.costmap import CostmapError
from orchestrator_pkg.planning.frames import FrameError
from orchestrator_pkg.ros_edge import convert, guard


class CostmapServices:
    """The services of one node's costmap (see the module docstring).

    ``costmap`` is the node's LayeredCostmap, ``lock`` guards it (None: one
    thread uses it), ``frame`` is its frame and ``robot_xy()`` returns the
    robot position in that frame or raises FrameError / LookupError.
    """

    def __init__(self, node, name: str, costmap, frame: str, robot_xy, lock=None):
        self._node = node
        self._name = name
        self._costmap = costmap
        self._frame = frame
        self._robot_xy = robot_xy
        self._lock = lock if lock is not None else contextlib.nullcontext()
        self._warn = guard.edge(node).warn
        services = (
            (GetCostmap, 'get_costmap', self._on_get),
            (ClearEntireCostmap, f'clear_entirely_{name}', self._on_clear_entirely),
            (ClearCostmapAroundRobot, f'clear_around_{name}', self._on_clear_around),
            (ClearCostmapExceptRegion, f'clear_except_{name}', self._on_clear_except),
        )
        for srv_type, service, callback in services:
            node.create_service(srv_type, f'{name}/{service}',
                                guard.service(node, service, callback))

    def _on_get(self, request, response):
        with self._lock:
            if self._costmap.dirty:
                self._costmap.update_costs()
            master = self._costmap.master.copy()
        response.map = convert.costmap_to_msg(master, self._frame,
                                              self._node.get_clock().now().to_msg())
        return response

    def _on_clear_entirely(self, request, response):
        with self._lock:
            self._costmap.clear_entirely()
        self._node.get_logger().info(f'{self._name} cleared')
        return response

    def _on_clear_around(self, request, response):
        self._clear(f'clear_around_{self._name}', request.reset_distance, inside=True)
        return response

    def _on_clear_except(self, request, response):
        self._clear(f'clear_except_{self._name}', request.reset_distance, inside=False)
        return response

    def _clear(self, service: str, reset_distance: float, inside: bool):
        try:
            x, y = self._robot_xy()
        except (FrameError, LookupError) as exc:
            self._warn((service, 'pose'), f'{service}: nothing cleared: no robot pose in '
                                          f'{self._frame!r}: {exc}')
            return
        try:
            with self._lock:
                clear = self._costmap.clear_around if inside else self._costmap.clear_except
                cleared = clear(x, y, reset_distance)
        except CostmapError as exc:
            self._warn((service, 'request'), f'{service}: {exc}')
            return
        where = 'within' if inside else 'outside'
        self._node.get_logger().info(
            f'{self._name}: {cleared} cells cleared {where} the {reset_distance:g} m square '
            f'around the robot at ({x:.2f}, {y:.2f})')

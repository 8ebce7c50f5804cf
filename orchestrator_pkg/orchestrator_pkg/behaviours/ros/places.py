"""``GetPlacePose``: a named place as a PoseStamped on the blackboard.

Ports: ``place`` (name), ``frame_id`` (default ``map``), output ``pose``.
The places come from the ROS node's ``places_file`` parameter (a YAML file
with a ``places:`` mapping, or a shipped world's name); see
:mod:`orchestrator_pkg.places`. An unknown place fails with INVALID_INPUT
and lists the known ones.
"""
from py_trees.common import Status

from orchestrator_pkg.places import PlacesError, load_places
from orchestrator_pkg.ros_edge.convert import pose_stamped
from orchestrator_pkg.ros_edge.leaf import RosLeaf
from orchestrator_pkg.trees.failure import FailureCode

PLACES_PARAMETER = 'places_file'


class GetPlacePose(RosLeaf):
    """Look up a named place and write its pose to the ``pose`` port."""

    def __init__(self, ctx):
        super().__init__(ctx.name, node_type=ctx.type_name, clock=ctx.clock)
        self.ports = ctx.ports
        self._places = None
        self._source = ''

    def connect(self, node) -> None:
        """Read the places file named by the node's ``places_file`` parameter."""
        if not node.has_parameter(PLACES_PARAMETER):
            self._source = f'node {node.get_name()} has no {PLACES_PARAMETER} parameter'
            return
        self._source = node.get_parameter(PLACES_PARAMETER).value
        if not self._source:
            self._source = f'{PLACES_PARAMETER} is empty'
            return
        try:
            self._places = load_places(self._source)
        except PlacesError as exc:
            self._places = None
            self._source = str(exc)

    def update(self) -> Status:
        """Write the pose, or fail naming the place and the known ones."""
        name = self.ports.get('place')
        if self._places is None:
            return self.fail(FailureCode.INVALID_INPUT, f'no places loaded ({self._source})')
        if name not in self._places:
            known = ', '.join(sorted(self._places)) or 'none'
            return self.fail(FailureCode.INVALID_INPUT,
                             f'unknown place {name!r} in {self._source} (known: {known})')
        stamp = self.node.get_clock().now().to_msg() if self.node is not None else None
        self.ports.set('pose', pose_stamped(self.ports.get('frame_id', 'map'),
                                            *self._places[name], stamp))
        self.feedback_message = f'{name} -> {self._places[name]}'
        return Status.SUCCESS

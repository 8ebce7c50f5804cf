"""``GetPlacePose``: a named place as a PoseStamped on the blackboard.

Ports: ``place`` (name), ``frame_id`` (default ``map``), output ``pose``.
The places come from the ROS node's ``places_file`` parameter (a YAML file
with a ``places:`` mapping, or a shipped world's name); see
:mod:`orchestrator_pkg.places`. An unknown place fails with INVALID_INPUT
and lists the known ones.
"""
import math

from geometry_msgs.msg import PoseStamped
import py_trees
from py_trees.common import Status

from orchestrator_pkg.places import PlacesError, load_places
from orchestrator_pkg.trees.failure import Failure, FailureCode

PLACES_PARAMETER = 'places_file'


def place_pose(place, frame_id: str, stamp=None) -> PoseStamped:
    """Build a PoseStamped from ``(x, y, yaw)``."""
    x, y, yaw = place
    pose = PoseStamped()
    pose.header.frame_id = frame_id
    if stamp is not None:
        pose.header.stamp = stamp
    pose.pose.position.x = float(x)
    pose.pose.position.y = float(y)
    pose.pose.orientation.z = math.sin(yaw / 2.0)
    pose.pose.orientation.w = math.cos(yaw / 2.0)
    return pose


class GetPlacePose(py_trees.behaviour.Behaviour):
    """Look up a named place and write its pose to the ``pose`` port."""

    def __init__(self, ctx):
        super().__init__(ctx.name)
        self.ports = ctx.ports
        self.node_type = ctx.type_name
        self.failure = None
        self._places = None
        self._source = ''
        self._node = None

    def setup(self, **kwargs):
        """Read the places file named by the node's ``places_file`` parameter."""
        self._node = kwargs.get('node')
        if self._node is None:
            raise KeyError(f'{self.name}: setup() needs node=<rclpy node>')
        if not self._node.has_parameter(PLACES_PARAMETER):
            self._source = f'node {self._node.get_name()} has no {PLACES_PARAMETER} parameter'
            return
        self._source = self._node.get_parameter(PLACES_PARAMETER).value
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
            return self._fail(f'no places loaded ({self._source})')
        if name not in self._places:
            known = ', '.join(sorted(self._places)) or 'none'
            return self._fail(f'unknown place {name!r} in {self._source} (known: {known})')
        stamp = self._node.get_clock().now().to_msg() if self._node is not None else None
        self.ports.set('pose', place_pose(self._places[name], self.ports.get('frame_id', 'map'),
                                          stamp))
        self.failure = None
        self.feedback_message = f'{name} -> {self._places[name]}'
        return Status.SUCCESS

    def _fail(self, message):
        self.failure = Failure(node_type=self.node_type, code=int(FailureCode.INVALID_INPUT),
                               message=message)
        self.feedback_message = message
        return Status.FAILURE

"""The builders of the generic ROS node types: topics, services and any action by type.

Registered through the ``orchestrator.behaviours`` entry point
``ros = orchestrator_pkg.behaviours.ros.register:register``:

- ``WaitForMessage`` (action): RUNNING until a message arrives on
  ``topic_name`` (type ``msg_type``), which goes to the ``message`` port.
- ``Publish`` (action): publishes ``message`` (from the blackboard) or a
  message built from ``fields`` (``"data=hello; header.frame_id=map"``).
- ``CheckTopicField`` (condition): compares a field of the latest message
  with ``value`` using ``op`` (``== != < <= > >=``).
- ``TriggerService`` (action): calls a std_srvs/Trigger service; SUCCESS
  when the response says ``success``.
- ``GetPlacePose`` (action): a named place (from the node's ``places_file``)
  as a PoseStamped on the ``pose`` port.
- ``IsLocalized`` (condition), ``WaitUntilLocalized`` (action) and
  ``FindObject`` (action): localization and perception (docs/localization.md,
  docs/perception.md), in :mod:`orchestrator_pkg.behaviours.ros.localization`.
- ``WaitUntilCharged`` (action), ``ApproachPose`` (action) and ``SetDefault``
  (action): for task missions (fetch, recharge), in
  :mod:`orchestrator_pkg.behaviours.ros.tasks`.
- ``Gripper`` (action): orchestrator_interfaces/Gripper, made by
  :func:`action_type_spec`, which makes a node type of any action:
  goal fields become input ports, result fields output ports and feedback
  fields ``feedback_<field>`` output ports.

Client leaves wait for their server as :class:`~orchestrator_pkg.ros_edge.leaf.RosLeaf`
says: the ``wait_for_server`` port (s), else the node's ``server_wait_timeout_s``.
"""
import operator

from py_trees.common import Status

from orchestrator_pkg.behaviours.ros import messages
from orchestrator_pkg.behaviours.ros.action_client import ActionClientBehaviour
from orchestrator_pkg.behaviours.ros.localization import (
    Bounds,
    FindObject,
    IsLocalized,
    WaitUntilLocalized,
)
from orchestrator_pkg.behaviours.ros.places import GetPlacePose
from orchestrator_pkg.behaviours.ros.port_types import register_message_port_types
from orchestrator_pkg.behaviours.ros.service_client import ServiceClientBehaviour
from orchestrator_pkg.behaviours.ros.tasks import ApproachPose, SetDefault, WaitUntilCharged
from orchestrator_pkg.behaviours.ros.topics import Publish, TopicCondition, WaitForMessage
from orchestrator_pkg.places import PORT_TYPE as PLACE_PORT_TYPE
from orchestrator_pkg.ros_edge.leaf import server_ports, server_timeouts
from orchestrator_pkg.trees.ports import input_port, output_port
from orchestrator_pkg.trees.registry import NodeSpec

_OPS = {'==': operator.eq, '!=': operator.ne, '<': operator.lt, '<=': operator.le,
        '>': operator.gt, '>=': operator.ge}


def _like(actual, text):
    """Convert ``text`` to the type of ``actual`` for a comparison."""
    if isinstance(actual, bool):
        lowered = str(text).strip().lower()
        if lowered not in ('true', 'false', '1', '0'):
            raise ValueError(f'"{text}" is not a boolean')
        return lowered in ('true', '1')
    if isinstance(actual, int):
        return int(text)
    if isinstance(actual, float):
        return float(text)
    return str(text)


def build_wait_for_message(ctx):
    """WaitForMessage."""
    ports = ctx.ports
    msg_type = messages.import_interface(ports.get('msg_type'))
    timeout = ports.get('timeout', None)
    return WaitForMessage(ctx.name, msg_type, ports.get('topic_name'),
                          on_message=lambda m: ports.set('message', m),
                          timeout_s=timeout, clock=ctx.clock, node_type=ctx.type_name)


def build_publish(ctx):
    """Publish."""
    ports = ctx.ports
    msg_type = messages.import_interface(ports.get('msg_type'))
    assignments = messages.parse_assignments(ports.get('fields', ''))

    def make():
        message = ports.get('message', None)
        if message is None:
            message = msg_type()
        elif not isinstance(message, msg_type):
            raise TypeError(f'port "message" holds a {type(message).__name__}, '
                            f'expected {msg_type.__name__}')
        for field, value in assignments:
            messages.set_field(message, field, value)
        return message
    return Publish(ctx.name, msg_type, ports.get('topic_name'), make, node_type=ctx.type_name)


def build_check_topic_field(ctx):
    """CheckTopicField."""
    ports = ctx.ports
    msg_type = messages.import_interface(ports.get('msg_type'))
    op_name = ports.get('op', '==')
    if op_name not in _OPS:
        raise ValueError(f'{ctx.name}: op "{op_name}" is not one of {" ".join(_OPS)}')
    compare = _OPS[op_name]
    field = ports.get('field')

    def predicate(message):
        actual = messages.get_field(message, field)
        return compare(actual, _like(actual, ports.get('value')))
    return TopicCondition(ctx.name, msg_type, ports.get('topic_name'), predicate,
                          max_age_s=ports.get('max_age', None), clock=ctx.clock,
                          node_type=ctx.type_name)


def build_trigger(ctx):
    """TriggerService."""
    from std_srvs.srv import Trigger
    ports = ctx.ports
    wait_s, response_s = server_timeouts(ports)

    def on_response(response):
        ports.set('message', response.message)
        return Status.SUCCESS if response.success else Status.FAILURE
    return ServiceClientBehaviour(ctx.name, Trigger, ports.get('service_name'),
                                  on_response=on_response, server_wait_timeout_s=wait_s,
                                  response_timeout_s=response_s, node_type=ctx.type_name,
                                  clock=ctx.clock)


def _bounds(p) -> Bounds:
    return Bounds(float(p.get('max_cov_xy', 0.05)), float(p.get('max_cov_yaw', 0.07)),
                  float(p.get('min_scan_match', 0.5)))


def build_is_localized(ctx):
    """IsLocalized."""
    p = ctx.ports
    return IsLocalized(ctx.name, p.get('topic_name', 'amcl_pose'),
                       p.get('scan_match_topic', 'amcl/scan_match'), _bounds(p),
                       max_age_s=p.get('max_age', None), clock=ctx.clock,
                       node_type=ctx.type_name, grace_s=float(p.get('grace', 0.0)))


def build_wait_until_localized(ctx):
    """WaitUntilLocalized."""
    p = ctx.ports
    return WaitUntilLocalized(ctx.name, p.get('topic_name', 'amcl_pose'),
                              p.get('scan_match_topic', 'amcl/scan_match'), _bounds(p),
                              timeout_s=p.get('timeout', None), clock=ctx.clock,
                              node_type=ctx.type_name)


def build_find_object(ctx):
    """FindObject."""
    p = ctx.ports

    def on_found(pose, detection):
        p.set('pose', pose)
        p.set('object_id', detection.id)
    return FindObject(ctx.name, lambda: (p.get('class_id'), p.get('color', '')), on_found,
                      topic=p.get('topic_name', 'tracked_objects'), clock=ctx.clock,
                      node_type=ctx.type_name)


def build_wait_until_charged(ctx):
    """WaitUntilCharged."""
    p = ctx.ports
    return WaitUntilCharged(ctx.name, lambda: p.get('threshold'),
                            p.get('topic_name', 'battery_state'),
                            timeout_s=p.get('timeout', None), clock=ctx.clock,
                            node_type=ctx.type_name)


def build_approach_pose(ctx):
    """ApproachPose."""
    p = ctx.ports
    return ApproachPose(ctx.name, lambda: p.get('target'), p.get('distance', 0.35),
                        lambda pose: p.set('pose', pose),
                        robot_frame=p.get('robot_frame', 'base_link'),
                        timeout_s=p.get('timeout', 5.0), clock=ctx.clock,
                        node_type=ctx.type_name)


def _localized_ports():
    return (
        input_port('topic_name', 'str', required=False, default='amcl_pose',
                   description='geometry_msgs/PoseWithCovarianceStamped topic.'),
        input_port('max_cov_xy', 'float', required=False, default=0.05,
                   description='Largest x and y variance that counts as localized (m^2).'),
        input_port('max_cov_yaw', 'float', required=False, default=0.07,
                   description='Largest yaw variance that counts as localized (rad^2).'),
        input_port('scan_match_topic', 'str', required=False, default='amcl/scan_match',
                   description="std_msgs/Float32: the localizer's scan match (fraction of "
                               "beams ending on the map); '' = covariance only."),
        input_port('min_scan_match', 'float', required=False, default=0.5, range=(0, 1),
                   description='Smallest scan match that counts as localized (once one '
                               'has arrived).'),
    )


def _server_ports(default_server):
    return (
        input_port('server_name', 'str', required=default_server is None,
                   default=default_server, description='Action or service name.'),
        *server_ports(),
    )


def action_type_spec(type_name: str, action_type, default_server: str,
                     description: str = '') -> NodeSpec:
    """Return a NodeSpec that runs ``action_type``: goal fields in, result/feedback out."""
    goal_fields = action_type.Goal.get_fields_and_field_types()
    result_fields = action_type.Result.get_fields_and_field_types()
    feedback_fields = action_type.Feedback.get_fields_and_field_types()
    ports = [input_port(name, messages.port_type_of(kind), required=False,
                        description=f'Goal field {name} ({kind}).')
             for name, kind in goal_fields.items()]
    result_names = {}
    for name, kind in result_fields.items():
        port = f'result_{name}' if name in goal_fields else name
        result_names[name] = port
        ports.append(output_port(port, 'any', required=False,
                                 description=f'Result field {name} ({kind}).'))
    for name, kind in feedback_fields.items():
        ports.append(output_port(f'feedback_{name}', 'any', required=False,
                                 description=f'Feedback field {name} ({kind}).'))
    ports.extend(_server_ports(default_server))

    def build(ctx):
        p = ctx.ports

        def goal():
            message = action_type.Goal()
            for name in goal_fields:
                if p.has(name):
                    setattr(message, name, messages.coerce(action_type.Goal, name, p.get(name)))
            return message

        def on_result(result, status):
            for name, port in result_names.items():
                p.set(port, getattr(result, name))

        def on_feedback(feedback):
            for name in feedback_fields:
                p.set(f'feedback_{name}', getattr(feedback, name))
        wait_s, response_s = server_timeouts(p)
        return ActionClientBehaviour(ctx.name, action_type, p.get('server_name'), goal,
                                     on_result=on_result, on_feedback=on_feedback,
                                     server_wait_timeout_s=wait_s,
                                     goal_response_timeout_s=response_s,
                                     node_type=ctx.type_name, clock=ctx.clock)
    return NodeSpec(type_name, 'action', tuple(ports), build,
                    description or f'Run the action {action_type.__name__}.', 0, 0)


def register(registry) -> None:
    """Add the generic ROS node types to ``registry``."""
    from orchestrator_interfaces.action import Gripper
    register_message_port_types(registry)
    registry.register_port_type(PLACE_PORT_TYPE, str, native=(str,))
    topic = input_port('topic_name', 'str', description='Topic name.')
    msg_type = input_port('msg_type', 'str', description='Message type, e.g. std_msgs/msg/String.')
    registry.register(NodeSpec('WaitForMessage', 'action', (
        topic, msg_type,
        input_port('timeout', 'duration_s', required=False,
                   description='FAILURE after this long (s); no timeout when not given.'),
        output_port('message', 'any', required=False, description='The message received.')),
        build_wait_for_message, 'Wait for the next message on a topic.', 0, 0))
    registry.register(NodeSpec('Publish', 'action', (
        topic, msg_type,
        input_port('message', 'any', required=False,
                   description='Message to publish (from the blackboard).'),
        input_port('fields', 'str', required=False, default='',
                   description='Field assignments "a=1; b.c=text", applied to the message.')),
        build_publish, 'Publish one message.', 0, 0))
    registry.register(NodeSpec('CheckTopicField', 'condition', (
        topic, msg_type,
        input_port('field', 'str', description='Field (dotted path) of the latest message.'),
        input_port('op', 'str', required=False, default='==',
                   description='Comparison: == != < <= > >='),
        input_port('value', 'str', description='Value to compare with.'),
        input_port('max_age', 'duration_s', required=False,
                   description='Older messages count as none (s).')),
        build_check_topic_field, 'Compare a field of the latest message on a topic.', 0, 0))
    registry.register(NodeSpec('TriggerService', 'action', (
        input_port('service_name', 'str', description='std_srvs/Trigger service name.'),
        *server_ports('service'),
        output_port('message', 'str', required=False, description="The response's message.")),
        build_trigger, 'Call a std_srvs/Trigger service.', 0, 0))
    registry.register(NodeSpec('GetPlacePose', 'action', (
        input_port('place', PLACE_PORT_TYPE, description='Name of a place in the places file.'),
        input_port('frame_id', 'str', required=False, default='map',
                   description='Frame of the pose written.'),
        output_port('pose', 'pose_stamped', description='The place as a PoseStamped.')),
        GetPlacePose, 'Look up a named place (node parameter places_file).', 0, 0))
    registry.register(NodeSpec('IsLocalized', 'condition', (
        *_localized_ports(),
        input_port('max_age', 'duration_s', required=False,
                   description='An older pose counts as none (s).'),
        input_port('grace', 'duration_s', required=False, default='0',
                   description='Fail only once the bounds have been missed for this long '
                               '(s); until then SUCCESS, the feedback saying what is missed.')),
        build_is_localized, 'Whether the localization is certain enough (amcl_pose '
        'covariance and scan match); SUCCESS under truth localization.', 0, 0))
    registry.register(NodeSpec('WaitUntilLocalized', 'action', (
        *_localized_ports(),
        input_port('timeout', 'duration_s', required=False,
                   description='FAILURE after this long (s); no timeout when not given.')),
        build_wait_until_localized, 'RUNNING until localized (amcl_pose covariance and scan '
        'match); SUCCESS under truth localization.', 0, 0))
    registry.register(NodeSpec('FindObject', 'action', (
        input_port('class_id', 'str', description='Object class, e.g. box.'),
        input_port('color', 'str', required=False, default='',
                   description='Colour; empty matches any.'),
        input_port('topic_name', 'str', required=False, default='tracked_objects',
                   description='Tracked objects (orchestrator_interfaces/DetectionArray).'),
        output_port('pose', 'pose_stamped', description='Pose of the nearest match (map).'),
        output_port('object_id', 'str', required=False, description='Its track id.')),
        build_find_object, 'The nearest tracked object of a class, as a pose.', 0, 0))
    registry.register(action_type_spec('Gripper', Gripper, 'gripper',
                                       'Open or close the gripper '
                                       '(orchestrator_interfaces/Gripper).'))
    registry.register(NodeSpec('WaitUntilCharged', 'action', (
        input_port('threshold', 'float',
                   description='State of charge to wait for, in [0, 1] (e.g. 0.8).',
                   range=(0, 1)),
        input_port('topic_name', 'str', required=False, default='battery_state',
                   description='sensor_msgs/BatteryState topic.'),
        input_port('timeout', 'duration_s', required=False,
                   description='FAILURE after this long (s); no timeout when not given.')),
        build_wait_until_charged, 'Wait until the battery is charged to a threshold.', 0, 0))
    registry.register(NodeSpec('ApproachPose', 'action', (
        input_port('target', 'pose_stamped', description='Pose of the thing to approach.'),
        input_port('distance', 'float', required=False, default=0.35,
                   description='Stop this far short of the target (m).', range=(0, None)),
        input_port('robot_frame', 'str', required=False, default='base_link',
                   description="The robot's frame on tf."),
        input_port('timeout', 'duration_s', required=False, default=5.0,
                   description='How long to wait for the robot pose on tf (s).'),
        output_port('pose', 'pose_stamped',
                    description='Where to stand: short of the target on the line from the '
                                'robot, facing it.')),
        build_approach_pose, 'A pose short of a target, facing it (e.g. a pre-grasp pose).',
        0, 0))
    registry.register(NodeSpec('SetDefault', 'action', (
        input_port('value', 'any', description='The default value.'),
        output_port('output_key', 'any', description='The key; kept when it is already set.')),
        lambda ctx: SetDefault(ctx.name, ctx.ports, ctx.blackboard),
        'Give a key (e.g. a mission input) a default value.', 0, 0,
        forwards=(('value', 'output_key', ''),)))

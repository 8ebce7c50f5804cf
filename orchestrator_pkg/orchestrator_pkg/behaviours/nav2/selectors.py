"""Nav2's ControllerSelector and PlannerSelector: the latest name on a topic, else a default.

ROS interface
-------------
Subscribers
    ``controller_selector`` / ``planner_selector`` (std_msgs/String; reliable,
    transient local, as Nav2's selectors subscribe), or the ``topic_name`` port.
"""
from py_trees.common import Status
from std_msgs.msg import String

from orchestrator_pkg.behaviours.ros.topics import subscribe
from orchestrator_pkg.ros_edge.leaf import RosLeaf
from orchestrator_pkg.ros_edge.qos import LATCHED_QOS
from orchestrator_pkg.trees.ports import input_port, output_port


class Selector(RosLeaf):
    """ControllerSelector / PlannerSelector: write the latest selection, else the default."""

    def __init__(self, ctx, default_port, output_port_name, default_topic):
        super().__init__(ctx.name, node_type=ctx.type_name, clock=ctx.clock)
        self.ports = ctx.ports
        self.default_port = default_port
        self.output_port_name = output_port_name
        self.topic = ctx.ports.get('topic_name', default_topic)
        self.selection = None

    def connect(self, node):
        """Subscribe to the selections."""
        self.selection = subscribe(self, String, self.topic, LATCHED_QOS)

    def update(self):
        """Write the selection and succeed."""
        last = self.selection.message
        value = last.data if last is not None and last.data else \
            self.ports.get(self.default_port, '')
        self.ports.set(self.output_port_name, value)
        self.feedback_message = f'selected {value!r}'
        return Status.SUCCESS


def specs():
    """Return (type_name, category, ports, build, description) for each node type here."""
    return [
        (f'{kind}Selector', 'action', (
            input_port('topic_name', 'str', required=False, default=f'{name}_selector',
                       description=f'Topic with the {name} to use (std_msgs/String).'),
            input_port(f'default_{name}', 'str', required=False, default='',
                       description=f'{kind} used until one is selected.'),
            output_port(f'selected_{name}', 'str', description='The selection.')),
         lambda ctx, name=name: Selector(ctx, f'default_{name}', f'selected_{name}',
                                         f'{name}_selector'),
         f'Select the {name} from a topic.')
        for kind, name in (('Controller', 'controller'), ('Planner', 'planner'))
    ]

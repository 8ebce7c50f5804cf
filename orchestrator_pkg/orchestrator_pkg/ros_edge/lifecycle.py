"""Managed (lifecycle) nodes: the one place for the lifecycle plumbing.

A navigation server subclasses :class:`ManagedNode` and says only what it
creates and releases; this base class does the rest, the same way for every
server:

``__init__``
    declares the parameters (bad values still end the process at start-up,
    exit code 1) and nothing else.
``configure_node()`` (configure)
    creates publishers, subscriptions, services, action servers and timers,
    and loads files. Raise :class:`~orchestrator_pkg.ros_edge.params.ConfigError`
    to refuse: everything created so far is destroyed and the node stays
    unconfigured.
``activate_node()`` / ``deactivate_node()`` (optional)
    what goes beyond the rules below, e.g. publish a latched map on
    activation, end a running goal and stop the robot on deactivation.
``cleanup_node()`` (optional)
    drops state that is not a ROS entity.

The rules the base class applies to whatever ``configure_node()`` created:

- publishers are rclpy lifecycle publishers: they publish only while active;
- timers run only while active (cancelled on deactivate, reset on activate);
- action servers refuse goals unless the node is active, with a log line
  naming the node, the action and the state;
- on cleanup and shutdown all of those entities are destroyed again, and the
  node's shared caches (:func:`orchestrator_pkg.ros_edge.state.per_node`:
  tf listener, odometry) are forgotten, so a second configure starts clean.

A transition that is not valid from the current state (``activate`` before
``configure``) is refused with ``success: false`` and an error log that names
the state and the transitions that are valid; it never raises in the
executor. The parameter ``autostart`` (true by default) makes a node started
on its own configure and activate itself (a node that cannot configure then
exits with code 1 through :func:`orchestrator_pkg.ros_edge.main.run_node`);
the bringup sets it false and leaves the order to
``lifecycle_manager_navigation`` (docs/lifecycle.md).
"""
import time
import traceback
from typing import Optional
import weakref

from diagnostic_msgs.msg import DiagnosticStatus
from lifecycle_msgs.msg import State
from rclpy.action import ActionServer, GoalResponse
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
import rclpy.lifecycle
from rclpy.lifecycle import TransitionCallbackReturn

from orchestrator_pkg.ros_edge import params, qos, state
from orchestrator_pkg.ros_edge.params import ConfigError, Spec
from orchestrator_pkg.ros_edge.qos_events import QuietEvents, quiet_publisher

SUCCESS = TransitionCallbackReturn.SUCCESS
FAILURE = TransitionCallbackReturn.FAILURE
AUTOSTART_SPEC = {
    'autostart': Spec(True, 'configure and activate at start-up without a lifecycle manager '
                      '(the bringup sets false: lifecycle_manager_navigation brings the node '
                      'up)', read_only=True),
}
_ENTITY_LISTS = ('publishers', 'subscriptions', 'clients', 'services', 'timers', 'waitables')


class ManagedNode(QuietEvents, rclpy.lifecycle.Node):
    """A lifecycle node whose entities follow its state (see the module docstring)."""

    def __init__(self, node_name: str, **kwargs):
        super().__init__(node_name, **kwargs)
        self._own_group_for_lifecycle_services()
        params.declare(self, AUTOSTART_SPEC)
        self._created = {name: [] for name in _ENTITY_LISTS}
        self._configuring = False
        service = self._service_change_state
        service.callback = self._guarded_change_state(service.callback)

    def _own_group_for_lifecycle_services(self) -> None:
        """Move the lifecycle services out of the default callback group.

        With a group of their own, a node whose executor has more than one
        thread answers get_state and change_state while a long callback of the
        default group runs (the manager's watch counts on those answers).
        rclpy's LifecycleNode (Jazzy) does not pass its ``callback_group``
        argument on, so the services are moved here, before anything spins.
        """
        group = MutuallyExclusiveCallbackGroup()
        default = self.default_callback_group
        for service in (self._service_change_state, self._service_get_state,
                        self._service_get_available_states,
                        self._service_get_available_transitions,
                        self._service_get_transition_graph):
            default.entities.discard(weakref.ref(service))
            service.callback_group = group
            group.add_entity(service)

    # -- what a server overrides ---------------------------------------------------
    def configure_node(self) -> None:
        """Create publishers, subscriptions, services, action servers, timers."""

    def activate_node(self) -> None:
        """Extra work on activation (entities are already enabled)."""

    def deactivate_node(self) -> None:
        """Extra work on deactivation, before entities are disabled (e.g. stop the robot)."""

    def cleanup_node(self) -> None:
        """Drop state that is not a ROS entity (entities are destroyed by the base)."""

    # -- state ---------------------------------------------------------------------
    @property
    def lifecycle_state(self) -> str:
        """The current primary state's label: unconfigured, inactive, active, finalized."""
        return self._state_machine.current_state[1]

    @property
    def is_active(self) -> bool:
        """Whether the node is in the active state."""
        return self._state_machine.current_state[0] == State.PRIMARY_STATE_ACTIVE

    def start_managed(self) -> None:
        """With ``autostart``: configure and activate now; raise ConfigError if it fails."""
        if not self.get_parameter('autostart').value:
            self.get_logger().info(f'{self.get_name()} is unconfigured: waiting for a '
                                   'lifecycle manager (autostart is false)')
            return
        if self.trigger_configure() != SUCCESS:
            raise ConfigError(f'{self.get_name()} failed to configure (see the log above)')
        if self.trigger_activate() != SUCCESS:
            raise ConfigError(f'{self.get_name()} failed to activate (see the log above)')

    # -- entity creation during configure --------------------------------------------
    def create_publisher(self, *args, **kwargs):
        """Create a publisher; while configuring, a lifecycle publisher (both quiet)."""
        if getattr(self, '_configuring', False):  # rclpy's own publishers come first
            return self.create_lifecycle_publisher(*args, **quiet_publisher(kwargs))
        return super().create_publisher(*args, **kwargs)

    def _snapshot(self) -> dict:
        return {name: list(getattr(self, name)) for name in _ENTITY_LISTS}

    # -- transitions -----------------------------------------------------------------
    def on_configure(self, previous):
        """Configure: run configure_node(); undo it all if it fails."""
        before = self._snapshot()
        self._configuring = True
        try:
            self.configure_node()
        except ConfigError as exc:
            self.get_logger().error(f'configure failed: {exc}')
            return self._undo(before)
        except Exception as exc:  # a bug: report it and stay unconfigured
            self.get_logger().error(f'configure raised {type(exc).__name__}: {exc}\n'
                                    f'{traceback.format_exc()}')
            return self._undo(before)
        finally:
            self._configuring = False
        after = self._snapshot()
        self._created = {name: [e for e in after[name] if e not in before[name]]
                         for name in _ENTITY_LISTS}
        for timer in self._created['timers']:
            timer.cancel()
        for server in self._created['waitables']:
            if isinstance(server, ActionServer):
                self._gate(server)
        self.get_logger().info(f'{self.get_name()} configured')
        return super().on_configure(previous)

    def _undo(self, before):
        created = self._snapshot()
        self._created = {name: [e for e in created[name] if e not in before[name]]
                         for name in _ENTITY_LISTS}
        self._destroy_created()
        return FAILURE

    def on_activate(self, previous):
        """Activate: enable publishers, start timers, then activate_node()."""
        result = super().on_activate(previous)  # enables the lifecycle publishers
        if result != SUCCESS:
            return result
        for timer in self._created['timers']:
            if timer in self.timers:
                timer.reset()
        try:
            self.activate_node()
        except Exception as exc:
            self.get_logger().error(f'activate failed: {type(exc).__name__}: {exc}')
            self._pause_entities(previous)
            return FAILURE
        self.get_logger().info(f'{self.get_name()} ready (active)')
        return SUCCESS

    def on_deactivate(self, previous):
        """Deactivate: deactivate_node(), then quiet publishers and timers."""
        try:
            self.deactivate_node()
        except Exception as exc:  # deactivation goes on: the entities must stop
            self.get_logger().error(f'deactivate: {type(exc).__name__}: {exc}')
        result = self._pause_entities(previous)
        self.get_logger().info(f'{self.get_name()} inactive')
        return result

    def _pause_entities(self, previous):
        for timer in self._created['timers']:
            if timer in self.timers:
                timer.cancel()
        return super().on_deactivate(previous)

    def on_cleanup(self, previous):
        """Clean up: cleanup_node(), then destroy what configure created."""
        self.cleanup_node()
        self._destroy_created()
        self.get_logger().info(f'{self.get_name()} cleaned up')
        return super().on_cleanup(previous)

    def on_shutdown(self, previous):
        """Shut down from any state: deactivate and clean up as needed."""
        if previous.state_id == State.PRIMARY_STATE_ACTIVE:
            self.on_deactivate(previous)
        if previous.state_id != State.PRIMARY_STATE_UNCONFIGURED:
            self.on_cleanup(previous)
        return SUCCESS

    def on_error(self, previous):
        """Recover from a failed transition: destroy what configure created."""
        self.get_logger().error(f'error while leaving {previous.label}: cleaning up')
        self._destroy_created()
        return SUCCESS

    def _destroy_created(self):
        created, self._created = self._created, {name: [] for name in _ENTITY_LISTS}
        for server in created['waitables']:
            if server in self.waitables:
                server.destroy()
        for kind, destroy in (('timers', self.destroy_timer),
                              ('subscriptions', self.destroy_subscription),
                              ('services', self.destroy_service),
                              ('clients', self.destroy_client)):
            for entity in created[kind]:
                if entity in getattr(self, kind):
                    destroy(entity)
        for publisher in created['publishers']:
            if publisher in self.publishers:
                self.destroy_lifecycle_publisher(publisher)
        state.forget(self)

    # -- goals while not active ------------------------------------------------------
    def _gate(self, server: ActionServer) -> None:
        """Make ``server`` refuse goals unless the node is active."""
        accept = server._goal_callback  # rclpy keeps no public getter for it
        kind = getattr(server, '_action_type', None)
        name = f'{kind.__name__} ' if kind is not None else ''

        def goal_callback(request):
            if not self.is_active:
                self.get_logger().warning(
                    f'{name}goal rejected: {self.get_name()} is {self.lifecycle_state}, '
                    'not active (bring it up with lifecycle_manager_navigation or '
                    '<node>/change_state)')
                return GoalResponse.REJECT
            return accept(request)
        server.register_goal_callback(goal_callback)

    # -- refused transitions ---------------------------------------------------------
    def _guarded_change_state(self, change_state):
        """Wrap the change_state service: an invalid transition is refused, not raised."""
        def callback(request, response):
            transition = request.transition
            valid = self._state_machine.available_transitions
            if transition.label:
                ok = any(t[1] == transition.label for t in valid)
                asked = transition.label
            else:
                ok = any(t[0] == transition.id for t in valid)
                asked = next((t[1] for t in self._state_machine.transition_graph
                              if t[0] == transition.id), f'id {transition.id}')
            if not ok:
                self.get_logger().error(
                    f'transition {asked!r} refused: {self.get_name()} is '
                    f'{self.lifecycle_state}; valid transitions from here: '
                    f'{", ".join(sorted({t[1] for t in valid})) or "none"}')
                response.success = False
                return response
            return change_state(request, response)
        return callback


MANAGER = 'lifecycle_manager_navigation'  # Nav2's name for the navigation stack's manager
# A request unanswered this long is sent again: Fast DDS drops a reply when the
# server has not yet matched a new client's reply reader (it waits 100 ms, then
# logs "client will not receive response"), which happens to a client started
# before its server (the manager, the runner) and more often under load.
ASK_AGAIN_S = 2.0


class StackActive:
    """Ask ``<namespace>/lifecycle_manager_navigation/is_active`` until it says yes.

    For clients that wait for the navigation stack before they send work (the
    runner, the BARN command, tests): :meth:`poll` never blocks; it sends one
    request at a time (again after :data:`ASK_AGAIN_S` without an answer: a
    new client's first reply can be lost to discovery) and :attr:`active`
    turns true with the first successful answer; :attr:`message` holds the
    manager's last reason otherwise.
    """

    def __init__(self, node, namespace: str = ''):
        from std_srvs.srv import Trigger
        self._request = Trigger.Request()
        name = f'/{namespace}/{MANAGER}/is_active' if namespace else f'{MANAGER}/is_active'
        self._client = node.create_client(Trigger, name)
        self._future = None
        self._sent_at = 0.0
        self.active = False
        self.message = 'no answer from lifecycle_manager_navigation yet'

    def poll(self) -> bool:
        """Send a request if none is out, read an answer if one came; return ``active``."""
        if self.active:
            return True
        if self._future is not None and self._future.done():
            response = self._future.result()
            self._future = None
            if response is not None:
                self.active, self.message = bool(response.success), response.message
        elif self._future is not None and time.monotonic() - self._sent_at > ASK_AGAIN_S:
            # a reply lost to discovery (a fresh client): ask again
            self._client.remove_pending_request(self._future)
            self._future = None
        if not self.active and self._future is None and self._client.service_is_ready():
            self._future = self._client.call_async(self._request)
            self._sent_at = time.monotonic()
        return self.active


class NavigationStack(state.LatestMessage):
    """Whether the navigation stack is up, from its manager's latched ``~/state``.

    ``lifecycle_manager_navigation`` publishes a diagnostic_msgs/DiagnosticStatus
    (level OK when every managed node is active) whenever that changes: a managed
    node died (the manager stopped the robot and brings the stack up again when
    the node is back), a PAUSE, the start-up. Before any message (no manager:
    Nav2's own stack, a test's fixture servers) the stack counts as up.
    """

    def __init__(self, node):
        super().__init__(node, DiagnosticStatus, f'{MANAGER}/state', qos.LATCHED_QOS)

    def down(self) -> Optional[str]:
        """None while the stack is up; else why not (the manager's message)."""
        message = self.message
        if message is None or message.level == DiagnosticStatus.OK:
            return None
        return message.message or 'inactive'


def navigation_stack(node) -> NavigationStack:
    """Return the node's shared :class:`NavigationStack`, subscribing on first use."""
    return state.per_node(node, ('navigation_stack',), lambda: NavigationStack(node))

"""ROS launch actions for resolved bringup nodes, shared by the files in ``launch/``.

``bringup.launch.py`` and ``gazebo.launch.py`` both turn the output of
``description.resolve()`` into ``launch_ros`` ``Node`` actions here, so the
two start the stack's nodes the same way: namespace, parameter files and
overrides, remappings, respawn policy, and a shutdown of everything when a
``required`` node exits; in composed mode a ``node_container`` gets its nodes'
own arguments (:mod:`nodes.node_container`). ``launch`` and ``launch_ros``
are imported on call: they exist on a ROS 2 install, not on PyPI
(docs/bringup.md).
"""


def node_actions(launches):
    """Return the launch actions that start ``launches`` (``NodeLaunch`` items)."""
    from launch.actions import EmitEvent, RegisterEventHandler
    from launch.event_handlers import OnProcessExit
    from launch.events import Shutdown
    from launch_ros.actions import Node

    from orchestrator_pkg.bringup.runner import any_namespace_parameter_file, ros_arguments
    from orchestrator_pkg.nodes.components import container_arguments

    actions = []
    for launch in launches:
        node = launch.node
        if launch.components:  # composed mode: its nodes' own arguments, none of its own
            own = dict(arguments=container_arguments(
                [(c.node.executable, ros_arguments(c)) for c in launch.components]))
        else:
            own = dict(
                name=node.name, namespace=launch.namespace or None,
                # in a namespace rcl would not apply a file keyed "node_name:" (runner.py)
                parameters=[*(any_namespace_parameter_file(path) if launch.namespace else path
                              for path in launch.parameter_files), launch.overrides],
                remappings=list(node.remappings))
        ros_node = Node(
            package=node.package, executable=node.executable, output='screen', emulate_tty=True,
            respawn=node.respawn, respawn_delay=node.respawn_delay_s,
            respawn_max_retries=node.respawn_max_retries, **own)
        actions.append(ros_node)
        if node.required:
            actions.append(RegisterEventHandler(OnProcessExit(
                target_action=ros_node,
                on_exit=[EmitEvent(event=Shutdown(reason=f'{launch.label} exited'))])))
    return actions

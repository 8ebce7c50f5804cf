"""The one ``main()`` that every node of the stack uses.

rclpy 7.1 (Jazzy) has no context-manager ``rclpy.init``, so this is the
equivalent: init, build the node, spin, and on Ctrl-C or an external
shutdown destroy the node and shut down cleanly with exit code 0.
"""
import rclpy
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor


def spin_node(node_factory, args=None, executor_factory=SingleThreadedExecutor) -> int:
    """Create the node with ``node_factory()`` and spin it until shutdown."""
    rclpy.init(args=args)
    node = None
    try:
        node = node_factory()
        executor = executor_factory()
        executor.add_node(node)
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except RuntimeError:
        # Under load, a take that races the SIGINT shutdown can raise
        # "Unable to convert call argument '0' to Python object" (the same as
        # ros/joint_state_publisher#117). After a shutdown that is a clean exit.
        if rclpy.ok():
            raise
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
    return 0

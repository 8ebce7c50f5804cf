"""The ROS edge: what nodes and leaves share at the ROS boundary, each defined once.

main (run_node, the one main helper), lifecycle (ManagedNode, the one
lifecycle base of the navigation servers), params (Spec and declare, the one parameter
helper), clock, state (latest-message caches), tf, convert, share (package files,
outcome names), qos, leaf (RosLeaf), guard (callbacks that never raise,
messages and goals checked at the edge), goals (the goal checks), graph (dead
servers, orphaned goals), dds (the Fast DDS profile processes start with). This
package's __init__ imports nothing.
"""

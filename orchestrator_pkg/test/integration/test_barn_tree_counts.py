"""The BARN runner's tree counts on real rclpy: what the navigator's tree ended, from its topic.

``orchestrator barn`` counts the ends of the navigation tree's FollowPath and
recovery nodes (``RunResult.tree_counts``) from ``bt_navigator/status_changes``.
Here a publisher with the navigator's QoS sends two ticks of changes, as the tree
host does, and the runner's client node counts them.
"""
import time

import pytest
import rclpy

from orchestrator_interfaces.msg import (
    BehaviourStatus,
    BehaviourStatusChange,
    BehaviourStatusChanges,
)
from orchestrator_pkg.commands.barn import BarnRun
from orchestrator_pkg.ros_edge.qos import STATUS_CHANGES_QOS

TIMEOUT_S = 20.0
ROOT = 'MainTree/NavigateRecovery'


@pytest.fixture
def context(ros_domain):
    rclpy.init(domain_id=ros_domain.domain_id)
    yield
    rclpy.try_shutdown()


def _change(path, node_type, previous, status):
    return BehaviourStatusChange(path=f'{ROOT}/{path}', type=node_type,
                                 previous_status=previous, status=status)


def test_the_runner_counts_followpath_aborts_and_recoveries_by_name(context):
    run = BarnRun(rclpy)
    sender = rclpy.create_node('bt_navigator_stand_in')
    pub = sender.create_publisher(BehaviourStatusChanges, 'bt_navigator/status_changes',
                                  STATUS_CHANGES_QOS)
    running, ok, failed = (BehaviourStatus.RUNNING, BehaviourStatus.SUCCESS,
                           BehaviourStatus.FAILURE)
    try:
        deadline = time.monotonic() + TIMEOUT_S
        while pub.get_subscription_count() < 1:
            assert time.monotonic() < deadline, 'the runner never subscribed'
            time.sleep(0.05)
        follow = 'NavigateWithReplanning/FollowPath/FollowPath'
        pub.publish(BehaviourStatusChanges(tick=1, changes=[
            _change(follow, 'FollowPath', running, failed),
            _change('NavigateWithReplanning/FollowPath/Sequence/ClearLocalCostmap-Context',
                    'ClearEntireCostmap', running, ok),
            _change('NavigateWithReplanning/FollowPath', 'RecoveryNode', running, failed)]))
        pub.publish(BehaviourStatusChanges(tick=2, changes=[
            _change(follow, 'FollowPath', running, failed),
            _change('Sequence/ReactiveFallback/RoundRobin/BackUp', 'BackUp', running, failed),
            _change('Sequence/ReactiveFallback/RoundRobin/Spin', 'Spin', 0, running)]))
        expected = {'FollowPath failed': 2, 'ClearLocalCostmap-Context succeeded': 1,
                    'BackUp failed': 1}
        while run.tree_counts != expected and time.monotonic() < deadline:
            run.spin(0.05)
        # the RecoveryNode of the same name and the started spin do not count
        assert run.tree_counts == expected
    finally:
        sender.destroy_node()
        run.close()

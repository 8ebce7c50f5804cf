"""IsLocalized, WaitUntilLocalized and FindObject from tree XML, on real rclpy topics."""

from geometry_msgs.msg import PoseStamped, PoseWithCovarianceStamped
from py_trees.common import Status
import pytest
from std_msgs.msg import Float32
from std_srvs.srv import Empty

from orchestrator_interfaces.msg import Detection, DetectionArray
from orchestrator_pkg.behaviours.plugins import default_registry
from orchestrator_pkg.ros_edge.qos import LATCHED_QOS
from orchestrator_pkg.testing.trees import build, rclpy_node, tick_until
from orchestrator_pkg.trees.failure import FailureCode, find_failure
from orchestrator_pkg.trees.xml_source import TreeLoadError


@pytest.fixture(scope='module')
def registry():
    return default_registry()


@pytest.fixture
def node(ros_domain):
    with rclpy_node(ros_domain, 'localization_behaviours_test') as node:
        yield node


def amcl_pose(x, y, var_xy, var_yaw):
    msg = PoseWithCovarianceStamped()
    msg.header.frame_id = 'map'
    msg.pose.pose.position.x, msg.pose.pose.position.y = x, y
    msg.pose.pose.orientation.w = 1.0
    msg.pose.covariance[0] = msg.pose.covariance[7] = var_xy
    msg.pose.covariance[35] = var_yaw
    return msg


def tracked(*objects):
    msg = DetectionArray()
    msg.header.frame_id = 'map'
    for tid, cls, color, x, y in objects:
        d = Detection(id=tid, class_id=cls, color=color, confidence=1.0)
        d.pose.position.x, d.pose.position.y = x, y
        d.pose.orientation.w = 1.0
        msg.detections.append(d)
    return msg


def test_is_localized_and_wait_until_localized(registry, node):
    pub = node.create_publisher(PoseWithCovarianceStamped, 'amcl_pose', LATCHED_QOS)
    cond = build(registry, node, '<IsLocalized max_cov_xy="0.05" max_cov_yaw="0.1"/>')
    assert cond.tick() == Status.FAILURE
    assert 'no message on amcl_pose' in find_failure(cond).message
    wait = build(registry, node, '<WaitUntilLocalized timeout="30"/>')
    assert wait.tick() == Status.RUNNING
    pub.publish(amcl_pose(1.0, 2.0, 0.5, 0.5))  # spread out: not localized
    status = tick_until(node, cond, lambda s: 'variance' in cond.root.feedback_message)
    assert status == Status.FAILURE
    assert 'variance x 0.500' in find_failure(cond).message
    assert wait.tick() == Status.RUNNING
    pub.publish(amcl_pose(1.0, 2.0, 0.01, 0.02))
    tick_until(node, cond, lambda s: s == Status.SUCCESS)
    assert tick_until(node, wait, lambda s: s != Status.RUNNING) == Status.SUCCESS
    # a pose from before the node started still counts (latched, robot standing still)
    late = build(registry, node, '<WaitUntilLocalized timeout="5"/>')
    assert tick_until(node, late, lambda s: s != Status.RUNNING) == Status.SUCCESS


def test_wait_until_localized_times_out_with_the_reason(registry, node):
    pub = node.create_publisher(PoseWithCovarianceStamped, 'amcl_pose', LATCHED_QOS)
    pub.publish(amcl_pose(0.0, 0.0, 1.0, 1.0))
    wait = build(registry, node, '<WaitUntilLocalized timeout="0.5"/>')
    assert tick_until(node, wait, lambda s: s != Status.RUNNING) == Status.FAILURE
    failure = find_failure(wait)
    assert failure.code == FailureCode.TIMEOUT
    assert 'not localized within 0.5 s' in failure.message and 'variance x 1.000' in \
        failure.message


def test_a_scan_that_does_not_fit_the_map_is_not_localized(registry, node):
    poses = node.create_publisher(PoseWithCovarianceStamped, 'amcl_pose', LATCHED_QOS)
    match = node.create_publisher(Float32, 'amcl/scan_match', LATCHED_QOS)
    poses.publish(amcl_pose(1.0, 2.0, 0.01, 0.01))  # tightly packed: a kidnap looks like this
    cond = build(registry, node, '<IsLocalized/>')
    wait = build(registry, node, '<WaitUntilLocalized min_scan_match="0.6" timeout="30"/>')
    plain = build(registry, node, '<IsLocalized scan_match_topic=""/>')  # covariance only
    tick_until(node, cond, lambda s: s == Status.SUCCESS)  # no scan match yet: the variance
    assert cond.root.feedback_message == 'localized'
    match.publish(Float32(data=0.3))
    status = tick_until(node, cond, lambda s: s == Status.FAILURE)
    assert find_failure(cond).code == FailureCode.CONDITION_FAILED
    assert find_failure(cond).message == ('not localized: scan match 0.30 < 0.5 (the scan does '
                                          'not fit the map at the estimate)')
    assert tick_until(node, wait, lambda s: 'scan match 0.30 < 0.6' in
                      wait.root.feedback_message) == Status.RUNNING
    assert tick_until(node, plain, lambda s: s == Status.SUCCESS) == Status.SUCCESS
    match.publish(Float32(data=0.55))  # between the two bounds
    status = tick_until(node, cond, lambda s: s == Status.SUCCESS)
    assert cond.root.feedback_message == 'localized (scan match 0.55)'
    assert tick_until(node, wait, lambda s: 'scan match 0.55 < 0.6' in
                      wait.root.feedback_message) == Status.RUNNING
    match.publish(Float32(data=0.9))
    assert tick_until(node, wait, lambda s: s != Status.RUNNING) == Status.SUCCESS
    assert status == Status.SUCCESS


def test_under_truth_localization_both_succeed_at_once(registry, node):
    # the orchestrator's parameter, from the bringup's --localization; no localizer runs
    node.declare_parameter('localization', 'truth')
    for xml in ('<IsLocalized/>', '<WaitUntilLocalized timeout="1"/>'):
        tree = build(registry, node, xml)
        assert tree.tick() == Status.SUCCESS
        assert 'localization is truth' in tree.root.feedback_message


def test_reinitialize_global_localization_calls_the_service(registry, node):
    calls = []
    node.create_service(Empty, 'reinitialize_global_localization',
                        lambda req, res: calls.append(1) or res)
    tree = build(registry, node, '<ReinitializeGlobalLocalization/>')
    assert tick_until(node, tree, lambda s: s != Status.RUNNING) == Status.SUCCESS
    assert calls == [1]
    gone = build(registry, node, '<ReinitializeGlobalLocalization service_name="nobody" '
                 'wait_for_server="0.2"/>')
    assert tick_until(node, gone, lambda s: s != Status.RUNNING) == Status.FAILURE
    assert 'nobody' in find_failure(gone).message


def test_find_object_writes_the_nearest_match(registry, node):
    objects = node.create_publisher(DetectionArray, 'tracked_objects', 10)
    poses = node.create_publisher(PoseWithCovarianceStamped, 'amcl_pose', LATCHED_QOS)
    poses.publish(amcl_pose(3.0, 0.0, 0.01, 0.01))
    msg = tracked(('box_1', 'box', 'red', 1.0, 0.0), ('box_2', 'box', 'red', 2.5, 0.0),
                  ('box_3', 'box', 'green', 3.0, 0.1), ('can_1', 'can', 'blue', 3.0, 0.0))
    find = build(registry, node, '<FindObject class_id="box" color="red" pose="{goal}" '
                 'object_id="{id}"/>')
    assert find.tick() == Status.FAILURE
    assert 'nothing received on tracked_objects' in find_failure(find).message
    # nearest to the robot (x 3.0) once its pose has arrived; to the origin before
    tick_until(node, find, lambda s: s == Status.SUCCESS and find.blackboard.get('id') == 'box_2',
               every=lambda: objects.publish(msg))
    goal = find.blackboard.get('goal')
    assert isinstance(goal, PoseStamped) and goal.header.frame_id == 'map'
    assert goal.pose.position.x == 2.5 and find.blackboard.get('id') == 'box_2'
    anybox = build(registry, node, '<FindObject class_id="box" pose="{goal}"/>')
    anybox_goal = lambda: anybox.blackboard.get('goal', None)  # noqa: E731
    tick_until(node, anybox, lambda s: s == Status.SUCCESS and anybox_goal().pose.position.y
               == 0.1, every=lambda: objects.publish(msg))  # the green one is nearest
    crate = build(registry, node, '<FindObject class_id="crate" pose="{goal}"/>')
    tick_until(node, crate, lambda s: s == Status.FAILURE and 'among' in
               crate.root.feedback_message, every=lambda: objects.publish(msg))
    failure = find_failure(crate)
    assert failure.code == FailureCode.CONDITION_FAILED
    assert 'no crate among the tracked objects' in failure.message
    assert 'box_1 (red box)' in failure.message


def test_with_grace_a_brief_miss_passes_and_a_lasting_one_fails(registry, node):
    # StayLocalized's guard: one low scan match (a starved machine) must not start a
    # global search; a real divergence lasts
    poses = node.create_publisher(PoseWithCovarianceStamped, 'amcl_pose', LATCHED_QOS)
    match = node.create_publisher(Float32, 'amcl/scan_match', LATCHED_QOS)
    poses.publish(amcl_pose(1.0, 2.0, 0.01, 0.01))
    match.publish(Float32(data=0.9))
    cond = build(registry, node, '<IsLocalized grace="0.5"/>')
    assert tick_until(node, cond, lambda s: 'scan match 0.90' in cond.root.feedback_message) \
        == Status.SUCCESS
    match.publish(Float32(data=0.3))
    assert tick_until(node, cond, lambda s: 'fails after 0.5 s' in
                      cond.root.feedback_message) == Status.SUCCESS
    assert 'scan match 0.30 < 0.5' in cond.root.feedback_message
    match.publish(Float32(data=0.9))  # back within the grace: the miss is forgotten
    assert tick_until(node, cond, lambda s: 'scan match 0.90' in cond.root.feedback_message) \
        == Status.SUCCESS
    match.publish(Float32(data=0.3))
    assert tick_until(node, cond, lambda s: s == Status.FAILURE, timeout_s=10.0) \
        == Status.FAILURE
    assert 'scan match 0.30 < 0.5' in find_failure(cond).message
    with pytest.raises(TreeLoadError, match='port "grace" .*negative duration'):
        build(registry, node, '<IsLocalized grace="-1"/>')

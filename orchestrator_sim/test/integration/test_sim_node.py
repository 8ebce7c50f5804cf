"""The sim node as a real process, seen through real rclpy: topics, wall, gripper, teleport.

Assertions are on simulated quantities (ground truth, sim stamps), never on
wall-clock speed; the waits are bounded and generous.
"""
import math
import threading
import time

from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
import pytest
import rclpy
from rclpy.action import ActionClient
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import BatteryState, LaserScan
from sim_helpers import WAIT_S, Listener, sim_process, stamp_s
from tf2_msgs.msg import TFMessage

from orchestrator_interfaces.action import Gripper
from orchestrator_interfaces.msg import CollisionEvent, DetectionArray
from orchestrator_interfaces.srv import TeleportRobot


@pytest.fixture
def sim(ros_domain):
    """Start a sim node in test_room; yield a listener on all its outputs and the process."""
    proc = sim_process(ros_domain.env(), 'seed:=3', 'battery_initial_fraction:=0.9')
    with proc:
        assert proc.wait_for_output('sim ready', WAIT_S), proc.output()
        rclpy.init(domain_id=ros_domain.domain_id)
        listener = Listener()
        try:
            for msg_type, topic in ((Clock, '/clock'), (LaserScan, 'scan'), (Odometry, 'odom'),
                                    (Odometry, 'ground_truth/odom'), (TFMessage, 'tf'),
                                    (BatteryState, 'battery_state'),
                                    (CollisionEvent, 'collisions'),
                                    (DetectionArray, 'detections'),
                                    (DetectionArray, 'ground_truth/objects')):
                listener.watch(msg_type, topic)
            listener.watch(TFMessage, 'tf_static', latched=True)
            listener.watch(DetectionArray, 'gripper/held', latched=True)
            yield listener, proc
        finally:
            listener.destroy()
            rclpy.shutdown()
    assert proc.returncode == 0, proc.output()
    assert 'Traceback' not in proc.output(), proc.output()


def _teleport(listener, **kwargs):
    client = listener.node.create_client(TeleportRobot, 'teleport')
    assert client.wait_for_service(timeout_sec=WAIT_S)
    response = listener.wait_future(client.call_async(TeleportRobot.Request(**kwargs)))
    listener.node.destroy_client(client)
    return response


def test_publishes_the_topic_contract(sim):
    listener, _ = sim
    topics = ('/clock', 'scan', 'odom', 'ground_truth/odom', 'tf', 'tf_static',
              'battery_state', 'detections', 'ground_truth/objects')
    listener.wait_for(lambda: all(listener.messages[t] for t in topics), what='every topic')
    t0 = listener.sim_time_of('/clock')
    listener.wait_for(lambda: listener.sim_time_of('/clock') > t0 + 1.0, what='clock advancing')

    scan = listener.latest('scan')
    assert scan.header.frame_id == 'base_scan' and len(scan.ranges) == 360
    finite = [r for r in scan.ranges if math.isfinite(r)]
    assert len(finite) == 360 and 1.3 < min(finite) and max(finite) < 4.3  # in the 6 m room
    assert abs(scan.ranges[180] - 1.45) < 0.05  # straight ahead: the inner wall at x = 1.45

    odom = listener.latest('odom')
    assert (odom.header.frame_id, odom.child_frame_id) == ('odom', 'base_link')
    tf = listener.latest('tf').transforms[0]
    assert (tf.header.frame_id, tf.child_frame_id) == ('odom', 'base_link')
    statics = {t.child_frame_id: t for m in listener.messages['tf_static'] for t in m.transforms}
    assert statics['base_scan'].header.frame_id == 'base_link'
    assert statics['base_scan'].transform.translation.z == pytest.approx(0.18)
    assert 'logical_camera' in statics

    x, y, yaw, *_ = listener.truth()
    assert (x, y, yaw) == pytest.approx((0.0, 0.0, 0.0), abs=1e-6)
    assert listener.latest('ground_truth/odom').header.frame_id == 'map'

    battery = listener.latest('battery_state')
    assert battery.present and 0.89 < battery.percentage <= 0.9 and battery.current < 0
    assert battery.power_supply_status == BatteryState.POWER_SUPPLY_STATUS_DISCHARGING

    detections = listener.latest('detections')
    assert detections.header.frame_id == 'logical_camera'
    assert [(d.id, d.class_id, d.color) for d in detections.detections] == [
        ('red_box_1', 'box', 'red')]  # blue_can_1 is behind the inner wall
    truth = listener.latest('ground_truth/objects')
    assert truth.header.frame_id == 'map'
    objects = {d.id: (d.pose.position.x, d.pose.position.y) for d in truth.detections}
    assert set(objects) == {'red_box_1', 'blue_can_1'}  # seen or not, all of them
    assert objects['red_box_1'] == pytest.approx((1.0, 0.5))
    assert objects['blue_can_1'] == pytest.approx((2.2, -0.3))
    assert listener.messages['collisions'] == []


def test_driving_into_a_wall_stops_there_and_publishes_a_collision(sim):
    listener, proc = sim
    response = _teleport(listener, x=-2.0, y=0.0, yaw=math.pi)  # facing the west wall
    assert response.success, response.message
    pub = listener.node.create_publisher(Twist, 'cmd_vel', 10)
    command = Twist()
    command.linear.x = 0.5

    listener.wait_for(lambda: listener.messages['collisions'], what='a collision event',
                      every=lambda: pub.publish(command))
    event = listener.messages['collisions'][0]
    assert event.other == 'wall_west' and event.count == 1
    assert event.position.x == pytest.approx(-2.95, abs=0.03)
    t_hit = event.header.stamp.sec + event.header.stamp.nanosec * 1e-9
    # keep pushing for 2 s of sim time: the robot stays at the wall, not through it
    listener.wait_for(lambda: listener.truth()[5] > t_hit + 2.0, what='2 s of pushing',
                      every=lambda: pub.publish(command))
    x, y, *_ = listener.truth()
    assert x == pytest.approx(-2.95 + 0.15, abs=0.03)
    assert len(listener.messages['collisions']) == 1  # one continuous contact, one event
    assert 'collision #1' in proc.output()

    reset = _teleport(listener, place='dock', reset_world=True)
    assert reset.success and 'world reset' in reset.message
    # on the dock the battery charges
    charging = BatteryState.POWER_SUPPLY_STATUS_CHARGING
    listener.wait_for(lambda: listener.latest('battery_state').power_supply_status == charging,
                      what='the battery charging on the dock')
    first = listener.latest('battery_state')
    listener.wait_for(lambda: listener.latest('battery_state').percentage > first.percentage,
                      what='the charge rising')
    assert listener.latest('battery_state').current > 0
    bad = _teleport(listener, place='nowhere')
    assert not bad.success and 'unknown place' in bad.message


def test_gripper_closes_on_an_object_in_reach_and_opens(sim):
    listener, _ = sim
    client = ActionClient(listener.node, Gripper, 'gripper')
    assert client.wait_for_server(timeout_sec=WAIT_S)

    def run(command, object_id=''):
        handle = listener.wait_future(client.send_goal_async(
            Gripper.Goal(command=command, object_id=object_id)))
        assert handle.accepted
        return listener.wait_future(handle.get_result_async())

    def held():
        """Return the ids of what gripper/held says the gripper holds (its newest message)."""
        return [d.id for d in listener.latest('gripper/held').detections]

    # gripper/held (latched) says what the gripper holds: nothing at start
    listener.wait_for(lambda: listener.latest('gripper/held') is not None, what='gripper/held')
    assert held() == [] and listener.latest('gripper/held').header.frame_id == 'base_link'
    far = run(Gripper.Goal.CLOSE)
    assert far.result.error_code == Gripper.Result.NOTHING_IN_REACH and not far.result.holding
    assert _teleport(listener, place='pickup_a').success
    closed = run(Gripper.Goal.CLOSE)
    assert closed.result.error_code == Gripper.Result.NONE
    assert (closed.result.holding, closed.result.object_id,
            closed.result.object_class) == (True, 'red_box_1', 'box')
    listener.wait_for(lambda: held() == ['red_box_1'], what='gripper/held: red_box_1')
    box = listener.latest('gripper/held').detections[0]
    # carried just ahead of the base: half the 0.30 m robot, half the 0.1 m box, 2 cm
    assert (box.class_id, box.color) == ('box', 'red')
    assert (box.pose.position.x, box.pose.position.y) == pytest.approx((0.22, 0.0), abs=1e-3)
    assert box.size.x == pytest.approx(0.1)
    again = run(Gripper.Goal.CLOSE)
    assert again.result.error_code == Gripper.Result.ALREADY_HOLDING
    opened = run(Gripper.Goal.OPEN)
    assert opened.result.error_code == Gripper.Result.NONE and not opened.result.holding
    listener.wait_for(lambda: held() == [], what='gripper/held: nothing')
    empty = run(Gripper.Goal.OPEN)
    assert empty.result.error_code == Gripper.Result.NOT_HOLDING
    # a world reset puts a held object back: the gripper holds nothing after it
    assert run(Gripper.Goal.CLOSE).result.holding
    listener.wait_for(lambda: held() == ['red_box_1'], what='gripper/held: red_box_1 again')
    assert _teleport(listener, place='pickup_a', reset_world=True).success
    listener.wait_for(lambda: held() == [], what='gripper/held: nothing after the reset')
    client.destroy()



def test_a_cmd_vel_callback_never_waits_for_the_physics_lock(ros_domain):
    # it leaves the command in its robot's slot and the physics thread applies it before
    # its next step; it used to take the physics lock, which a physics thread behind
    # schedule (rtf 0, or a loaded machine) re-took at once: at rtf 0 a stop command
    # took 2.1-6.8 s of sim time to stop a turning robot (0.4-2.7 s with the slot)
    from rclpy.parameter import Parameter

    from orchestrator_sim.nodes.sim_node import SimNode
    rclpy.init(domain_id=ros_domain.domain_id)
    node = None
    try:
        node = SimNode(parameter_overrides=[  # no command timeout: the command stays
            Parameter('world', value='test_room'), Parameter('real_time_factor', value=0.0),
            Parameter('cmd_vel_timeout_s', value=0.0)])
        robot = node.robots[0]
        command = Twist()
        command.linear.x, command.angular.z = 0.3, -0.2
        returned = threading.Event()
        with node._lock:  # the physics thread is mid-step
            caller = threading.Thread(
                target=lambda: (node._on_cmd_vel(robot, command), returned.set()))
            caller.start()
            assert returned.wait(WAIT_S), 'the callback waited for the physics lock'
            assert node.physics.bodies[robot.index].command == (0.0, 0.0)  # not yet
        deadline = time.monotonic() + WAIT_S
        while node.physics.bodies[robot.index].command == (0.0, 0.0) \
                and time.monotonic() < deadline:
            time.sleep(0.01)
        assert node.physics.bodies[robot.index].command == (0.3, -0.2)
        caller.join(WAIT_S)
    finally:
        if node is not None:
            node.destroy_node()
        rclpy.shutdown()


def test_the_sim_is_the_clock_and_does_not_listen_to_its_own(ros_domain):
    # the bringup gives every node use_sim_time; the sim's stamps come from its physics,
    # so with it the sim only woke up for each of its own /clock messages
    with sim_process(ros_domain.env(), 'use_sim_time:=true') as proc:
        assert proc.wait_for_output('sim ready', WAIT_S), proc.output()
        rclpy.init(domain_id=ros_domain.domain_id)
        listener = Listener()
        try:
            listener.watch(Clock, '/clock', keep=1000)
            listener.wait_for(lambda: (listener.sim_time_of('/clock') or 0.0) > 3.0,
                              what='3 s of sim time')
            node = listener.node
            publishers = {i.node_name for i in node.get_publishers_info_by_topic('/clock')}
            subscribers = {i.node_name for i in node.get_subscriptions_info_by_topic('/clock')}
            assert publishers == {'sim'} and 'sim' not in subscribers, (publishers, subscribers)
            stamps = [stamp_s(m.clock) for m in listener.messages['/clock']]
            window = [t for t in stamps if stamps[-1] - 2.0 < t <= stamps[-1]]
            assert 95 <= len(window) <= 101, len(window)  # clock_rate_hz: 50 by default
        finally:
            listener.destroy()
            rclpy.shutdown()
    assert proc.returncode == 0, proc.output()

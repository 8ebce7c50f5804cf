"""Two robots in one sim process: namespaced contract, own cmd_vel, own tf, collisions.

Real sim node, real rclpy; waits are bounded, assertions are on ground truth.
"""
import math

from geometry_msgs.msg import Twist
from nav_msgs.msg import Odometry
import pytest
import rclpy
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import BatteryState, LaserScan
from sim_helpers import WAIT_S, Listener, sim_process, yaw_of
from tf2_msgs.msg import TFMessage

from orchestrator_interfaces.msg import CollisionEvent, DetectionArray
from orchestrator_interfaces.srv import TeleportRobot

ROBOTS = ('robot1', 'robot2')
PER_ROBOT = {'scan': LaserScan, 'odom': Odometry, 'ground_truth/odom': Odometry,
             'tf': TFMessage, 'battery_state': BatteryState, 'detections': DetectionArray,
             'collisions': CollisionEvent}


@pytest.fixture
def sim(ros_domain):
    """Start a sim with robot1 and robot2 in the warehouse; yield a listener on both."""
    proc = sim_process(ros_domain.env(), 'robots:=[robot1, robot2]', 'seed:=5',
                       world='warehouse')
    with proc:
        assert proc.wait_for_output('sim ready', WAIT_S), proc.output()
        rclpy.init(domain_id=ros_domain.domain_id)
        listener = Listener('multi_robot_listener')
        try:
            listener.watch(Clock, '/clock')
            listener.watch(DetectionArray, '/ground_truth/objects')
            for ns in ROBOTS:
                for name, kind in PER_ROBOT.items():
                    listener.watch(kind, f'/{ns}/{name}')
                listener.watch(TFMessage, f'/{ns}/tf_static', latched=True)
            yield listener, proc
        finally:
            listener.destroy()
            rclpy.shutdown()
    assert proc.returncode == 0, proc.output()
    assert 'Traceback' not in proc.output(), proc.output()


def _truth(listener, ns):
    msg = listener.latest(f'/{ns}/ground_truth/odom')
    p = msg.pose.pose
    return p.position.x, p.position.y, yaw_of(p.orientation)


def test_each_robot_has_the_whole_contract_under_its_namespace_and_nothing_at_the_root(sim):
    listener, _ = sim
    topics = ['/clock', '/ground_truth/objects'] + [
        f'/{ns}/{name}' for ns in ROBOTS for name in
        ('scan', 'odom', 'ground_truth/odom', 'tf', 'tf_static', 'battery_state', 'detections')]
    listener.wait_for(lambda: all(listener.messages[t] for t in topics), what='every topic')
    graph = dict(listener.node.get_topic_names_and_types())
    for name in ('/scan', '/odom', '/tf', '/cmd_vel', '/battery_state', '/ground_truth/odom'):
        assert name not in graph, f'{name} exists at the root with two robots'
    for ns in ROBOTS:
        assert f'/{ns}/cmd_vel' in graph
        services = dict(listener.node.get_service_names_and_types())
        assert f'/{ns}/teleport' in services and f'/{ns}/gripper/_action/send_goal' in services
        # tf per namespace, frames as for one robot (Nav2's multi-robot convention)
        tf = listener.latest(f'/{ns}/tf').transforms[0]
        assert (tf.header.frame_id, tf.child_frame_id) == ('odom', 'base_link')
        statics = {t.child_frame_id for m in listener.messages[f'/{ns}/tf_static']
                   for t in m.transforms}
        assert {'base_scan', 'logical_camera'} <= statics
    # the world file's spawns: robot1 at the dock, robot2 at start_2
    assert _truth(listener, 'robot1')[:2] == pytest.approx((-6.5, -3.5), abs=1e-3)
    assert _truth(listener, 'robot2')[:2] == pytest.approx((-6.5, -1.5), abs=1e-3)
    # robot1's lidar sees robot2 straight ahead after a quarter turn... robot2 is 2 m north:
    scan = listener.latest('/robot1/scan')
    north = round((math.pi / 2 - scan.angle_min) / scan.angle_increment)
    assert scan.ranges[north] == pytest.approx(2.0 - 0.28 / 2, abs=0.06)  # robot2's side


def test_robot1s_cmd_vel_moves_robot1_only_and_driving_into_robot2_is_a_collision_for_both(sim):
    listener, _ = sim
    listener.wait_for(lambda: listener.messages['/robot2/ground_truth/odom']
                      and listener.messages['/robot1/ground_truth/odom'], what='ground truth')
    start2 = _truth(listener, 'robot2')
    teleport = listener.node.create_client(TeleportRobot, '/robot1/teleport')
    assert teleport.wait_for_service(timeout_sec=WAIT_S)
    response = listener.wait_future(teleport.call_async(
        TeleportRobot.Request(x=-6.5, y=-3.0, yaw=math.pi / 2)))  # facing robot2, 1.5 m away
    assert response.success, response.message
    # a collision is published once, at its onset: be connected before it happens
    listener.wait_for(lambda: all(listener.node.count_publishers(f'/{ns}/collisions') >= 1
                                  for ns in ROBOTS), what='the collision publishers')
    pub = listener.node.create_publisher(Twist, '/robot1/cmd_vel', 10)
    ahead = Twist()
    ahead.linear.x = 0.3
    contact_y = start2[1] - 0.14 - 0.15  # robot2's side meets robot1's front
    listener.wait_for(lambda: listener.messages['/robot1/collisions']
                      and listener.messages['/robot2/collisions']
                      and _truth(listener, 'robot1')[1] > contact_y - 0.1,
                      what='robot1 at robot2 and a collision event on both robots',
                      every=lambda: pub.publish(ahead))
    assert listener.latest('/robot1/collisions').other == 'robot2'
    assert listener.latest('/robot2/collisions').other == 'robot1'
    x1, y1, _ = _truth(listener, 'robot1')
    assert abs(x1 + 6.5) < 0.05  # straight north, into robot2
    # robot2 received no command: its own cmd_vel never moved it (any shift is robot1's push)
    x2, y2, yaw2 = _truth(listener, 'robot2')
    assert abs(x2 - start2[0]) < 0.05 and abs(yaw2 - start2[2]) < 0.2


def test_teleport_is_per_robot(sim):
    listener, _ = sim
    client = listener.node.create_client(TeleportRobot, '/robot2/teleport')
    assert client.wait_for_service(timeout_sec=WAIT_S)
    response = listener.wait_future(client.call_async(TeleportRobot.Request(place='office')))
    assert response.success, response.message
    listener.wait_for(lambda: listener.messages['/robot2/ground_truth/odom']
                      and listener.messages['/robot1/ground_truth/odom']
                      and _truth(listener, 'robot2')[1] > 3.0, what='robot2 at the office')
    assert _truth(listener, 'robot1')[:2] == pytest.approx((-6.5, -3.5), abs=1e-3)

"""The Gazebo launch, bridge config and robot model agree with the stack they stand in for.

Gazebo, ``ros_gz`` and ``launch`` are not installed here, so nothing runs:
these tests read the files. The topic contract is not a list kept in this
test. It is read from the code: the publishers and subscriptions of the node
that the bringup description marks ``sim_only`` (the embedded sim, found
through its package's console script), and the subscriptions of the stack's
other nodes. The robot model is checked against the ``robots.py`` preset and
the sim's frame names in ``sim.yaml``.
"""
import ast
import os
import re

from defusedxml import ElementTree
import pytest
import yaml

from orchestrator_pkg.bringup.description import load, resolve
from orchestrator_sim.robots import load_robot

PKG = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPO = os.path.dirname(PKG)
LAUNCH = os.path.join(PKG, 'launch', 'gazebo.launch.py')
BRIDGE = os.path.join(PKG, 'config', 'gz_bridge.yaml')
BRINGUP = os.path.join(PKG, 'config', 'bringup.yaml')
GAZEBO_DOC = os.path.join(REPO, 'docs', 'gazebo.md')

# What the embedded sim publishes that Gazebo does not give the stack, and why.
# Each must be one of the sim's topics (checked), so this cannot go stale quietly.
NOT_BRIDGED = {
    'ground_truth/odom': 'evaluation only (the runner reads it, no stack node does)',
    'ground_truth/objects': 'evaluation only',
    'detections': 'our DetectionArray has no Gazebo message; a converter node would be needed',
    'collisions': 'our CollisionEvent; Gazebo has contact sensors, not wired up here',
    'gripper/held': 'the gripper (an action of our sim) is not in the Gazebo model',
}
STATIC_TF = 'tf_static'  # from static_transform_publisher nodes in the launch file

# ros_gz_bridge's pairings for the types we bridge (its README's table, Jazzy).
GZ_TYPES = {
    'rosgraph_msgs/msg/Clock': {'gz.msgs.Clock'},
    'sensor_msgs/msg/LaserScan': {'gz.msgs.LaserScan'},
    'nav_msgs/msg/Odometry': {'gz.msgs.Odometry', 'gz.msgs.OdometryWithCovariance'},
    'tf2_msgs/msg/TFMessage': {'gz.msgs.Pose_V'},
    'sensor_msgs/msg/BatteryState': {'gz.msgs.BatteryState'},
    'geometry_msgs/msg/Twist': {'gz.msgs.Twist'},
    'geometry_msgs/msg/TwistStamped': {'gz.msgs.Twist'},
    'sensor_msgs/msg/JointState': {'gz.msgs.Model'},
}


def _share(package):
    return os.path.join(REPO, package)


def _bringup():
    return load(BRINGUP)


def _parameters(node, name, robot='small_indoor'):
    """Return ``name``'s value for a bringup node and the ``robot`` preset.

    Its overrides, else the last of its parameter files that sets it (later
    files override earlier ones, as in the bringup).
    """
    overrides = dict(node.overrides)
    if name in overrides:
        return overrides[name]
    for package, path in reversed(node.parameters):
        path = path.replace('${robot}', robot)
        with open(os.path.join(_share(package), path), encoding='utf-8') as f:
            params = (yaml.safe_load(f).get(node.name) or {}).get('ros__parameters', {})
        if name in params:
            return params[name]
    return None


def _module_file(package, executable):
    """Source file of a console script, read from the package's setup.py."""
    with open(os.path.join(_share(package), 'setup.py'), encoding='utf-8') as f:
        match = re.search(rf"'{executable}\s*=\s*([\w.]+):\w+'", f.read())
    assert match, f'{package}/setup.py has no console script {executable}'
    return os.path.join(_share(package), *match.group(1).split('.')) + '.py'


def _endpoints(path, stamped):
    """``{('pub'|'sub', topic): 'pkg/msg/Type'}`` of literal-topic publishers/subscriptions.

    A type given as ``A if <flag> else B`` is resolved with ``stamped`` (the
    node's ``use_stamped`` parameter), the one such choice our nodes make.
    """
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read(), filename=path)
    types = {alias.asname or alias.name: f'{node.module.split(".")[0]}/msg/{alias.name}'
             for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
             and node.module and node.module.endswith('.msg') for alias in node.names}
    choices = {target.id: node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
               and isinstance(node.value, ast.IfExp) for target in node.targets
               if isinstance(target, ast.Name)}
    found = {}
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
            continue
        args = call.args
        if call.func.attr == 'subscribe':  # ros_edge.guard.subscribe(node, type, topic, ...)
            args = args[1:]
        if not (call.func.attr in ('create_publisher', 'create_subscription', 'subscribe')
                and len(args) >= 2 and isinstance(args[1], ast.Constant)):
            continue
        kind = 'pub' if call.func.attr == 'create_publisher' else 'sub'
        type_expr = args[0]
        if isinstance(type_expr, ast.Name) and type_expr.id in choices:
            choice = choices[type_expr.id]
            type_expr = choice.body if stamped else choice.orelse
        assert isinstance(type_expr, ast.Name) and type_expr.id in types, \
            f'{path}:{call.lineno}: cannot resolve the message type'
        found[(kind, args[1].value)] = types[type_expr.id]
    return found


def _node_endpoints(node):
    return _endpoints(_module_file(node.package, node.executable),
                      bool(_parameters(node, 'use_stamped')))


def _sim_contract():
    sims = [node for node in _bringup().nodes if node.sim_only]
    assert len(sims) == 1, 'one sim_only node (the embedded sim) in bringup.yaml'
    return sims[0], _node_endpoints(sims[0])


def _bridge():
    with open(BRIDGE, encoding='utf-8') as f:
        entries = yaml.safe_load(f)
    assert isinstance(entries, list) and entries
    return entries


def _launch_tree():
    with open(LAUNCH, encoding='utf-8') as f:
        return ast.parse(f.read(), filename=LAUNCH)


def _constant(tree, name):
    return next(ast.literal_eval(node.value) for node in ast.walk(tree)
                if isinstance(node, ast.Assign)
                and any(getattr(t, 'id', '') == name for t in node.targets))


def test_bridge_entries_are_well_formed():
    keys = {'ros_topic_name', 'gz_topic_name', 'ros_type_name', 'gz_type_name', 'direction'}
    seen = set()
    for entry in _bridge():
        assert set(entry) == keys, entry
        assert entry['direction'] in ('GZ_TO_ROS', 'ROS_TO_GZ', 'BIDIRECTIONAL'), entry
        assert entry['gz_type_name'] in GZ_TYPES[entry['ros_type_name']], entry
        assert entry['gz_topic_name'].startswith('/'), entry
        assert entry['ros_topic_name'] not in seen, f'{entry["ros_topic_name"]} bridged twice'
        seen.add(entry['ros_topic_name'])


def test_bridge_gives_the_sim_topic_contract_in_the_right_directions():
    _, sim = _sim_contract()
    published = {topic: kind for (io, topic), kind in sim.items() if io == 'pub'}
    subscribed = {topic: kind for (io, topic), kind in sim.items() if io == 'sub'}
    assert set(NOT_BRIDGED) <= set(published), 'NOT_BRIDGED names a topic the sim lacks'
    assert STATIC_TF in published
    bridge = _bridge()
    to_ros = {e['ros_topic_name']: e['ros_type_name'] for e in bridge
              if e['direction'] == 'GZ_TO_ROS'}
    to_gz = {e['ros_topic_name']: e['ros_type_name'] for e in bridge
             if e['direction'] == 'ROS_TO_GZ'}
    assert not [e for e in bridge if e['direction'] == 'BIDIRECTIONAL']
    expected = {t: k for t, k in published.items() if t not in NOT_BRIDGED and t != STATIC_TF}
    assert to_ros == expected
    assert to_gz == subscribed
    assert to_gz == {'cmd_vel': 'geometry_msgs/msg/Twist'}


def test_what_the_stack_reads_from_the_sim_is_bridged():
    sim_node, sim = _sim_contract()
    provided = {topic for io, topic in sim if io == 'pub'}
    bridged = {e['ros_topic_name'] for e in _bridge()} | {STATIC_TF}
    read = {}
    for node in _bringup().nodes:
        if node.sim_only:
            continue
        for (io, topic), kind in _node_endpoints(node).items():
            if io == 'sub' and topic in provided:
                read.setdefault(topic, set()).add((node.name, kind))
    assert {'scan', 'odom'} <= set(read) & bridged, 'the navigation servers read scan and odom'
    # a stack node may read a sim topic Gazebo lacks only if it is a named, documented gap
    gaps = set(read) - bridged
    assert gaps <= set(NOT_BRIDGED), f'read by the stack but not bridged: {gaps}'
    with open(GAZEBO_DOC, encoding='utf-8') as f:
        not_covered = f.read().split('## Not covered', 1)[1].split('\n## ', 1)[0]
    for topic in gaps:
        assert f'`{topic}`' in not_covered, f'docs/gazebo.md: {topic} missing under Not covered'
    for topic, readers in read.items():
        kinds = {kind for _, kind in readers}
        assert kinds == {sim[('pub', topic)]}, f'{topic}: {readers} vs the sim'


def test_cmd_vel_from_base_driver_matches_the_bridge():
    driver = next(n for n in _bringup().nodes if n.name == 'base_driver')
    published = _node_endpoints(driver)[('pub', 'cmd_vel')]
    entry = next(e for e in _bridge() if e['ros_topic_name'] == 'cmd_vel')
    assert entry['ros_type_name'] == published
    assert entry['direction'] == 'ROS_TO_GZ'
    assert _bringup().zero_velocity_topic == 'cmd_vel'


def test_gazebo_launch_builds_the_stack_from_resolve_without_the_sim():
    tree = _launch_tree()
    imports = {(node.module, alias.name) for node in ast.walk(tree)
               if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert ('orchestrator_pkg.bringup.description', 'resolve') in imports
    assert ('orchestrator_pkg.bringup.description', 'load') in imports
    resolves = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
                and getattr(node.func, 'id', '') == 'resolve']
    assert len(resolves) == 1
    keywords = {k.arg: k.value for k in resolves[0].keywords}
    assert isinstance(keywords['sim'], ast.Constant) and keywords['sim'].value is True, \
        'use_sim_time: Gazebo publishes /clock'
    assert 'sim_only' in ast.unparse(tree), 'the sim_only nodes are left out'
    # What the launch file asks of resolve(), with its own default arguments.
    arguments = _constant(tree, 'ARGUMENTS')
    values = {name: default for name, (default, _) in arguments.items()}
    bringup = _bringup()
    stack = [node.name for node in bringup.nodes if not node.sim_only]
    launches = resolve(bringup, _share, values, sim=True, only=stack)
    # the Gazebo launch's default localization (truth): every stack node but amcl
    assert [launch.node.name for launch in launches] == [n for n in stack if n != 'amcl']
    amcl = resolve(bringup, _share, {**values, 'localization': 'amcl'}, sim=True, only=stack)
    assert [launch.node.name for launch in amcl] == stack
    assert all(launch.overrides['use_sim_time'] is True for launch in launches)
    assert not [launch for launch in launches if launch.node.sim_only]


def test_gazebo_launch_starts_gazebo_spawn_and_bridge():
    tree = _launch_tree()
    source = ast.unparse(tree)
    nodes = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
             and getattr(node.func, 'id', '') == 'Node']
    made = {(k['package'], k['executable']) for k in (
        {kw.arg: kw.value.value for kw in node.keywords
         if kw.arg in ('package', 'executable') and isinstance(kw.value, ast.Constant)}
        for node in nodes) if len(k) == 2}
    assert {('ros_gz_sim', 'create'), ('ros_gz_bridge', 'parameter_bridge'),
            ('tf2_ros', 'static_transform_publisher')} <= made
    assert "'gz_sim.launch.py'" in source and "'on_exit_shutdown'" in source
    assert 'config_file' in source
    assert _constant(tree, 'BRIDGE_CONFIG') == os.path.basename(BRIDGE)
    for flag in ("'-file'", "'-name'", "'-x'", "'-y'", "'-Y'"):
        assert flag in source, f'ros_gz_sim create {flag}'


class _Model:
    """The robot model SDF, parsed."""

    def __init__(self, name):
        path = os.path.join(PKG, 'models', name, 'model.sdf')
        with open(path, 'rb') as f:
            self.root = ElementTree.fromstring(f.read())
        self.model = self.root.find('model')

    def link(self, name):
        return next(link for link in self.model.findall('link') if link.get('name') == name)

    def plugin(self, name):
        return next(p for p in self.model.findall('plugin') if p.get('name') == name)


def _numbers(text):
    return [float(v) for v in text.split()]


@pytest.fixture
def preset():
    return load_robot('small_indoor')


@pytest.fixture
def sim_parameters():
    with open(os.path.join(REPO, 'orchestrator_sim', 'config', 'sim.yaml'),
              encoding='utf-8') as f:
        return yaml.safe_load(f)['sim']['ros__parameters']


def test_model_body_and_wheels_match_the_preset(preset):
    model = _Model('small_indoor')
    base = model.link('base_link')
    body = next(c for c in base.findall('collision') if c.get('name') == 'body')
    assert _numbers(body.findtext('geometry/box/size')) == pytest.approx(
        [preset.length, preset.width, preset.height])
    assert _numbers(body.findtext('pose'))[2] == pytest.approx(
        preset.ground_clearance + preset.height / 2)
    assert float(base.findtext('inertial/mass')) == pytest.approx(preset.mass)
    drive = model.plugin('gz::sim::systems::DiffDrive')
    assert float(drive.findtext('wheel_separation')) == pytest.approx(preset.wheel_separation)
    assert float(drive.findtext('wheel_radius')) == pytest.approx(preset.wheel_radius)
    assert float(drive.findtext('max_linear_velocity')) == pytest.approx(preset.max_vel_x)
    assert float(drive.findtext('min_linear_velocity')) == pytest.approx(preset.min_vel_x)
    assert float(drive.findtext('max_angular_velocity')) == pytest.approx(preset.max_vel_theta)
    assert float(drive.findtext('max_linear_acceleration')) == pytest.approx(preset.max_accel_x)
    assert float(drive.findtext('max_angular_acceleration')) == pytest.approx(
        preset.max_accel_theta)
    joints = {j.get('name'): j for j in model.model.findall('joint')}
    for tag, side in (('left_joint', 1), ('right_joint', -1)):
        wheel = model.link(joints[drive.findtext(tag)].findtext('child'))
        x, y, z = _numbers(wheel.findtext('pose'))[:3]
        assert y == pytest.approx(side * preset.wheel_separation / 2)
        assert z == pytest.approx(preset.wheel_radius), 'the wheel stands on the floor'
        assert float(wheel.findtext('collision/geometry/cylinder/radius')) == pytest.approx(
            preset.wheel_radius)
    assert preset.wheel_radius > preset.ground_clearance, 'the body clears the floor'


def test_model_frames_and_lidar_match_the_sim(preset, sim_parameters):
    model = _Model('small_indoor')
    drive = model.plugin('gz::sim::systems::DiffDrive')
    assert drive.findtext('frame_id') == sim_parameters['odom_frame']
    assert drive.findtext('child_frame_id') == sim_parameters['base_frame']
    assert model.link(sim_parameters['base_frame']) is not None
    lidar = preset.lidar
    scan_link = model.link(sim_parameters['scan_frame'])
    x, y, z, roll, pitch, yaw = _numbers(scan_link.findtext('pose'))
    assert (x, y, z, yaw) == pytest.approx((lidar.x, lidar.y, lidar.z, lidar.yaw))
    sensor = scan_link.find('sensor')
    assert sensor.get('type') == 'gpu_lidar'
    assert sensor.findtext('gz_frame_id') == sim_parameters['scan_frame']
    assert float(sensor.findtext('update_rate')) == pytest.approx(lidar.rate_hz)
    horizontal = sensor.find('lidar/scan/horizontal')
    assert int(horizontal.findtext('samples')) == lidar.samples
    assert float(horizontal.findtext('min_angle')) == pytest.approx(lidar.angle_min)
    assert float(horizontal.findtext('max_angle')) == pytest.approx(lidar.angle_max)
    assert float(sensor.findtext('lidar/range/min')) == pytest.approx(lidar.range_min)
    assert float(sensor.findtext('lidar/range/max')) == pytest.approx(lidar.range_max)
    assert float(sensor.findtext('lidar/noise/stddev')) == pytest.approx(lidar.noise_std)


def test_model_battery_matches_the_preset(preset):
    battery = _Model('small_indoor').plugin('gz::sim::systems::LinearBatteryPlugin')
    capacity_ah = float(battery.findtext('capacity'))
    assert capacity_ah * float(battery.findtext('voltage')) == pytest.approx(
        preset.battery_capacity_wh, rel=1e-3)
    assert float(battery.findtext('voltage')) == pytest.approx(preset.battery_voltage)
    assert float(battery.findtext('initial_charge')) == pytest.approx(capacity_ah)
    assert float(battery.findtext('power_load')) == pytest.approx(preset.idle_power_w)


def test_model_gazebo_topics_are_the_bridged_ones():
    model = _Model('small_indoor')
    name = _constant(_launch_tree(), 'MODEL_NAME')
    drive = model.plugin('gz::sim::systems::DiffDrive')
    battery = model.plugin('gz::sim::systems::LinearBatteryPlugin')
    sensor = model.link('base_scan').find('sensor')
    gz = {e['ros_topic_name']: e['gz_topic_name'] for e in _bridge()}
    assert gz == {
        '/clock': '/clock',  # gz-sim's own clock topic
        'scan': sensor.findtext('topic'),
        'odom': drive.findtext('odom_topic'),
        'tf': drive.findtext('tf_topic'),
        'cmd_vel': drive.findtext('topic'),
        'battery_state': f'/model/{name}/battery/{battery.findtext("battery_name")}/state',
    }
    assert all(topic.startswith(f'/model/{name}/') for ros, topic in gz.items()
               if ros != '/clock')


def test_model_odometry_rate_matches_the_sim(sim_parameters):
    drive = _Model('small_indoor').plugin('gz::sim::systems::DiffDrive')
    assert float(drive.findtext('odom_publish_frequency')) == pytest.approx(
        sim_parameters['odom_rate_hz'])

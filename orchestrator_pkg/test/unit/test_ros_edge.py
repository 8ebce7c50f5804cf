"""The ROS edge's conversions and lookups: one rule each; the ROS leaves' shape (no traffic)."""
import inspect
import math
import os
import subprocess
import sys

from geometry_msgs.msg import Quaternion
import numpy as np
import py_trees
import pytest
from rclpy.duration import Duration as RclpyDuration

from orchestrator_interfaces.action import ExecuteMission
from orchestrator_pkg.behaviours.nav2 import actions, conditions, selectors
from orchestrator_pkg.behaviours.ros import (
    action_client,
    localization,
    places,
    service_client,
    tasks,
    topics,
)
from orchestrator_pkg.planning.frames import yaw_of
from orchestrator_pkg.ros_edge import convert, share, state
from orchestrator_pkg.ros_edge.leaf import RosLeaf


@pytest.mark.parametrize('yaw', [0.0, 0.3, -1.2, math.pi / 2, 3.0, -3.0])
def test_yaw_survives_a_round_trip_through_a_quaternion(yaw):
    q = convert.yaw_to_quaternion(yaw)
    assert math.isclose(q.x * q.x + q.y * q.y + q.z * q.z + q.w * q.w, 1.0)
    assert convert.quaternion_to_yaw(q) == pytest.approx(yaw)


def test_quaternion_to_yaw_is_the_planning_formula_and_ignores_roll_and_pitch():
    q = Quaternion(x=0.1, y=-0.2, z=0.4, w=0.89)
    assert convert.quaternion_to_yaw(q) == yaw_of(0.1, -0.2, 0.4, 0.89)
    assert convert.quaternion_to_yaw(Quaternion(x=1.0, w=0.0)) == pytest.approx(0.0)  # roll pi


@pytest.mark.parametrize('seconds', [0.0, 1e-9, 0.1, 0.3, 1.1, 2.3, 0.57, 1.9999999999,
                                     59.123456789, 3600.5, 1e5 + 0.7])
def test_durations_follow_rclpys_rule(seconds):
    expected = RclpyDuration(seconds=seconds).to_msg()
    assert convert.duration_parts(seconds) == (expected.sec, expected.nanosec)
    message = convert.to_duration(seconds)
    assert (message.sec, message.nanosec) == (expected.sec, expected.nanosec)


def test_duration_edges():
    assert convert.duration_parts(2.3) == (2, 300000000)  # the old converter said 299999999
    assert convert.duration_parts(0.9999999999) == (0, 999999999)  # not (0, 0): no wrap
    assert convert.duration_parts(-4.0) == (0, 0)  # a negative duration is none
    assert convert.duration_parts(7) == (7, 0)
    for bad in (math.nan, math.inf, -math.inf, 2.0 ** 31):
        with pytest.raises(ValueError, match='not a duration'):
            convert.duration_parts(bad)


def test_seconds_of_reads_time_and_duration_messages():
    assert convert.seconds_of(convert.to_duration(12.25)) == pytest.approx(12.25)
    assert convert.seconds_of(RclpyDuration(seconds=3.5).to_msg()) == pytest.approx(3.5)


def test_pose_stamped_and_path_poses_face_the_way():
    pose = convert.pose_stamped('map', 1.0, -2.0, math.pi / 2)
    assert pose.header.frame_id == 'map' and pose.header.stamp.sec == 0
    assert (pose.pose.position.x, pose.pose.position.y) == (1.0, -2.0)
    assert convert.quaternion_to_yaw(pose.pose.orientation) == pytest.approx(math.pi / 2)
    poses = convert.path_poses(np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]), 'odom', None,
                               goal_yaw=math.pi)
    assert [round(convert.quaternion_to_yaw(p.pose.orientation), 6) for p in poses] == \
        [0.0, round(math.pi / 2, 6), round(math.pi, 6)]
    assert all(p.header.frame_id == 'odom' for p in poses)


def test_scan_pose_offsets_the_sensor_by_the_robot_heading():
    mount = convert.ScanPose(0.2, 0.0, 0.0)
    x, y, yaw = mount.sensor_pose(1.0, 1.0, math.pi / 2)
    assert (x, y, yaw) == pytest.approx((1.0, 1.2, math.pi / 2))


def test_outcome_names_are_the_execute_mission_constants():
    result = ExecuteMission.Result
    assert share.OUTCOME_NAMES == {result.SUCCEEDED: 'SUCCEEDED', result.FAILED: 'FAILED',
                                   result.CANCELED: 'CANCELED', result.REJECTED: 'REJECTED'}
    assert share.outcome_name(result.CANCELED) == 'CANCELED'
    assert share.outcome_name(42) == '42'


def test_share_lookups(tmp_path):
    assert share.share_path('no_such_package_here', 'x') is None
    with pytest.raises(LookupError):
        share.share_dir('no_such_package_here')
    assert share.sim_world('no_such_world') is None
    given = tmp_path / 'my_bringup.yaml'
    given.write_text('x: 1\n')
    assert share.config_file(str(given)) == str(given)  # a path stays a path
    tree = share.behavior_tree('navigate_to_pose_w_replanning_and_recovery.xml')
    assert os.path.isfile(tree)


def test_every_ros_leaf_is_a_ros_leaf():
    modules = (action_client, service_client, topics, localization, places, tasks,
               actions, conditions, selectors)
    leaves = [cls for module in modules for _, cls in inspect.getmembers(module, inspect.isclass)
              if issubclass(cls, py_trees.behaviour.Behaviour)
              and cls.__module__ == module.__name__]
    assert len(leaves) >= 15
    for cls in leaves:  # (test_architecture checks the depth of every behaviour)
        assert issubclass(cls, RosLeaf) or cls is tasks.SetDefault, cls  # SetDefault: no ROS


def test_the_leaf_packages_ros_edge_and_places_import_without_ros():
    modules = ['orchestrator_pkg.behaviours.ros', 'orchestrator_pkg.behaviours.nav2',
               'orchestrator_pkg.ros_edge', 'orchestrator_pkg.ros_edge.share',
               'orchestrator_pkg.places']
    code = ('import sys, ros_blocker\n' + ''.join(f'import {m}\n' for m in modules)
            + 'print(sorted(m for m in sys.modules if ros_blocker.blocked(m)))\n'
            + 'import rclpy\n')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.dirname(__file__), os.environ.get('PYTHONPATH', '')]))
    done = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.stdout.strip() == '[]', done.stderr  # imported, and no ROS module with them
    assert 'rclpy is blocked' in done.stderr  # the blocker was on


def test_per_node_objects_are_made_once_and_taken_by_key():
    class Node:  # any object that can be weakly referenced
        pass
    node, other = Node(), Node()
    made = []
    def make(name):
        made.append(name)
        return name
    assert state.per_node(node, ('client', 'a'), lambda: make('a')) == 'a'
    assert state.per_node(node, ('client', 'a'), lambda: make('again')) == 'a'
    state.per_node(node, ('client', 'b'), lambda: make('b'))
    state.per_node(node, 'tf', lambda: make('tf'))
    state.per_node(other, ('client', 'a'), lambda: make('other a'))
    assert made == ['a', 'b', 'tf', 'other a']
    taken = state.take(node, lambda key, _: isinstance(key, tuple) and key[0] == 'client')
    assert sorted(taken) == [(('client', 'a'), 'a'), (('client', 'b'), 'b')]
    assert state.take(node, lambda _, kept: kept == 'tf') == [('tf', 'tf')]
    assert state.take(node, lambda key, kept: True) == []
    assert state.per_node(other, ('client', 'a'), lambda: make('x')) == 'other a'
    state.forget(other)
    assert state.per_node(other, ('client', 'a'), lambda: make('new')) == 'new'

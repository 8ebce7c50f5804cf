"""Shared bits of the navigation integration tests: paths, bounded waits."""
import os
import sys
import time

import rclpy

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(os.path.dirname(HERE))
NAV_YAML = os.path.join(PKG, 'config', 'nav.yaml')
ROBOT = os.path.join(HERE, 'fixtures', 'kinematic_robot.py')
TIMEOUT_S = 30.0


def node_cmd(module, *ros_args):
    """Command line running one of our nodes with nav.yaml and extra ``-p`` overrides."""
    cmd = [sys.executable, '-m', f'orchestrator_pkg.nodes.{module}', '--ros-args',
           '--params-file', NAV_YAML]
    for arg in ros_args:
        cmd += ['-p', arg]
    return cmd


def wait_future(node, future, timeout_s=TIMEOUT_S, what='answer'):
    """Spin ``node`` until ``future`` is done; fail after ``timeout_s`` (wall)."""
    deadline = time.monotonic() + timeout_s
    while not future.done() and time.monotonic() < deadline:
        rclpy.spin_once(node, timeout_sec=0.05)
    assert future.done(), f'no {what} within {timeout_s} s'
    return future.result()


def spin_until(node, predicate, timeout_s=TIMEOUT_S):
    """Spin until ``predicate()`` holds; return whether it did."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        rclpy.spin_once(node, timeout_sec=0.05)
    return predicate()


def call(node, client, request, timeout_s=TIMEOUT_S):
    """Call an idempotent service, asking again every ASK_AGAIN_S without an answer.

    Fast DDS drops a reply to a client it has not matched yet (docs: common
    facts); a lost reply is asked for again rather than waited for forever.
    """
    from orchestrator_pkg.ros_edge.lifecycle import ASK_AGAIN_S
    assert client.wait_for_service(timeout_sec=timeout_s), f'no {client.srv_name}'
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        future = client.call_async(request)
        if spin_until(node, future.done, min(ASK_AGAIN_S, deadline - time.monotonic())):
            return future.result()
    raise AssertionError(f'no answer from {client.srv_name} within {timeout_s} s')


def tracked_objects(boxes, frame='map'):
    """Return perception's tracks (DetectionArray) of square boxes ``(x, y, size)``."""
    from geometry_msgs.msg import Vector3

    from orchestrator_interfaces.msg import Detection, DetectionArray
    msg = DetectionArray()
    msg.header.frame_id = frame
    for x, y, size in boxes:
        d = Detection(id=f'box_{len(msg.detections)}', class_id='box', confidence=1.0)
        d.pose.position.x, d.pose.position.y = x, y
        d.pose.orientation.w = 1.0
        d.size = Vector3(x=size, y=size, z=0.12)
        msg.detections.append(d)
    return msg

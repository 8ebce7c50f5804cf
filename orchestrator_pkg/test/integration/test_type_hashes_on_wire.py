"""The type hashes that rclpy advertises for our types are Jazzy's.

test_type_hashes.py checks the hashes in the installed type descriptions; this
checks what the middleware is handed: endpoints created with our types report,
through the ROS graph, the RIHS01 hash that the real Jazzy type has. Messages
are checked on a publisher, actions on a server's feedback topic (the
``<Action>_FeedbackMessage`` type). rclpy on Jazzy has no endpoint info for
services; their hashes are covered by test_type_hashes.py.
"""
import importlib
import json
import os

import pytest
import rclpy
from rclpy.action import ActionServer

from orchestrator_pkg.ros_edge.main import destroy_node_and_waitables
from orchestrator_pkg.ros_edge.waiting import spin_until

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, '..', 'data', 'jazzy_interfaces.json'), encoding='utf-8') as _f:
    JAZZY = json.load(_f)['interfaces']
TIMEOUT_S = 10.0


def _interface(type_name):
    package, kind, name = type_name.split('/')
    return getattr(importlib.import_module(f'{package}.{kind}'), name)


@pytest.fixture
def nodes(ros_domain):
    rclpy.init(domain_id=ros_domain.domain_id)
    owner = rclpy.create_node('hash_owner')
    observer = rclpy.create_node('hash_observer')
    try:
        yield owner, observer
    finally:
        destroy_node_and_waitables(owner)
        destroy_node_and_waitables(observer)
        rclpy.shutdown()


def test_endpoints_advertise_jazzy_hashes(nodes):
    owner, observer = nodes
    expected = {}  # topic -> Jazzy's hash of its type
    servers = []
    for i, type_name in enumerate(sorted(JAZZY)):
        kind = type_name.split('/')[1]
        if kind == 'msg':
            topic = f'/hash_check/m{i}'
            owner.create_publisher(_interface(type_name), topic, 1)
            expected[topic] = JAZZY[type_name]['hashes'][type_name]
        elif kind == 'action':
            name = f'/hash_check/a{i}'
            servers.append(ActionServer(owner, _interface(type_name), name,
                                        execute_callback=lambda handle: None))
            feedback = f'{type_name}_FeedbackMessage'
            expected[f'{name}/_action/feedback'] = JAZZY[type_name]['hashes'][feedback]
    assert len(expected) > 20

    def advertised():
        found = {}
        for topic in expected:
            infos = observer.get_publishers_info_by_topic(topic)
            if infos:
                found[topic] = str(infos[0].topic_type_hash)
        return found

    assert spin_until(observer, lambda: len(advertised()) == len(expected), TIMEOUT_S)
    assert advertised() == expected
    for server in servers:
        server.destroy()

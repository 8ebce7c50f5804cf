"""The Groot2 monitor's server binds where it is told: one address, or none for a bad one.

Real ZeroMQ sockets on free local ports (no ROS).
"""
import socket

import zmq

from orchestrator_pkg.nodes import groot2_monitor
from orchestrator_pkg.testing.ports import free_port_pair


class Logger:
    def __init__(self):
        self.lines = []

    def info(self, text):
        self.lines.append(('info', text))

    def warning(self, text):
        self.lines.append(('warning', text))

    error = warning


def _own_address():
    """Return an address of this machine other than loopback, or None if it has none."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(('192.0.2.1', 9))  # TEST-NET-1: no packet is sent
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith('127.') else address


def test_bound_to_loopback_it_answers_there_and_nowhere_else():
    port, logger = free_port_pair(), Logger()
    monitor = groot2_monitor.start(port, logger, '127.0.0.1')
    assert monitor is not None, logger.lines
    context = zmq.Context()
    try:
        client = context.socket(zmq.REQ)
        client.setsockopt(zmq.LINGER, 0)
        client.setsockopt(zmq.RCVTIMEO, 5000)
        client.connect(f'tcp://127.0.0.1:{port}')
        client.send_multipart([b'\x02S\x01\x00\x00\x00'])
        assert client.recv_multipart() == [b'error', b'no tree is running']
        other = _own_address()
        if other is not None:  # another interface of this machine: nothing listens there
            with socket.socket() as outside:
                outside.settimeout(2.0)
                assert outside.connect_ex((other, port)) != 0
    finally:
        context.destroy(linger=0)
        monitor.close()
    assert ('info', f'Groot2 monitor on tcp 127.0.0.1 port {port} (and {port + 1})') \
        in logger.lines


def test_an_address_that_is_not_one_turns_the_monitor_off_with_a_warning():
    logger = Logger()
    assert groot2_monitor.start(free_port_pair(), logger, '*:1;rm -rf /') is None
    assert logger.lines == [('warning', "Groot2 monitor off: groot2_address '*:1;rm -rf /' "
                                        'is not * or an address (letters, digits, ".", "-", '
                                        '":")')]


def test_a_port_in_use_turns_the_monitor_off_with_a_warning_naming_it():
    port, logger = free_port_pair(), Logger()
    first = groot2_monitor.start(port, logger, '127.0.0.1')
    try:
        assert groot2_monitor.start(port, logger, '127.0.0.1') is None
    finally:
        first.close()
    assert logger.lines[-1][0] == 'warning'
    assert f'cannot serve on 127.0.0.1 ports {port} and {port + 1}' in logger.lines[-1][1]

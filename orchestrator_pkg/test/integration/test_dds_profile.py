"""The stack's Fast DDS profile (config/fastdds.xml) as a real participant gets it."""
import shutil
import subprocess
import sys

import pytest

# the profile's receiveBufferSize
RECEIVE_BUFFER = 4 * 1024 * 1024

# a participant that reports its own sockets' receive buffers, as `ss` sees them
PROBE = r'''
import os, re, subprocess
import rclpy
rclpy.init()
node = rclpy.create_node('dds_profile_probe')
table = subprocess.run(['ss', '-u', '-a', '-m', '-p'], capture_output=True, text=True).stdout
lines = table.splitlines()
mine = f'pid={os.getpid()},'
sizes = [int(m.group(1)) for i, line in enumerate(lines[:-1]) if mine in line
         for m in [re.search(r'\brb(\d+)', lines[i + 1])] if m]
print(' '.join(map(str, sizes)))
node.destroy_node()
rclpy.shutdown()
'''


def _rmem_max() -> int:
    with open('/proc/sys/net/core/rmem_max') as f:
        return int(f.read())


@pytest.mark.skipif(shutil.which('ss') is None, reason='needs iproute2 ss')
def test_a_participant_gets_the_profiles_receive_buffers(ros_domain):
    env = ros_domain.env()
    assert env.get('FASTRTPS_DEFAULT_PROFILES_FILE', '').endswith('fastdds.xml'), env
    probe = subprocess.run([sys.executable, '-c', PROBE], env=env, capture_output=True,
                           text=True, timeout=60)
    assert probe.returncode == 0, probe.stderr
    sizes = [int(size) for size in probe.stdout.split()]
    assert sizes, f'no UDP socket of the participant in `ss`: {probe.stdout!r} {probe.stderr!r}'
    # the kernel caps a request at net.core.rmem_max and reports twice what it grants
    expected = 2 * min(RECEIVE_BUFFER, _rmem_max())
    # every receiving socket (discovery and user data, unicast) has the profile's
    # size; the one left at the default is Fast DDS's sending socket
    assert sorted(sizes)[-3:] == [expected] * 3, (sizes, expected)

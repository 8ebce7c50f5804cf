"""ROS domain IDs of this machine, claimed so that two users of one never meet.

A domain ID is claimed by binding a Linux abstract Unix socket named after
it. The kernel releases the name when the holder exits, even on a crash, and
nothing is written to the file system. Two test runs, two campaign workers or
two clones on one machine therefore always get different IDs. No rclpy: a
claim is made before any participant starts.

Users: ``orchestrator_pkg.testing.ros_domain`` (``make test``, the tests'
fixtures) and the local campaign backend (``orchestrator campaign``), one ID
per run.
"""
import itertools
import os
import socket

from orchestrator_pkg.ros_edge.dds import (
    DDS_PROFILE_VAR,
    DISCOVERY_RANGE_VAR,
    dds_profile,
    discovery_range,
)

# Fast DDS maps domain d and participant p to UDP ports 7400 + 250 * d + 10 + 2 * p
# (and + 11; ros_edge.dds.discovery_ports): at d = 232 only 62 participants fit
# under port 65535, and a two-robot stack with its tests' clients ran out
# ("Calculated port number is too high", fresh31). Up to d = 200 over 4,000 fit.
# IDs below FIRST are left to people's own ROS graphs.
FIRST_DOMAIN_ID = 101
LAST_DOMAIN_ID = 200
_PREFIX = 'orchestrator-ros-domain-'


class NoFreeDomainError(RuntimeError):
    """Every ROS domain ID in the range is claimed."""


class DomainClaim:
    """A claimed ROS domain ID; released by :meth:`release` or at exit."""

    def __init__(self, domain_id: int, sock: socket.socket):
        self.domain_id = domain_id
        self._sock = sock

    def env(self, base=None) -> dict:
        """Return a copy of ``base`` (default: os.environ) set up for this domain."""
        env = dict(os.environ if base is None else base)
        env['ROS_DOMAIN_ID'] = str(self.domain_id)
        env.pop('ROS_LOCALHOST_ONLY', None)  # deprecated in Jazzy
        if not env.get(DDS_PROFILE_VAR):
            profile = dds_profile()
            if profile:
                env[DDS_PROFILE_VAR] = profile
        env[DISCOVERY_RANGE_VAR] = discovery_range(env)  # this machine only, either way
        return env

    def release(self) -> None:
        """Give the ID back."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


_LAST_CLAIMED = {}  # domain ID -> when this process last claimed it
_CLAIM_COUNTER = itertools.count()


def claim_domain(first: int = FIRST_DOMAIN_ID, last: int = LAST_DOMAIN_ID,
                 avoid=()) -> DomainClaim:
    """Claim the lowest free domain ID in [first, last] not in ``avoid``.

    IDs this process has never claimed come first, then the least recently
    claimed: a test's leftover participant (a node that outlived its test)
    must not show up in the next test's graph (seen: a fault test counted
    another test's action clients), even after a long run has used every ID.
    """
    ids = [d for d in range(first, last + 1) if d not in avoid]
    for domain_id in sorted(ids, key=lambda d: _LAST_CLAIMED.get(d, -1)):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind('\0' + _PREFIX + str(domain_id))
        except OSError:
            sock.close()
            continue
        _LAST_CLAIMED[domain_id] = next(_CLAIM_COUNTER)
        return DomainClaim(domain_id, sock)
    raise NoFreeDomainError(
        f'all ROS domain IDs {first}..{last} are claimed by other runs on this machine')

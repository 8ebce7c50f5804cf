"""The stack's DDS settings for the processes it starts (no rclpy: ros_domain uses it)."""
import os

# Fast DDS participant defaults (a 1 s lease, so a killed node leaves the ROS graph
# within about 1 s; config/fastdds.xml, docs/reliability.md), read by every process
# started with this variable set: env.sh sets it, and so does a ROS domain of
# orchestrator_pkg.testing.ros_domain (tests, `make test`, `make demo`).
DDS_PROFILE_VAR = 'FASTRTPS_DEFAULT_PROFILES_FILE'
DISCOVERY_RANGE_VAR = 'ROS_AUTOMATIC_DISCOVERY_RANGE'
# how the stack's profile names its participant profile (to recognise the file)
PROFILE_MARK = 'profile_name="orchestrator_participant"'


def dds_profile() -> str:
    """Return the path of the stack's Fast DDS profile (installed share), or ''."""
    try:
        from ament_index_python.packages import (
            PackageNotFoundError,
            get_package_share_directory,
        )
        path = os.path.join(get_package_share_directory('orchestrator_pkg'), 'config',
                            'fastdds.xml')
    except (ImportError, PackageNotFoundError):
        return ''
    return path if os.path.isfile(path) else ''


def is_stack_profile(path: str) -> bool:
    """Whether ``path`` is the stack's Fast DDS profile (source or installed copy)."""
    try:
        with open(path, encoding='utf-8') as f:
            return PROFILE_MARK in f.read()
    except (OSError, UnicodeDecodeError, TypeError):
        return False


def discovery_range(env) -> str:
    """Return the ``ROS_AUTOMATIC_DISCOVERY_RANGE`` to run with ``env``'s Fast DDS profile.

    The stack's profile is localhost-only by itself (UDPv4 on 127.0.0.1, no shared
    memory: config/fastdds.xml says why). ``SYSTEM_DEFAULT`` keeps rmw_fastrtps
    from changing it: with ``LOCALHOST`` it would add its shared-memory transport
    back. With another profile, or none, ``LOCALHOST``.
    """
    return 'SYSTEM_DEFAULT' if is_stack_profile(env.get(DDS_PROFILE_VAR, '')) else 'LOCALHOST'


# The RTPS well-known ports (RTPS 2.2, 9.6.1.1): a participant of domain D with
# participant id P receives discovery traffic on PB + DG*D + d1 + PG*P, and user
# traffic on PB + DG*D + d3 + PG*P. It binds both.
PORT_BASE = 7400
DOMAIN_GAIN = 250
PARTICIPANT_GAIN = 2
METATRAFFIC_UNICAST_OFFSET = 10
USER_UNICAST_OFFSET = 11
# the ids a domain's ports leave room for before the next domain's (250 / 2, less d1)
MAX_PARTICIPANT_ID = 119
# addresses a participant reachable on 127.0.0.1 is bound to, as /proc/net/udp writes
# them: 127.0.0.1 (the stack's profile), 0.0.0.0 (Fast DDS's default transports)
REACHABLE_HEX = ('0100007F', '00000000')


def discovery_ports(domain_id: int) -> range:
    """Return the discovery (metatraffic unicast) ports of a domain's participants."""
    first = PORT_BASE + DOMAIN_GAIN * domain_id + METATRAFFIC_UNICAST_OFFSET
    return range(first, first + PARTICIPANT_GAIN * (MAX_PARTICIPANT_ID + 1), PARTICIPANT_GAIN)


def participants_in_table(table: str, domain_id: int) -> int:
    """Count the participants of ``domain_id`` reachable on 127.0.0.1 in a /proc/net/udp text.

    A participant counts when both its ports are bound: its discovery port and
    the user-traffic port beside it. The kernel hands out ephemeral ports
    (any other socket's, 32768-60999 here) from the same range as domains above
    about 100, so one bound port alone may be nobody's participant.
    """
    bound = set()
    for line in table.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 2 or ':' not in fields[1]:
            continue
        address, _, port = fields[1].partition(':')
        try:
            number = int(port, 16)
        except ValueError:
            continue
        if address in REACHABLE_HEX:
            bound.add(number)
    user_shift = USER_UNICAST_OFFSET - METATRAFFIC_UNICAST_OFFSET
    return sum(1 for port in discovery_ports(domain_id)
               if port in bound and port + user_shift in bound)


def local_participants(env, table_path: str = '/proc/net/udp'):
    """Return how many DDS participants of the domain listen on this machine, or None.

    Only with the stack's profile (env's ``FASTRTPS_DEFAULT_PROFILES_FILE``):
    its discovery is UDP on 127.0.0.1 only, so every participant that can be
    discovered has its port here. None when that is not so, or the table
    cannot be read (another OS): the caller then looks in the ROS graph.
    """
    if not is_stack_profile(env.get(DDS_PROFILE_VAR, '')):
        return None
    try:
        domain_id = int(env.get('ROS_DOMAIN_ID', '') or 0)
        with open(table_path, encoding='ascii') as f:
            table = f.read()
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not 0 <= domain_id <= 232:
        return None
    return participants_in_table(table, domain_id)

"""``ros_edge.dds``: the participants of a domain, counted from a /proc/net/udp table."""
from orchestrator_pkg.ros_edge import dds

HEADER = ('   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  '
          'timeout inode ref pointer drops')


def _row(address: str, port: int) -> str:
    return (f'  12: {address}:{port:04X} 00000000:0000 07 00000000:00000000 00:00000000 '
            '00000000     0        0 4242 2 0000000000000000 0')


def test_the_ports_follow_the_rtps_well_known_port_formula():
    ports = dds.discovery_ports(101)
    assert ports[0] == 7400 + 250 * 101 + 10
    assert ports[1] - ports[0] == 2
    assert ports[-1] < dds.discovery_ports(102)[0]  # domains never share a port


def _participant(address: str, domain_id: int, participant_id: int) -> list:
    """Return the two rows a participant binds: discovery, and user traffic beside it."""
    port = 7410 + 250 * domain_id + 2 * participant_id
    return [_row(address, port), _row(address, port + 1)]


def test_participants_of_the_domain_on_localhost_or_any_address_are_counted():
    table = '\n'.join([HEADER,
                       *_participant('0100007F', 101, 0),   # ours
                       *_participant('0100007F', 101, 1),   # another participant
                       *_participant('00000000', 101, 2),   # default transports
                       *_participant('0100007F', 102, 0),   # another domain
                       *_participant('0A000001', 101, 3),   # another interface
                       'garbage', '  13: 0100007F:ZZZZ 00000000:0000 07'])
    assert dds.participants_in_table(table, 101) == 3
    assert dds.participants_in_table(table, 102) == 1
    assert dds.participants_in_table(HEADER, 101) == 0


def test_a_lone_socket_on_a_discovery_port_is_not_a_participant():
    # domains above about 100 share ports with the kernel's ephemeral range: any
    # socket may land on one of a domain's discovery ports, or on a user port
    first = 7410 + 250 * 101
    table = '\n'.join([HEADER, *_participant('0100007F', 101, 0),
                       _row('0100007F', first + 4),        # a discovery port alone
                       _row('0100007F', first + 2 * 7 + 1)])  # a user port alone
    assert dds.participants_in_table(table, 101) == 1


def test_local_participants_needs_the_stacks_profile_and_a_readable_table(tmp_path):
    profile = tmp_path / 'fastdds.xml'
    profile.write_text(f'<participant {dds.PROFILE_MARK}/>')
    table = tmp_path / 'udp'
    table.write_text('\n'.join([HEADER, *_participant('0100007F', 7, 0)]))
    env = {dds.DDS_PROFILE_VAR: str(profile), 'ROS_DOMAIN_ID': '7'}
    assert dds.local_participants(env, str(table)) == 1
    # another profile (discovery may reach other machines), or no table: unknown
    assert dds.local_participants({'ROS_DOMAIN_ID': '7'}, str(table)) is None
    assert dds.local_participants(env, str(tmp_path / 'missing')) is None
    assert dds.local_participants({**env, 'ROS_DOMAIN_ID': 'x'}, str(table)) is None
    assert dds.local_participants({**env, 'ROS_DOMAIN_ID': ''}, str(table)) == 0  # domain 0

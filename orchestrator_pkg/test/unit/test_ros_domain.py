"""The ROS domain allocator gives concurrent runs distinct IDs."""
import os
import signal
import subprocess
import sys

import pytest

from orchestrator_pkg.ros_edge import dds
from orchestrator_pkg.testing.ros_domain import LAST_DOMAIN_ID, NoFreeDomainError, claim_domain


def test_two_claims_get_different_ids_and_release_frees():
    with claim_domain() as first, claim_domain() as second:
        assert first.domain_id != second.domain_id
        held = first.domain_id
    with claim_domain(first=held, last=held) as again:
        assert again.domain_id == held


def test_claim_held_by_another_process_is_skipped():
    # Other test runs may hold IDs too, so only "not mine, and after mine" is certain.
    # Mine is below the top of the range: IDs are reused least recently claimed first,
    # so late in a long run the default claim can be the last ID, with none after it
    # (fresh27).
    with claim_domain(last=LAST_DOMAIN_ID - 16) as mine:
        # other runs on the machine may hold the next IDs too: only ours must be skipped
        code = ('from orchestrator_pkg.testing.ros_domain import claim_domain\n'
                f'c = claim_domain(first={mine.domain_id})\n'
                'print(c.domain_id)\n')
        out = subprocess.run([sys.executable, '-c', code], capture_output=True,
                             text=True, check=True).stdout
        assert int(out.strip().splitlines()[-1]) > mine.domain_id


def test_exhausted_range_raises():
    with claim_domain() as held:
        with pytest.raises(NoFreeDomainError):
            claim_domain(first=held.domain_id, last=held.domain_id)


def test_env_sets_domain_and_discovery_on_this_machine_only():
    with claim_domain() as claim:
        env = claim.env({'ROS_LOCALHOST_ONLY': '1'})
        # another profile: rmw_fastrtps's LOCALHOST
        other = claim.env({'FASTRTPS_DEFAULT_PROFILES_FILE': '/nonexistent/profile.xml'})
    assert env['ROS_DOMAIN_ID'] == str(claim.domain_id)
    assert 'ROS_LOCALHOST_ONLY' not in env
    # the stack's profile is localhost-only UDP by itself: rmw must leave it as it is
    assert dds.is_stack_profile(env['FASTRTPS_DEFAULT_PROFILES_FILE'])
    assert env['ROS_AUTOMATIC_DISCOVERY_RANGE'] == 'SYSTEM_DEFAULT'
    assert other['ROS_AUTOMATIC_DISCOVERY_RANGE'] == 'LOCALHOST'


def test_the_stack_profile_keeps_dds_on_127_0_0_1_without_shared_memory():
    import xml.etree.ElementTree as ET
    ns = {'d': 'http://www.eprosima.com/XMLSchemas/fastRTPS_Profiles'}
    root = ET.parse(dds.dds_profile()).getroot()
    transports = root.findall('.//d:transport_descriptor', ns)
    assert [t.find('d:type', ns).text for t in transports] == ['UDPv4']
    assert [a.text for a in transports[0].findall('.//d:interfaceWhiteList/d:address', ns)] \
        == ['127.0.0.1']
    rtps = root.find('.//d:participant/d:rtps', ns)
    assert rtps.find('d:useBuiltinTransports', ns).text == 'false'
    for where in ('metatrafficUnicastLocatorList', 'initialPeersList'):
        addresses = [a.text for a in rtps.findall(f'd:builtin/d:{where}//d:address', ns)]
        assert addresses == ['127.0.0.1'], where


def test_a_released_domain_is_not_handed_out_again_while_others_are_free():
    with claim_domain(first=220, last=223) as first:
        pass
    with claim_domain(first=220, last=223) as second:
        assert second.domain_id != first.domain_id
    # once every ID has been used, a released one is reused rather than failing,
    # the least recently used first (a long test run has used every ID)
    with claim_domain(first=220, last=223) as third:
        assert third.domain_id not in (first.domain_id, second.domain_id)
    with claim_domain(first=220, last=223) as fourth:
        assert fourth.domain_id not in (first.domain_id, second.domain_id, third.domain_id)
    with claim_domain(first=220, last=223) as fifth:
        assert fifth.domain_id == first.domain_id
    with claim_domain(first=220, last=223) as sixth:
        assert sixth.domain_id == second.domain_id
    claims = [claim_domain(first=220, last=223) for _ in range(4)]
    try:
        assert sorted(c.domain_id for c in claims) == [220, 221, 222, 223]
    finally:
        for claim in claims:
            claim.release()


def _signal_the_wrapped_command(signum, exit_code, send):
    """Run a command that exits ``exit_code`` on ``signum`` under the wrapper; ``send`` the signal.

    ``send(proc)`` signals the wrapper once the command is ready. Returns the
    wrapper's exit code and its output.
    """
    child = ('import signal, sys, time\n'
             f'signal.signal({int(signum)}, lambda *_: sys.exit({exit_code}))\n'
             'print("ready", flush=True)\n'
             'time.sleep(30)\n')
    proc = subprocess.Popen([sys.executable, '-m', 'orchestrator_pkg.testing.ros_domain', '--',
                             sys.executable, '-c', child], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        lines = []
        while not lines or lines[-1].strip() != 'ready':
            line = proc.stdout.readline()
            assert line, ''.join(lines)
            lines.append(line)
        send(proc)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    return proc.returncode, ''.join(lines) + out


def test_ctrl_c_is_left_to_the_command_and_its_exit_code_returned():
    # Ctrl-C in a terminal reaches the wrapper and CMD (one process group): the
    # wrapper prints no traceback and returns what CMD chose to exit with
    code, out = _signal_the_wrapped_command(
        signal.SIGINT, 3, lambda proc: os.killpg(proc.pid, signal.SIGINT))
    assert code == 3, out
    assert 'Traceback' not in out, out


def test_sigterm_to_the_wrapper_reaches_the_command_which_is_not_left_behind():
    # timeout(1) and CI runners send SIGTERM to the wrapper alone, not its group
    code, out = _signal_the_wrapped_command(
        signal.SIGTERM, 4, lambda proc: proc.send_signal(signal.SIGTERM))
    assert code == 4, out  # the command's own exit code
    assert 'Traceback' not in out, out


def test_a_command_killed_by_a_signal_exits_as_a_shell_reports_it():
    proc = subprocess.run([sys.executable, '-m', 'orchestrator_pkg.testing.ros_domain', '--',
                           sys.executable, '-c', 'import os, signal; os.kill(os.getpid(), 9)'],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 128 + 9, proc.stdout + proc.stderr

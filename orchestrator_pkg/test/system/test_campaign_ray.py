"""System test: a BARN campaign on a local Ray instance with two CPUs.

A Ray head (``ray start --head --num-cpus 2``, token authentication on) and
``orchestrator barn --indices 20 --runs 4 --ray HOST:PORT`` on the committed
BARN world 20 (seeds 0-3), the BARN command as a front for a campaign of those
four short runs: each run is a Ray task
declaring one CPU, so two run at a time, each in a ROS domain its task claims.

Mid-run, one run's stack is killed outright (SIGKILL to its command's
session): that run gets an error row and is tried once more, the killed
stack's nodes stop (they get SIGINT from the kernel when their runner dies),
and the campaign ends with every run's final row, not a hang. ``--out`` has
the four runs and their means as ``orchestrator barn`` in one process writes
them.
"""
import json
import os
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import time

import pytest

from orchestrator_pkg.testing.processes import ManagedProcess

KILLED = 'rpp/world_20/run_1'  # the second run to start: on the other CPU
RUN_IDS = [f'rpp/world_20/run_{k}' for k in range(4)]

HEAD_WAIT_S = 60.0
CAMPAIGN_WAIT_S = 420.0
STACK_UP_S = 8.0  # wall seconds after its command starts: its stack's nodes are running


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture
def ray_head(ros_domain):
    """Start a Ray head of two CPUs on this machine; yield its address and the env to reach it."""
    temp = tempfile.mkdtemp(prefix='ray')  # short: Ray's socket paths live under it
    port = _free_port()
    env = ros_domain.env()
    env.update(RAY_AUTH_MODE='token', RAY_AUTH_TOKEN=secrets.token_hex(32))
    ray = os.path.join(os.path.dirname(sys.executable), 'ray')
    head = ManagedProcess([ray, 'start', '--head', '--block', '--num-cpus', '2',
                           '--port', str(port), '--node-ip-address', '127.0.0.1',
                           '--include-dashboard', 'false', '--disable-usage-stats',
                           '--object-store-memory', str(100 * 2 ** 20), '--temp-dir', temp],
                          env=env, stop_timeout_s=60.0)
    try:
        with head:
            head.expect_output('Ray runtime started', HEAD_WAIT_S)
            yield f'127.0.0.1:{port}', env
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def _rows(out):
    path = out / 'results.jsonl'
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _command_of(run_folder):
    """Return the PID of the process whose command line writes into ``run_folder``, or None."""
    needle = str(run_folder).encode()
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/cmdline', 'rb') as f:
                cmdline = f.read()
        except OSError:
            continue
        if needle in cmdline and b'orchestrator_pkg.cli' in cmdline:
            return int(entry)
    return None


def _children(pid):
    found = []
    try:
        for task in os.listdir(f'/proc/{pid}/task'):
            with open(f'/proc/{pid}/task/{task}/children') as f:
                found += [int(child) for child in f.read().split()]
    except OSError:
        pass
    return found


def _gone(pid):
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] == 'Z'
    except FileNotFoundError:
        return True


@pytest.mark.timeout(HEAD_WAIT_S + CAMPAIGN_WAIT_S + 120)
def test_four_runs_on_ray_and_a_killed_stack_is_an_error_row_and_a_retry(ray_head, tmp_path,
                                                                       barn_world_20):
    address, env = ray_head
    out = tmp_path / 'campaign'
    campaign = ManagedProcess([sys.executable, '-m', 'orchestrator_pkg.cli', 'barn',
                               '--worlds', str(barn_world_20), '--indices', '20', '--runs', '4',
                               '--time-limit-s', '60',
                               '--ray', address, '--campaign-dir', str(out),
                               '--out', str(tmp_path / 'barn.json')],
                              env=env, stop_timeout_s=120.0)
    killed_folder = out / 'runs' / KILLED.replace('/', '__')
    with campaign:
        # kill the run's stack once it is up: its command (a Ray worker's child)
        # and, with it, its session; the stack's nodes are in process groups of their own
        deadline = time.monotonic() + CAMPAIGN_WAIT_S
        command = None
        while command is None:
            assert time.monotonic() < deadline and campaign.poll() is None, campaign.output()
            command = _command_of(killed_folder)
            time.sleep(0.2)
        time.sleep(STACK_UP_S)
        nodes = _children(command)
        assert len(nodes) >= 4, (nodes, campaign.output())  # sim, base driver, nav, ...
        assert not _rows(out) or all(r['id'] != KILLED for r in _rows(out)), _rows(out)
        os.killpg(command, signal.SIGKILL)
        code = campaign.wait(CAMPAIGN_WAIT_S)
        output = campaign.output()
    assert code == 0, output
    assert 'campaign barn: barn, 4 runs (0 done already), 1 variant(s), 2 at a time on ' \
        f'Ray cluster at {address}' in output, output
    # the killed stack's nodes stopped (SIGINT from the kernel), none left running
    still = [pid for pid in nodes if not _gone(pid)]
    assert not still, still

    rows = _rows(out)
    assert len(rows) == 5, rows  # four runs, one of them twice
    killed = [row for row in rows if row['id'] == KILLED]
    assert [row['attempt'] for row in killed] == [1, 2], killed
    assert killed[0]['status'] == 'error' and not killed[0]['final'], killed[0]
    assert killed[0]['exit_code'] == -signal.SIGKILL, killed[0]
    assert 'no result from the run' in killed[0]['detail'], killed[0]
    finals = [row for row in rows if row['final']]
    assert sorted(row['id'] for row in finals) == RUN_IDS
    # each a real BARN outcome in its own sim, none an error
    assert all(row['status'] in ('succeeded', 'collided', 'timeout') for row in finals), finals
    assert all(row['host'] == socket.gethostname() for row in rows), rows
    # two at a time: some pair of runs overlapped, never more than two
    spans = [(row['started_s'], row['ended_s']) for row in rows]
    most = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    assert most == 2, spans
    summary = json.loads((out / 'summary.json').read_text())
    assert summary['done'] == 4, summary
    assert (out / 'report.html').exists()
    # orchestrator barn's own result file: the four runs, in order, and their means
    barn = json.loads((tmp_path / 'barn.json').read_text())
    assert [(r['world'], r['run']) for r in barn['runs']] == [(20, k) for k in range(4)]
    by_id = {row['id']: row for row in finals}
    assert [r['status'] for r in barn['runs']] == [by_id[i]['status'] for i in RUN_IDS]
    assert barn['means']['runs'] == 4 and 'means over 4 runs (1 worlds)' in output, output

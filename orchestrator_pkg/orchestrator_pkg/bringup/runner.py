"""Run the nodes of a bringup as processes: logs, respawn, ordered shutdown.

The runner is what ``orchestrator run`` uses where ROS launch is absent. It
follows launch's semantics for what it supports: each node is its own
process started with ``--ros-args``; ``respawn``/``respawn_delay_s``/
``respawn_max_retries`` as in launch_ros; a ``required`` node that exits for
good shuts everything down (launch's ``on_exit=Shutdown()``).

Shutdown order: first the ``before_shutdown`` hook (``orchestrator run``
engages the robots' e-stops and sends zero velocity there), then SIGINT to the robot-scope nodes,
then to the world-scope nodes (the sim last, so it keeps stepping while the
robots stop), each group given the grace period before SIGKILL.

It never blocks for long: :meth:`Runner.poll` is called in a loop.
"""
import collections
import ctypes
import hashlib
import os
import signal
import subprocess
import tempfile
import threading
import time
from typing import Callable, Dict, List, Optional

import yaml

from orchestrator_pkg.bringup.description import NodeLaunch

_PR_SET_PDEATHSIG = 1
_prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up here, not in a forked child


def stop_with_parent() -> None:
    """In a child process before it starts (``preexec_fn``): SIGINT it when its parent dies.

    A runner (or a campaign) killed outright, by SIGKILL or the out-of-memory
    killer, has no shutdown of its own; its nodes then still stop as on Ctrl-C
    (base_driver zeroing the robot's command) instead of running on, a sim
    stepping for nobody (Linux ``PR_SET_PDEATHSIG``). The parent is the thread
    that started the child: the runner's nodes are started by the thread that
    polls it.

    It also unblocks every signal: a child inherits its parent's signal mask,
    and a Ray worker runs its tasks with SIGINT blocked, so a run's command
    started there, and every node it started, never saw a SIGINT (the
    campaign's Ctrl-C, the runner's stop, this parent-death signal: all left
    pending; test_campaign_ray.py found the nodes running on).
    """
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    _prctl(_PR_SET_PDEATHSIG, int(signal.SIGINT), 0, 0, 0)


def parameter_value(value) -> str:
    """Encode a value for ``-p name:=value`` (rcl parses it as YAML)."""
    text = yaml.safe_dump(value, default_flow_style=True, width=1 << 20).strip()
    if text.endswith('\n...'):
        text = text[:-4]
    return text.removesuffix('...').strip()


_ANY_NAMESPACE_DIR: List[str] = []


def any_namespace_parameter_file(path: str) -> str:
    """Return a copy of a parameter file whose node keys match in any namespace.

    rcl matches a key such as ``planner_server`` only against the node
    ``/planner_server``: in ``/robot2`` the file would silently not apply. The
    copy keys it ``/**/planner_server`` (rcl's wildcard), which matches the node
    in every namespace. Keys that already start with ``/`` are kept.
    """
    if not _ANY_NAMESPACE_DIR:
        _ANY_NAMESPACE_DIR.append(tempfile.mkdtemp(prefix='orchestrator-params-'))
    with open(path) as f:
        data = yaml.safe_load(f) or {}
    rekeyed = {(key if str(key).startswith('/') else f'/**/{key}'): value
               for key, value in data.items()}
    digest = hashlib.sha1(os.path.abspath(path).encode()).hexdigest()[:10]
    out = os.path.join(_ANY_NAMESPACE_DIR[0], f'{digest}_{os.path.basename(path)}')
    with open(out, 'w') as f:
        yaml.safe_dump(rekeyed, f, sort_keys=False)
    return out


def node_command(executable, launch: NodeLaunch) -> List[str]:
    """Return a launch's command: its executable and ``--ros-args`` (a container's: its nodes')."""
    command = [executable(launch.node.package, launch.node.executable)]
    if launch.components:
        from orchestrator_pkg.nodes.components import container_arguments
        return command + container_arguments(
            [(c.node.executable, ros_arguments(c)) for c in launch.components])
    return command + ros_arguments(launch)


def ros_arguments(launch: NodeLaunch) -> List[str]:
    """Build the ``--ros-args`` part of a node's command line."""
    args = ['--ros-args', '-r', f'__node:={launch.node.name}']
    if launch.namespace:
        args += ['-r', f'__ns:=/{launch.namespace}']
    for path in launch.parameter_files:
        if launch.namespace:
            path = any_namespace_parameter_file(path)
        args += ['--params-file', path]
    for name, value in launch.overrides.items():
        args += ['-p', f'{name}:={parameter_value(value)}']
    for src, dst in launch.node.remappings:
        args += ['-r', f'{src}:={dst}']
    return args


RECENT_LINES = 8  # of a node's output, shown when it exits unexpectedly
KEPT_LINES = 80  # of a node's output kept: a hung node's stack dump is shown whole
# a node that exited this recently was lost for that (and respawned): not a stalled one.
# lifecycle_manager_navigation (config/lifecycle.yaml) declares a loss within the DDS
# lease (1 s) and two watch rounds (1 s each); an exit longer ago than that is another loss
RECENT_EXIT_S = 5.0
STACK_DUMP_WAIT_S = 0.5  # after SIGUSR1, for a hung node to print its stacks before SIGKILL


def respawn_delay(policy, retries_used: int) -> float:
    """Return the wait before a node's next start, ``retries_used`` respawns in a row so far.

    ``respawn_delay_s`` times ``respawn_backoff`` per earlier respawn in the
    row, at most ``respawn_max_delay_s``: a node that keeps crashing (a bad
    sensor, a bad parameter) is started less and less often, not in a tight loop.
    """
    delay = policy.respawn_delay_s * policy.respawn_backoff ** max(0, retries_used)
    return min(delay, max(policy.respawn_max_delay_s, policy.respawn_delay_s))


def _ran_healthy(node, policy, now: float) -> bool:
    """Whether the exited process ran ``respawn_reset_after_s`` (its failures start over)."""
    return (policy.respawn_reset_after_s > 0 and node.started_at is not None
            and now - node.started_at >= policy.respawn_reset_after_s)


class ManagedNode:
    """One node's process and its respawn bookkeeping.

    Every line the process prints goes to ``output(label, line)`` whole (one
    reader thread per process); the last few are kept in ``recent``.
    """

    def __init__(self, launch: NodeLaunch, command: List[str], env=None,
                 output: Optional[Callable[[str, str], None]] = None):
        self.launch = launch
        self.command = command
        self.env = env
        self._output = output or (lambda label, line: print(f'[{label}] {line}'))
        self.recent: collections.deque = collections.deque(maxlen=KEPT_LINES)
        self.lines = 0  # printed so far
        self.process: Optional[subprocess.Popen] = None
        self.starts = 0
        self.exit_codes: List[int] = []
        self.respawn_at: Optional[float] = None
        self.started_at: Optional[float] = None  # runner clock, of the latest start
        self.failures = 0  # exits in a row, each within respawn_reset_after_s of its start
        self.finished = False  # exited and will not be respawned
        self.exited_at: Optional[float] = None  # runner clock, of the latest exit
        self._readers: List[threading.Thread] = []

    @property
    def label(self) -> str:
        """Log prefix of this node."""
        return self.launch.label

    def start(self, now: Optional[float] = None) -> None:
        """Start (or restart) the process; its output goes to ``output`` line by line."""
        self.started_at = now
        self._output(self.label, f'[runner] start {self.starts + 1}: {" ".join(self.command)}')
        self.process = subprocess.Popen(
            self.command, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, process_group=0, preexec_fn=stop_with_parent)
        self.starts += 1
        self.respawn_at = None
        reader = threading.Thread(target=self._pump, args=(self.process,), daemon=True,
                                  name=f'log-{self.label}')
        reader.start()
        self._readers.append(reader)

    def _pump(self, process) -> None:
        for raw in iter(process.stdout.readline, b''):
            line = raw.decode('utf-8', 'replace').rstrip()
            self.recent.append(line)
            self.lines += 1
            self._output(self.label, line)
        process.stdout.close()

    def running(self) -> bool:
        """Whether the process is alive."""
        return self.process is not None and self.process.poll() is None

    def signal(self, sig) -> None:
        """Send a signal to the node's process group."""
        if self.running():
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                pass

    def join_output(self, timeout_s: float = 1.0) -> None:
        """Wait briefly for the log threads to drain."""
        for reader in self._readers:
            reader.join(timeout_s)


class Runner:
    """Start nodes, respawn them per policy, and stop them in order."""

    def __init__(self, launches: List[NodeLaunch], executable: Callable[[str, str], str],
                 grace_period_s: float = 5.0, env=None, output: Callable[[str], None] = print,
                 clock: Callable[[], float] = time.monotonic,
                 node_output: Optional[Callable[[str, str], None]] = None,
                 on_exit: Optional[Callable[[NodeLaunch, int], None]] = None):
        """Make the nodes; the runner says what it does on ``output``.

        Each node's lines go to ``node_output(label, line)`` (default: ``output``
        with a ``[label]`` prefix), e.g. :class:`~orchestrator_pkg.bringup.terminal.NodeLogs`.
        ``on_exit(launch, code)`` is called the moment :meth:`poll` finds a node's
        process gone (before any respawn), while the run is not stopping; it can
        be set later as the attribute ``on_exit``.
        """
        self._executable = executable
        self._grace_period_s = grace_period_s
        self._output = output
        self._clock = clock
        self.nodes: List[ManagedNode] = []
        for launch in launches:
            command = node_command(executable, launch)
            self.nodes.append(ManagedNode(
                launch, command, env=env,
                output=node_output or (lambda label, line: output(f'[{label}] {line}'))))
        self.fatal: Optional[str] = None
        self.stopping = False
        self.on_exit = on_exit

    def start(self) -> None:
        """Start every node, world scope first (file order within a scope)."""
        self._output(f'[runner] starting {len(self.nodes)} node(s): '
                     + ', '.join(node.label for node in self.nodes))
        for node in self.nodes:
            node.start(self._clock())

    def poll(self) -> Optional[str]:
        """Handle exits and due respawns; return a fatal reason once one occurred."""
        now = self._clock()
        for node in self.nodes:
            if node.finished or self.stopping:
                continue
            if node.respawn_at is not None:
                if now >= node.respawn_at:
                    self._output(f'[runner] respawning {node.label} '
                                 f'(start {node.starts + 1})')
                    node.start(now)
                continue
            if node.process is None or node.process.poll() is None:
                continue
            code = node.process.returncode
            node.exit_codes.append(code)
            node.exited_at = now
            if self.on_exit is not None:
                self.on_exit(node.launch, code)
            policy = node.launch.node
            node.failures = 1 + (0 if _ran_healthy(node, policy, now) else node.failures)
            retries_used = node.failures - 1
            if policy.respawn and (policy.respawn_max_retries < 0
                                   or retries_used < policy.respawn_max_retries):
                delay = respawn_delay(policy, retries_used)
                node.respawn_at = now + delay
                self._output(f'[runner] {node.label} exited with code {code}; respawn in '
                             f'{delay:g} s')
                self._show_recent(node)
                continue
            node.finished = True
            if policy.respawn:
                self._output(f'[runner] {node.label} exited with code {code}; not respawned: '
                             f'{retries_used} respawn(s) in a row used '
                             f'(respawn_max_retries {policy.respawn_max_retries})')
            else:
                self._output(f'[runner] {node.label} exited with code {code}')
            self._show_recent(node)
            if policy.required and self.fatal is None:
                self.fatal = f'required node {node.label} exited with code {code}'
        return self.fatal

    def _show_recent(self, node: ManagedNode) -> None:
        """Say what a node printed last before it exited on its own (a crash's traceback)."""
        if node.recent and node.process is not None and node.process.returncode != 0:
            self._output(f'[runner] the last lines of {node.label}:\n'
                         + '\n'.join(f'    {line}' for line in list(node.recent)[-RECENT_LINES:]))

    def look_at_unreachable(self, namespace: str, name: str) -> str:
        """Say whether a node others lost on the ROS graph still has a live process.

        A lifecycle manager sees only the graph: a node that left it may have
        exited (the runner respawns it, or said why not) or may be running but
        unreachable (stalled, or lost to DDS discovery), which respawn does not
        cure. For a live process, its threads' states (from /proc) are returned
        and SIGUSR1 asks it for its Python stacks (run_node's faulthandler),
        which go to its log. '' when the node is not the runner's, not running, or
        exited within :data:`RECENT_EXIT_S` (the runner said so; a process running
        now is its respawn, not a stalled one).
        """
        node = self._find(namespace, name)
        if node is None or not node.running() or (
                node.exited_at is not None and self._clock() - node.exited_at < RECENT_EXIT_S):
            return ''
        pid = node.process.pid
        threads = thread_states(pid)
        node.signal(signal.SIGUSR1)
        return (f'{node.label}\'s process (pid {pid}) is still running, unreachable on the ROS '
                f'graph (threads: {threads or "unknown"}); the stacks of its Python threads '
                'are in its log')

    def restartable(self, namespace: str, name: str) -> bool:
        """Whether :meth:`restart_unreachable` may kill it: running, respawned, not stopped."""
        node = self._find(namespace, name)
        return (node is not None and node.running() and node.launch.node.respawn
                and not _stopped(node.process.pid))

    def restart_unreachable(self, namespace: str, name: str, lost_for_s: float) -> str:
        """Kill a node still unreachable ``lost_for_s`` after its loss, for its respawn.

        The caller (``orchestrator run``'s session) judges the loss: the lifecycle
        manager declared the node dead and it has not answered since.

        A process lost to DDS discovery stays lost while it runs: the others
        dropped its participant (its announcements stopped, seen when Fast DDS's
        event thread wedged: rmw_fastrtps#695), it is not found again, and it
        waits for messages that no longer come. Its respawn policy cures that,
        as it cures a crash: the process is killed and :meth:`poll` respawns it.
        A stopped process (SIGSTOP, a debugger: a thread in state T) is left to
        whoever stopped it, and so is a node without ``respawn``. Return what
        was done, or '' (not the runner's node, not running, stopped, or not
        respawned).
        """
        if not self.restartable(namespace, name):
            return ''
        node = self._find(namespace, name)
        pid = node.process.pid
        node.signal(signal.SIGKILL)
        return (f'{node.label}\'s process (pid {pid}) still unreachable on the ROS graph '
                f'{lost_for_s:.0f} s after its loss: killed, for its respawn')

    def _find(self, namespace: str, name: str) -> Optional[ManagedNode]:
        return next((n for n in self.nodes if n.launch.namespace == namespace
                     and name in n.launch.node_names), None)

    def shutdown(self, before_shutdown: Optional[Callable[[], None]] = None) -> Dict[str, int]:
        """Stop everything in order; return each node's last exit code."""
        self.stopping = True
        if before_shutdown is not None:
            try:
                before_shutdown()
            except Exception as exc:  # the nodes must still be stopped
                self._output(f'[runner] before-shutdown step failed: {exc}')
        robot = [n for n in self.nodes if n.launch.node.scope == 'robot']
        world = [n for n in self.nodes if n.launch.node.scope == 'world']
        for group in (list(reversed(robot)), list(reversed(world))):
            self._stop_group(group)
        codes = {}
        for node in self.nodes:
            node.join_output()
            if node.process is not None:
                codes[node.label] = node.process.returncode
        return codes

    def _stop_group(self, group: List[ManagedNode]) -> None:
        for node in group:
            node.signal(signal.SIGINT)
        deadline = time.monotonic() + self._grace_period_s
        for node in group:
            if node.process is None:
                continue
            try:
                node.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._output(f'[runner] {node.label} did not stop within '
                             f'{self._grace_period_s:g} s; killing it (the stacks of its '
                             'threads are in its log)')
                # run_node's faulthandler prints where every thread is, for the post-mortem
                before = node.lines
                node.signal(signal.SIGUSR1)
                try:
                    node.process.wait(timeout=STACK_DUMP_WAIT_S)
                except subprocess.TimeoutExpired:
                    pass
                node.signal(signal.SIGKILL)
                node.process.wait(timeout=5)
                node.join_output()
                dump = list(node.recent)[-min(node.lines - before, KEPT_LINES):] \
                    if node.lines > before else []
                if dump:  # where it hung, also where only the terminal is kept (CI)
                    self._output(f'[runner] where {node.label} was when killed:\n'
                                 + '\n'.join(f'    {line}' for line in dump))


def thread_states(pid: int) -> str:
    """Each thread of a process as ``name STATE`` from /proc, equal ones counted.

    STATE is the kernel's letter (R running, S sleeping, D in the kernel, T
    stopped): e.g. ``python S x5, dds.ev.0 T``. '' where /proc has no such
    process (or no /proc).
    """
    counts: Dict[str, int] = {}
    for name, state in _threads(pid):
        key = f'{name} {state}'
        counts[key] = counts.get(key, 0) + 1
    return ', '.join(key if n == 1 else f'{key} x{n}' for key, n in counts.items())


def _stopped(pid: int) -> bool:
    """Whether a thread of the process is stopped (T: by a signal, t: by a debugger)."""
    return any(state in ('T', 't') for _, state in _threads(pid))


def _threads(pid: int) -> List[tuple]:
    """(name, state letter) of each thread of a process, from /proc; [] without one."""
    try:
        tids = sorted(os.listdir(f'/proc/{pid}/task'), key=int)
    except OSError:
        return []
    threads = []
    for tid in tids:
        try:
            with open(f'/proc/{pid}/task/{tid}/stat') as f:
                stat = f.read()
        except OSError:
            continue  # the thread ended meanwhile
        threads.append((stat[stat.find('(') + 1:stat.rfind(')')],
                        stat[stat.rfind(')') + 1:].split()[0]))
    return threads


def ament_executable(package: str, executable: str) -> str:
    """Find a ROS package's executable, as ``ros2 run`` does."""
    from ament_index_python.packages import PackageNotFoundError, get_package_prefix
    try:
        prefix = get_package_prefix(package)
    except PackageNotFoundError:
        raise FileNotFoundError(f'package {package!r} is not installed '
                                '(run `make setup` and `source env.sh`)') from None
    path = os.path.join(prefix, 'lib', package, executable)
    if not os.access(path, os.X_OK):
        raise FileNotFoundError(f'package {package!r} has no executable {executable!r} '
                                f'(looked for {path})')
    return path


def main_loop(runner: Runner, should_stop: Callable[[], bool], period_s: float = 0.1) -> str:
    """Poll until ``should_stop()`` or a fatal exit; return why it stopped."""
    while True:
        fatal = runner.poll()
        if fatal:
            return fatal
        if should_stop():
            return ''
        time.sleep(period_s)



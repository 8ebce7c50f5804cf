"""Start real processes for integration and system tests, and always clean up.

``with ManagedProcess([...], env=...) as proc:`` starts the process in its
own process group, and on exit sends SIGINT, waits up to ``stop_timeout_s``,
then SIGKILLs the group. The exit code and the captured output are kept on
the object, so a test can check them after shutdown.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time


class ManagedProcess:
    """A subprocess that is stopped (SIGINT, then SIGKILL) when the block ends."""

    def __init__(self, cmd, env=None, stop_timeout_s: float = 10.0, cwd=None):
        self.cmd = [str(c) for c in cmd]
        self.env = env
        self.cwd = cwd
        self.stop_timeout_s = stop_timeout_s
        self.returncode = None
        self.killed = False
        self._proc = None
        self._log = None

    @classmethod
    def python(cls, script, *args, **kwargs):
        """Run a Python file or ``-m module`` with this interpreter."""
        return cls([sys.executable, *([script] if script else []), *args], **kwargs)

    def start(self):
        """Start the process; output goes to a temporary file.

        The child writes through its own O_APPEND descriptor and the reader
        opens the file separately, so reading never moves the child's write
        offset (a shared offset let the child's output land mid-file).
        """
        fd, self._log_path = tempfile.mkstemp(prefix='managed-process-', suffix='.log')
        os.close(fd)
        with open(self._log_path, 'ab', buffering=0) as sink:
            self._proc = subprocess.Popen(
                self.cmd, env=self.env, cwd=self.cwd, stdout=sink,
                stderr=subprocess.STDOUT, start_new_session=True)
        self._log = True
        return self

    @property
    def pid(self) -> int:
        """Process id of the child."""
        return self._proc.pid

    def poll(self):
        """Return the exit code, or None while it runs."""
        return self._proc.poll()

    def output(self) -> str:
        """Everything the process printed so far."""
        if self._log is None:
            return ''
        with open(self._log_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def wait_for_output(self, text: str, timeout_s: float) -> bool:
        """Wait until ``text`` appears in the output, the process ends, or the timeout."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if text in self.output():
                return True
            if self.poll() is not None:
                return text in self.output()
            time.sleep(0.05)
        return False

    def expect_output(self, text: str, timeout_s: float, tail: int = 8000) -> None:
        """Wait for ``text`` like :meth:`wait_for_output`; fail with the output if it never comes.

        A process still running then is asked for its threads' stacks first, so
        the failure shows where it hangs.
        """
        if self.wait_for_output(text, timeout_s):
            return
        running = self.poll() is None
        if running:
            self.dump_stacks()
        state = ('still running; its stacks end the output' if running
                 else f'exit code {self.poll()}')
        raise AssertionError(f'{text!r} not printed within {timeout_s:g} s ({state})'
                             f'\n{self.output()[-tail:]}')

    def wait(self, timeout_s: float):
        """Wait up to ``timeout_s`` for the process to exit by itself; return its code or None."""
        try:
            return self._proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def dump_stacks(self, wait_s: float = 1.0) -> None:
        """Ask the process for every thread's stack (SIGUSR1, see ``enable_stack_dumps``).

        For a process that hangs: the stacks land in its output. Only the main
        process gets the signal; its children (a runner's nodes) are left alone.
        """
        if self._proc is None or self._proc.poll() is not None:
            return
        try:
            os.kill(self._proc.pid, signal.SIGUSR1)
        except ProcessLookupError:
            return
        time.sleep(wait_s)

    def stop(self):
        """SIGINT, wait, then SIGKILL the whole group. Returns the exit code."""
        if self._proc is None or self.returncode is not None:
            return self.returncode
        if self._proc.poll() is None:
            try:
                os.killpg(self._proc.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
            try:
                self._proc.wait(timeout=self.stop_timeout_s)
            except subprocess.TimeoutExpired:
                self.killed = True
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait(timeout=5)
        self.returncode = self._proc.returncode
        return self.returncode

    def __del__(self):
        path = getattr(self, '_log_path', None)
        if path and self.returncode is not None:
            try:
                os.unlink(path)
            except OSError:
                pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def child_pid(parent_pid, needle):
    """PID of a direct child of ``parent_pid`` whose command line contains ``needle``."""
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat') as f:
                ppid = int(f.read().rsplit(')', 1)[1].split()[1])
            with open(f'/proc/{entry}/cmdline', 'rb') as f:
                cmdline = f.read().replace(b'\0', b' ').decode(errors='replace')
        except (OSError, ValueError, IndexError):
            continue
        if ppid == parent_pid and needle in cmdline:
            return int(entry)
    return None

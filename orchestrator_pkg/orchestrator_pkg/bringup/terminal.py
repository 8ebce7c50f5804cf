"""The terminal of ``orchestrator run``: one writer, whole lines, and the nodes' logs in files.

:class:`Terminal` is the only thing that writes to the terminal: every thread
(each node's log reader, the progress display, the runner) hands it lines, and
its one thread writes each line whole, with its newline, in the order given.
Lines from different processes can no longer run into each other.

:class:`NodeLogs` takes every line a node prints. All of them go to that node's
file in the run folder's ``logs/`` (``robot1_base_driver.log``); the terminal
gets only warnings and errors, each distinct message once (numbers do not make
a message distinct: "heartbeat lost (last at t=5.18 s)" is one message however
often it comes), and at most ``burst`` new ones per node in ``window_s``.
What was held back is counted and said at the end (:meth:`NodeLogs.summary`).
Pure Python, no ROS.
"""
import os
import queue
import re
import sys
import threading
import time
from typing import Callable, Dict, List, Optional, TextIO

LEVELS = {'DEBUG': 10, 'INFO': 20, 'WARN': 30, 'WARNING': 30, 'ERROR': 40, 'FATAL': 50}
WARN = LEVELS['WARN']
ERROR = LEVELS['ERROR']
# rcutils' default console format: [SEVERITY] [stamp] [logger]: message
_RCUTILS = re.compile(r'^\[(DEBUG|INFO|WARN|WARNING|ERROR|FATAL)\]\s*(?:\[[\d.]+\]\s*)?'
                      r'(?:\[[^\]]*\]:?\s*)?(.*)$')
_NUMBER = re.compile(r'\d+(?:\.\d+)?')


def level_of(line: str) -> int:
    """Return a log line's level: rcutils' severity; a Python traceback or error is ERROR."""
    match = _RCUTILS.match(line)
    if match:
        return LEVELS[match.group(1)]
    stripped = line.lstrip()
    if stripped.startswith('Traceback (most recent call last)'):
        return LEVELS['ERROR']
    return LEVELS['INFO']


def message_of(line: str) -> str:
    """Return the message of a log line without its severity, stamp and logger name."""
    match = _RCUTILS.match(line)
    return match.group(2) if match else line


def shape_of(line: str) -> str:
    """Return what makes two messages "the same": the message with every number as ``#``."""
    return _NUMBER.sub('#', message_of(line)).strip()


class Terminal:
    """Write whole lines to a stream from one thread, in the order they were given."""

    def __init__(self, stream: Optional[TextIO] = None):
        self._stream = stream or sys.stdout
        self._queue: 'queue.Queue[Optional[str]]' = queue.Queue()
        self._thread = threading.Thread(target=self._write, daemon=True, name='terminal')
        self._thread.start()

    def __call__(self, text: str) -> None:
        """Queue ``text`` (one line, or several joined by newlines) for the terminal."""
        self._queue.put(str(text))

    def _write(self) -> None:
        while True:
            text = self._queue.get()
            if text is None:
                return
            try:
                self._stream.write(text + '\n')
                self._stream.flush()
            except (OSError, ValueError):  # the terminal went away: keep draining
                pass

    def close(self, timeout_s: float = 5.0) -> None:
        """Write what is queued, then stop the writer thread."""
        self._queue.put(None)
        self._thread.join(timeout_s)


class NodeLogs:
    """Each node's lines to its own file; warnings and errors to the terminal, once each."""

    def __init__(self, folder: str, terminal: Callable[[str], None], burst: int = 5,
                 window_s: float = 10.0, clock: Callable[[], float] = time.monotonic,
                 verbose: bool = False):
        """Log to ``folder`` (created); with ``verbose``, every line goes to the terminal too."""
        os.makedirs(folder, exist_ok=True)
        self.folder = folder
        self._terminal = terminal
        self._burst = int(burst)
        self._window_s = float(window_s)
        self._clock = clock
        self._verbose = verbose
        self._lock = threading.Lock()
        self._files: Dict[str, TextIO] = {}
        self._seen: Dict[tuple, int] = {}
        self._shown_at: Dict[str, List[float]] = {}  # label -> when its recent lines were shown
        self.held_back: Dict[str, int] = {}  # label -> warnings/errors not shown
        # the lowest level shown; the runner raises it to ERROR while it stops the nodes
        # (their e-stop and shutdown warnings are its own doing), so errors still show
        self.min_level = WARN

    def path(self, label: str) -> str:
        """Return the log file of a node (``robot1/base_driver`` -> ``robot1_base_driver.log``)."""
        return os.path.join(self.folder, label.replace('/', '_') + '.log')

    def __call__(self, label: str, line: str) -> None:
        """Take one line of a node's output."""
        with self._lock:
            stream = self._files.get(label)
            if stream is None:
                stream = open(self.path(label), 'a', encoding='utf-8', buffering=1)
                self._files[label] = stream
            stream.write(line + '\n')
            if self._verbose:
                self._terminal(f'[{label}] {line}')
                return
            if level_of(line) < self.min_level:
                return
            key = (label, shape_of(line))
            seen = self._seen.get(key, 0)
            self._seen[key] = seen + 1
            now = self._clock()
            recent = [t for t in self._shown_at.get(label, []) if now - t < self._window_s]
            if seen or len(recent) >= self._burst:
                self.held_back[label] = self.held_back.get(label, 0) + 1
                return
            self._shown_at[label] = recent + [now]
        self._terminal(f'[{label}] {line}')

    def tail(self, label: str, lines: int = 8) -> List[str]:
        """Return the last lines of a node's log (for a node that died)."""
        with self._lock:
            stream = self._files.get(label)
            if stream is not None:
                stream.flush()
        try:
            with open(self.path(label), encoding='utf-8', errors='replace') as f:
                return [line.rstrip('\n') for line in f.readlines()[-lines:]]
        except OSError:
            return []

    def summary(self) -> List[str]:
        """Return one line per node whose warnings or errors were not all shown."""
        return [f'[run] {label}: {count} more warning(s)/error(s) not shown (repeats, or more '
                f'than {self._burst} in {self._window_s:g} s), in {self.path(label)}'
                for label, count in sorted(self.held_back.items())]

    def close(self) -> None:
        """Close every log file."""
        with self._lock:
            for stream in self._files.values():
                stream.close()
            self._files.clear()

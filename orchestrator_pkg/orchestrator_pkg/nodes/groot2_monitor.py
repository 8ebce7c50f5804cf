"""Groot2 monitor server of a tree host: Groot2's ZeroMQ protocol on a thread of its own.

The protocol (what a request is, what each reply carries) is pure and lives in
:mod:`orchestrator_pkg.trees.groot2`; this is its I/O: a ZeroMQ REP socket on
``tcp://ADDRESS:PORT`` (``*``, every interface, by default) and, as
BehaviorTree.CPP's ``Groot2Publisher`` binds one, a PUB socket on PORT + 1
(breakpoint notices; this monitor never publishes).

The tick thread only hands over a new tree (:meth:`Groot2Monitor.update`, an
attribute assignment and a dict update per status change); the server thread
reads them. No lock is shared with the tick, so a client, fast, slow or
malformed, cannot slow a tick down. A request larger than
:data:`MAX_REQUEST_BYTES` closes that client's connection (ZeroMQ's
``MAXMSGSIZE``); anything else that cannot be answered gets an error reply.
"""
import re
import threading

from orchestrator_pkg.trees import groot2

POLL_MS = 100  # how often the server thread looks at its stop flag
MAX_REQUEST_BYTES = 1 << 20
SEND_TIMEOUT_MS = 1000  # a client that stops reading: drop the reply
_ADDRESS = re.compile(r'\*|[A-Za-z0-9.:-]+')  # what a tcp:// endpoint's host may be here


class Groot2Monitor:
    """Serve the latest tree of a host to Groot2 until :meth:`close`."""

    def __init__(self, port: int, logger, address: str = '*'):
        """Bind PORT and PORT + 1 on ``address``; raises ``zmq.ZMQError`` if taken."""
        import msgpack
        import zmq
        self.port = port
        self.address = address
        self._logger = logger
        self._pack = msgpack.packb
        self._context = zmq.Context()
        try:
            self._publisher = self._context.socket(zmq.PUB)
            self._publisher.setsockopt(zmq.LINGER, 0)
            self._publisher.bind(f'tcp://{address}:{port + 1}')
            self._server = self._open()
        except zmq.ZMQError:
            self._context.destroy(linger=0)
            raise
        self._tree = None  # the Groot2Tree being served
        self._runner = None  # whose tree it is
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name=f'groot2-{port}', daemon=True)
        self._thread.start()

    def _open(self):
        import zmq
        server = self._context.socket(zmq.REP)
        server.setsockopt(zmq.LINGER, 0)
        server.setsockopt(zmq.MAXMSGSIZE, MAX_REQUEST_BYTES)
        server.setsockopt(zmq.SNDTIMEO, SEND_TIMEOUT_MS)
        server.bind(f'tcp://{self.address}:{self.port}')
        return server

    def update(self, runner, changes) -> None:
        """Take a tick's status changes of ``runner`` (a new runner: describe its tree first)."""
        if runner is not self._runner:
            self._tree = groot2.Groot2Tree.of(runner)
            self._runner = runner
        self._tree.apply(changes)

    def _serve(self) -> None:
        import zmq
        while not self._stop.is_set():
            try:
                if not self._server.poll(POLL_MS):
                    continue
                parts = self._server.recv_multipart()
            except zmq.ZMQError:
                if self._stop.is_set():
                    return
                continue
            try:
                reply = groot2.answer(parts, self._tree, self._pack)
            except Exception as exc:  # noqa: BLE001 - a bug here must not end the server
                reply = groot2.error_reply(f'{type(exc).__name__}: {exc}')
            try:
                self._server.send_multipart(reply)
            except zmq.ZMQError as exc:
                # a client that stopped reading: a REP socket that could not send cannot
                # receive either, so start a new one on the same port
                self._logger.warning(f'Groot2 monitor: reply not sent ({exc}); '
                                     'reopening the port')
                self._server.close(linger=0)
                try:
                    self._server = self._open()
                except zmq.ZMQError as again:
                    self._logger.error(f'Groot2 monitor off: port {self.port}: {again}')
                    return

    def close(self) -> None:
        """Stop the server thread and release the ports."""
        self._stop.set()
        self._thread.join(2.0)
        self._context.destroy(linger=0)


def start(port: int, logger, address: str = '*'):
    """Return a :class:`Groot2Monitor` on ``port``, or None (0: off; a port in use: warned)."""
    if port <= 0:
        return None
    if not _ADDRESS.fullmatch(address):
        logger.warning(f'Groot2 monitor off: groot2_address {address!r} is not * or an '
                       'address (letters, digits, ".", "-", ":")')
        return None
    try:
        monitor = Groot2Monitor(port, logger, address)
    except Exception as exc:  # noqa: BLE001 - zmq.ZMQError, or pyzmq missing
        logger.warning(f'Groot2 monitor off: cannot serve on {address} ports {port} and '
                       f'{port + 1}: {exc}')
        return None
    logger.info(f'Groot2 monitor on tcp {address} port {port} (and {port + 1})')
    return monitor

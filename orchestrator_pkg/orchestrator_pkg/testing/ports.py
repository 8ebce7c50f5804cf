"""Free TCP ports for a test or benchmark server (no ROS)."""
import socket


def free_port_pair(tries: int = 50) -> int:
    """Return a TCP port P such that P and P + 1 are both free (each checked by binding).

    A Groot2 monitor binds both. Another process may still take them before
    the caller binds: callers that can, bind right away.
    """
    for _ in range(tries):
        with socket.socket() as first:
            first.bind(('', 0))
            port = first.getsockname()[1]
        if port >= 65535:
            continue
        with socket.socket() as second:
            try:
                second.bind(('', port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError(f'no free pair of TCP ports in {tries} tries')

"""Who holds a lease (host:pid) and whether that process is still alive.

A lease is a holder and an expiry time on a row: a process marks the work it is doing and
renews the expiry as it goes (the heartbeat). Whoever finds the work unfinished may take it
over once the holder is known dead (same host, no such pid) or its lease has expired. Like
`errors.py`, this module sits outside the layers: metering's uploads and settlement's runs
both lease their work.
"""

import os
import socket


def holder() -> str:
    """Return the name of this process as a lease holder: `host:pid`."""
    return f"{socket.gethostname()}:{os.getpid()}"


def holder_alive(name: str) -> bool:
    """Return whether the process named by a lease (host:pid) is known to be running.

    A process on another host cannot be asked: it counts as alive until its lease expires.
    This process is not "alive" as the holder: asking again means it is not working on it.
    """
    host, _, pid_text = name.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return True
    if int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

"""Binding a server's ports: one clear message, with what to do, when a port is taken."""

from __future__ import annotations

import errno
import socket


def in_use(host: str, port: int, key: str, what: str = "") -> str:
    """The message for a port another process holds: who to look for and the setting that moves it."""
    env = "GLM3_" + key.replace(".", "_").upper()
    return (
        f"cannot listen on {host}:{port}{what}: the port is in use by another process (a server of an earlier"
        f" `make run` still running? `ss -ltnp 'sport = :{port}'` names it); stop it, or choose another port"
        f" with {key} ({env})"
    )


def ensure_free(host: str, port: int, key: str) -> None:
    """Raises OSError with `in_use`'s message when `host`:`port` cannot be bound because it is taken, before
    gRPC tries (whose own failure is a C-core log line and a generic "Failed to bind"). Other problems are
    left to the real bind, which reports them."""
    if port == 0:
        return
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        family, _, _, _, address = socket.getaddrinfo(
            bare or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except OSError:
        return
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gRPC binds: TIME_WAIT is no obstacle
        if family == socket.AF_INET6 and bare in ("", "::"):
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise OSError(in_use(host, port, key)) from None

"""Where watchparty replaces a method of engine.io's per-connection socket: on one class per
server, never on each socket.

A method set on a socket (``socket.poll = ...``) is a bound method or a closure that refers to
the socket holding it: a reference cycle per connection, which only the cycle collector
frees, and it runs rarely here (watchparty.collector). Closed connections piled up in the
soak (docs/decisions/014-collector-thresholds.md). python-engineio (4.15) builds every socket
from its own module's ``AsyncSocket``, with no setting for another class, so each socket is
switched to this server's subclass as it connects, before engine.io calls any of the methods
replaced (``poll``, ``handle_post_request``, ``schedule_ping``). It is the same object, with
the same state: only where its methods are looked up changes.
tests/integration/test_closed_connections.py fails if a connection is left in a cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engineio.async_socket import AsyncSocket

SOCKET_CLASS = "_watchparty_socket_class"  # on the engine.io server: its sockets' class


def override(engine: Any, name: str, method: Callable[..., Any]) -> None:
    """Give every connection of this engine.io server ``method`` (a plain function, which is
    passed the socket first) in place of engine.io's ``name``."""
    setattr(_socket_class(engine), name, method)


def _socket_class(engine: Any) -> type[AsyncSocket]:
    existing: type[AsyncSocket] | None = getattr(engine, SOCKET_CLASS, None)
    if existing is not None:
        return existing
    socket_class = type("WatchpartySocket", (AsyncSocket,), {"__slots__": ()})
    setattr(engine, SOCKET_CLASS, socket_class)
    handle_connect = engine.handlers["connect"]

    async def on_connect(eio_sid: str, environ: Any, *args: Any) -> Any:
        socket = engine.sockets.get(eio_sid)
        if socket is not None:
            socket.__class__ = socket_class
        return await handle_connect(eio_sid, environ, *args)

    engine.on("connect", on_connect)
    return socket_class

"""The four things the registry needs from Socket.IO, behind a small interface.

The registry decides *what* to send and holds the room lock while it does; this adapter knows
*how*. Keeping python-socketio out of the registry keeps the place where fan-out is tuned
(later: the broadcast hot path) in one module.
"""

from __future__ import annotations

from typing import Any, Protocol

import socketio


class Transport(Protocol):
    async def enter(self, sid: str, room_id: str) -> None: ...

    async def send(self, event: str, data: Any, sid: str) -> None: ...

    async def broadcast(
        self, event: str, data: Any, room_id: str, skip_sid: str | None = None
    ) -> None: ...

    async def disconnect(self, sid: str) -> None: ...


class SocketIOTransport:
    """``Transport`` over one namespace of a python-socketio ``AsyncServer``."""

    def __init__(self, server: socketio.AsyncServer, namespace: str) -> None:
        self._server = server
        self._namespace = namespace

    async def enter(self, sid: str, room_id: str) -> None:
        await self._server.enter_room(sid, room_id, namespace=self._namespace)

    async def send(self, event: str, data: Any, sid: str) -> None:
        await self._server.emit(event, data, to=sid, namespace=self._namespace)

    async def broadcast(
        self, event: str, data: Any, room_id: str, skip_sid: str | None = None
    ) -> None:
        # python-socketio encodes a room emit once and reuses the bytes for every recipient.
        await self._server.emit(
            event, data, room=room_id, skip_sid=skip_sid, namespace=self._namespace
        )

    async def disconnect(self, sid: str) -> None:
        await self._server.disconnect(sid, namespace=self._namespace)


def release_polls_on_close(server: socketio.AsyncServer) -> None:
    """End a long-polling client's pending GET when its connection closes.

    python-engineio (4.15) closes a socket on the client's CLOSE packet without waking the
    GET that is waiting in ``poll()``, so that request lingers for ping interval + timeout
    (45 s): python-socketio's client waits for it before ``disconnect()`` returns, and
    aiohttp's graceful shutdown waits for the handler. Putting ``None`` on the socket's queue
    is how the library itself releases a websocket's writer; the same ends the poll with an
    empty answer. This is the only place that reaches into the engine's internals, and
    tests/test_realtime.py::test_polling_client_disconnects_promptly fails if it stops working.
    """
    engine = server.eio
    handle_disconnect = engine.handlers["disconnect"]

    async def on_disconnect(eio_sid: str, reason: Any) -> None:
        await handle_disconnect(eio_sid, reason)
        socket = engine.sockets.get(eio_sid)
        # Only a polling client's own CLOSE leaves a GET hanging: when the server closes, its
        # CLOSE packet answers the poll, and a websocket's writer must still send that packet.
        if socket is not None and not socket.upgraded and reason == engine.reason.CLIENT_DISCONNECT:
            socket.queue.put_nowait(None)

    engine.on("disconnect", on_disconnect)


async def close_all_connections(server: socketio.AsyncServer) -> None:
    """Close every client connection now, as a restart begins; clients reconnect on their own.

    python-engineio's ``disconnect()`` queues a CLOSE packet but leaves each websocket's
    writer waiting for more until the ping timeout (45 s), and aiohttp's shutdown waits for
    those handlers: a restart would stall that long (Heroku allows 30 s). So each socket gets
    CLOSE and then ``None``, the library's own signal that ends its writer, which sends the
    CLOSE and closes the websocket. Guarded by
    tests/test_main.py::test_sigterm_with_clients_connected_exits_promptly.
    """
    engine = server.eio
    for socket in list(engine.sockets.values()):
        await socket.close(wait=False, reason=engine.reason.SERVER_DISCONNECT)
        socket.queue.put_nowait(None)

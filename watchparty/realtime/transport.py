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

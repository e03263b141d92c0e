"""The rooms' ``Transport`` port over python-socketio: the registry decides *what* to send
and holds the room lock while it does; this module knows *how* (the fan-out that makes a
room broadcast cheap is realtime.fanout)."""

from __future__ import annotations

from typing import Any

import socketio

from watchparty.realtime.patches import close_connection, engine_socket


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

    async def tell_here(self, event: str, data: Any) -> None:
        """Every socket of the namespace connected to this process, without Redis (it may be
        what is missing)."""
        await self._server.emit(event, data, namespace=self._namespace, ignore_queue=True)

    async def disconnect(self, sid: str) -> None:
        await self._server.disconnect(sid, namespace=self._namespace)

    def here(self, sid: str) -> bool:
        """Whether this socket is connected (or connecting) to this process."""
        manager = self._server.manager
        return bool(
            manager.is_connected(sid, self._namespace)
            or manager.is_pre_connected(sid, self._namespace)
        )

    async def drop(self, sids: list[str]) -> None:
        """Close the connections of these sockets that live in this process (the others are
        their own process's business), so that their clients reconnect."""
        for sid in sids:
            socket = engine_socket(self._server, self._namespace, sid)
            if socket is not None and not socket.closed:
                await close_connection(self._server.eio, socket)

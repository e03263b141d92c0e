"""Each socket's rooms, kept beside python-socketio's members of each room.

python-socketio's manager (5.18) keeps only room -> members, so to disconnect one socket it
copies the namespace's table of rooms and asks every room whether the socket is in it. Every
socket has a room of its own, so that walk grows with the connections: 0.37 ms per
disconnect with 3,000 connections in 600 rooms, 1.3 ms with 10,000 in 2,000
(``bench/disconnects.py``), and a restart that closes every connection costs their square.
Here the rooms a socket entered are kept with it, and a disconnect leaves just those.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any


class IndexedRooms:
    """Mixed in before python-socketio's ``BaseManager``; every change to a room goes through
    ``basic_enter_room`` and ``basic_leave_room`` there, so the index cannot disagree."""

    rooms: dict[str, dict[Hashable, Any]]
    callbacks: dict[str, Any]
    pending_connect: dict[str, set[str]]
    pending_disconnect: dict[str, set[str]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rooms_of: dict[tuple[str, str], set[Hashable]] = {}

    def basic_enter_room(
        self, sid: str, namespace: str, room: Hashable, eio_sid: str | None = None
    ) -> None:
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)  # type: ignore[misc]
        self.rooms_of.setdefault((namespace, sid), set()).add(room)

    def basic_leave_room(self, sid: str, namespace: str, room: Hashable) -> None:
        super().basic_leave_room(sid, namespace, room)  # type: ignore[misc]
        joined = self.rooms_of.get((namespace, sid))
        if joined is not None:
            joined.discard(room)
            if not joined:
                del self.rooms_of[namespace, sid]

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        """python-socketio's, leaving only the socket's own rooms."""
        for room in list(self.rooms_of.pop((namespace, sid), ())):
            self.basic_leave_room(sid, namespace, room)
        self.callbacks.pop(sid, None)
        for pending in (self.pending_connect, self.pending_disconnect):
            waiting = pending.get(namespace)
            if waiting is not None and sid in waiting:
                waiting.remove(sid)
                if not waiting:
                    del pending[namespace]

    def get_rooms(self, sid: str, namespace: str) -> list[Hashable]:
        return [room for room in self.rooms_of.get((namespace, sid), ()) if room is not None]

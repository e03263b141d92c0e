"""The in-process registry of live rooms: state, members, and the per-room lock.

python-socketio runs every incoming event as its own task, so two commands (even from one
client) can interleave. Each room therefore has one lock, held from ``apply`` through the
broadcast: commands for a room are applied one at a time, in arrival order, and every member
receives the resulting states in version order.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from watchparty.realtime.transport import Transport
from watchparty.sync import Accepted, Command, Rejection, RoomState, apply, new_room

Clock = Callable[[], float]

# A member token (from POST /api/rooms/<id>/join) that no socket used within this time is
# dropped; at most this many unused ones are kept per room.
TICKET_TTL_SECONDS = 600.0
MAX_UNUSED_TICKETS = 1000
# At most one MEMBERS broadcast per room per window: the first change goes out at once, later
# ones in the window share one broadcast at its end. Each MEMBERS carries the whole list to
# every member, so its cost grows with the square of the room's size; the window grows with
# the room (2 ms per member, from 0.1 s to 2 s) so that filling a room of a thousand costs a
# few dozen broadcasts rather than a thousand.
MEMBERS_WINDOW_MIN = 0.1
MEMBERS_WINDOW_MAX = 2.0
MEMBERS_WINDOW_PER_MEMBER = 0.002


def members_window(size: int) -> float:
    return min(MEMBERS_WINDOW_MAX, max(MEMBERS_WINDOW_MIN, size * MEMBERS_WINDOW_PER_MEMBER))


log = logging.getLogger(__name__)


class RegistryFull(Exception):
    """The process holds as many rooms as it is configured for."""


class JoinRefused(Exception):
    """A socket may not join; ``code`` and the message go to the client."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(slots=True)
class Member:
    id: str
    name: str
    sid: str
    ticket: str | None = None

    def to_wire(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name}


@dataclass(slots=True)
class _Ticket:
    issued_at: float
    sid: str | None = None


@dataclass(slots=True)
class LiveRoom:
    id: str
    name: str | None
    state: RoomState
    members: dict[str, Member] = field(default_factory=dict)  # by sid
    tickets: dict[str, _Ticket] = field(default_factory=dict)  # by member token
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    members_flush: asyncio.Task[None] | None = None
    members_sent_at: float = -math.inf  # event-loop time of the last MEMBERS broadcast

    def members_wire(self) -> list[dict[str, str]]:
        return [member.to_wire() for member in self.members.values()]

    def snapshot(self, now: float) -> dict[str, Any]:
        """The join snapshot: ROOM_STATE's payload, also served over HTTP."""
        return {"state": self.state.to_wire(), "members": self.members_wire(), "server_time": now}


class RoomRegistry:
    def __init__(
        self,
        transport: Transport,
        *,
        max_rooms: int,
        max_members: int,
        clock: Clock = time.time,
    ) -> None:
        self._transport = transport
        self._clock = clock
        self._max_rooms = max_rooms
        self._max_members = max_members
        self._rooms: dict[str, LiveRoom] = {}
        self._by_sid: dict[str, tuple[LiveRoom, Member]] = {}

    def now(self) -> float:
        return self._clock()

    def __len__(self) -> int:
        return len(self._rooms)

    def create(self, name: str | None = None) -> LiveRoom:
        if len(self._rooms) >= self._max_rooms:
            raise RegistryFull
        room_id = secrets.token_urlsafe(9)  # 12 characters, 72 random bits
        while room_id in self._rooms:  # pragma: no cover - 2**-72
            room_id = secrets.token_urlsafe(9)
        room = LiveRoom(id=room_id, name=name, state=new_room(room_id, self._clock()))
        self._rooms[room_id] = room
        return room

    def get(self, room_id: str) -> LiveRoom | None:
        return self._rooms.get(room_id)

    def issue_ticket(self, room: LiveRoom) -> str:
        """A member token: lets a socket be removed later by ``leave_by_ticket``."""
        now = self._clock()
        unused: list[str] = []
        for token, ticket in list(room.tickets.items()):
            if ticket.sid is not None:
                continue
            if now - ticket.issued_at > TICKET_TTL_SECONDS:
                del room.tickets[token]
            else:
                unused.append(token)
        # Beyond the cap, the oldest unused tokens go first (dicts keep insertion order).
        for token in unused[: max(0, len(unused) - MAX_UNUSED_TICKETS + 1)]:
            del room.tickets[token]
        token = secrets.token_urlsafe(18)
        room.tickets[token] = _Ticket(issued_at=now)
        return token

    async def join(self, room: LiveRoom, sid: str, name: str, ticket: str | None) -> Member:
        """Admit a connected socket: enter the room, send it the snapshot, tell the others."""
        async with room.lock:
            if len(room.members) >= self._max_members:
                raise JoinRefused("room_full", "this room has as many members as it can take")
            if ticket is not None and ticket not in room.tickets:
                raise JoinRefused("invalid_member_token", "unknown or expired member token")
            member = Member(id=secrets.token_urlsafe(6), name=name, sid=sid, ticket=ticket)
            if ticket is not None:
                room.tickets[ticket].sid = sid
            room.members[sid] = member
            self._by_sid[sid] = (room, member)
            await self._transport.enter(sid, room.id)
            await self._transport.send("ROOM_STATE", room.snapshot(self._clock()), sid)
            await self._members_changed(room)
            return member

    async def leave(self, sid: str) -> None:
        """Forget a disconnected socket and tell the room who is left."""
        entry = self._by_sid.pop(sid, None)
        if entry is None:
            return
        room, member = entry
        async with room.lock:
            room.members.pop(sid, None)
            if member.ticket is not None:
                room.tickets.pop(member.ticket, None)
            await self._members_changed(room)

    async def _members_changed(self, room: LiveRoom) -> None:
        """Broadcast MEMBERS now, or once at the end of the window; call with the lock held."""
        if room.members_flush is not None:
            return  # a broadcast at the end of this window is already due
        loop = asyncio.get_running_loop()
        wait = room.members_sent_at + members_window(len(room.members)) - loop.time()
        if wait <= 0:
            await self._send_members(room)
        else:
            room.members_flush = loop.create_task(self._flush_members(room, wait))

    async def _send_members(self, room: LiveRoom) -> None:
        room.members_sent_at = asyncio.get_running_loop().time()
        await self._transport.broadcast("MEMBERS", {"members": room.members_wire()}, room.id)

    async def _flush_members(self, room: LiveRoom, wait: float) -> None:
        await asyncio.sleep(wait)
        async with room.lock:
            room.members_flush = None
            try:
                await self._send_members(room)
            except Exception:
                log.exception("MEMBERS broadcast to room %s failed", room.id)

    async def close(self) -> None:
        """Cancel pending MEMBERS broadcasts (the server is shutting down)."""
        tasks = [room.members_flush for room in self._rooms.values() if room.members_flush]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def leave_by_ticket(self, room: LiveRoom, token: str) -> bool:
        """Disconnect the socket that joined with ``token``; False if there is none."""
        ticket = room.tickets.pop(token, None)
        if ticket is None:
            return False
        if ticket.sid is not None and ticket.sid in room.members:
            await self._transport.disconnect(ticket.sid)
        return True

    def locate(self, sid: str) -> tuple[LiveRoom, Member] | None:
        return self._by_sid.get(sid)

    async def execute(
        self, room: LiveRoom, member: Member, event: str, command: Command
    ) -> Accepted | Rejection:
        """Apply one command and broadcast the result to the room's other members."""
        async with room.lock:
            now = self._clock()
            result = apply(room.state, command, now)
            if isinstance(result, Accepted):
                room.state = result.state
                payload = {"state": result.state.to_wire(), "by": member.name, "server_time": now}
                await self._transport.broadcast(event, payload, room.id, skip_sid=member.sid)
            return result

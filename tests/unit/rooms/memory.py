"""In-memory implementations of the rooms' ports: real ones (they keep what they are given
and answer from it), so the domain's tests run without Socket.IO, Redis or a database."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from watchparty.rooms.door import Door
from watchparty.rooms.writebehind import WriteBehind
from watchparty.store.rooms import RoomRecord


@dataclass
class Sent:
    event: str
    data: Any
    to: str  # a sid, or a room id for a broadcast
    skip: str | None = None


@dataclass
class MemoryTransport:
    """``rooms.ports.Transport``: sockets are sids in rooms; every send is recorded."""

    rooms: dict[str, set[str]] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    connected: set[str] = field(default_factory=set)

    async def enter(self, sid: str, room_id: str) -> None:
        self.connected.add(sid)
        self.rooms.setdefault(room_id, set()).add(sid)

    async def send(self, event: str, data: Any, sid: str) -> None:
        self.sent.append(Sent(event, data, sid))

    async def broadcast(
        self, event: str, data: Any, room_id: str, skip_sid: str | None = None
    ) -> None:
        self.sent.append(Sent(event, data, room_id, skip_sid))

    async def disconnect(self, sid: str) -> None:
        self.connected.discard(sid)
        for sids in self.rooms.values():
            sids.discard(sid)

    async def drop(self, sids: list[str]) -> None:
        for sid in sids:
            await self.disconnect(sid)

    def here(self, sid: str) -> bool:
        return sid in self.connected

    def received(self, sid: str, room_id: str, event: str) -> list[Any]:
        """What ``sid`` got of ``event``: sent to it, or broadcast to its room but not
        skipping it."""
        return [
            s.data
            for s in self.sent
            if s.event == event and (s.to == sid or (s.to == room_id and s.skip != sid))
        ]


@dataclass
class MemoryRooms:
    """``rooms.ports.Rooms``: records by id, with the store's revision rule on save."""

    records: dict[str, RoomRecord] = field(default_factory=dict)

    async def insert(self, record: RoomRecord) -> bool:
        if record.id in self.records:
            return False
        self.records[record.id] = record
        return True

    async def load(self, room_id: str) -> RoomRecord | None:
        return self.records.get(room_id)

    async def save(self, record: RoomRecord) -> bool:
        stored = self.records.get(record.id)
        if stored is None or stored.revision >= record.revision:
            return False
        self.records[record.id] = record
        return True

    async def save_many(self, records: Sequence[RoomRecord]) -> list[Exception | None]:
        for record in records:
            await self.save(record)
        return [None] * len(records)

    async def delete(self, room_id: str) -> bool:
        return self.records.pop(room_id, None) is not None


@dataclass(frozen=True)
class Counted:
    allowed: bool
    retry_after: int = 0


@dataclass
class MemoryFailures:
    """A limit of ``most`` failures per key, for good (the rooms' ``FailureLimit``)."""

    most: int = 5
    counts: Counter[str] = field(default_factory=Counter)

    async def check(self, key: str) -> Counted:
        return Counted(self.counts[key] < self.most, 0 if self.counts[key] < self.most else 60)

    async def count(self, key: str) -> None:
        self.counts[key] += 1


async def plain_passwords(password: str, hashed: str | None, address: str) -> bool:
    """Passwords kept as they are (the real check is bcrypt's, tested with the server)."""
    return hashed is not None and password == hashed


def door_of(writer: WriteBehind, clock: Callable[[], float] = time.time) -> Door:
    return Door(plain_passwords, MemoryFailures(), writer, clock, idle_seconds=3600.0)

"""What a room is, apart from its playback: its name, who controls it, its moderators and
bans (``RoomInfo``), and its owner's plan. Changed rarely, and never by a command."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from typing import Any

from watchparty.core.plans import Plan
from watchparty.rooms.live import LiveRoom
from watchparty.rooms.ports import Transport
from watchparty.rooms.roster import Roster
from watchparty.rooms.writebehind import WriteBehind
from watchparty.store.rooms import RoomInfo


class RoomInfoChanges:
    def __init__(
        self,
        transport: Transport,
        writer: WriteBehind,
        roster: Roster,
        rooms: Callable[[], Iterable[LiveRoom]],
        idle_seconds: float,
    ) -> None:
        self._transport = transport
        self._writer = writer
        self._roster = roster
        self._rooms = rooms  # the live rooms of this process
        self._idle = idle_seconds
        self.on_plan: list[Callable[[str, Plan], Awaitable[None]]] = []  # a plan changed here

    async def update(self, room: LiveRoom, **changes: Any) -> RoomInfo:
        """Rename the room or change who controls it (``RoomInfo`` fields), and tell its
        members (roles may have changed, so MEMBERS follows)."""
        async with room.lock:
            return await self.set(room, **changes)

    async def set(self, room: LiveRoom, **changes: Any) -> RoomInfo:
        """``update`` for a caller that holds the room's lock already."""
        if room.deleted:
            return room.info
        before = room.info
        room.info = info = replace(room.info, **changes)
        room.revision += 1
        room.touch(self._idle)
        await self._transport.broadcast("ROOM_INFO", room.info_wire(), room.id)
        changed = [m for m in room.members.values() if m.role(before) != m.role(info)]
        if changed:
            await self._roster.changed(room, changed=changed)
        self._writer.mark(room.id, room.record)
        return info

    async def change_plan(self, owner_id: str, plan: Plan, *, here_only: bool = False) -> None:
        """The owner's plan changed: their live rooms follow (checked from the next action on;
        nothing already in a room is taken away), and tell their members. Other processes are
        told too (``on_plan``) unless the news came from one of them (``here_only``)."""
        if not here_only:
            for hook in self.on_plan:
                await hook(owner_id, plan)
        for room in [r for r in self._rooms() if r.info.owner_id == owner_id]:
            async with room.lock:
                if room.deleted or room.plan == plan:
                    continue
                room.plan = plan
                room.revision += 1
                room.touch(self._idle)
                await self._transport.broadcast("ROOM_INFO", room.info_wire(), room.id)
                self._writer.mark(room.id, room.record)

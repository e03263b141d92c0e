"""The public list's viewer counts: a public room is saved when someone joins or leaves it,
so that every process lists it with its viewers from the database (the one place they all
read). The write-behind gathers a crowd's arrivals into a few writes a second.
"""

from __future__ import annotations

from watchparty.rooms.concerns import Concern
from watchparty.rooms.live import LiveRoom, Member
from watchparty.rooms.writebehind import WriteBehind


class Listing(Concern):
    def __init__(self, writer: WriteBehind) -> None:
        self._writer = writer

    async def on_join(self, room: LiveRoom, member: Member) -> None:
        self._count(room)

    async def on_leave(self, room: LiveRoom, member: Member) -> None:
        self._count(room)

    def _count(self, room: LiveRoom) -> None:
        if room.info.visibility == "public" and not room.deleted:
            room.revision += 1
            self._writer.mark(room.id, room.record)

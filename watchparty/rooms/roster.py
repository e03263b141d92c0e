"""MEMBERS: telling a room who is in it, at a cost that grows with the changes, not the room.

At most one MEMBERS broadcast per room per window: the first change goes out at once, later
ones in the window share one broadcast at its end. Each MEMBERS goes to every member; the
window grows with the room (2 ms per member, from 0.1 s to 2 s) so that filling a room of a
thousand costs a few dozen broadcasts rather than a thousand.

Rooms of up to ``member_list_max`` members have their member list pushed to every member (in
ROOM_STATE, then MEMBERS' changes); larger ones send the count only, and a member asks for
the list (MEMBER_LIST). Pushing every join to every member costs the square of the room:
filling a room of 1,000 wrote ~50 MB of member lists, parsed by every page, still going out
seconds after the last join (docs/decisions/004-members-deltas.md).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from watchparty.rooms.live import LiveRoom, Member
from watchparty.rooms.ports import Transport
from watchparty.store.rooms import RoomInfo

MEMBERS_WINDOW_MIN = 0.1
MEMBERS_WINDOW_MAX = 2.0
MEMBERS_WINDOW_PER_MEMBER = 0.002
MEMBER_LIST_MAX = 100
FLUSH = "roster.flush"


def members_window(size: int) -> float:
    return min(MEMBERS_WINDOW_MAX, max(MEMBERS_WINDOW_MIN, size * MEMBERS_WINDOW_PER_MEMBER))


@dataclass(slots=True)
class MembersDelta:
    """Changes to a room's member list not yet broadcast (joined, left, renamed or with a new
    role). A member who joins and leaves within one window is never announced."""

    joined: dict[str, Member] = field(default_factory=dict)  # by member id, in join order
    left: dict[str, None] = field(default_factory=dict)  # member ids (an ordered set)
    changed: dict[str, Member] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.joined or self.left or self.changed)

    def note(
        self, *, joined: Member | None, left: Member | None, changed: Iterable[Member]
    ) -> None:
        if joined is not None:
            self.joined[joined.id] = joined
        if left is not None:
            self.changed.pop(left.id, None)
            if self.joined.pop(left.id, None) is None:
                self.left[left.id] = None
        for member in changed:
            if member.id not in self.joined:
                self.changed[member.id] = member

    def to_wire(self, info: RoomInfo, count: int) -> dict[str, Any]:
        return {
            "joined": [m.to_wire(info) for m in self.joined.values()],
            "left": list(self.left),
            "changed": [m.to_wire(info) for m in self.changed.values()],
            "count": count,
        }


@dataclass(slots=True)
class RosterState:
    delta: MembersDelta = field(default_factory=MembersDelta)
    sent_at: float = -math.inf  # event-loop time of the last MEMBERS broadcast
    listed: bool = True  # whether members were last told the list (not the count only)


class Roster:
    def __init__(self, transport: Transport, member_list_max: int = MEMBER_LIST_MAX) -> None:
        self._transport = transport
        self._list_max = member_list_max

    def listed(self, room: LiveRoom) -> bool:
        """Whether this room's members are told its member list, or its count only."""
        return len(room.members) <= self._list_max

    async def changed(
        self,
        room: LiveRoom,
        *,
        joined: Member | None = None,
        left: Member | None = None,
        changed: Iterable[Member] = (),
    ) -> None:
        """Note a change to the member list and broadcast MEMBERS now, or once at the end of
        the window with everything that changed in it; call with the lock held."""
        roster = room.part(RosterState)
        roster.delta.note(joined=joined, left=left, changed=changed)
        if room.tasks.pending(FLUSH):
            return  # a broadcast at the end of this window is already due
        wait = roster.sent_at + members_window(len(room.members)) - _now()
        if wait <= 0:
            await self._send(room)
        else:
            room.tasks.after(FLUSH, wait, lambda: self._flush(room))

    async def _flush(self, room: LiveRoom) -> None:
        async with room.lock:
            await self._send(room)

    async def _send(self, room: LiveRoom) -> None:
        """MEMBERS carries what changed, not the whole list: its cost grows with the changes,
        where a whole list to every member grew with the square of the room. Beyond
        ``member_list_max`` members it carries the count only, and the whole list once when
        the room is back within it (the members' lists are out of date by then)."""
        roster = room.part(RosterState)
        delta, roster.delta = roster.delta, MembersDelta()
        if not delta:
            return
        roster.sent_at = _now()
        listed = self.listed(room)
        payload = (delta if listed else MembersDelta()).to_wire(room.info, len(room.members))
        payload["listed"] = listed
        if listed and not roster.listed:
            payload["members"] = room.members_wire()
        roster.listed = listed
        await self._transport.broadcast("MEMBERS", payload, room.id)


def _now() -> float:
    return asyncio.get_running_loop().time()

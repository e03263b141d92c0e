"""Who is in which room: admitting a socket, a lost connection's grace period, leaving,
expelling, and member tokens (tickets). ``admit``, ``remove`` and ``expel`` want the room's
lock held; ``leave`` takes it itself; the ticket methods touch only the room's tickets, with
no await between reading and changing them, and need no lock."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from typing import Any

from watchparty.core.errors import reject
from watchparty.core.plans import check_members
from watchparty.errors import ClientError
from watchparty.rooms.concerns import Concern
from watchparty.rooms.live import (
    MAX_UNUSED_TICKETS,
    TICKET_TTL_SECONDS,
    Joiner,
    LiveRoom,
    Member,
    Ticket,
)
from watchparty.rooms.ports import Clock, Transport
from watchparty.rooms.roster import Roster

# A member whose connection is lost (not closed on purpose) stays this long, so a reconnect
# is not shown to the room as a leave and a join.
RECONNECT_GRACE_SECONDS = 5.0

Snapshot = Callable[[LiveRoom, bool], dict[str, Any]]


class JoinRefused(ClientError):
    """A socket may not join; ``code`` and the message go to the client."""


def refused(code: str, **params: Any) -> JoinRefused:
    rejection = reject(code, **params)
    return JoinRefused(rejection.code, rejection.message)


class Membership:
    def __init__(
        self,
        transport: Transport,
        roster: Roster,
        concerns: Sequence[Concern],
        snapshot: Snapshot,
        *,
        max_members: int,
        clock: Clock,
        reconnect_grace: float = RECONNECT_GRACE_SECONDS,
    ) -> None:
        self._transport = transport
        self._roster = roster
        self._concerns = concerns
        self._snapshot = snapshot
        self._max_members = max_members
        self._clock = clock
        self._grace = reconnect_grace
        self._by_sid: dict[str, tuple[LiveRoom, Member]] = {}

    def __len__(self) -> int:
        """Sockets in a room now (a member away in its grace period has none)."""
        return len(self._by_sid)

    def locate(self, sid: str) -> tuple[LiveRoom, Member] | None:
        return self._by_sid.get(sid)

    def note_rtt(self, sid: str, rtt: float) -> None:
        located = self._by_sid.get(sid)
        if located is not None:
            located[1].rtt = rtt

    def forget(self, sids: Sequence[str]) -> None:
        """These sockets are gone with their room (deleted, given up)."""
        for sid in sids:
            self._by_sid.pop(sid, None)

    async def admit(
        self,
        room: LiveRoom,
        sid: str,
        name: str,
        ticket: str | None,
        user_id: str | None = None,
        resume: str | None = None,
        guest_id: str | None = None,
        address: str | None = None,
        guest_token: str | None = None,
    ) -> Member:
        """Enter the room, send the socket the snapshot, tell the others. With ``resume``, a
        member whose connection was lost moments ago comes back as itself and nobody is told
        it was gone. Raises ``JoinRefused``."""
        joiner = Joiner(user_id, guest_id, address)
        for concern in self._concerns:
            veto = concern.before_join(room, joiner)
            if veto is not None:
                raise JoinRefused(veto.code, veto.message)
        returning = self._returning(room, resume, user_id)
        if returning is not None:
            return await self._reattach(room, returning, sid, name, guest_token)
        if len(room.members) >= self._max_members:
            raise refused("room_full")
        over = check_members(room.plan, len(room.members))
        if over is not None:
            raise JoinRefused(over.code, over.message)
        if ticket is not None and ticket not in room.tickets:
            raise refused("invalid_member_token")
        member = Member(
            id=secrets.token_urlsafe(6),
            name=name,
            sid=sid,
            ticket=ticket,
            user_id=user_id,
            guest_id=None if user_id is not None else guest_id,
            address=address,
        )
        if ticket is not None:
            room.tickets[ticket].sid = sid
        room.members[sid] = member
        self._by_sid[sid] = (room, member)
        await self._transport.enter(sid, room.id)
        await self._transport.send("ROOM_STATE", self._snapshot_for(room, member, guest_token), sid)
        await self._roster.changed(room, joined=member)
        for concern in self._concerns:
            await concern.on_join(room, member)
        return member

    def _returning(self, room: LiveRoom, resume: str | None, user_id: str | None) -> Member | None:
        if resume is None:
            return None
        for member in room.members.values():
            if member.away and member.resume == resume and member.user_id == user_id:
                return member
        return None

    async def _reattach(
        self, room: LiveRoom, member: Member, sid: str, name: str, guest_token: str | None
    ) -> Member:
        """A lost connection came back within the grace period: same member, new socket."""
        room.tasks.cancel(_away(member))
        member.away = False
        del room.members[member.sid]
        member.sid = sid
        room.members[sid] = member
        self._by_sid[sid] = (room, member)
        if member.ticket is not None and member.ticket in room.tickets:
            room.tickets[member.ticket].sid = sid
        await self._transport.enter(sid, room.id)
        await self._transport.send("ROOM_STATE", self._snapshot_for(room, member, guest_token), sid)
        if name != member.name:
            member.name = name
            await self._roster.changed(room, changed=(member,))
        return member

    def _snapshot_for(
        self, room: LiveRoom, member: Member, guest_token: str | None = None
    ) -> dict[str, Any]:
        snapshot = self._snapshot(room, self._roster.listed(room))
        you = {**member.to_wire(room.info), "resume": member.resume}
        if guest_token is not None:
            you["guest_token"] = guest_token
        snapshot["you"] = you
        return snapshot

    async def leave(self, sid: str, *, lost: bool = False) -> None:
        """A socket disconnected. On purpose: the member leaves now. Its connection lost
        (``lost``): the member stays for the grace period, in case it comes back."""
        entry = self._by_sid.pop(sid, None)
        if entry is None:
            return
        room, member = entry
        if lost and not member.leaving and self._grace > 0 and not room.deleted:
            member.away = True
            room.tasks.after(_away(member), self._grace, lambda: self._remove_if_away(room, member))
            return
        async with room.lock:
            await self.remove(room, member)

    async def _remove_if_away(self, room: LiveRoom, member: Member) -> None:
        async with room.lock:
            if member.away:  # it did not come back
                member.away = False
                await self.remove(room, member)

    async def remove(self, room: LiveRoom, member: Member) -> None:
        """Take a member out of the room and tell the others."""
        if room.members.get(member.sid) is not member:
            return
        del room.members[member.sid]
        if member.ticket is not None:
            room.tickets.pop(member.ticket, None)
        for concern in self._concerns:
            await concern.on_leave(room, member)
        await self._roster.changed(room, left=member)

    async def expel(self, room: LiveRoom, member: Member, event: str, payload: Any) -> None:
        """Send ``member`` one last event (why), then disconnect it with no grace period."""
        member.leaving = True
        if member.away:  # already gone: just finish its removal
            room.tasks.cancel(_away(member))
            member.away = False
            await self.remove(room, member)
            return
        await self._transport.send(event, payload, member.sid)
        self._by_sid.pop(member.sid, None)
        await self.remove(room, member)
        await self._transport.disconnect(member.sid)

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
        room.tickets[token] = Ticket(issued_at=now)
        return token

    async def leave_by_ticket(self, room: LiveRoom, token: str) -> bool:
        """Disconnect the socket that joined with ``token``; False if there is none."""
        ticket = room.tickets.pop(token, None)
        if ticket is None:
            return False
        if ticket.sid is not None and ticket.sid in room.members:
            room.members[ticket.sid].leaving = True
            await self._transport.disconnect(ticket.sid)
        return True


def _away(member: Member) -> str:
    return f"away:{member.id}"

"""The in-process registry of live rooms: state, members, and the per-room lock.

python-socketio runs every incoming event as its own task, so two commands (even from one
client) can interleave. Each room therefore has one lock, held from ``apply`` through the
broadcast: commands for a room are applied one at a time, in arrival order, and every member
receives the resulting states in version order.

Rooms are created in the database first (so a room that was handed out always exists), loaded
from it on first use after a restart, and saved behind every accepted command by the
write-behind: the broadcast never waits on the database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import logging
import math
import re
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from watchparty.cluster.errors import RoomElsewhere
from watchparty.core import (
    Accepted,
    ChangeVideo,
    Command,
    QueueAdd,
    QueueMove,
    QueueRemove,
    Rejection,
    RoomState,
    Seek,
    UpdateQueue,
    apply,
    new_room,
    start_lead,
)
from watchparty.core.limits import CHAT_HISTORY, CHAT_IN_SNAPSHOT
from watchparty.core.permissions import Role, may_control, refusal, role_of
from watchparty.errors import ClientError
from watchparty.plans import FREE, Plan, check_members, check_queue
from watchparty.realtime.persistence import WriteBehind
from watchparty.realtime.transport import Transport
from watchparty.store.rooms import RoomInfo, RoomRecord, RoomStore

Clock = Callable[[], float]
# The plan of a room's owner (None: the room was made by a guest), read when a room is made
# or loaded.
PlanOf = Callable[[str | None], Awaitable[Plan]]
# A free room used again after this long gets its expiry pushed back (and is saved for it).
TOUCH_SECONDS = 3600.0
# A member whose connection is lost (not closed on purpose) stays this long, so a reconnect
# is not shown to the room as a leave and a join.
RECONNECT_GRACE_SECONDS = 5.0

# A member token (from POST /api/rooms/<id>/join) that no socket used within this time is
# dropped; at most this many unused ones are kept per room.
TICKET_TTL_SECONDS = 600.0
MAX_UNUSED_TICKETS = 1000
# At most one MEMBERS broadcast per room per window: the first change goes out at once, later
# ones in the window share one broadcast at its end. Each MEMBERS goes to every member; the
# window grows with the room (2 ms per member, from 0.1 s to 2 s) so that filling a room of a
# thousand costs a few dozen broadcasts rather than a thousand.
MEMBERS_WINDOW_MIN = 0.1
MEMBERS_WINDOW_MAX = 2.0
MEMBERS_WINDOW_PER_MEMBER = 0.002
# At most one queue broadcast per room per window (``RoomRegistry.commit``).
QUEUE_WINDOW = 0.25


# Rooms of up to this many members have their member list pushed to every member (in
# ROOM_STATE, then MEMBERS' changes); larger ones send the count only, and a member asks for
# the list (MEMBER_LIST). Pushing every join to every member costs the square of the room:
# filling a room of 1,000 wrote ~50 MB of member lists, parsed by every page, still going
# out seconds after the last join (docs/fanout.md).
MEMBER_LIST_MAX = 100


def members_window(size: int) -> float:
    return min(MEMBERS_WINDOW_MAX, max(MEMBERS_WINDOW_MIN, size * MEMBERS_WINDOW_PER_MEMBER))


log = logging.getLogger(__name__)

MOVING = Rejection("room_moving", "this room is moving to another server; try again shortly")

ROOM_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class Authority(Protocol):
    """Which rooms this process may hold, when rooms are shared between processes
    (cluster.leases)."""

    me: str

    async def claim(self, room_id: str) -> str: ...  # the holder afterwards (perhaps ``me``)

    def holds(self, room_id: str) -> bool: ...

    def release(self, room_id: str) -> None: ...


class QueueBudget(Protocol):
    """How many queue changes one member, and one room, may make (``ratelimit``)."""

    async def spend(self, room_id: str, member_key: str) -> Rejection | None: ...


class RegistryFull(Exception):
    """The process holds as many rooms as it is configured for, all of them in use."""


class JoinRefused(ClientError):
    """A socket may not join; ``code`` and the message go to the client."""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who sends a command: a member's socket, or a signed-in user over HTTP (no ``sid``).
    ``guest_id`` is a guest's identity across reconnects (``Tokens.issue_guest``)."""

    name: str
    user_id: str | None = None
    sid: str | None = None
    guest_id: str | None = None

    @property
    def key(self) -> str:
        """Whom budgets, votes, mutes and holds are counted against: the account, or the
        guest's identity (a connection only when it has neither)."""
        if self.user_id is not None:
            return f"user:{self.user_id}"
        if self.guest_id is not None:
            return f"guest:{self.guest_id}"
        return f"sid:{self.sid}"


@dataclass(slots=True)
class Member:
    id: str
    name: str
    sid: str
    ticket: str | None = None
    user_id: str | None = None  # None for a guest
    # Presented in auth.resume by a client that lost its connection, to come back as the same
    # member within the grace period (others never see it leave).
    resume: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    away: asyncio.TimerHandle | None = None  # its removal, while its connection is lost
    leaving: bool = False  # removed on purpose (kicked, left): no grace period
    rtt: float = 0.0  # its latest round-trip estimate (TIME), in seconds
    guest_id: str | None = None  # a guest's identity across reconnects (Tokens.issue_guest)
    address: str | None = None  # the client address it connected from (a limit key)

    @property
    def actor(self) -> Actor:
        return Actor(self.name, self.user_id, self.sid, self.guest_id)

    @property
    def key(self) -> str:
        return self.actor.key

    def role(self, info: RoomInfo) -> Role:
        return role_of(self.user_id, info.owner_id, info.moderators)

    def to_wire(self, info: RoomInfo) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "user_id": self.user_id,
            "signed_in": self.user_id is not None,
            "role": self.role(info),
        }


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
class _Ticket:
    issued_at: float
    sid: str | None = None


@dataclass(slots=True)
class LiveRoom:
    id: str
    state: RoomState
    info: RoomInfo = field(default_factory=RoomInfo)
    members: dict[str, Member] = field(default_factory=dict)  # by sid
    tickets: dict[str, _Ticket] = field(default_factory=dict)  # by member token
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_active: float = 0.0  # event-loop time of the last join or command
    members_flush: asyncio.Task[None] | None = None
    members_delta: MembersDelta = field(default_factory=MembersDelta)
    members_sent_at: float = -math.inf  # event-loop time of the last MEMBERS broadcast
    members_listed: bool = True  # whether members were last told the list (not the count only)
    revision: int = 0  # counts every change, saved with the room (see store.rooms)
    deleted: bool = False
    plan: Plan = FREE  # the owner's, as of when the room was loaded or the plan changed
    expires_at: dt.datetime | None = None  # as saved; None while the plan keeps rooms
    touched_at: float = -math.inf  # event-loop time expires_at was last pushed back
    # Room life beyond playback (realtime.chat, .moderation, .autoplay keep these):
    chat: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=CHAT_HISTORY))
    mutes: dict[str, float] = field(default_factory=dict)  # member key -> muted until
    skip_votes: set[str] = field(default_factory=set)  # member keys, for the current video
    end_timer: asyncio.TimerHandle | None = None  # moves the room on when the video ends
    stalled: set[str] = field(default_factory=set)  # member keys whose player cannot play
    left_behind: set[str] = field(default_factory=set)  # stalled too long: not waited for
    wait_timer: asyncio.TimerHandle | None = None  # plays on without the stalled members
    end_reports: set[str] = field(default_factory=set)  # member keys that reported ENDED
    # Guests a moderator banned, and the addresses they came from: for the room's lifetime.
    guest_bans: set[str] = field(default_factory=set)
    address_bans: set[str] = field(default_factory=set)
    # A queue broadcast held back to the end of its window (``RoomRegistry.commit``).
    queue_flush: asyncio.Task[None] | None = None
    queue_sent_at: float = -math.inf  # event-loop time of the last queue broadcast

    def timers(self) -> list[asyncio.TimerHandle]:
        return [t for t in (self.end_timer, self.wait_timer) if t is not None]

    def tasks(self) -> list[asyncio.Task[None]]:
        """Broadcasts held back to the end of their window."""
        return [t for t in (self.members_flush, self.queue_flush) if t is not None]

    def cancel_tasks(self) -> None:
        for task in self.tasks():
            task.cancel()
        self.members_flush = self.queue_flush = None

    @classmethod
    def from_record(cls, record: RoomRecord, plan: Plan) -> LiveRoom:
        return cls(
            id=record.id,
            state=record.state,
            info=record.info,
            revision=record.revision,
            plan=plan,
            expires_at=record.expires_at,
        )

    def record(self) -> RoomRecord:
        return RoomRecord(
            state=self.state, info=self.info, revision=self.revision, expires_at=self.expires_at
        )

    def info_wire(self) -> dict[str, Any]:
        """ROOM_INFO: what the room is, and what its plan allows (the page shows the
        upgrade button and ads from it)."""
        return {**self.info.to_wire(), "plan": self.plan.to_wire()}

    def awaits_tickets(self, now: float) -> bool:
        """Whether a member token issued here may still be used to connect."""
        return any(
            ticket.sid is None and now - ticket.issued_at <= TICKET_TTL_SECONDS
            for ticket in self.tickets.values()
        )

    def members_wire(self) -> list[dict[str, Any]]:
        return [member.to_wire(self.info) for member in self.members.values()]

    def snapshot(self, now: float, listed: bool = True) -> dict[str, Any]:
        """The join snapshot: ROOM_STATE's payload, also served over HTTP (``listed``: with
        the member list, else an empty one and the count)."""
        return {
            "state": self.state.to_wire(),
            "info": self.info_wire(),
            "members": self.members_wire() if listed else [],
            "listed": listed,
            "count": len(self.members),
            "chat": list(itertools.islice(reversed(self.chat), CHAT_IN_SNAPSHOT))[::-1],
            "server_time": now,
        }


class RoomRegistry:
    def __init__(
        self,
        transport: Transport,
        store: RoomStore,
        writer: WriteBehind,
        *,
        max_rooms: int,
        max_members: int,
        plan_of: PlanOf,
        free_room_idle: float,
        reconnect_grace: float = RECONNECT_GRACE_SECONDS,
        start_lead: tuple[float, float] = (0.1, 1.0),
        clock: Clock = time.time,
        authority: Authority | None = None,
        member_list_max: int = MEMBER_LIST_MAX,
        queue_budget: QueueBudget | None = None,
    ) -> None:
        self._transport = transport
        self._store = store
        self._writer = writer
        self._clock = clock
        self._max_rooms = max_rooms
        self._max_members = max_members
        self._member_list_max = member_list_max
        self._plan_of = plan_of
        self._free_room_idle = free_room_idle
        self._grace = reconnect_grace
        self._lead_bounds = start_lead
        self._authority = authority  # None: one process, which holds every room
        self._queue_budget = queue_budget
        # Lifecycle hooks for the room concerns kept in their own modules (chat, autoplay):
        # called with the room's lock held, except on_load (a room read back from the
        # database, before anyone can use it).
        self.on_load: list[Callable[[LiveRoom], Awaitable[None]]] = []
        self.on_state: list[Callable[[LiveRoom, RoomState], None]] = []  # gets the old state
        self.on_leave: list[Callable[[LiveRoom, Member], Awaitable[None]]] = []
        self.on_delete: list[Callable[[str], None]] = []
        self.on_plan: list[Callable[[str, Plan], Awaitable[None]]] = []  # a plan changed here
        self._rooms: dict[str, LiveRoom] = {}
        self._loading: dict[str, asyncio.Future[LiveRoom | None]] = {}
        self._by_sid: dict[str, tuple[LiveRoom, Member]] = {}

    def now(self) -> float:
        return self._clock()

    def lead(self, room: LiveRoom, loading: bool = False) -> float:
        """How far ahead a start is scheduled in this room: its slowest member's round trip
        (a few, when players must load: a new video, a seek), within the configured bounds
        (core.timing)."""
        low, high = self._lead_bounds
        return start_lead((m.rtt for m in room.members.values()), low, high, loading)

    def note_rtt(self, sid: str, rtt: float) -> None:
        located = self._by_sid.get(sid)
        if located is not None:
            located[1].rtt = rtt

    def __len__(self) -> int:
        return len(self._rooms)

    @property
    def connections(self) -> int:
        """Sockets in a room now (a member away in its grace period has none)."""
        return len(self._by_sid)

    async def create(self, name: str | None = None, owner_id: str | None = None) -> LiveRoom:
        """A new room, written to the database before anyone learns its id.

        Raises ``StoreUnavailable`` when the database cannot be reached, ``RegistryFull``
        when every room this process may hold is in use.
        """
        self._make_room_for_one()
        plan = await self._plan_of(owner_id)
        while True:
            room_id = secrets.token_urlsafe(9)  # 12 characters, 72 random bits
            room = LiveRoom(
                id=room_id,
                state=new_room(room_id, self._clock()),
                info=RoomInfo(name=name, owner_id=owner_id),
                plan=plan,
            )
            self._touch(room)
            if await self._store.insert(room.record()):
                break
        if self._authority is not None:
            await self._authority.claim(room_id)  # a new id: nobody else knows it yet
        # Rooms loaded while we waited may overshoot the limit by a few; that is harmless,
        # and refusing now would hide a room that already exists.
        self._rooms[room_id] = room
        return room

    async def find(self, room_id: str) -> LiveRoom | None:
        """The live room, loaded from the database if this process does not hold it yet.

        Raises ``StoreUnavailable`` when it must be loaded and the database cannot be reached,
        and, when rooms are shared between processes, ``RoomElsewhere`` when another process
        holds the room and ``ClusterUnavailable`` when Redis cannot be reached.
        """
        room = self._rooms.get(room_id)
        if room is not None and self.authoritative(room):
            return room
        if not ROOM_ID.fullmatch(room_id):
            return None
        if self._authority is not None:
            holder = await self._authority.claim(room_id)
            if holder != self._authority.me:
                await self.give_up([room_id])
                raise RoomElsewhere(room_id, holder)
            if room is not None:  # ours still: its lease was renewed
                return room
        loading = self._loading.get(room_id)
        if loading is None:  # concurrent lookups share one load
            loading = asyncio.ensure_future(self._load(room_id))
            self._loading[room_id] = loading
            loading.add_done_callback(lambda _: self._loading.pop(room_id, None))
        return await asyncio.shield(loading)

    async def _load(self, room_id: str) -> LiveRoom | None:
        record = await self._store.load(room_id)
        if record is None:
            if self._authority is not None:
                self._authority.release(room_id)
            return None
        plan = await self._plan_of(record.info.owner_id)
        room = LiveRoom.from_record(record, plan)
        for hook in self.on_load:
            await hook(room)
        self._make_room_for_one()
        self._rooms[room_id] = room
        return room

    def _make_room_for_one(self) -> None:
        """Unload the least recently active idle room if the process is at its limit.

        An idle room has no members, no unused member tokens and nothing waiting to be
        written, so unloading it loses nothing: it is loaded again on its next use.
        """
        if len(self._rooms) < self._max_rooms:
            return
        now = self._clock()
        idle = [
            room
            for room in self._rooms.values()
            if not room.members
            and not room.awaits_tickets(now)
            and not room.lock.locked()
            and not room.tasks()
            and not self._writer.is_dirty(room.id)
        ]
        if not idle:
            raise RegistryFull
        unloaded = self._rooms.pop(min(idle, key=lambda room: room.last_active).id)
        for timer in unloaded.timers():  # scheduled again when the room is loaded again
            timer.cancel()
        if self._authority is not None:
            self._authority.release(unloaded.id)

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

    async def join(
        self,
        room_id: str,
        sid: str,
        name: str,
        ticket: str | None,
        user_id: str | None = None,
        resume: str | None = None,
        guest_id: str | None = None,
        address: str | None = None,
        guest_token: str | None = None,
    ) -> Member:
        """Admit a connected socket: enter the room, send it the snapshot, tell the others.

        With ``resume``, a member whose connection was lost moments ago comes back as itself
        and nobody is told it was gone.
        """
        while True:
            room = await self.find(room_id)
            if room is None:
                raise JoinRefused("room_not_found", "room not found")
            async with room.lock:
                if self._rooms.get(room_id) is not room:
                    continue  # unloaded while we waited for the lock: look it up again
                if self.banned(room, user_id, guest_id, address):
                    raise JoinRefused("banned", "you are banned from this room")
                returning = self._returning(room, resume, user_id)
                if returning is not None:
                    return await self._reattach(room, returning, sid, name, guest_token)
                if len(room.members) >= self._max_members:
                    raise JoinRefused("room_full", "this room has as many members as it can take")
                over = check_members(room.plan, len(room.members))
                if over is not None:
                    raise JoinRefused(over.code, over.message)
                if ticket is not None and ticket not in room.tickets:
                    raise JoinRefused("invalid_member_token", "unknown or expired member token")
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
                room.last_active = asyncio.get_running_loop().time()
                if room.last_active - room.touched_at > TOUCH_SECONDS and self._touch(room):
                    room.revision += 1  # a free room in use must not expire: save it
                    self._writer.mark(room.id, room.record)
                self._by_sid[sid] = (room, member)
                await self._transport.enter(sid, room.id)
                snapshot = self._snapshot_for(room, member, guest_token)
                await self._transport.send("ROOM_STATE", snapshot, sid)
                await self._members_changed(room, joined=member)
                return member

    def _returning(self, room: LiveRoom, resume: str | None, user_id: str | None) -> Member | None:
        if resume is None:
            return None
        for member in room.members.values():
            if member.away is not None and member.resume == resume and member.user_id == user_id:
                return member
        return None

    async def _reattach(
        self, room: LiveRoom, member: Member, sid: str, name: str, guest_token: str | None
    ) -> Member:
        """A lost connection came back within the grace period: same member, new socket."""
        assert member.away is not None
        member.away.cancel()
        member.away = None
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
            await self._members_changed(room, changed=(member,))
        return member

    def listed(self, room: LiveRoom) -> bool:
        """Whether this room's members are told its member list, or its count only."""
        return len(room.members) <= self._member_list_max

    def _snapshot_for(
        self, room: LiveRoom, member: Member, guest_token: str | None = None
    ) -> dict[str, Any]:
        snapshot = room.snapshot(self._clock(), self.listed(room))
        you = {**member.to_wire(room.info), "resume": member.resume}
        if guest_token is not None:
            you["guest_token"] = guest_token
        snapshot["you"] = you
        return snapshot

    @staticmethod
    def banned(
        room: LiveRoom, user_id: str | None, guest_id: str | None, address: str | None
    ) -> bool:
        """Whether someone is kept out: a banned account, or (for a guest) a banned guest
        identity or the address a banned guest came from."""
        if user_id is not None:
            return user_id in room.info.banned
        return guest_id in room.guest_bans or (address is not None and address in room.address_bans)

    async def leave(self, sid: str, *, lost: bool = False) -> None:
        """A socket disconnected. On purpose: the member leaves now. Its connection lost
        (``lost``): the member stays for the grace period, in case it comes back."""
        entry = self._by_sid.pop(sid, None)
        if entry is None:
            return
        room, member = entry
        if lost and not member.leaving and self._grace > 0 and not room.deleted:
            loop = asyncio.get_running_loop()
            member.away = loop.call_later(
                self._grace, lambda: loop.create_task(self._remove_if_away(room, member))
            )
            return
        async with room.lock:
            await self._remove(room, member)

    async def _remove_if_away(self, room: LiveRoom, member: Member) -> None:
        async with room.lock:
            if member.away is not None:  # it did not come back
                member.away = None
                await self._remove(room, member)

    async def _remove(self, room: LiveRoom, member: Member) -> None:
        """Take a member out of the room and tell the others; call with the lock held."""
        if room.members.get(member.sid) is not member:
            return
        del room.members[member.sid]
        if member.ticket is not None:
            room.tickets.pop(member.ticket, None)
        for hook in self.on_leave:
            await hook(room, member)
        await self._members_changed(room, left=member)

    async def expel(self, room: LiveRoom, member: Member, event: str, payload: Any) -> None:
        """Send ``member`` one last event (why), then disconnect it with no grace period;
        call with the lock held."""
        member.leaving = True
        if member.away is not None:  # already gone: just finish its removal
            member.away.cancel()
            member.away = None
            await self._remove(room, member)
            return
        await self._transport.send(event, payload, member.sid)
        self._by_sid.pop(member.sid, None)
        await self._remove(room, member)
        await self._transport.disconnect(member.sid)

    def member(self, room: LiveRoom, member_id: str) -> Member | None:
        return next((m for m in room.members.values() if m.id == member_id), None)

    async def _members_changed(
        self,
        room: LiveRoom,
        *,
        joined: Member | None = None,
        left: Member | None = None,
        changed: Iterable[Member] = (),
    ) -> None:
        """Note a change to the member list and broadcast MEMBERS now, or once at the end of
        the window with everything that changed in it; call with the lock held."""
        room.members_delta.note(joined=joined, left=left, changed=changed)
        if room.members_flush is not None:
            return  # a broadcast at the end of this window is already due
        loop = asyncio.get_running_loop()
        wait = room.members_sent_at + members_window(len(room.members)) - loop.time()
        if wait <= 0:
            await self._send_members(room)
        else:
            room.members_flush = loop.create_task(self._flush_members(room, wait))

    async def _send_members(self, room: LiveRoom) -> None:
        """MEMBERS carries what changed, not the whole list: its cost grows with the changes,
        where a whole list to every member grew with the square of the room (at 1,000
        viewers, 80 MB of writes for one update; docs/fanout.md). Beyond
        ``member_list_max`` members it carries the count only, and the whole list once when
        the room is back within it (the members' lists are out of date by then)."""
        delta, room.members_delta = room.members_delta, MembersDelta()
        if not delta:
            return
        room.members_sent_at = asyncio.get_running_loop().time()
        listed = self.listed(room)
        payload = (delta if listed else MembersDelta()).to_wire(room.info, len(room.members))
        payload["listed"] = listed
        if listed and not room.members_listed:
            payload["members"] = room.members_wire()
        room.members_listed = listed
        await self._transport.broadcast("MEMBERS", payload, room.id)

    async def _flush_members(self, room: LiveRoom, wait: float) -> None:
        await asyncio.sleep(wait)
        async with room.lock:
            room.members_flush = None
            try:
                await self._send_members(room)
            except Exception:
                log.exception("MEMBERS broadcast to room %s failed", room.id)

    async def close(self) -> None:
        """Cancel pending MEMBERS broadcasts and timers (the server is shutting down)."""
        for room in self._rooms.values():
            for handle in [*room.timers(), *(m.away for m in room.members.values())]:
                if handle is not None:
                    handle.cancel()
        tasks = [t for room in self._rooms.values() for t in room.tasks()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def leave_by_ticket(self, room: LiveRoom, token: str) -> bool:
        """Disconnect the socket that joined with ``token``; False if there is none."""
        ticket = room.tickets.pop(token, None)
        if ticket is None:
            return False
        if ticket.sid is not None and ticket.sid in room.members:
            room.members[ticket.sid].leaving = True
            await self._transport.disconnect(ticket.sid)
        return True

    def peek(self, room_id: str) -> LiveRoom | None:
        """The room if this process holds it now (no database read)."""
        return self._rooms.get(room_id)

    def locate(self, sid: str) -> tuple[LiveRoom, Member] | None:
        return self._by_sid.get(sid)

    def authoritative(self, room: LiveRoom) -> bool:
        """Whether this process may change the room now: always, in one process; while it
        holds the room's lease, when rooms are shared (fencing: no I/O, so it costs nothing)."""
        return self._authority is None or self._authority.holds(room.id)

    async def give_up(self, room_ids: Iterable[str]) -> list[str]:
        """Stop holding these rooms (their lease was lost): drop them without a word to their
        members, close the connections here so that those clients reconnect to wherever the
        room goes next, and answer the sids that were members. What was accepted and not yet
        saved is still saved (the store's revision check keeps it from overwriting newer)."""
        sids: list[str] = []
        for room_id in room_ids:
            room = self._rooms.pop(room_id, None)
            if room is None:
                continue
            async with room.lock:
                for handle in [*room.timers(), *(m.away for m in room.members.values())]:
                    if handle is not None:
                        handle.cancel()
                room.cancel_tasks()
                for sid in room.members:
                    self._by_sid.pop(sid, None)
                sids.extend(room.members)
                room.members.clear()
        if sids:
            await self._transport.drop(sids)
        return sids

    async def execute(
        self, room: LiveRoom, actor: Actor, event: str, command: Command
    ) -> Accepted | Rejection:
        """Apply one command and broadcast the result to the room's members (all but the
        sender's own socket, which gets it in its acknowledgement). Every path that changes
        a room's playback or queue comes here (a socket, a relayed socket, ``POST
        /api/rooms/<id>/queue``), so bans, permissions and budgets are checked here."""
        async with room.lock:
            if room.deleted:
                return Rejection("room_not_found", "this room was deleted")
            if not self.authoritative(room):
                return MOVING
            info = room.info
            if actor.user_id is not None and actor.user_id in info.banned:
                return Rejection("banned", "you are banned from this room")
            if not may_control(
                info.control, role_of(actor.user_id, info.owner_id, info.moderators)
            ):
                return refusal(info.control)
            queue_change = isinstance(command, UpdateQueue | QueueAdd | QueueRemove | QueueMove)
            if isinstance(command, UpdateQueue):
                over = check_queue(room.plan, len(room.state.queue), len(command.queue))
                if over is not None:
                    return over
            if isinstance(command, QueueAdd):
                over = check_queue(room.plan, len(room.state.queue), len(room.state.queue) + 1)
                if over is not None:
                    return over
            if queue_change and self._queue_budget is not None:
                spent = await self._queue_budget.spend(room.id, actor.key)
                if spent is not None:
                    return spent
            now = self._clock()
            lead = self.lead(room, loading=isinstance(command, ChangeVideo | Seek))
            result = apply(room.state, command, now, lead)
            if isinstance(result, Accepted):
                # The small queue operations reach other clients as the whole new queue.
                wire_event = "UPDATE_QUEUE" if event.startswith("QUEUE_") else event
                await self.commit(
                    room,
                    result.state,
                    wire_event,
                    actor.name,
                    skip_sid=actor.sid,
                    coalesce=queue_change,
                )
            return result

    async def commit(
        self,
        room: LiveRoom,
        state: RoomState,
        event: str,
        by: str,
        skip_sid: str | None = None,
        *,
        coalesce: bool = False,
    ) -> None:
        """Make ``state`` the room's, tell its members, save it; call with the lock held.

        A queue change (``coalesce``) goes out at once unless another went out less than
        ``QUEUE_WINDOW`` ago: then one broadcast at the end of that window carries the latest
        state to everyone. Each carries the whole queue to every member, so without it a
        burst of small edits cost every viewer megabytes; any other broadcast meanwhile
        carries the queue too, and the held one is dropped.
        """
        previous, room.state = room.state, state
        room.revision += 1
        room.last_active = asyncio.get_running_loop().time()
        self._touch(room)
        for hook in self.on_state:
            hook(room, previous)
        self._writer.mark(room.id, room.record)
        if coalesce:
            await self._queue_changed(room, by, skip_sid)
            return
        if room.queue_flush is not None:
            room.queue_flush.cancel()
            room.queue_flush = None
        await self._broadcast_state(room, event, by, skip_sid)

    async def _broadcast_state(
        self, room: LiveRoom, event: str, by: str, skip_sid: str | None = None
    ) -> None:
        """The room's state to its members (all but ``skip_sid``), as ``event``."""
        payload = {"state": room.state.to_wire(), "by": by, "server_time": self._clock()}
        await self._transport.broadcast(event, payload, room.id, skip_sid=skip_sid)

    async def _queue_changed(self, room: LiveRoom, by: str, skip_sid: str | None) -> None:
        """Broadcast a queue change now, or once at the end of the window; lock held."""
        if room.queue_flush is not None:
            return  # a broadcast at the end of this window carries it
        loop = asyncio.get_running_loop()
        wait = room.queue_sent_at + QUEUE_WINDOW - loop.time()
        if wait > 0:
            room.queue_flush = loop.create_task(self._flush_queue(room, wait, by))
            return
        room.queue_sent_at = loop.time()
        await self._broadcast_state(room, "UPDATE_QUEUE", by, skip_sid)

    async def _flush_queue(self, room: LiveRoom, wait: float, by: str) -> None:
        await asyncio.sleep(wait)
        async with room.lock:
            room.queue_flush = None
            if room.deleted:
                return
            room.queue_sent_at = asyncio.get_running_loop().time()
            try:
                await self._broadcast_state(room, "UPDATE_QUEUE", by)
            except Exception:
                log.exception("queue broadcast to room %s failed", room.id)

    async def update_info(self, room: LiveRoom, **changes: Any) -> RoomInfo:
        """Rename the room or change who controls it (``RoomInfo`` fields), and tell its
        members (roles may have changed, so MEMBERS follows)."""
        async with room.lock:
            return await self.set_info(room, **changes)

    async def set_info(self, room: LiveRoom, **changes: Any) -> RoomInfo:
        """``update_info`` for a caller that holds the room's lock already."""
        if room.deleted:
            return room.info
        before = room.info
        room.info = info = replace(room.info, **changes)
        room.revision += 1
        self._touch(room)
        await self._transport.broadcast("ROOM_INFO", room.info_wire(), room.id)
        changed = [m for m in room.members.values() if m.role(before) != m.role(info)]
        if changed:
            await self._members_changed(room, changed=changed)
        self._writer.mark(room.id, room.record)
        return info

    async def change_plan(self, owner_id: str, plan: Plan, *, here_only: bool = False) -> None:
        """The owner's plan changed: their live rooms follow (checked from the next action on;
        nothing already in a room is taken away), and tell their members. Other processes are
        told too (``on_plan``) unless the news came from one of them (``here_only``)."""
        if not here_only:
            for hook in self.on_plan:
                await hook(owner_id, plan)
        for room in [r for r in self._rooms.values() if r.info.owner_id == owner_id]:
            async with room.lock:
                if room.deleted or room.plan == plan:
                    continue
                room.plan = plan
                room.revision += 1
                self._touch(room)
                await self._transport.broadcast("ROOM_INFO", room.info_wire(), room.id)
                self._writer.mark(room.id, room.record)

    def _touch(self, room: LiveRoom) -> bool:
        """Set when the room expires: never on a plan that keeps rooms, else after the idle
        time from now. True if that changed what is saved."""
        before = room.expires_at
        room.touched_at = asyncio.get_running_loop().time()
        if room.plan.persistent_rooms:
            room.expires_at = None
        else:
            room.expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self._free_room_idle)
        return before != room.expires_at

    async def delete(self, room: LiveRoom) -> None:
        """Delete the room: its members are told (``ROOM_DELETED``) and disconnected, and it
        is removed from the database (a save already on its way cannot bring it back)."""
        async with room.lock:
            await self._store.delete(room.id)  # first: if the database is down, nothing changes
            room.deleted = True
            room.cancel_tasks()
            for timer in room.timers():
                timer.cancel()
            for member in room.members.values():
                member.leaving = True
                if member.away is not None:
                    member.away.cancel()
            await self._transport.broadcast("ROOM_DELETED", {"room": room.id}, room.id)
            for sid in list(room.members):
                self._by_sid.pop(sid, None)
                await self._transport.disconnect(sid)
            room.members.clear()
            room.tickets.clear()
            self._rooms.pop(room.id, None)
            self._writer.forget(room.id)
            if self._authority is not None:
                self._authority.release(room.id)
            for forget in self.on_delete:
                forget(room.id)

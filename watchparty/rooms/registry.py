"""The registry of live rooms: find, load, unload, execute, commit, delete.

python-socketio runs every incoming event as its own task, so two commands (even from one
client) can interleave. Each room therefore has one lock, held from ``apply`` through the
broadcast: commands for a room are applied one at a time, in arrival order, and every member
receives the resulting states in version order (docs/architecture.md, "the lock").

Rooms are created in the database first (so a room that was handed out always exists), loaded
from it on first use after a restart, and saved behind every accepted command by the
write-behind: the broadcast never waits on the database (docs/decisions/002-write-behind.md).
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Iterable
from typing import Any

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
from watchparty.core.commands import broadcast_as
from watchparty.core.errors import reject
from watchparty.rooms.broadcast import StateBroadcasts
from watchparty.rooms.checks import may_command
from watchparty.rooms.concerns import Concern
from watchparty.rooms.door import Credentials, Door
from watchparty.rooms.info import RoomInfoChanges
from watchparty.rooms.live import Actor, LiveRoom, Member
from watchparty.rooms.membership import RECONNECT_GRACE_SECONDS, Membership, refused
from watchparty.rooms.ports import (
    Authority,
    Clock,
    PlanOf,
    QueueBudget,
    RegistryFull,
    RoomElsewhere,
    Rooms,
    Transport,
)
from watchparty.rooms.roster import MEMBER_LIST_MAX, Roster
from watchparty.rooms.tasks import Job
from watchparty.rooms.writebehind import WriteBehind
from watchparty.stopping import cancel_and_wait
from watchparty.store.rooms import RoomInfo

# A free room used again after this long gets its expiry pushed back (and is saved for it).
TOUCH_SECONDS = 3600.0
ROOM_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
QUEUE_COMMANDS = (UpdateQueue, QueueAdd, QueueRemove, QueueMove)
TIMER_RETRY_SECONDS = 1.0


class RoomRegistry:
    def __init__(
        self,
        transport: Transport,
        store: Rooms,
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
        door: Door,
    ) -> None:
        self._transport = transport
        self._store = store
        self._writer = writer
        self._clock = clock
        self._max_rooms = max_rooms
        self._plan_of = plan_of
        self._idle = free_room_idle
        self._lead_bounds = start_lead
        self._authority = authority  # None: one process, which holds every room
        self.queue_budget = queue_budget
        self.door = door
        self.concerns: list[Concern] = []  # rooms.concerns; ``add`` them before serving
        self.roster = Roster(transport, member_list_max)
        self._broadcasts = StateBroadcasts(transport, clock)
        self.members = Membership(
            transport,
            self.roster,
            self.concerns,
            self.snapshot,
            max_members=max_members,
            clock=clock,
            reconnect_grace=reconnect_grace,
        )
        self._rooms: dict[str, LiveRoom] = {}
        self.info = RoomInfoChanges(
            transport, writer, self.roster, self._rooms.values, free_room_idle
        )
        self._loading: dict[str, asyncio.Future[LiveRoom | None]] = {}

    def add(self, concern: Concern) -> None:
        self.concerns.append(concern)

    def now(self) -> float:
        return self._clock()

    def lead(self, room: LiveRoom, loading: bool = False) -> float:
        """How far ahead a start is scheduled here: the slowest member's round trip (a few,
        when players must load: a new video, a seek), within the bounds (core.timing)."""
        low, high = self._lead_bounds
        return start_lead((m.rtt for m in room.members.values()), low, high, loading)

    def __len__(self) -> int:
        return len(self._rooms)

    def snapshot(self, room: LiveRoom, listed: bool = True) -> dict[str, Any]:
        """The join snapshot: ROOM_STATE's payload, also served over HTTP (``listed``: with
        the member list, else an empty one and the count), with what each concern adds."""
        snapshot: dict[str, Any] = {
            "state": room.state.to_wire(),
            "info": room.info_wire(),
            "members": room.members_wire() if listed else [],
            "listed": listed,
            "count": len(room.members),
        }
        for concern in self.concerns:
            snapshot.update(concern.snapshot(room))
        snapshot["server_time"] = self._clock()
        return snapshot

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
            room.touch(self._idle)
            if await self._store.insert(room.record()):
                break
        if self._authority is not None:
            await self._authority.claim(room_id, new=True)  # nobody else knows the id yet
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
        for concern in self.concerns:
            await concern.on_load(room)
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
            and not room.tasks.busy()
            and not self._writer.is_dirty(room.id)
        ]
        if not idle:
            raise RegistryFull
        unloaded = self._rooms.pop(min(idle, key=lambda room: room.last_active).id)
        unloaded.tasks.cancel_all()  # the concerns schedule theirs again when it loads
        if self._authority is not None:
            self._authority.release(unloaded.id)

    async def join(self, room_id: str, sid: str, **auth: Any) -> Member:
        """Admit a connected socket to the room past its door (``rooms.door``, then
        ``Membership.admit``); raises ``JoinRefused``, and what ``find`` raises."""
        credentials = Credentials(auth.pop("password", None), auth.pop("invite", None))
        while True:
            room = await self.find(room_id)
            if room is None:
                raise refused("room_not_found")
            passed = await self.door.check(room, sid, auth, credentials)  # not under the lock
            async with room.lock:
                if self._rooms.get(room_id) is not room:
                    continue  # unloaded while we waited for the lock: look it up again
                self.door.admit(room, passed)
                member = await self.members.admit(room, sid, **auth)
                self.door.used(room, passed)
                room.last_active = asyncio.get_running_loop().time()
                if room.last_active - room.touched_at > TOUCH_SECONDS and room.touch(self._idle):
                    room.revision += 1  # a free room in use must not expire: save it
                    self._writer.mark(room.id, room.record)
                return member

    async def leave(self, sid: str, *, lost: bool = False) -> None:
        await self.members.leave(sid, lost=lost)

    def peek(self, room_id: str) -> LiveRoom | None:
        """The room if this process holds it now (no database read)."""
        return self._rooms.get(room_id)

    def live(self) -> list[LiveRoom]:
        return list(self._rooms.values())

    def authoritative(self, room: LiveRoom) -> bool:
        """Whether this process may change the room now: always, in one process; while it
        holds the room's lease, when rooms are shared (fencing: no I/O, so it costs nothing)."""
        return self._authority is None or self._authority.holds(room.id)

    def may_run(self, room: LiveRoom, name: str, job: Job) -> bool:
        """For a room's timer about to change it: whether this process may now. If not (its
        lease lapsed in a Redis outage), the timer runs again in a second; if the room goes
        elsewhere for good, its new holder's timers take over."""
        if self.authoritative(room):
            return True
        room.tasks.after(name, TIMER_RETRY_SECONDS, job, remade_on_load=True)
        return False

    def standing(self, room: LiveRoom) -> Rejection | None:
        """Why this process may not change the room now (None: it may): its lease lapsed in
        a Redis outage (it keeps the room and takes it back after), or ran out for good."""
        if self.authoritative(room):
            return None
        assert self._authority is not None
        if self._authority.lapsed(room.id):
            return reject("cluster_unavailable")
        return reject("room_moving")

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
                room.tasks.cancel_all()
                self.members.forget(list(room.members))
                sids.extend(room.members)
                room.members.clear()
        if sids:
            await self._transport.drop(sids)
        return sids

    async def close(self) -> None:
        """Cancel every room's timers and held broadcasts (the server is shutting down)."""
        tasks = [task for room in self._rooms.values() for task in room.tasks.cancel_all()]
        await cancel_and_wait(tasks)  # a lost cancellation must not hold the shutdown

    async def execute(
        self, room: LiveRoom, actor: Actor, event: str, command: Command
    ) -> Accepted | Rejection:
        """Apply one command and broadcast the result to the room's members (all but the
        sender's own socket, which gets it in its acknowledgement). Every path that changes
        a room's playback or queue comes here (a socket, a relayed socket, ``POST
        /api/rooms/<id>/queue``), so bans, permissions and budgets are checked here."""
        async with room.lock:
            refused_ = await self._check(room, actor, command)
            if refused_ is not None:
                return refused_
            lead = self.lead(room, loading=isinstance(command, ChangeVideo | Seek))
            result = apply(room.state, command, self._clock(), lead, (actor.key, actor.name))
            if isinstance(result, Accepted):
                wire_event = broadcast_as(event)
                await self.commit(
                    room,
                    result.state,
                    wire_event,
                    actor.name,
                    skip_sid=actor.sid,
                    coalesce=isinstance(command, QUEUE_COMMANDS),
                )
            return result

    async def _check(self, room: LiveRoom, actor: Actor, command: Command) -> Rejection | None:
        """Whether ``actor`` may send ``command`` here now; lock held."""
        if room.deleted:
            return reject("room_not_found")
        vetoes = (concern.before_command(room, command) for concern in self.concerns)
        refused_ = self.standing(room) or may_command(room, actor, command)
        refused_ = refused_ or next(filter(None, vetoes), None)
        if refused_ is not None:
            return refused_
        if isinstance(command, QUEUE_COMMANDS) and self.queue_budget is not None:
            return await self.queue_budget.spend(room.id, actor.key)
        return None

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
        """Make ``state`` the room's, tell its members, save it; call with the lock held. A
        queue change (``coalesce``) may be held to the end of its window (rooms.broadcast)."""
        previous, room.state = room.state, state
        room.revision += 1
        room.last_active = asyncio.get_running_loop().time()
        room.touch(self._idle)
        for concern in self.concerns:
            concern.on_state(room, previous)
        self._writer.mark(room.id, room.record)
        if coalesce:
            await self._broadcasts.queue_changed(room, by, skip_sid)
        else:
            await self._broadcasts.now(room, event, by, skip_sid)

    async def delete(self, room: LiveRoom) -> None:
        """Delete the room: its members are told (``ROOM_DELETED``) and disconnected, and it
        is removed from the database (a save already on its way cannot bring it back)."""
        async with room.lock:
            await self._store.delete(room.id)  # first: if the database is down, nothing changes
            room.deleted = True
            room.tasks.cancel_all()
            for member in room.members.values():
                member.leaving = True
            await self._transport.broadcast("ROOM_DELETED", {"room": room.id}, room.id)
            sids = list(room.members)
            self.members.forget(sids)
            for sid in sids:
                await self._transport.disconnect(sid)
            room.members.clear()
            room.tickets.clear()
            self._rooms.pop(room.id, None)
            self._writer.forget(room.id)
            if self._authority is not None:
                self._authority.release(room.id)
            for concern in self.concerns:
                concern.on_delete(room.id)

"""A live room and its members, as held in memory by the process that is its authority.

The room keeps what every concern shares (playback, info, members, the lock, its tasks);
each concern keeps its own per-room state in ``parts`` (``LiveRoom.part``), so adding one
(subtitles, reactions) adds no field here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import secrets
from dataclasses import dataclass, field
from typing import Any, TypeVar

from watchparty.core import RoomState
from watchparty.core.plans import FREE, Plan
from watchparty.core.policy import Role, grants, role_of
from watchparty.rooms.tasks import RoomTasks
from watchparty.store.rooms import RoomInfo, RoomRecord

# A member token (from POST /api/rooms/<id>/join) that no socket used within this time is
# dropped; at most this many unused ones are kept per room.
TICKET_TTL_SECONDS = 600.0
MAX_UNUSED_TICKETS = 1000

Part = TypeVar("Part")


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


@dataclass(frozen=True, slots=True)
class Joiner:
    """Who asks to join, as the concerns' ``before_join`` veto sees them."""

    user_id: str | None
    guest_id: str | None
    address: str | None


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
    away: bool = False  # its connection is lost; removed when its grace period ends
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
class Ticket:
    issued_at: float
    sid: str | None = None


@dataclass(slots=True)
class LiveRoom:
    id: str
    state: RoomState
    info: RoomInfo = field(default_factory=RoomInfo)
    members: dict[str, Member] = field(default_factory=dict)  # by sid
    tickets: dict[str, Ticket] = field(default_factory=dict)  # by member token
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_active: float = 0.0  # event-loop time of the last join or command
    revision: int = 0  # counts every change, saved with the room (see store.rooms)
    deleted: bool = False
    plan: Plan = FREE  # the owner's, as of when the room was loaded or the plan changed
    expires_at: dt.datetime | None = None  # as saved; None while the plan keeps rooms
    touched_at: float = -math.inf  # event-loop time expires_at was last pushed back
    tasks: RoomTasks = field(init=False)
    # Each concern's own state for this room, by its type (``part``).
    parts: dict[type, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tasks = RoomTasks(self.id)

    def part(self, kind: type[Part]) -> Part:
        """The concern state of type ``kind`` for this room, made on first use."""
        found = self.parts.get(kind)
        if found is None:
            found = self.parts[kind] = kind()
        return found

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
            state=self.state,
            info=self.info,
            revision=self.revision,
            expires_at=self.expires_at,
            viewers=len(self.members),
        )

    def touch(self, idle_seconds: float) -> bool:
        """Set when the room expires: never on a plan that keeps rooms, else ``idle_seconds``
        from now. True if that changed what is saved."""
        before = self.expires_at
        self.touched_at = asyncio.get_running_loop().time()
        if self.plan.persistent_rooms:
            self.expires_at = None
        else:
            self.expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=idle_seconds)
        return before != self.expires_at

    def info_wire(self) -> dict[str, Any]:
        """ROOM_INFO: what the room is, what its plan allows (the page shows the upgrade
        button and ads from it), and what each role may do here (core.policy), so that the
        page shows only the controls its member may use."""
        return {
            **self.info.to_wire(),
            "plan": self.plan.to_wire(),
            "grants": grants(self.info.control),
        }

    def awaits_tickets(self, now: float) -> bool:
        """Whether a member token issued here may still be used to connect."""
        return any(
            ticket.sid is None and now - ticket.issued_at <= TICKET_TTL_SECONDS
            for ticket in self.tickets.values()
        )

    def members_wire(self) -> list[dict[str, Any]]:
        return [member.to_wire(self.info) for member in self.members.values()]

    def member_by_id(self, member_id: str) -> Member | None:
        return next((m for m in self.members.values() if m.id == member_id), None)

    def present(self) -> set[str]:
        """The keys of the members here now (votes and holds count people, not sockets)."""
        return {m.key for m in self.members.values()}

"""A room's door: who may come in (the rules are ``core.access``), with what they need
besides: the password's bcrypt check, off the event loop and never under the room's lock;
the limit on wrong passwords per room and client address; and the invites, counted under
the lock and saved with the room.

A join asks ``check`` first (it may take a bcrypt's time), then, holding the lock, ``admit``
(the invite may have been used up meanwhile) and, once the member is in, ``used``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import Any

from watchparty.core.access import MAX_INVITES, Invite, enter, live_invites, use
from watchparty.core.errors import Rejection, reject
from watchparty.core.policy import role_of
from watchparty.rooms.live import Actor, LiveRoom
from watchparty.rooms.membership import JoinRefused, refused
from watchparty.rooms.ports import Clock, FailureLimit, PasswordCheck
from watchparty.rooms.writebehind import WriteBehind
from watchparty.store.rooms import RoomInfo


def trusted(info: RoomInfo, user_id: str | None) -> bool:
    """Who never needs a password or an invite: the owner, moderators, the allow list."""
    if user_id is None:
        return False
    return role_of(user_id, info.owner_id, info.moderators) != "member" or user_id in info.allowed


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a joiner shows at the door (the socket's ``auth.password`` and ``auth.invite``)."""

    password: str | None = None
    invite: str | None = None


@dataclass(frozen=True, slots=True)
class Passed:
    """Who came through the door (``key``: whom an invite counts, ``Actor.key``'s), by which
    invite if any, and which password hash their password matched, if one was asked."""

    key: str
    trusted: bool
    invite: str | None = None
    matched: str | None = None


class Door:
    def __init__(
        self,
        passwords: PasswordCheck,
        wrong_passwords: FailureLimit,
        writer: WriteBehind,
        clock: Clock,
        idle_seconds: float,
    ) -> None:
        self._passwords = passwords
        self._wrong = wrong_passwords
        self._writer = writer
        self._clock = clock
        self._idle = idle_seconds

    async def check(
        self, room: LiveRoom, sid: str, auth: dict[str, Any], credentials: Credentials
    ) -> Passed:
        """May they come in (``auth``: ``Membership.admit``'s arguments)? Raises
        ``JoinRefused``; a bcrypt's time when the room asks for its password."""
        info, user_id = room.info, auth.get("user_id")
        key = Actor(name="", user_id=user_id, sid=sid, guest_id=auth.get("guest_id")).key
        passed = Passed(key, trusted(info, user_id), credentials.invite)
        verdict = enter(
            info.door, trusted=passed.trusted, key=key, invite=passed.invite, now=self._clock()
        )
        if isinstance(verdict, Rejection):
            raise JoinRefused(verdict.code, verdict.message)
        if verdict == "password":
            hashed = info.password_hash
            address = auth.get("address") or "unknown"
            await self._password(room.id, credentials.password, hashed, address)
            return replace(passed, matched=hashed)
        return passed

    async def _password(
        self, room_id: str, password: str | None, hashed: str | None, address: str
    ) -> None:
        if password is None:
            raise refused("password_required")
        limit_key = f"{room_id}:{address}"
        limited = await self._wrong.check(limit_key)
        if not limited.allowed:
            wait = limited.retry_after
            raise refused("rate_limited", detail=f"too many wrong passwords: try in {wait} s")
        matched = await self._passwords(password, hashed, address)
        if matched is None:
            raise refused("rate_limited", detail="too many password checks at once; try again")
        if not matched:
            await self._wrong.count(limit_key)
            raise refused("wrong_password")

    def admit(self, room: LiveRoom, passed: Passed) -> None:
        """Under the lock, just before admitting: the door still lets them in (an invite's
        last use may have gone, the owner may have changed the password or the visibility
        while their password was being checked)."""
        verdict = enter(
            room.info.door,
            trusted=passed.trusted,
            key=passed.key,
            invite=passed.invite,
            now=self._clock(),
        )
        if isinstance(verdict, Rejection):
            raise JoinRefused(verdict.code, verdict.message)
        if verdict == "password" and passed.matched != room.info.password_hash:
            raise refused("password_required" if passed.matched is None else "wrong_password")

    def used(self, room: LiveRoom, passed: Passed) -> None:
        """Under the lock, once they are in: their invite counts them (once per person)."""
        if passed.invite is None:
            return
        invites = use(room.info.invites, passed.invite, passed.key)
        if invites != room.info.invites:
            self._set(room, invites)

    def create(
        self, room: LiveRoom, *, seconds: float | None, uses: int | None
    ) -> Invite | Rejection:
        """A new invite (under the lock); expired ones make way for it."""
        now = self._clock()
        invites = live_invites(room.info.invites, now)
        if len(invites) >= MAX_INVITES:
            return reject("too_many_invites", limit=MAX_INVITES)
        invite = Invite(
            token=secrets.token_urlsafe(18),
            created_at=now,
            expires_at=None if seconds is None else now + seconds,
            uses=uses,
        )
        self._set(room, (*invites, invite))
        return invite

    def revoke(self, room: LiveRoom, token: str) -> bool:
        """Take an invite back (under the lock): nobody new comes in by it; who is in stays."""
        invites = tuple(i for i in room.info.invites if i.token != token)
        if len(invites) == len(room.info.invites):
            return False
        self._set(room, invites)
        return True

    def listed(self, room: LiveRoom) -> list[Invite]:
        return list(live_invites(room.info.invites, self._clock()))

    def _set(self, room: LiveRoom, invites: tuple[Invite, ...]) -> None:
        """Invites are the owner's business: saved, but no ROOM_INFO for everyone."""
        room.info = replace(room.info, invites=invites)
        room.revision += 1
        room.touch(self._idle)
        self._writer.mark(room.id, room.record)

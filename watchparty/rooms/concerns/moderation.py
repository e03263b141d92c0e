"""Moderation: the owner and the moderators the owner named may kick, mute and ban members
(guests too, for the room's lifetime) and change who controls the room; core.policy says who
may act on whom."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from watchparty.core import Rejection
from watchparty.core.errors import reject
from watchparty.core.policy import (
    Action,
    Control,
    Role,
    allows,
    may_act_on,
    outranked,
    refusal,
    role_of,
)
from watchparty.rooms.concerns import Concern
from watchparty.rooms.concerns.chat import Chat
from watchparty.rooms.live import Joiner, LiveRoom, Member
from watchparty.rooms.ports import Clock, Transport
from watchparty.rooms.registry import RoomRegistry

MAX_BANS = 1000


@dataclass(slots=True)
class GuestBans:
    """Guests a moderator banned, and the addresses they came from: for the room's
    lifetime (an account's ban is saved with the room: ``RoomInfo.banned``)."""

    guests: set[str] = field(default_factory=set)
    addresses: set[str] = field(default_factory=set)


class Moderation(Concern):
    def __init__(
        self, registry: RoomRegistry, transport: Transport, chat: Chat, clock: Clock
    ) -> None:
        self._registry = registry
        self._transport = transport
        self._chat = chat
        self._clock = clock

    def before_join(self, room: LiveRoom, joiner: Joiner) -> Rejection | None:
        """A banned account; for a guest, a banned guest identity or the address a banned
        guest came from."""
        if joiner.user_id is not None:
            banned = joiner.user_id in room.info.banned
        else:
            bans = room.part(GuestBans)
            banned = joiner.guest_id in bans.guests or (
                joiner.address is not None and joiner.address in bans.addresses
            )
        return reject("banned") if banned else None

    def _check(
        self, room: LiveRoom, actor: Member, action: Action, target: Role
    ) -> Rejection | None:
        role = actor.role(room.info)
        if not allows(action, role):
            return reject("forbidden", detail=refusal(action))
        if not may_act_on(action, role, target):
            return reject("forbidden", detail=outranked(action))
        return None

    def _member_to_act_on(
        self, room: LiveRoom, actor: Member, member_id: str, action: Action
    ) -> Member | Rejection:
        target = room.member_by_id(member_id)
        if target is None:
            return reject("no_such_member")
        return self._check(room, actor, action, target.role(room.info)) or target

    async def kick(
        self, room: LiveRoom, actor: Member, member_id: str, reason: str | None
    ) -> Rejection | None:
        """Disconnect a member, telling them why (they may come back; a ban keeps them out)."""
        async with room.lock:
            target = self._member_to_act_on(room, actor, member_id, "kick")
            if isinstance(target, Rejection):
                return target
            payload = {"reason": reason, "by": actor.name}
            await self._registry.members.expel(room, target, "KICKED", payload)
        return None

    async def mute(
        self, room: LiveRoom, actor: Member, member_id: str, seconds: int
    ) -> dict[str, Any] | Rejection:
        """Refuse a member's chat (``muted``) for ``seconds``; it follows their account, so
        reconnecting does not lift it (a restart of the server does)."""
        async with room.lock:
            target = self._member_to_act_on(room, actor, member_id, "mute")
            if isinstance(target, Rejection):
                return target
            until = self._clock() + seconds
            self._chat.mute(room, target.key, until)
            await self._transport.send(
                "MUTED", {"until": until, "seconds": seconds, "by": actor.name}, target.sid
            )
        return {"member_id": member_id, "until": until}

    async def ban(
        self,
        room: LiveRoom,
        actor: Member,
        member_id: str | None,
        user_id: str | None,
        reason: str | None,
    ) -> dict[str, Any] | Rejection:
        """Keep someone out of the room (refused on connect) and disconnect them: a signed-in
        user for good (until unbanned), a guest for the room's lifetime, by their guest
        identity and the address they came from (a new identity from it is refused too)."""
        if (member_id is None) == (user_id is None):
            return reject("invalid_payload", detail="send member_id or user_id")
        async with room.lock:
            if member_id is not None:
                target = room.member_by_id(member_id)
                if target is None:
                    return reject("no_such_member")
                if target.user_id is None:
                    return await self._ban_guest(room, actor, target, reason)
                user_id = target.user_id
            assert user_id is not None
            info = room.info
            target_role = role_of(user_id, info.owner_id, info.moderators)
            refused = self._check(room, actor, "ban", target_role)
            if refused:
                return refused
            if user_id not in info.banned:
                if len(info.banned) >= MAX_BANS:
                    return reject("too_many_bans", limit=MAX_BANS)
                await self._registry.info.set(room, banned=(*info.banned, user_id))
            payload = {"reason": reason, "by": actor.name}
            for member in [m for m in room.members.values() if m.user_id == user_id]:
                await self._registry.members.expel(room, member, "BANNED", payload)
        return {"user_id": user_id}

    async def _ban_guest(
        self, room: LiveRoom, actor: Member, target: Member, reason: str | None
    ) -> dict[str, Any] | Rejection:
        """Call with the lock held."""
        refused = self._check(room, actor, "ban", target.role(room.info))
        if refused:
            return refused
        bans = room.part(GuestBans)
        if len(bans.guests) >= MAX_BANS:
            return reject("too_many_bans", limit=MAX_BANS)
        if target.guest_id is not None:
            bans.guests.add(target.guest_id)
        if target.address is not None:
            bans.addresses.add(target.address)
        payload = {"reason": reason, "by": actor.name}
        for member in [m for m in room.members.values() if m.key == target.key]:
            await self._registry.members.expel(room, member, "BANNED", payload)
        return {"member_id": target.id, "guest": True}

    async def unban(self, room: LiveRoom, actor: Member, user_id: str) -> Rejection | None:
        async with room.lock:
            if not allows("unban", actor.role(room.info)):
                return reject("forbidden", detail=refusal("unban"))
            if user_id not in room.info.banned:
                return reject("not_banned")
            banned = tuple(b for b in room.info.banned if b != user_id)
            await self._registry.info.set(room, banned=banned)
        return None

    async def set_control(
        self, room: LiveRoom, actor: Member, control: Control
    ) -> Rejection | None:
        async with room.lock:
            if not allows("set_control", actor.role(room.info)):
                return reject("forbidden", detail=refusal("set_control"))
            await self._registry.info.set(room, control=control)
        return None

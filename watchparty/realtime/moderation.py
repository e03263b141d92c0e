"""Moderation: the owner and the moderators the owner named may kick, mute and ban members
(guests too, for the room's lifetime) and change who controls the room. Nobody may act on
someone of their own rank or above (a moderator cannot kick the owner or another moderator);
everyone else gets ``forbidden``."""

from __future__ import annotations

from typing import Any

from watchparty.core import Rejection
from watchparty.core.permissions import Control, Role, role_of
from watchparty.realtime.chat import may_moderate
from watchparty.realtime.registry import LiveRoom, Member, RoomRegistry
from watchparty.realtime.transport import Transport

RANK: dict[Role, int] = {"owner": 3, "moderator": 2, "member": 1, "guest": 1}
MAX_BANS = 1000


def _forbidden(what: str) -> Rejection:
    return Rejection("forbidden", f"only the owner and moderators may {what}")


class Moderation:
    def __init__(self, registry: RoomRegistry, transport: Transport) -> None:
        self._registry = registry
        self._transport = transport

    def _check(
        self, room: LiveRoom, actor: Member, what: str, target_role: Role
    ) -> Rejection | None:
        rank = RANK[actor.role(room.info)]
        if rank < RANK["moderator"]:
            return _forbidden(what)
        if RANK[target_role] >= rank:
            return Rejection("forbidden", f"you cannot {what} someone of your rank or above")
        return None

    def _target(self, room: LiveRoom, member_id: str) -> Member | Rejection:
        target = self._registry.member(room, member_id)
        return target or Rejection("no_such_member", "nobody in this room has that member id")

    def _member_to_act_on(
        self, room: LiveRoom, actor: Member, member_id: str, what: str
    ) -> Member | Rejection:
        target = self._target(room, member_id)
        if isinstance(target, Rejection):
            return target
        return self._check(room, actor, what, target.role(room.info)) or target

    async def kick(
        self, room: LiveRoom, actor: Member, member_id: str, reason: str | None
    ) -> Rejection | None:
        """Disconnect a member, telling them why (they may come back; a ban keeps them out)."""
        async with room.lock:
            target = self._member_to_act_on(room, actor, member_id, "kick members")
            if isinstance(target, Rejection):
                return target
            payload = {"reason": reason, "by": actor.name}
            await self._registry.expel(room, target, "KICKED", payload)
        return None

    async def mute(
        self, room: LiveRoom, actor: Member, member_id: str, seconds: int
    ) -> dict[str, Any] | Rejection:
        """Refuse a member's chat (``muted``) for ``seconds``; it follows their account, so
        reconnecting does not lift it (a restart of the server does)."""
        async with room.lock:
            target = self._member_to_act_on(room, actor, member_id, "mute members")
            if isinstance(target, Rejection):
                return target
            until = self._registry.now() + seconds
            room.mutes[target.key] = until
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
            return Rejection("invalid_payload", "send member_id or user_id")
        async with room.lock:
            if member_id is not None:
                target = self._target(room, member_id)
                if isinstance(target, Rejection):
                    return target
                if target.user_id is None:
                    return await self._ban_guest(room, actor, target, reason)
                user_id = target.user_id
            assert user_id is not None
            info = room.info
            target_role = role_of(user_id, info.owner_id, info.moderators)
            refused = self._check(room, actor, "ban users", target_role)
            if refused:
                return refused
            if user_id not in info.banned:
                if len(info.banned) >= MAX_BANS:
                    return Rejection("too_many_bans", f"a room holds at most {MAX_BANS} bans")
                await self._registry.set_info(room, banned=(*info.banned, user_id))
            payload = {"reason": reason, "by": actor.name}
            for member in [m for m in room.members.values() if m.user_id == user_id]:
                await self._registry.expel(room, member, "BANNED", payload)
        return {"user_id": user_id}

    async def _ban_guest(
        self, room: LiveRoom, actor: Member, target: Member, reason: str | None
    ) -> dict[str, Any] | Rejection:
        """Call with the lock held."""
        refused = self._check(room, actor, "ban members", target.role(room.info))
        if refused:
            return refused
        if len(room.guest_bans) >= MAX_BANS:
            return Rejection("too_many_bans", f"a room holds at most {MAX_BANS} bans")
        if target.guest_id is not None:
            room.guest_bans.add(target.guest_id)
        if target.address is not None:
            room.address_bans.add(target.address)
        payload = {"reason": reason, "by": actor.name}
        for member in [m for m in room.members.values() if m.key == target.key]:
            await self._registry.expel(room, member, "BANNED", payload)
        return {"member_id": target.id, "guest": True}

    async def unban(self, room: LiveRoom, actor: Member, user_id: str) -> Rejection | None:
        async with room.lock:
            if not may_moderate(room, actor):
                return _forbidden("lift bans")
            if user_id not in room.info.banned:
                return Rejection("not_banned", "that user is not banned here")
            banned = tuple(b for b in room.info.banned if b != user_id)
            await self._registry.set_info(room, banned=banned)
        return None

    async def set_control(
        self, room: LiveRoom, actor: Member, control: Control
    ) -> Rejection | None:
        async with room.lock:
            if not may_moderate(room, actor):
                return _forbidden("change who controls the room")
            await self._registry.set_info(room, control=control)
        return None

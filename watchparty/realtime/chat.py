"""Chat: messages, their history, rate limits and mutes.

A message is broadcast first and saved behind (a ``WriteQueue``), so chat never waits on the
database. Each live room keeps its last ``CHAT_HISTORY`` messages in memory, loaded when the
room is; the join snapshot carries the newest of them and ``CHAT_HISTORY`` pages back through
the rest.
"""

from __future__ import annotations

import math
import secrets
from typing import Any

from watchparty.core import Rejection
from watchparty.core.limits import CHAT_HISTORY
from watchparty.ratelimit import RateLimit
from watchparty.realtime.persistence import WriteQueue
from watchparty.realtime.registry import LiveRoom, Member, RoomRegistry
from watchparty.realtime.transport import Transport
from watchparty.store.chat import ChatStore

Message = dict[str, Any]


def may_moderate(room: LiveRoom, member: Member) -> bool:
    return member.role(room.info) in ("owner", "moderator")


class Chat:
    def __init__(
        self,
        registry: RoomRegistry,
        transport: Transport,
        store: ChatStore,
        writes: WriteQueue,
        limit: RateLimit,
    ) -> None:
        self._registry = registry
        self._transport = transport
        self._store = store
        self._writes = writes
        self._limit = limit
        registry.on_load.append(self._load)
        registry.on_delete.append(self._forget_room)

    async def _load(self, room: LiveRoom) -> None:
        room.chat.extend(await self._store.latest(room.id, CHAT_HISTORY))

    async def say(self, room: LiveRoom, member: Member, text: str) -> Message | Rejection:
        key = member.key
        now = self._registry.now()
        until = room.mutes.get(key, 0.0)
        if until > now:
            return Rejection("muted", f"you are muted for {math.ceil(until - now)} s more")
        verdict = await self._limit.hit(f"{room.id}:{key}")
        if not verdict.allowed:
            return Rejection(
                "rate_limited", f"slow down: you may chat again in {verdict.retry_after} s"
            )
        message = {
            "id": secrets.token_urlsafe(9),
            "member_id": member.id,
            "user_id": member.user_id,
            "signed_in": member.user_id is not None,
            "by": member.name,
            "text": text,
            "at": now,
        }
        async with room.lock:
            if room.deleted:
                return Rejection("room_not_found", "this room was deleted")
            room.chat.append(message)
            await self._transport.broadcast("CHAT", message, room.id, skip_sid=member.sid)
        self._writes.put(lambda: self._store.add(room.id, message, CHAT_HISTORY))
        return message

    def history(self, room: LiveRoom, before: str | None, limit: int) -> list[Message]:
        """Up to ``limit`` messages older than message ``before`` (the newest without it)."""
        messages = list(room.chat)
        if before is not None:
            index = next((i for i, m in enumerate(messages) if m["id"] == before), None)
            messages = [] if index is None else messages[:index]
        return messages[-limit:]

    async def delete(self, room: LiveRoom, member: Member, message_id: str) -> Rejection | None:
        async with room.lock:
            if not may_moderate(room, member):
                return Rejection("forbidden", "only the owner and moderators may delete messages")
            found = next((m for m in room.chat if m["id"] == message_id), None)
            if found is None:
                return Rejection("no_such_message", "no such message in this room's history")
            room.chat.remove(found)
            await self._transport.broadcast("CHAT_DELETED", {"id": message_id}, room.id)
        self._writes.put(lambda: self._store.delete(room.id, message_id))
        return None

    def _forget_room(self, room_id: str) -> None:
        """The room was deleted: its history goes too."""
        self._writes.put(lambda: self._store.delete_room(room_id))

"""Chat: messages, their history, rate limits and mutes.

A message is broadcast first and saved behind (a ``WriteQueue``, in batches), so chat never
waits on the database. Each live room keeps its last ``CHAT_HISTORY`` messages in memory,
loaded when the room is; the join snapshot carries the newest of them and ``CHAT_HISTORY``
pages back through the rest.
"""

from __future__ import annotations

import itertools
import math
import secrets
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from watchparty.core import Rejection
from watchparty.core.errors import reject
from watchparty.core.limits import CHAT_HISTORY, CHAT_IN_SNAPSHOT
from watchparty.core.policy import allows, refusal
from watchparty.rooms.concerns import Concern
from watchparty.rooms.live import LiveRoom, Member
from watchparty.rooms.ports import Clock, Limit, Transport
from watchparty.rooms.writebehind import WriteQueue
from watchparty.store.chat import ChatStore, NewMessage

Message = dict[str, Any]


@dataclass(slots=True)
class ChatState:
    messages: deque[Message] = field(default_factory=lambda: deque(maxlen=CHAT_HISTORY))
    mutes: dict[str, float] = field(default_factory=dict)  # member key -> muted until


class Chat(Concern):
    def __init__(
        self, transport: Transport, store: ChatStore, writes: WriteQueue, limit: Limit, clock: Clock
    ) -> None:
        self._transport = transport
        self._store = store
        self._writes = writes
        self._limit = limit
        self._clock = clock

    async def on_load(self, room: LiveRoom) -> None:
        saved = await self._store.latest(room.id, CHAT_HISTORY + 1)
        if len(saved) > CHAT_HISTORY:  # a crash lost the deletes of some pushed out
            self._writes.put(lambda: self._store.trim(room.id, CHAT_HISTORY))
        room.part(ChatState).messages.extend(saved)  # the newest CHAT_HISTORY of them

    def on_delete(self, room_id: str) -> None:
        """The room was deleted: its history goes too."""
        self._writes.put(lambda: self._store.delete_room(room_id))

    def snapshot(self, room: LiveRoom) -> dict[str, Any]:
        messages = room.part(ChatState).messages
        return {"chat": list(itertools.islice(reversed(messages), CHAT_IN_SNAPSHOT))[::-1]}

    def mute(self, room: LiveRoom, key: str, until: float) -> None:
        """Refuse chat from member ``key`` until then (moderation)."""
        room.part(ChatState).mutes[key] = until

    async def say(self, room: LiveRoom, member: Member, text: str) -> Message | Rejection:
        key = member.key
        now = self._clock()
        until = room.part(ChatState).mutes.get(key, 0.0)
        if until > now:
            return reject("muted", seconds=math.ceil(until - now))
        verdict = await self._limit.hit(f"{room.id}:{key}")
        if not verdict.allowed:
            wait = verdict.retry_after
            return reject("rate_limited", detail=f"slow down: you may chat again in {wait} s")
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
                return reject("room_not_found")
            messages = room.part(ChatState).messages
            dropped = messages[0]["id"] if len(messages) == messages.maxlen else None
            messages.append(message)
            await self._transport.broadcast("CHAT", message, room.id, skip_sid=member.sid)
        self._writes.gather(self._store.add, NewMessage(room.id, message, dropped))
        return message

    def history(self, room: LiveRoom, before: str | None, limit: int) -> list[Message]:
        """Up to ``limit`` messages older than message ``before`` (the newest without it)."""
        messages = list(room.part(ChatState).messages)
        if before is not None:
            index = next((i for i, m in enumerate(messages) if m["id"] == before), None)
            messages = [] if index is None else messages[:index]
        return messages[-limit:]

    async def delete(self, room: LiveRoom, member: Member, message_id: str) -> Rejection | None:
        async with room.lock:
            if not allows("delete_chat", member.role(room.info)):
                return reject("forbidden", detail=refusal("delete_chat"))
            messages = room.part(ChatState).messages
            found = next((m for m in messages if m["id"] == message_id), None)
            if found is None:
                return reject("no_such_message")
            messages.remove(found)
            await self._transport.broadcast("CHAT_DELETED", {"id": message_id}, room.id)
        self._writes.put(lambda: self._store.delete(room.id, message_id))
        return None

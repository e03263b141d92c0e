"""THE event table: every client event a joined member may send, the model that validates
its payload (from core.commands, which the protocol document is written from) and the
domain handler that runs it. The namespace looks events up here and nowhere else
(OpenTogetherTube's habit of one table per request type, checked before dispatch)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel

from watchparty.core import (
    COMMANDS,
    Ban,
    ChatHistory,
    Command,
    DeleteChat,
    Ended,
    Kick,
    MemberList,
    Mute,
    QueueVote,
    React,
    Ready,
    Rejection,
    SetControl,
    SetQueueMode,
    Unban,
    VoteSkip,
)
from watchparty.core import Buffering as Stalled
from watchparty.core import Chat as ChatMessage
from watchparty.core.commands import ROOM_EVENTS
from watchparty.rooms.concerns.autoplay import Autoplay
from watchparty.rooms.concerns.buffering import Buffering
from watchparty.rooms.concerns.chat import Chat
from watchparty.rooms.concerns.moderation import Moderation
from watchparty.rooms.concerns.queueing import Queueing
from watchparty.rooms.concerns.reactions import Reactions
from watchparty.rooms.live import LiveRoom, Member
from watchparty.rooms.registry import RoomRegistry

Ack = dict[str, Any]
Handler = Callable[[LiveRoom, Member, Any], Awaitable[Ack | Rejection]]


def _ok(result: dict[str, Any] | Rejection | None = None, **extra: Any) -> Ack | Rejection:
    if isinstance(result, Rejection):
        return result
    return {"ok": True, **(result or {}), **extra}


class RoomEvents:
    """``table``: event name -> (payload model, handler)."""

    def __init__(
        self,
        registry: RoomRegistry,
        chat: Chat,
        moderation: Moderation,
        autoplay: Autoplay,
        buffering: Buffering,
        reactions: Reactions,
        queueing: Queueing,
    ) -> None:
        self._registry = registry
        self._chat = chat
        self._moderation = moderation
        self._autoplay = autoplay
        self._buffering = buffering
        self._reactions = reactions
        self._queueing = queueing
        events: dict[str, Handler] = {
            "CHAT": self._say,
            "CHAT_HISTORY": self._history,
            "MEMBER_LIST": self._member_list,
            "DELETE_CHAT": self._delete_chat,
            "KICK": self._kick,
            "MUTE": self._mute,
            "BAN": self._ban,
            "UNBAN": self._unban,
            "SET_CONTROL": self._set_control,
            "ENDED": self._ended,
            "VOTE_SKIP": self._vote_skip,
            "REACT": self._react,
            "QUEUE_VOTE": self._queue_vote,
            "SET_QUEUE_MODE": self._set_queue_mode,
            "BUFFERING": self._stalled,
            "READY": self._ready,
        }
        assert events.keys() == ROOM_EVENTS.keys(), "every room event needs a handler"
        self.table: dict[str, tuple[type[BaseModel], Handler]] = {
            **{name: (model, self._command(name)) for name, model in COMMANDS.items()},
            **{name: (ROOM_EVENTS[name], handler) for name, handler in events.items()},
        }

    def _command(self, event: str) -> Handler:
        async def run(room: LiveRoom, member: Member, command: Command) -> Ack | Rejection:
            result = await self._registry.execute(room, member.actor, event, command)
            if isinstance(result, Rejection):
                if result.code == "stale_version":  # the sender catches up from the ack
                    return {"ok": False, "error": result.to_wire(), "state": room.state.to_wire()}
                return result
            return {"ok": True, "state": result.state.to_wire()}

        return run

    async def _say(self, room: LiveRoom, member: Member, msg: ChatMessage) -> Ack | Rejection:
        result = await self._chat.say(room, member, msg.text)
        return result if isinstance(result, Rejection) else {"ok": True, "message": result}

    async def _history(self, room: LiveRoom, member: Member, ask: ChatHistory) -> Ack | Rejection:
        return {"ok": True, "messages": self._chat.history(room, ask.before, ask.limit)}

    async def _member_list(self, room: LiveRoom, member: Member, ask: MemberList) -> Ack:
        return {"ok": True, "members": room.members_wire(), "count": len(room.members)}

    async def _delete_chat(
        self, room: LiveRoom, member: Member, ask: DeleteChat
    ) -> Ack | Rejection:
        return _ok(await self._chat.delete(room, member, ask.id))

    async def _kick(self, room: LiveRoom, member: Member, ask: Kick) -> Ack | Rejection:
        return _ok(await self._moderation.kick(room, member, ask.member_id, ask.reason))

    async def _mute(self, room: LiveRoom, member: Member, ask: Mute) -> Ack | Rejection:
        return _ok(await self._moderation.mute(room, member, ask.member_id, ask.seconds))

    async def _ban(self, room: LiveRoom, member: Member, ask: Ban) -> Ack | Rejection:
        return _ok(await self._moderation.ban(room, member, ask.member_id, ask.user_id, ask.reason))

    async def _unban(self, room: LiveRoom, member: Member, ask: Unban) -> Ack | Rejection:
        return _ok(await self._moderation.unban(room, member, ask.user_id))

    async def _set_control(
        self, room: LiveRoom, member: Member, ask: SetControl
    ) -> Ack | Rejection:
        return _ok(await self._moderation.set_control(room, member, ask.control))

    async def _ended(self, room: LiveRoom, member: Member, ask: Ended) -> Ack | Rejection:
        return _ok(await self._autoplay.ended(room, member, ask.video_id, ask.duration))

    async def _vote_skip(self, room: LiveRoom, member: Member, ask: VoteSkip) -> Ack | Rejection:
        return _ok(await self._autoplay.vote(room, member))

    async def _react(self, room: LiveRoom, member: Member, ask: React) -> Ack | Rejection:
        return _ok(await self._reactions.react(room, member, ask.emoji))

    async def _queue_vote(self, room: LiveRoom, member: Member, ask: QueueVote) -> Ack | Rejection:
        return _ok(await self._queueing.vote(room, member, ask.id, ask.vote))

    async def _set_queue_mode(
        self, room: LiveRoom, member: Member, ask: SetQueueMode
    ) -> Ack | Rejection:
        return _ok(await self._queueing.set_mode(room, member, ask.mode))

    async def _stalled(self, room: LiveRoom, member: Member, ask: Stalled) -> Ack | Rejection:
        return _ok(await self._buffering.stalled(room, member, ask.video_id))

    async def _ready(self, room: LiveRoom, member: Member, ask: Ready) -> Ack | Rejection:
        return _ok(await self._buffering.ready(room, member, ask.video_id))

"""What the server sends on ``/rooms``: each server event's payload and each client event's
acknowledgement, as models. docs/asyncapi.yaml is generated from them and the client
payloads (core.commands); tests/integration/test_asyncapi.py checks what a real session sends
against them (``extra="forbid"``, as in core.wire)."""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from watchparty.core.commands import COMMANDS, ROOM_EVENTS, broadcast_as
from watchparty.core.wire import (
    ChatMessageOut,
    ErrorOut,
    LiveInfoOut,
    MemberOut,
    SnapshotOut,
    StateOut,
)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- server events -------------------------------------------------------------------------


class YouOut(MemberOut):
    resume: str = Field(description="send it back as auth.resume to be the same member again")
    guest_token: str | None = Field(
        default=None, description="a guest's pass: send it back as auth.guest from now on"
    )


class RoomStateOut(SnapshotOut):
    """The room, to a member who has just joined."""

    you: YouOut


class Changed(_Out):
    """Another member changed the room (PLAY, PAUSE, SEEK, CHANGE_VIDEO, UPDATE_QUEUE,
    SET_RATE, SET_SUBTITLES): its new state, and who did it."""

    state: StateOut
    by: str | None = Field(description="a member's name, or autoplay, vote, ...")
    server_time: float


class MembersOut(_Out):
    """Who joined, left and changed since the last MEMBERS (all empty when not listed)."""

    joined: list[MemberOut]
    left: list[str]
    changed: list[MemberOut]
    count: int
    listed: bool
    members: list[MemberOut] | None = Field(
        default=None, description="the whole list, once, when the room is listed again"
    )


class ChatDeletedOut(_Out):
    id: str


class ReactionsOut(_Out):
    counts: dict[str, int]


class SkipVotesOut(_Out):
    video_id: str | None
    votes: int
    needed: int


class QueueVotesOut(_Out):
    votes: dict[str, int]


class RoomDeletedOut(_Out):
    room: str


class ExpelledOut(_Out):
    """Why this connection is being closed (KICKED, BANNED)."""

    reason: str | None
    by: str


class MutedOut(_Out):
    until: float = Field(description="server time")
    seconds: float
    by: str


class DegradedOut(_Out):
    """Whether the servers can coordinate (several processes with Redis)."""

    degraded: bool
    state: StateOut | None = None


# What accepted commands are broadcast as, each with the new state (core.commands.broadcast_as).
STATE_EVENTS: Final = tuple(dict.fromkeys(broadcast_as(event) for event in COMMANDS))
SERVER_EVENTS: Final[dict[str, type[BaseModel]]] = {
    "ROOM_STATE": RoomStateOut,
    **dict.fromkeys(STATE_EVENTS, Changed),
    "MEMBERS": MembersOut,
    "ROOM_INFO": LiveInfoOut,
    "ROOM_DELETED": RoomDeletedOut,
    "CHAT": ChatMessageOut,
    "CHAT_DELETED": ChatDeletedOut,
    "REACTIONS": ReactionsOut,
    "SKIP_VOTES": SkipVotesOut,
    "QUEUE_VOTES": QueueVotesOut,
    "KICKED": ExpelledOut,
    "BANNED": ExpelledOut,
    "MUTED": MutedOut,
    "DEGRADED": DegradedOut,
}

# What a refused connection's ``connect_error`` may carry as ``data.code`` (docs/protocol.md,
# "Connecting").
CONNECT_ERRORS: Final = (
    "invalid_auth",
    "invalid_token",
    "token_expired",
    "session_revoked",
    "room_not_found",
    "room_full",
    "password_required",
    "wrong_password",
    "room_private",
    "invite_invalid",
    "invite_expired",
    "invite_used_up",
    "invalid_member_token",
    "database_unavailable",
    "capacity_reached",
    "upgrade_required",
    "banned",
    "rate_limited",
    "cluster_unavailable",
    "room_unavailable",
    "room_moving",
    "connection_closed",
)


class ConnectErrorData(_Out):
    code: str
    params: dict[str, Any] | None = None


class ConnectRefused(_Out):
    """The payload of ``connect_error`` (Socket.IO's CONNECT_ERROR packet)."""

    message: str
    data: ConnectErrorData


# --- acknowledgements ------------------------------------------------------------------------


class Refused(_Out):
    """The event changed nothing; ``state`` comes with ``stale_version``."""

    ok: Literal[False]
    error: ErrorOut
    state: StateOut | None = None


class Done(_Out):
    ok: Literal[True]


class StateAck(Done):
    state: StateOut


class ChatAck(Done):
    message: ChatMessageOut


class HistoryAck(Done):
    messages: list[ChatMessageOut]


class MemberListAck(Done):
    members: list[MemberOut]
    count: int


class TimeAck(Done):
    client_time: float
    server_time: float


class MuteAck(Done):
    member_id: str
    until: float


class BanAck(Done):
    member_id: str | None = None
    user_id: str | None = None
    guest: bool | None = None


class EndedAck(Done):
    advanced: bool


class VoteSkipAck(Done):
    video_id: str | None
    votes: int
    needed: int
    skipped: bool


class QueueVoteAck(Done):
    votes: dict[str, int]


class WaitingAck(Done):
    waiting: bool


_ROOM_ACKS: Final[dict[str, type[BaseModel]]] = {
    "CHAT": ChatAck,
    "CHAT_HISTORY": HistoryAck,
    "MEMBER_LIST": MemberListAck,
    "MUTE": MuteAck,
    "BAN": BanAck,
    "ENDED": EndedAck,
    "VOTE_SKIP": VoteSkipAck,
    "QUEUE_VOTE": QueueVoteAck,
    "BUFFERING": WaitingAck,
    "READY": WaitingAck,
}
ACKS: Final[dict[str, type[BaseModel]]] = {
    **dict.fromkeys(COMMANDS, StateAck),
    "TIME": TimeAck,
    **{event: _ROOM_ACKS.get(event, Done) for event in ROOM_EVENTS},
}


def check_ack(event: str, ack: Any) -> None:
    """Raise ``ValidationError`` unless ``ack`` is what ``event``'s acknowledgement may be."""
    model = Refused if isinstance(ack, dict) and ack.get("ok") is False else ACKS[event]
    model.model_validate(ack)

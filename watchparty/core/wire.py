"""The objects the server sends, as models: the descriptions of the API (OpenAPI, AsyncAPI)
are generated from them, and tests check that what the server sends validates against them
(``extra="forbid"``: a field added on the wire and not here fails), so they cannot drift.

Nothing validates *outgoing* data with them at run time: that would cost every broadcast.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from watchparty.core.access import Visibility
from watchparty.core.media import Kind
from watchparty.core.policy import Action, Control, Role
from watchparty.core.queue_modes import QueueMode


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TrackOut(_Out):
    """A subtitle track of a queue item or of the current video."""

    id: str
    label: str
    lang: str = Field(description="a BCP 47 language tag")
    url: str
    kind: Literal["subtitles", "captions"]
    default: bool


class QueueItemOut(_Out):
    id: str
    video_id: str
    kind: Kind | None
    title: str | None
    duration: float | None
    subtitles: list[TrackOut]
    added_by: str | None = Field(description="the display name of who added it")


class StateOut(_Out):
    """STATE: where the room's playback is. Its position at server time ``now`` is
    ``position + (now - updated_at) * rate`` while playing (before ``updated_at`` it moves at
    ``lead_rate``: 0 while a start is still to come)."""

    room: str
    version: int
    video_id: str | None
    video_kind: Kind | None
    playing: bool
    position: float
    updated_at: float = Field(description="server time, seconds")
    rate: float
    lead_rate: float
    rates: list[float] | None = Field(description="the rates this kind of player offers")
    live: bool = Field(description="a live channel: shared play and pause, no position")
    duration: float | None
    title: str | None
    waiting: bool = Field(description="paused until the members who stalled can play")
    queue: list[QueueItemOut]
    subtitles: list[TrackOut]


class PlanOut(_Out):
    name: str
    title: str
    max_members: int
    max_queue: int
    max_rooms: int
    persistent_rooms: bool
    ad_free: bool


class GrantOut(_Out):
    rank: int
    may: list[Action]


class RoomInfoOut(_Out):
    """What a room is and who may do what in it (ROOM_INFO; never its password's hash)."""

    name: str | None
    owner_id: str | None
    control: Control
    moderators: list[str]
    banned: list[str]
    skip_threshold: float
    wait_for_all: bool
    queue_mode: QueueMode
    visibility: Visibility
    password: bool = Field(description="whether joining asks for a password")
    allowed: list[str]


class LiveInfoOut(RoomInfoOut):
    plan: PlanOut
    grants: dict[Role, GrantOut]


class MemberOut(_Out):
    id: str
    name: str
    user_id: str | None
    signed_in: bool
    role: Role


class ChatMessageOut(_Out):
    id: str
    member_id: str
    user_id: str | None
    signed_in: bool
    by: str
    text: str
    at: float = Field(description="server time, seconds")


class SnapshotOut(_Out):
    """The room as a member sees it on joining (ROOM_STATE without ``you``)."""

    state: StateOut
    info: LiveInfoOut
    members: list[MemberOut]
    listed: bool = Field(description="false: too many to list; ask MEMBER_LIST")
    count: int
    chat: list[ChatMessageOut]
    queue_votes: dict[str, int]
    server_time: float


class ErrorOut(_Out):
    """The protocol's error object (core.errors): ``code`` is stable, ``message`` English."""

    code: str
    message: str
    params: dict[str, Any] | None = None


class ErrorBody(_Out):
    error: ErrorOut

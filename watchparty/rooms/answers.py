"""What ``/api/rooms`` answers, as models for the API's description (apidoc; the answers are
checked against them by the tests)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, RootModel

from watchparty.core.access import Visibility
from watchparty.core.wire import RoomInfoOut, SnapshotOut

# A request about a room another process holds goes there (cluster.forward), which may fail.
ROOM_ERRORS = ("room_not_found", "room_moving", "room_unavailable", "capacity_reached")


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreatedRoom(_Out):
    """The new room."""

    id: str
    url: str = Field(description="its page, to share")
    path: str
    owner_id: str | None


class RoomSummary(RoomInfoOut):
    """The room's settings."""

    id: str
    path: str
    created_at: str


class RoomDoor(_Out):
    """What anyone may see of a room: its door."""

    id: str
    name: str | None
    visibility: Visibility
    password: bool


class RoomView(RoomDoor, SnapshotOut):
    """The room, for whom its door is open."""


class RoomAnswer(RootModel[RoomView | RoomDoor]):
    """The room, or only its door for whom it is closed."""


class JoinAuth(_Out):
    room: str
    member_token: str = Field(description="for the Socket.IO handshake's auth, once")
    name: str | None = None


class Joined(SnapshotOut):
    """How to connect, and the room as it is."""

    room: str
    namespace: str
    socketio_path: str
    auth: JoinAuth


class Left(_Out):
    """Whether the member token's member was in the room."""

    left: bool


class MyRooms(_Out):
    """The rooms the signed-in user owns, newest first."""

    rooms: list[RoomSummary]


class InviteOut(_Out):
    """An invite link."""

    token: str
    created_at: float
    expires_at: float | None
    uses: int | None
    used: int
    url: str


class Invites(_Out):
    """The room's live invites."""

    invites: list[InviteOut]


class ListedRoom(_Out):
    id: str
    path: str
    name: str | None
    video_id: str | None
    title: str | None
    playing: bool
    viewers: int
    password: bool


class PublicRooms(_Out):
    """Public rooms, most viewers first."""

    rooms: list[ListedRoom]
    total: int
    offset: int
    limit: int

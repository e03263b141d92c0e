"""Saved playlists: a signed-in user's named lists of videos, and loading one into a room.

Another user's playlist answers 404 (it might as well not exist) unless its owner made it
``shared``: then anyone holding its id (its link) may read it and load it into a room.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, model_validator

from watchparty.accounts.session import Session
from watchparty.addresses import client_address
from watchparty.apidoc import Doc, documented
from watchparty.core import Accepted, QueueItemIn, Rejection, TrackIn, UpdateQueue
from watchparty.core.fields import CleanText, Seconds, VideoId, integral
from watchparty.core.limits import ID_PATTERN, MAX_QUEUE_ITEMS, MAX_TITLE_LENGTH
from watchparty.core.wire import StateOut
from watchparty.errors import ApiError
from watchparty.http import read_body
from watchparty.keys import REGISTRY, SESSIONS, SETTINGS, STORE
from watchparty.rooms.answers import ROOM_ERRORS
from watchparty.rooms.live import Actor
from watchparty.rooms.routes import CLOSED, RoomName, entered_room
from watchparty.store.playlists import Playlist, PlaylistItem, new_playlist

MAX_PLAYLISTS_PER_USER = 100
# A load retries this often when the room's queue changes under it before giving up.
LOAD_ATTEMPTS = 3


class _Body(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class PlaylistItemIn(_Body):
    video_id: VideoId
    title: Annotated[CleanText, Field(max_length=MAX_TITLE_LENGTH)] | None = None
    duration: Seconds | None = None


Items = Annotated[list[PlaylistItemIn], Field(max_length=MAX_QUEUE_ITEMS)]


class CreatePlaylist(_Body):
    """A new playlist from ``items``, or from the current queue of room ``room_id``."""

    model_config = ConfigDict(
        json_schema_extra={  # what _one_source checks, for the API's description
            "not": {
                "required": ["items", "room_id"],
                "properties": {"items": {"type": "array"}, "room_id": {"type": "string"}},
            }
        }
    )

    name: RoomName
    items: Items | None = None
    room_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    shared: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> CreatePlaylist:
        if self.items is not None and self.room_id is not None:
            raise ValueError("send items or room_id, not both")
        return self


class UpdatePlaylist(_Body):
    """Rename, reorder or edit (``items`` replaces the list), share or unshare."""

    name: RoomName | None = None
    items: Items | None = None
    shared: bool | None = None
    version: Annotated[int, Field(ge=0), integral] | None = Field(
        default=None, description="Refuse if changed since."
    )


class LoadPlaylist(_Body):
    playlist_id: Annotated[str, Field(min_length=1, max_length=64)]
    mode: Literal["replace", "append"] = "append"


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlaylistItemOut(_Out):
    video_id: str
    title: str | None
    duration: float | None


class PlaylistOut(_Out):
    """The playlist."""

    id: str
    owner_id: str
    name: str
    items: list[PlaylistItemOut]
    shared: bool
    version: int
    created_at: str
    updated_at: str


class Playlists(_Out):
    """My playlists."""

    playlists: list[PlaylistOut]


class StateAnswer(_Out):
    """The room's state with the playlist in its queue."""

    state: StateOut


# What a load may meet: the room's door, and the refusals of a queue command (UPDATE_QUEUE;
# not queue_full, which only adding one item meets).
LOAD_ERRORS = (
    *ROOM_ERRORS,
    *CLOSED,
    "playlist_not_found",
    "forbidden",
    "banned",
    "queue_too_long",
    "queue_too_large",
    "source_disabled",
    "upgrade_required",
    "rate_limited",
    "stale_version",
)


def _items(items: list[PlaylistItemIn]) -> tuple[PlaylistItem, ...]:
    return tuple(PlaylistItem(i.video_id, i.title, i.duration) for i in items)


async def _visible(request: web.Request, session: Session | None, playlist_id: str) -> Playlist:
    """The playlist, if this user may see it; 404 otherwise."""
    playlist = await request.config_dict[STORE].playlists.get(playlist_id)
    mine = playlist is not None and session is not None and playlist.owner_id == session.user.id
    if playlist is None or not (mine or playlist.shared):
        raise ApiError.of("playlist_not_found")
    return playlist


async def _own(request: web.Request) -> Playlist:
    session = await request.config_dict[SESSIONS].required(request)
    playlist = await _visible(request, session, request.match_info["playlist_id"])
    if playlist.owner_id != session.user.id:  # shared, but not theirs to change
        raise ApiError.of("forbidden", detail="only the playlist's owner may change it")
    return playlist


@documented(Doc("My playlists", "playlists", Playlists, auth="required"))
async def list_playlists(request: web.Request) -> web.Response:
    session = await request.config_dict[SESSIONS].required(request)
    playlists = await request.config_dict[STORE].playlists.owned_by(
        session.user.id, MAX_PLAYLISTS_PER_USER
    )
    return web.json_response({"playlists": [p.to_wire() for p in playlists]})


@documented(
    Doc(
        "Save a playlist (from items or a room's queue)",
        "playlists",
        PlaylistOut,
        201,
        CreatePlaylist,
        errors=("too_many_playlists", "room_not_found"),
        auth="required",
        gives={"playlist_id": "$response.body#/id"},
    )
)
async def create_playlist(request: web.Request) -> web.Response:
    session = await request.config_dict[SESSIONS].required(request)
    body = await read_body(request, CreatePlaylist)
    store = request.config_dict[STORE].playlists
    if await store.count_owned_by(session.user.id) >= MAX_PLAYLISTS_PER_USER:
        raise ApiError.of("too_many_playlists", limit=MAX_PLAYLISTS_PER_USER)
    if body.room_id is not None:
        room = await request.config_dict[REGISTRY].find(body.room_id)
        if room is None:
            raise ApiError.of("room_not_found")
        items = tuple(PlaylistItem(i.video_id, i.title, i.duration) for i in room.state.queue)
    else:
        items = _items(body.items or [])
    playlist = new_playlist(session.user.id, body.name, items, shared=body.shared)
    await store.insert(playlist)
    return web.json_response(playlist.to_wire(), status=201)


@documented(
    Doc(
        "A playlist (mine, or shared)",
        "playlists",
        PlaylistOut,
        errors=("playlist_not_found",),
        auth="optional",
    )
)
async def get_playlist(request: web.Request) -> web.Response:
    session = await request.config_dict[SESSIONS].optional(request)
    playlist = await _visible(request, session, request.match_info["playlist_id"])
    return web.json_response(playlist.to_wire())


@documented(
    Doc(
        "Change my playlist",
        "playlists",
        PlaylistOut,
        body=UpdatePlaylist,
        errors=("playlist_not_found", "forbidden", "stale_version"),
        auth="required",
    )
)
async def update_playlist(request: web.Request) -> web.Response:
    playlist = await _own(request)
    body = await read_body(request, UpdatePlaylist)
    if body.version is not None and body.version != playlist.version:
        raise ApiError.of("stale_version", detail=f"the playlist is at version {playlist.version}")
    changes: dict[str, Any] = {}
    if body.name is not None:
        changes["name"] = body.name
    if body.items is not None:
        changes["items"] = _items(body.items)
    if body.shared is not None:
        changes["shared"] = body.shared
    updated = playlist.changed(**changes)
    if not await request.config_dict[STORE].playlists.replace(updated):
        raise ApiError.of("stale_version", detail="the playlist changed meanwhile; load it again")
    return web.json_response(updated.to_wire())


@documented(
    Doc(
        "Delete my playlist",
        "playlists",
        status=204,
        errors=("playlist_not_found", "forbidden"),
        auth="required",
    )
)
async def delete_playlist(request: web.Request) -> web.Response:
    playlist = await _own(request)
    await request.config_dict[STORE].playlists.delete(playlist.id)
    return web.Response(status=204)


@documented(
    Doc(
        "Load a playlist into a room's queue",
        "playlists",
        StateAnswer,
        body=LoadPlaylist,
        errors=LOAD_ERRORS,
        auth="optional",
        member=True,
    )
)
async def load_into_room(request: web.Request) -> web.Response:
    """Put a playlist's items in a room's queue (replacing it or after it), as a queue
    command from this user: the room's permissions apply, and its members see it at once."""
    session = await request.config_dict[SESSIONS].optional(request)
    room = await entered_room(request)
    body = await read_body(request, LoadPlaylist)
    playlist = await _visible(request, session, body.playlist_id)
    user = session.user if session is not None else None
    if user is not None:
        actor = Actor(name=user.username, user_id=user.id)
    else:  # a guest over HTTP has no pass: its queue budget is its address's
        address = client_address(request, request.config_dict[SETTINGS].trusted_proxies)
        actor = Actor(name="guest", guest_id=f"address:{address}")
    new = [
        QueueItemIn(video_id=i.video_id, title=i.title, duration=i.duration) for i in playlist.items
    ]
    registry = request.config_dict[REGISTRY]
    for _ in range(LOAD_ATTEMPTS):
        state = room.state
        kept = (
            []
            if body.mode == "replace"
            else [
                QueueItemIn(
                    id=i.id,
                    video_id=i.video_id,
                    title=i.title,
                    duration=i.duration,
                    subtitles=[TrackIn(**t.to_wire()) for t in i.subtitles],
                )
                for i in state.queue
            ]
        )
        if len(kept) + len(new) > MAX_QUEUE_ITEMS:
            raise ApiError.of("queue_too_long", count=len(kept) + len(new), limit=MAX_QUEUE_ITEMS)
        command = UpdateQueue(queue=kept + new, version=state.version)
        result = await registry.execute(room, actor, "UPDATE_QUEUE", command)
        if isinstance(result, Accepted):
            return web.json_response({"state": result.state.to_wire()})
        if result.code != "stale_version":
            raise _refused(result)
    raise ApiError.of("stale_version", detail="the queue kept changing; try again")


def _refused(rejection: Rejection) -> ApiError:
    return ApiError.rejected(rejection)


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/users/me/playlists", list_playlists)
    app.router.add_post("/users/me/playlists", create_playlist)
    app.router.add_get("/playlists/{playlist_id:" + ID_PATTERN + "}", get_playlist)
    app.router.add_patch("/playlists/{playlist_id:" + ID_PATTERN + "}", update_playlist)
    app.router.add_delete("/playlists/{playlist_id:" + ID_PATTERN + "}", delete_playlist)
    app.router.add_post("/rooms/{room_id:" + ID_PATTERN + "}/queue", load_into_room)

"""``/api/rooms``: what a client needs before (and besides) its Socket.IO connection, and what
a room's owner may change."""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from aiohttp import web
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from watchparty.addresses import client_address
from watchparty.apidoc import Doc, documented
from watchparty.core.access import MAX_ALLOWED, MAX_ROOM_PASSWORD_BYTES, Visibility
from watchparty.core.commands import NAMESPACE
from watchparty.core.fields import CleanText, DisplayName, described
from watchparty.core.limits import ID_PATTERN
from watchparty.core.plans import check_rooms
from watchparty.core.policy import MAX_MODERATORS, Action, Control, allows, refusal, role_of
from watchparty.core.queue_modes import QueueMode
from watchparty.errors import ApiError
from watchparty.http import read_body
from watchparty.keys import (
    PASSWORDS,
    PLANS,
    REGISTRY,
    ROOM_CREATE_LIMIT,
    SESSIONS,
    SETTINGS,
    STORE,
)
from watchparty.ratelimit import too_many
from watchparty.rooms.answers import (
    ROOM_ERRORS,
    CreatedRoom,
    Joined,
    Left,
    MyRooms,
    RoomAnswer,
    RoomSummary,
)
from watchparty.rooms.door import trusted
from watchparty.rooms.live import LiveRoom
from watchparty.store.rooms import RoomInfo

RoomName = Annotated[CleanText, Field(min_length=1, max_length=100)]
UserId = Annotated[str, Field(pattern=f"^{ID_PATTERN}$")]
MAX_LISTED_ROOMS = 200
MEMBER_HEADER = "X-Watchparty-Member"
# What a closed room answers a request that is neither trusted nor a member's (entered_room).
CLOSED = ("password_required", "room_private")


class CreateRoom(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    name: RoomName | None = None


class UpdateRoom(BaseModel):
    """What the owner may change; fields left out stay as they are."""

    model_config = ConfigDict(strict=True, extra="forbid")
    name: RoomName | None = None
    control: Control | None = None
    moderators: Annotated[list[UserId], Field(max_length=MAX_MODERATORS)] | None = None
    skip_threshold: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] | None = None
    wait_for_all: bool | None = None
    visibility: Visibility | None = None
    password: RoomPassword | None = None  # null (given) removes it
    allowed: Annotated[list[UserId], Field(max_length=MAX_ALLOWED)] | None = None
    queue_mode: QueueMode | None = None

    def access_changed(self) -> bool:
        return bool({"visibility", "password", "allowed"} & self.model_fields_set)


def _room_password(value: str) -> str:
    if len(value.encode()) > MAX_ROOM_PASSWORD_BYTES:  # bcrypt reads no more
        raise ValueError(f"must be at most {MAX_ROOM_PASSWORD_BYTES} bytes in UTF-8")
    return value


RoomPassword = Annotated[
    str, Field(min_length=1), described("bcrypt-password"), AfterValidator(_room_password)
]


class JoinRoom(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    name: DisplayName | None = None


class LeaveRoom(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    member_token: Annotated[str, Field(min_length=1, max_length=64)]


async def find_room(request: web.Request) -> LiveRoom:
    room = await request.config_dict[REGISTRY].find(request.match_info["room_id"])
    if room is None:
        raise ApiError.of("room_not_found")
    return room


async def entered_room(request: web.Request) -> LiveRoom:
    """The room, for a request that acts in it: refused unless its door is open to the
    requester (rooms.door.trusted, or no password and not private), or the request proves
    it comes from a member (``X-Watchparty-Member``: ROOM_STATE's ``you.resume``)."""
    room = await find_room(request)
    if not await _admits(request, room):
        closed = "room_private" if room.info.visibility == "private" else "password_required"
        raise ApiError.of(closed)
    return room


async def _admits(request: web.Request, room: LiveRoom) -> bool:
    session = await request.config_dict[SESSIONS].optional(request)
    if open_to(room.info, session.user.id if session is not None else None):
        return True
    proof = request.headers.get(MEMBER_HEADER)
    return bool(proof) and any(
        secrets.compare_digest(m.resume, proof or "") for m in room.members.values()
    )


def open_to(info: RoomInfo, user_id: str | None) -> bool:
    """Whether someone may see and act in the room without a password or an invite."""
    door = info.door
    return trusted(info, user_id) or (door.visibility != "private" and not door.has_password)


def room_summary(room_id: str, info: RoomInfo) -> dict[str, Any]:
    return {
        "id": room_id,
        "path": f"/r/{room_id}",
        "created_at": info.created_at.isoformat(),
        **info.to_wire(),
    }


@documented(
    Doc(
        "Create a room",
        "rooms",
        CreatedRoom,
        201,
        CreateRoom,
        errors=("rate_limited", "upgrade_required", "capacity_reached"),
        auth="optional",
        gives={"room_id": "$response.body#/id"},
    )
)
async def create_room(request: web.Request) -> web.Response:
    session = await request.config_dict[SESSIONS].optional(request)
    body = await read_body(request, CreateRoom)
    address = client_address(request, request.config_dict[SETTINGS].trusted_proxies)
    verdict = await request.config_dict[ROOM_CREATE_LIMIT].hit(address)
    if not verdict.allowed:
        raise too_many(verdict, "new rooms")
    if session is not None:  # two creations at the same moment may both pass: harmless
        plan = request.config_dict[PLANS].named(session.user.plan)
        over = check_rooms(
            plan, await request.config_dict[STORE].rooms.count_owned(session.user.id)
        )
        if over is not None:
            raise ApiError.rejected(over)
    owner_id = session.user.id if session is not None else None
    room = await request.config_dict[REGISTRY].create(body.name, owner_id)
    path = f"/r/{room.id}"
    page = request.match_info.apps[0].router["room_page"]  # the pages live on the main app
    url = str(request.url.origin().join(page.url_for(room_id=room.id)))
    return web.json_response(
        {"id": room.id, "url": url, "path": path, "owner_id": owner_id}, status=201
    )


@documented(
    Doc(
        "A room: its state, or only its door",
        "rooms",
        RoomAnswer,
        errors=ROOM_ERRORS,
        auth="optional",
        member=True,
    )
)
async def get_room(request: web.Request) -> web.Response:
    """The room's snapshot; behind a password or private, only what its door asks."""
    room = await find_room(request)
    door = {"visibility": room.info.visibility, "password": room.info.password_hash is not None}
    about = {"id": room.id, "name": room.info.name, **door}
    if not await _admits(request, room):
        return web.json_response(about)
    return web.json_response({**about, **request.config_dict[REGISTRY].snapshot(room)})


async def owned_room(request: web.Request, action: Action) -> LiveRoom:
    session = await request.config_dict[SESSIONS].required(request)
    room = await find_room(request)
    info = room.info
    if info.owner_id is None or not allows(
        action, role_of(session.user.id, info.owner_id, info.moderators)
    ):
        raise ApiError.of("forbidden", detail=refusal(action))
    return room


@documented(
    Doc(
        "Change a room's settings (its owner)",
        "rooms",
        RoomSummary,
        body=UpdateRoom,
        errors=(*ROOM_ERRORS, "forbidden", "unknown_user"),
        auth="required",
    )
)
async def update_room(request: web.Request) -> web.Response:
    room = await owned_room(request, "edit_room")
    body = await read_body(request, UpdateRoom)
    if body.access_changed():
        await owned_room(request, "set_access")
    changes: dict[str, Any] = {
        field: value
        for field, value in body.model_dump(
            include={
                "name",
                "control",
                "skip_threshold",
                "wait_for_all",
                "queue_mode",
                "visibility",
            }
        ).items()
        if value is not None
    }
    if body.moderators is not None:
        moderators = [m for m in body.moderators if m != room.info.owner_id]
        changes["moderators"] = await _known_users(request, moderators, "moderators")
    if body.allowed is not None:
        changes["allowed"] = await _known_users(request, body.allowed, "allowed")
    if "password" in body.model_fields_set:  # hashed before the room's lock is taken
        hasher = request.config_dict[PASSWORDS]
        password = body.password
        changes["password_hash"] = None if password is None else await hasher.hash(password)
    info = (
        await request.config_dict[REGISTRY].info.update(room, **changes) if changes else room.info
    )
    return web.json_response(room_summary(room.id, info))


async def _known_users(request: web.Request, ids: list[str], field: str) -> tuple[str, ...]:
    """``ids`` without repeats, each a user's (else 400 ``unknown_user``)."""
    users = request.config_dict[STORE].users
    unique = list(dict.fromkeys(ids))
    for index, user_id in enumerate(unique):
        if await users.by_id(user_id) is None:
            raise ApiError.of("unknown_user", field=field, index=index)
    return tuple(unique)


@documented(
    Doc(
        "Delete a room (its owner)",
        "rooms",
        status=204,
        errors=(*ROOM_ERRORS, "forbidden"),
        auth="required",
    )
)
async def delete_room(request: web.Request) -> web.Response:
    room = await owned_room(request, "delete_room")
    await request.config_dict[REGISTRY].delete(room)
    return web.Response(status=204)


@documented(Doc("The rooms I own", "rooms", MyRooms, auth="required"))
async def my_rooms(request: web.Request) -> web.Response:
    """The rooms the signed-in user owns, newest first (live names win over saved ones)."""
    session = await request.config_dict[SESSIONS].required(request)
    registry = request.config_dict[REGISTRY]
    records = await request.config_dict[STORE].rooms.owned_by(session.user.id, MAX_LISTED_ROOMS)
    rooms = []
    for record in records:
        live = registry.peek(record.id)
        rooms.append(room_summary(record.id, live.info if live is not None else record.info))
    return web.json_response({"rooms": rooms})


@documented(
    Doc(
        "Ticket for joining over Socket.IO",
        "rooms",
        Joined,
        body=JoinRoom,
        errors=(*ROOM_ERRORS, *CLOSED),
        auth="optional",
        member=True,
    )
)
async def join_room(request: web.Request) -> web.Response:
    room = await entered_room(request)
    body = await read_body(request, JoinRoom)
    registry = request.config_dict[REGISTRY]
    auth: dict[str, str] = {"room": room.id, "member_token": registry.members.issue_ticket(room)}
    if body.name is not None:
        auth["name"] = body.name
    return web.json_response(
        {
            "room": room.id,
            "namespace": NAMESPACE,
            "socketio_path": "/socket.io",
            "auth": auth,
            **registry.snapshot(room),
        }
    )


@documented(Doc("Leave by member token", "rooms", Left, body=LeaveRoom, errors=ROOM_ERRORS))
async def leave_room(request: web.Request) -> web.Response:
    room = await find_room(request)
    body = await read_body(request, LeaveRoom)
    left = await request.config_dict[REGISTRY].members.leave_by_ticket(room, body.member_token)
    return web.json_response({"left": left})


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/rooms", create_room)
    app.router.add_get("/rooms/{room_id:" + ID_PATTERN + "}", get_room)
    app.router.add_patch("/rooms/{room_id:" + ID_PATTERN + "}", update_room)
    app.router.add_delete("/rooms/{room_id:" + ID_PATTERN + "}", delete_room)
    app.router.add_post("/rooms/{room_id:" + ID_PATTERN + "}/join", join_room)
    app.router.add_post("/rooms/{room_id:" + ID_PATTERN + "}/leave", leave_room)
    app.router.add_get("/users/me/rooms", my_rooms)

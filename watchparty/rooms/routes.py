"""``/api/rooms``: what a client needs before (and besides) its Socket.IO connection."""

from __future__ import annotations

from typing import Annotated

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from watchparty.http import ApiError, read_body
from watchparty.keys import REGISTRY
from watchparty.realtime.namespace import NAMESPACE
from watchparty.realtime.registry import LiveRoom
from watchparty.sync.commands import CleanText, DisplayName


class CreateRoom(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    name: Annotated[CleanText, Field(min_length=1, max_length=100)] | None = None


class JoinRoom(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    name: DisplayName | None = None


class LeaveRoom(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    member_token: Annotated[str, Field(min_length=1, max_length=64)]


async def _room(request: web.Request) -> LiveRoom:
    room = await request.app[REGISTRY].find(request.match_info["room_id"])
    if room is None:
        raise ApiError(404, "room_not_found", "room not found")
    return room


async def create_room(request: web.Request) -> web.Response:
    body = await read_body(request, CreateRoom)
    room = await request.app[REGISTRY].create(body.name)
    path = f"/r/{room.id}"
    url = str(request.url.origin().join(request.app.router["room_page"].url_for(room_id=room.id)))
    return web.json_response({"id": room.id, "url": url, "path": path}, status=201)


async def get_room(request: web.Request) -> web.Response:
    room = await _room(request)
    snapshot = room.snapshot(request.app[REGISTRY].now())
    return web.json_response({"id": room.id, "name": room.info.name, **snapshot})


async def join_room(request: web.Request) -> web.Response:
    room = await _room(request)
    body = await read_body(request, JoinRoom)
    registry = request.app[REGISTRY]
    auth: dict[str, str] = {"room": room.id, "member_token": registry.issue_ticket(room)}
    if body.name is not None:
        auth["name"] = body.name
    return web.json_response(
        {
            "room": room.id,
            "namespace": NAMESPACE,
            "socketio_path": "/socket.io",
            "auth": auth,
            **room.snapshot(registry.now()),
        }
    )


async def leave_room(request: web.Request) -> web.Response:
    room = await _room(request)
    body = await read_body(request, LeaveRoom)
    left = await request.app[REGISTRY].leave_by_ticket(room, body.member_token)
    return web.json_response({"left": left})


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/api/rooms", create_room)
    app.router.add_get("/api/rooms/{room_id}", get_room)
    app.router.add_post("/api/rooms/{room_id}/join", join_room)
    app.router.add_post("/api/rooms/{room_id}/leave", leave_room)

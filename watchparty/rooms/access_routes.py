"""``/api/rooms/<id>/invites`` (the owner's links into a private or password room) and
``GET /api/rooms?visibility=public`` (the public list, also the *Browse rooms* page's).

The list is read from the database, the one place every process shares: each public room
is saved with its viewer count when someone joins or leaves (rooms.concerns.listing), and a
room this process holds answers with its live count and what it plays now.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from watchparty.apidoc import Doc, documented
from watchparty.core.access import MAX_INVITE_SECONDS, MAX_INVITE_USES, Invite
from watchparty.core.errors import Rejection
from watchparty.core.fields import integral
from watchparty.core.limits import ID_PATTERN
from watchparty.errors import ApiError
from watchparty.http import read_body, read_query
from watchparty.keys import REGISTRY, STORE
from watchparty.rooms.answers import ROOM_ERRORS, InviteOut, Invites, PublicRooms
from watchparty.rooms.live import LiveRoom
from watchparty.rooms.routes import owned_room
from watchparty.store.rooms import RoomRecord

MAX_PAGE = 50
INVITE = "{room_id:" + ID_PATTERN + "}/invites"


class CreateInvite(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")
    expires_in: Annotated[int, Field(ge=60, le=MAX_INVITE_SECONDS), integral] | None = None  # s
    uses: Annotated[int, Field(ge=1, le=MAX_INVITE_USES), integral] | None = None  # people


class PublicQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")  # query values are text: not strict
    visibility: Literal["public"]
    offset: Annotated[int, Field(ge=0, le=100_000)] = 0
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = 20


def _invite_wire(request: web.Request, room: LiveRoom, invite: Invite) -> dict[str, Any]:
    page = request.match_info.apps[0].router["room_page"]  # the pages live on the main app
    path = page.url_for(room_id=room.id).with_query(invite=invite.token)
    return {**invite.to_wire(), "url": str(request.url.origin().join(path))}


@documented(
    Doc(
        "Make an invite link (the owner)",
        "rooms",
        InviteOut,
        201,
        CreateInvite,
        errors=(*(*ROOM_ERRORS, "forbidden"), "too_many_invites"),
        auth="required",
    )
)
async def create_invite(request: web.Request) -> web.Response:
    room = await owned_room(request, "set_access")
    body = await read_body(request, CreateInvite)
    async with room.lock:
        if room.deleted:
            raise ApiError.of("room_not_found")
        invite = request.config_dict[REGISTRY].door.create(
            room, seconds=body.expires_in, uses=body.uses
        )
    if isinstance(invite, Rejection):
        raise ApiError.rejected(invite)
    return web.json_response(_invite_wire(request, room, invite), status=201)


@documented(
    Doc(
        "The room's invites (the owner)",
        "rooms",
        Invites,
        errors=(*ROOM_ERRORS, "forbidden"),
        auth="required",
    )
)
async def list_invites(request: web.Request) -> web.Response:
    room = await owned_room(request, "set_access")
    invites = request.config_dict[REGISTRY].door.listed(room)
    return web.json_response({"invites": [_invite_wire(request, room, i) for i in invites]})


@documented(
    Doc(
        "Revoke an invite (the owner)",
        "rooms",
        status=204,
        errors=(*(*ROOM_ERRORS, "forbidden"), "invite_invalid"),
        auth="required",
    )
)
async def revoke_invite(request: web.Request) -> web.Response:
    room = await owned_room(request, "set_access")
    async with room.lock:
        revoked = request.config_dict[REGISTRY].door.revoke(room, request.match_info["token"])
    if not revoked:
        raise ApiError.of("invite_invalid")
    return web.Response(status=204)


@documented(Doc("The public rooms, most viewers first", "rooms", PublicRooms, query=PublicQuery))
async def public_rooms(request: web.Request) -> web.Response:
    query = read_query(request, PublicQuery)
    records, total = await request.config_dict[STORE].rooms.public(query.offset, query.limit)
    registry = request.config_dict[REGISTRY]
    live = [(record, registry.peek(record.id)) for record in records]
    rooms = [
        _listed(record, room)
        for record, room in live
        if room is None or room.info.visibility == "public"  # made unlisted since it was saved
    ]
    return web.json_response(
        {"rooms": rooms, "total": total, "offset": query.offset, "limit": query.limit}
    )


def _listed(record: RoomRecord, live: LiveRoom | None) -> dict[str, Any]:
    """A public room as the list shows it: live figures when this process holds it."""
    state, info = (live.state, live.info) if live is not None else (record.state, record.info)
    return {
        "id": record.id,
        "path": f"/r/{record.id}",
        "name": info.name,
        "video_id": state.video_id,
        "title": state.title,
        "playing": state.playing,
        "viewers": len(live.members) if live is not None else record.viewers,
        "password": info.password_hash is not None,
    }


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/rooms", public_rooms)
    app.router.add_post("/rooms/" + INVITE, create_invite)
    app.router.add_get("/rooms/" + INVITE, list_invites)
    app.router.add_delete("/rooms/" + INVITE + "/{token:[A-Za-z0-9_-]{1,64}}", revoke_invite)

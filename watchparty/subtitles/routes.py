"""``/api/rooms/<id>/subtitles``: upload a subtitle file (WebVTT or SRT) for a room, and
serve it back as WebVTT. Who may edit the room's queue may upload (in an ``everyone`` room,
a guest without a session too); anyone with the room's link may read."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError
from pydantic import BaseModel, ConfigDict

from watchparty.addresses import client_address
from watchparty.apidoc import Doc, documented
from watchparty.core.limits import ID_PATTERN
from watchparty.errors import ApiError
from watchparty.keys import SESSIONS, SETTINGS, STORE, SUBTITLE_LIMIT
from watchparty.ratelimit import too_many
from watchparty.rooms.answers import ROOM_ERRORS
from watchparty.rooms.checks import may_control
from watchparty.rooms.routes import CLOSED, entered_room
from watchparty.subtitles.convert import (
    MAX_SUBTITLE_BYTES,
    Unreadable,
    decode,
    read_cues,
    to_webvtt,
)

MAX_FILES_PER_ROOM: Final = 40
FORM_LIMIT: Final = MAX_SUBTITLE_BYTES + 16 * 1024  # the file, and a form's boundaries and headers
RAW_TYPES: Final = ("text/vtt", "application/x-subrip", "text/plain")
# Served as inert text: no sniffing into HTML, nothing it could load or run if opened.
SERVED_HEADERS: Final = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "public, max-age=86400, immutable",
}


class Uploaded(BaseModel):
    """The file's id and where it is served (a track's ``url``)."""

    model_config = ConfigDict(extra="forbid")
    id: str
    url: str


@documented(
    Doc(
        "Upload a subtitle file (WebVTT or SRT) for the room",
        "subtitles",
        Uploaded,
        201,
        raw_body=(*RAW_TYPES, "multipart/form-data"),
        errors=(
            *ROOM_ERRORS,
            *CLOSED,
            "forbidden",
            "banned",
            "rate_limited",
            "payload_too_large",
            "bad_request",
            "too_many_subtitles",
            "subtitles_invalid",
        ),
        auth="optional",
        member=True,
        gives={"room_id": "$request.path.room_id", "file_id": "$response.body#/id"},
    )
)
async def upload(request: web.Request) -> web.Response:
    room = await entered_room(request)
    session = await request.config_dict[SESSIONS].optional(request)
    refused = may_control(room.info, session.user.id if session is not None else None)
    if refused is not None:
        raise ApiError.rejected(refused)
    address = client_address(request, request.config_dict[SETTINGS].trusted_proxies)
    verdict = await request.config_dict[SUBTITLE_LIMIT].hit(address)
    if not verdict.allowed:
        raise too_many(verdict, "subtitle uploads")
    raw, name = await _read_file(request)
    store = request.config_dict[STORE].subtitles
    if await store.count(room.id) >= MAX_FILES_PER_ROOM:
        raise ApiError.of("too_many_subtitles", limit=MAX_FILES_PER_ROOM)
    try:  # parsing a large file takes a while: off the event loop
        webvtt = await asyncio.to_thread(lambda: to_webvtt(read_cues(decode(raw))))
    except Unreadable as error:
        raise ApiError.of("subtitles_invalid", line=error.line, detail=error.detail) from None
    file_id = secrets.token_urlsafe(12)
    await store.add(room.id, file_id, webvtt, name)
    url = f"/api/rooms/{room.id}/subtitles/{file_id}"
    return web.json_response({"id": file_id, "url": url}, status=201)


@documented(
    Doc(
        "A subtitle file, as WebVTT", "subtitles", media="text/vtt", errors=("subtitles_not_found",)
    )
)
async def serve(request: web.Request) -> web.Response:
    room_id, file_id = request.match_info["room_id"], request.match_info["file_id"]
    webvtt = await request.config_dict[STORE].subtitles.get(room_id, file_id)
    if webvtt is None:
        raise ApiError.of("subtitles_not_found")
    return web.Response(
        text=webvtt, content_type="text/vtt", charset="utf-8", headers=SERVED_HEADERS
    )


async def _read_file(request: web.Request) -> tuple[bytes, str | None]:
    """The file, as the raw body or the first file of a multipart form; 413 past the limit
    (told by Content-Length before reading, or by counting what arrives)."""
    if request.content_length is not None and request.content_length > FORM_LIMIT:
        raise _too_large()
    if request.content_type == "multipart/form-data":
        try:
            return await _read_form(request)
        except (ValueError, HttpProcessingError):  # no boundary, a broken part's headers
            raise ApiError.of("bad_request", detail="the form is not well-formed") from None
    if request.content_type not in RAW_TYPES:
        raise ApiError.of(
            "unsupported_media_type",
            detail="send text/vtt, application/x-subrip or multipart/form-data",
        )
    return await _read_limited(request.content.readany), None


async def _read_form(request: web.Request) -> tuple[bytes, str | None]:
    reader = await request.multipart()
    async for part in reader:
        if isinstance(part, BodyPartReader) and (part.filename or part.name == "file"):
            return await _read_limited(part.read_chunk), part.filename
    raise ApiError.of("bad_request", detail="the form has no file")


async def _read_limited(read: Callable[[], Awaitable[bytes]]) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await read():
        size += len(chunk)
        if size > MAX_SUBTITLE_BYTES:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large() -> ApiError:
    kib = MAX_SUBTITLE_BYTES // 1024
    return ApiError.of("payload_too_large", detail=f"a subtitle file is at most {kib} KiB")


def setup_routes(app: web.Application) -> None:
    room = "/rooms/{room_id:" + ID_PATTERN + "}/subtitles"
    app.router.add_post(room, upload)
    app.router.add_get(room + "/{file_id:" + ID_PATTERN + "}", serve)

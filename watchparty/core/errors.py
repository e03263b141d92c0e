"""THE error catalogue: every code a client may see, its HTTP status, and its message.

Sockets get ``{"ok": false, "error": {"code", "message"}}`` in an acknowledgement (or
``connect_error`` with ``data.code``), HTTP gets the same object under ``error`` with the
status below: one code means one thing on both. A message is a template whose ``{fields}``
the raiser fills; ``{detail}`` is for what a validator or the permission table says.
docs/protocol.md's table of errors is written from this one (tests/unit/test_errors.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a request was refused; ``code`` is stable, ``message`` is for people."""

    code: str
    message: str

    def to_wire(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True, slots=True)
class Error:
    status: int  # when it answers an HTTP request
    message: str  # a template (str.format)


ERRORS: Final[dict[str, Error]] = {
    # What was sent
    "invalid_payload": Error(400, "{detail}"),
    "invalid_body": Error(400, "{detail}"),
    "invalid_json": Error(400, "the request body is not valid JSON"),
    "invalid_query": Error(400, "{detail}"),
    "invalid_video_id": Error(400, "a YouTube video id is 11 letters, digits, - or _"),
    "invalid_auth": Error(400, "invalid auth: {detail}"),
    "unknown_event": Error(400, "unknown event {event!r}"),
    "unknown_user": Error(400, "moderators.{index}: no user has this id"),
    "bad_request": Error(400, "{detail}"),
    "payload_too_large": Error(413, "{detail}"),
    "method_not_allowed": Error(405, "{detail}"),
    "unsupported_media_type": Error(415, "{detail}"),
    "not_found": Error(404, "{detail}"),
    "http_error": Error(400, "{detail}"),
    # Who sent it
    "unauthenticated": Error(401, "sign in first"),
    "unauthorized": Error(401, "a metrics token is needed"),
    "invalid_credentials": Error(401, "wrong email, username or password"),
    "invalid_token": Error(401, "{detail}"),
    "token_expired": Error(401, "the session has expired; sign in again"),
    "session_revoked": Error(401, "this session was signed out; sign in again"),
    "csrf_failed": Error(403, "{detail}"),
    "cross_origin": Error(403, "this request must come from this site's own pages"),
    "wrong_password": Error(403, "the current password is wrong"),
    "forbidden": Error(403, "{detail}"),
    "banned": Error(403, "you are banned from this room"),
    "muted": Error(403, "you are muted for {seconds} s more"),
    "username_taken": Error(409, "that username is taken"),
    "email_taken": Error(409, "that email is taken"),
    # Limits
    "rate_limited": Error(429, "{detail}"),
    "upgrade_required": Error(402, "{detail}"),
    "room_full": Error(409, "this room has as many members as it can take"),
    "queue_full": Error(400, "a queue holds at most {limit} items"),
    "queue_too_long": Error(409, "the queue would hold {count} items; at most {limit}"),
    "queue_too_large": Error(
        400, "a queue's links, titles and subtitle tracks hold at most {kib} KiB"
    ),
    "too_many_subtitles": Error(409, "a room keeps at most {limit} uploaded subtitle files"),
    "too_many_bans": Error(409, "a room holds at most {limit} bans"),
    "too_many_playlists": Error(409, "you have {limit} playlists already"),
    # The state it met
    "stale_version": Error(409, "{detail}"),
    "room_not_found": Error(404, "room not found"),
    "playlist_not_found": Error(404, "playlist not found"),
    "video_not_found": Error(404, "no such YouTube video"),
    "no_such_member": Error(404, "nobody in this room has that member id"),
    "no_such_message": Error(404, "no such message in this room's history"),
    "no_such_item": Error(400, "no queue item has id {item_id!r}"),
    "not_banned": Error(409, "that user is not banned here"),
    "no_video": Error(400, "{detail}"),
    "rate_unsupported": Error(400, "this video's player cannot play at {rate:g}x, only at {rates}"),
    "subtitles_invalid": Error(400, "the subtitles do not parse: line {line}: {detail}"),
    "subtitles_not_found": Error(404, "no such subtitle file"),
    "not_ended": Error(400, "the room is at {position:.1f} s of {length:.1f} s"),
    "not_joined": Error(409, "this connection is not in a room"),
    "invalid_member_token": Error(400, "unknown or expired member token"),
    "connection_closed": Error(400, "the connection closed while joining"),
    # The server
    "internal_error": Error(500, "the server could not handle this"),
    "database_unavailable": Error(503, "the database is unavailable; try again shortly"),
    "cluster_unavailable": Error(503, "the servers cannot reach each other; try again shortly"),
    "capacity_reached": Error(503, "this server cannot hold more rooms"),
    "room_moving": Error(503, "this room is moving to another server; try again shortly"),
    "room_unavailable": Error(
        503, "the server holding this room is not answering; try again shortly"
    ),
    "search_disabled": Error(503, "YouTube search is not configured on this server"),
    "search_budget_used": Error(429, "today's searches for guests are used up; sign in to search"),
    "quota_exceeded": Error(503, "the daily YouTube search quota is used up"),
    "invalid_page_token": Error(400, "that page token is not valid"),
    "upstream_error": Error(502, "{detail}"),
    "upstream_timeout": Error(502, "YouTube did not answer in time"),
    "billing_disabled": Error(503, "billing is not configured on this server"),
}


class Unavailable(Exception):
    """Something the server needs is out of reach for now (the database, the other
    processes, room for one more room): every layer answers it as the catalogue's ``code``,
    a 503 over HTTP, without knowing which part raised it."""

    code = "internal_error"


def message(code: str, **fields: Any) -> str:
    return ERRORS[code].message.format(**fields)


def reject(code: str, **fields: Any) -> Rejection:
    """The rejection with this code, its message filled from ``fields``."""
    return Rejection(code, message(code, **fields))


def status(code: str) -> int:
    return ERRORS[code].status

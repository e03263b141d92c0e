"""THE error catalogue: every code a client may see, its HTTP status, and its message.

Sockets get ``{"ok": false, "error": {"code", "message", "params"?}}`` in an acknowledgement
(or ``connect_error`` with ``data.code``), HTTP gets the same object under ``error`` with the
status below: one code means one thing on both. A message is a template whose ``{fields}``
the raiser fills; ``{detail}`` is for what a validator or the permission table says, in
English. The other fields go along as ``params``, so that a page can show the message in its
own language from the translated template (``N_`` marks those without ``{detail}`` for the
catalogues).
docs/protocol.md's table of errors is written from this one (tests/unit/test_errors.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a request was refused; ``code`` is stable, ``message`` is for people, ``params``
    filled its template (all but ``detail``)."""

    code: str
    message: str
    params: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def to_wire(self) -> dict[str, Any]:
        return wire(self.code, self.message, self.params)


def wire(code: str, message: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The protocol's error object."""
    error: dict[str, Any] = {"code": code, "message": message}
    if params:
        error["params"] = dict(params)
    return error


def N_(template: str) -> str:  # gettext's conventional name for a marker
    """Marks a message template for the translation catalogues; translated where shown."""
    return template


@dataclass(frozen=True, slots=True)
class Error:
    status: int  # when it answers an HTTP request
    message: str  # a template (str.format)


ERRORS: Final[dict[str, Error]] = {
    # What was sent
    "invalid_payload": Error(400, "{detail}"),
    "invalid_body": Error(400, "{detail}"),
    "invalid_json": Error(400, N_("the request body is not valid JSON")),
    "invalid_query": Error(400, "{detail}"),
    "invalid_video_id": Error(400, N_("a YouTube video id is 11 letters, digits, - or _")),
    "invalid_auth": Error(400, "invalid auth: {detail}"),
    "unknown_event": Error(400, N_("unknown event {event!r}")),
    "unknown_user": Error(400, N_("{field}.{index}: no user has this id")),
    "bad_request": Error(400, "{detail}"),
    "payload_too_large": Error(413, "{detail}"),
    "method_not_allowed": Error(405, "{detail}"),
    "unsupported_media_type": Error(415, "{detail}"),
    "not_found": Error(404, "{detail}"),
    "http_error": Error(400, "{detail}"),
    # Who sent it
    "unauthenticated": Error(401, N_("sign in first")),
    "unauthorized": Error(401, N_("a metrics token is needed")),
    "invalid_credentials": Error(401, N_("wrong email, username or password")),
    "invalid_token": Error(401, "{detail}"),
    "token_expired": Error(401, N_("the session has expired; sign in again")),
    "session_revoked": Error(401, N_("this session was signed out; sign in again")),
    "csrf_failed": Error(403, "{detail}"),
    "cross_origin": Error(403, N_("this request must come from this site's own pages")),
    "wrong_password": Error(403, N_("the password is wrong")),
    "password_required": Error(401, N_("this room asks for a password")),
    "room_private": Error(403, N_("this room is private: ask its owner for an invite")),
    "forbidden": Error(403, "{detail}"),
    "banned": Error(403, N_("you are banned from this room")),
    "muted": Error(403, N_("you are muted for {seconds} s more")),
    "username_taken": Error(409, N_("that username is taken")),
    "email_taken": Error(409, N_("that email is taken")),
    # Limits
    "rate_limited": Error(429, "{detail}"),
    "upgrade_required": Error(402, "{detail}"),
    "room_full": Error(409, N_("this room has as many members as it can take")),
    "queue_full": Error(400, N_("a queue holds at most {limit} items")),
    "queue_too_long": Error(409, N_("the queue would hold {count} items; at most {limit}")),
    "queue_too_large": Error(
        400, N_("a queue's links, titles and subtitle tracks hold at most {kib} KiB")
    ),
    "too_many_subtitles": Error(409, N_("a room keeps at most {limit} uploaded subtitle files")),
    "too_many_bans": Error(409, N_("a room holds at most {limit} bans")),
    "too_many_invites": Error(409, N_("a room keeps at most {limit} invites")),
    "too_many_playlists": Error(409, N_("you have {limit} playlists already")),
    # The state it met
    "stale_version": Error(409, "{detail}"),
    "room_not_found": Error(404, N_("room not found")),
    "playlist_not_found": Error(404, N_("playlist not found")),
    "video_not_found": Error(404, N_("{service} has no such video, or will not describe it")),
    "no_such_member": Error(404, N_("nobody in this room has that member id")),
    "no_such_message": Error(404, N_("no such message in this room's history")),
    "no_such_item": Error(400, N_("no queue item has id {item_id!r}")),
    "invite_invalid": Error(404, N_("this invite does not exist or was revoked")),
    "invite_expired": Error(410, N_("this invite has expired")),
    "invite_used_up": Error(410, N_("this invite has admitted as many people as it may")),
    "not_banned": Error(409, N_("that user is not banned here")),
    "no_votes": Error(409, N_("this room's queue does not play by votes")),
    "no_video": Error(400, "{detail}"),
    "rate_unsupported": Error(
        400, N_("this video's player cannot play at {rate:g}x, only at {rates}")
    ),
    "live_not_seekable": Error(400, N_("this is a live channel: there is no position to seek to")),
    "source_disabled": Error(
        400, N_("this server does not play links of kind {kind}; it plays {plays}")
    ),
    "subtitles_invalid": Error(400, "the subtitles do not parse: line {line}: {detail}"),
    "subtitles_not_found": Error(404, N_("no such subtitle file")),
    "not_ended": Error(400, N_("the room is at {position:.1f} s of {length:.1f} s")),
    "not_joined": Error(409, N_("this connection is not in a room")),
    "invalid_member_token": Error(400, N_("unknown or expired member token")),
    "connection_closed": Error(400, N_("the connection closed while joining")),
    # The server
    "internal_error": Error(500, N_("the server could not handle this")),
    "database_unavailable": Error(503, N_("the database is unavailable; try again shortly")),
    "cluster_unavailable": Error(503, N_("the servers cannot reach each other; try again shortly")),
    "capacity_reached": Error(503, N_("this server cannot hold more rooms")),
    "room_moving": Error(503, N_("this room is moving to another server; try again shortly")),
    "room_unavailable": Error(
        503, N_("the server holding this room is not answering; try again shortly")
    ),
    "search_disabled": Error(503, N_("YouTube search is not configured on this server")),
    "search_budget_used": Error(
        429, N_("today's searches for guests are used up; sign in to search")
    ),
    "quota_exceeded": Error(503, N_("the daily YouTube search quota is used up")),
    "invalid_page_token": Error(400, N_("that page token is not valid")),
    "upstream_error": Error(502, "{detail}"),
    "upstream_timeout": Error(502, N_("{service} did not answer in time")),
    "private_address": Error(
        400, N_("the link's host is a private or local address: the server does not ask it")
    ),
    "billing_disabled": Error(503, N_("billing is not configured on this server")),
    "already_subscribed": Error(409, N_("you are on Plus already; manage it instead")),
    "no_billing_account": Error(409, N_("subscribe first: there is nothing to manage")),
    "billing_unavailable": Error(502, N_("the payment provider did not answer; try again")),
    "invalid_signature": Error(400, N_("the Stripe-Signature header does not match")),
    # Signing in with an OpenID Connect provider (accounts.oidc)
    "oidc_disabled": Error(
        503, N_("signing in with an identity provider is not configured on this server")
    ),
    "oidc_state": Error(400, N_("this sign-in expired or was started elsewhere; sign in again")),
    "oidc_denied": Error(403, N_("the identity provider did not let you sign in")),
    "oidc_failed": Error(502, N_("the identity provider's answer could not be used; try again")),
    "oidc_invalid_token": Error(401, N_("the identity provider's token is not valid")),
    "oidc_no_email": Error(400, N_("the identity provider gave no verified email address")),
    "oidc_unavailable": Error(502, N_("the identity provider cannot be reached; try again")),
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
    return Rejection(code, message(code, **fields), params(fields))


def params(fields: Mapping[str, Any]) -> dict[str, Any]:
    """What goes along with a message for translating it: every field but ``detail``."""
    return {name: value for name, value in fields.items() if name != "detail"}


def status(code: str) -> int:
    return ERRORS[code].status

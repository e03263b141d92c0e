"""HTML pages (aiohttp-jinja2) and ``/healthz``."""

from __future__ import annotations

import json
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from watchparty import __version__
from watchparty.core.commands import NAMESPACE, REACTIONS
from watchparty.core.limits import ID_PATTERN
from watchparty.headers import embedded_players
from watchparty.i18n import LANGUAGES
from watchparty.keys import BILLING, CATALOGUES, OIDC, REGISTRY, SESSIONS, SETTINGS
from watchparty.settings import Settings


async def _user(request: web.Request) -> dict[str, Any] | None:
    """The signed-in user, for the header (a stale cookie shows a guest)."""
    session = await request.app[SESSIONS].optional(request)
    return session.user.to_public() if session is not None else None


def _language(request: web.Request) -> dict[str, Any]:
    """What every template gets to speak the request's language: ``_`` and ``ngettext``
    (what the catalogue extraction looks for), the language, the picker's choices and the
    page scripts' part of the catalogue."""
    language = request.app[CATALOGUES].choose(request)
    return {
        "_": language.gettext,
        "ngettext": language.ngettext,
        "lang": language.code,
        "languages": LANGUAGES,
        "page_messages": language.page,
    }


@aiohttp_jinja2.template("index.html")
async def index(request: web.Request) -> dict[str, Any]:
    return {
        **_language(request),
        "user": await _user(request),
        "billing": BILLING in request.app,
        "free_days": request.app[SETTINGS].free_room_idle_days,
        "oidc_name": request.app[OIDC].name if OIDC in request.app else None,
    }


@aiohttp_jinja2.template("browse.html")
async def browse(request: web.Request) -> dict[str, Any]:
    """The public rooms (the page reads them from ``GET /api/rooms?visibility=public``)."""
    return {**_language(request), "user": await _user(request)}


def sync_tuning(settings: Settings) -> str:
    """The page's drift-correction thresholds (seconds and a fraction), from the settings."""
    return json.dumps(
        {
            "seekAbove": settings.sync_seek_ms / 1000,
            "nudgeAbove": settings.sync_nudge_ms / 1000,
            "maxNudge": settings.sync_max_nudge_percent / 100,
        }
    )


async def room_page(request: web.Request) -> web.Response:
    room_id = request.match_info["room_id"]
    room = await request.app[REGISTRY].find(room_id)
    context = {
        **_language(request),
        "sync": sync_tuning(request.app[SETTINGS]),
        "players": json.dumps(embedded_players(request.app[SETTINGS])),
        "room_id": room_id,
        "room_name": room.info.name if room else None,
        "ns": NAMESPACE,
        "reactions": REACTIONS,
        "user": await _user(request),
        "billing": BILLING in request.app,
        "free_days": request.app[SETTINGS].free_room_idle_days,
    }
    template = "room.html" if room is not None else "room_missing.html"
    response = aiohttp_jinja2.render_template(template, request, context)
    if room is None:
        response.set_status(404)
    return response


async def healthz(request: web.Request) -> web.Response:
    return web.json_response(
        {"status": "ok", "version": __version__, "rooms": len(request.app[REGISTRY])}
    )


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/", index, name="index")
    app.router.add_get("/rooms", browse, name="browse")
    app.router.add_get("/r/{room_id:" + ID_PATTERN + "}", room_page, name="room_page")
    app.router.add_get("/healthz", healthz)

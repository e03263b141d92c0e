"""The pages and the REST API's routes, static files, and CORS for /api."""

from __future__ import annotations

import aiohttp_cors
import aiohttp_jinja2
import jinja2
from aiohttp import web

from watchparty.accounts.routes import setup_routes as accounts_routes
from watchparty.billing.routes import setup_routes as billing_routes
from watchparty.pages.routes import setup_routes as page_routes
from watchparty.paths import web_root
from watchparty.playlists.routes import setup_routes as playlist_routes
from watchparty.rooms.routes import setup_routes as room_routes
from watchparty.search.routes import setup_routes as search_routes
from watchparty.settings import Settings


def setup_web(app: web.Application, settings: Settings) -> None:
    root = web_root()
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(root / "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
    )
    for setup_routes in (
        page_routes,
        room_routes,
        accounts_routes,
        playlist_routes,
        billing_routes,
        search_routes,
    ):
        setup_routes(app)
    app.router.add_static("/static", root / "static", name="static")
    if settings.media_dir is not None:
        app.router.add_static("/media", settings.media_dir, name="media")
    _cors(app, settings.cors_origins)


def _cors(app: web.Application, origins: tuple[str, ...]) -> None:
    """CORS for the REST API, from the same setting Socket.IO uses; after every route."""
    if not origins:
        return
    options = aiohttp_cors.ResourceOptions(  # type: ignore[no-untyped-call]  # untyped library
        allow_headers="*", allow_methods="*"
    )
    cors = aiohttp_cors.setup(app, defaults=dict.fromkeys(origins, options))
    for route in list(app.router.routes()):
        if route.resource is not None and route.resource.canonical.startswith("/api/"):
            cors.add(route)

"""The pages and static files on the main application; the REST API as the /api
sub-application, with its own error middleware and CORS."""

from __future__ import annotations

import aiohttp_cors
import aiohttp_jinja2
import jinja2
from aiohttp import web

from watchparty import __version__
from watchparty.accounts.oidc_routes import setup_routes as oidc_routes
from watchparty.accounts.routes import setup_routes as accounts_routes
from watchparty.apidoc import document, openapi_json
from watchparty.billing.routes import setup_routes as billing_routes
from watchparty.cluster.forward import to_holder
from watchparty.http import json_errors
from watchparty.i18n import Catalogues
from watchparty.keys import CATALOGUES, CLUSTER, OPENAPI
from watchparty.pages.routes import setup_routes as page_routes
from watchparty.paths import web_root
from watchparty.playlists.routes import setup_routes as playlist_routes
from watchparty.rooms.access_routes import setup_routes as access_routes
from watchparty.rooms.routes import setup_routes as room_routes
from watchparty.search.lookup_routes import setup_routes as lookup_routes
from watchparty.search.routes import setup_routes as search_routes
from watchparty.settings import Settings
from watchparty.subtitles.routes import setup_routes as subtitle_routes

API_MAX_BODY = 256 * 1024  # a request body, at most


def setup_web(app: web.Application, settings: Settings) -> None:
    root = web_root()
    app[CATALOGUES] = Catalogues()
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(root / "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
    )
    page_routes(app)
    app.router.add_static("/static", root / "static", name="static")
    # The client library (clients/js), which the room page is built on, at the path the
    # page's relative imports reach it by (as in a checkout, so Node tests them alike).
    client = "/clients/js/src"
    app.router.add_static(client, root / client.lstrip("/"), name="client")
    if settings.media_dir is not None:
        app.router.add_static("/media", settings.media_dir, name="media")
    # A request about a room another process holds goes to it (cluster.forward), inside the
    # API's own error middleware, which answers what the holder could not.
    forward = [to_holder(app[CLUSTER].peers)] if CLUSTER in app else []
    api = web.Application(middlewares=[json_errors, *forward], client_max_size=API_MAX_BODY)
    api_routes(api)
    _cors(api, settings.cors_origins)
    app.add_subapp("/api", api)
    app[OPENAPI] = document(api, __version__)


def api_routes(api: web.Application) -> None:
    """Every route of the REST API (also how the API's documents are made without a server)."""
    for setup_routes in (
        room_routes,
        access_routes,
        accounts_routes,
        oidc_routes,
        playlist_routes,
        billing_routes,
        search_routes,
        lookup_routes,
        subtitle_routes,
    ):
        setup_routes(api)
    api.router.add_get("/openapi.json", openapi_json)


def _cors(api: web.Application, origins: tuple[str, ...]) -> None:
    """CORS for the REST API, from the same setting Socket.IO uses; after every route."""
    if not origins:
        return
    options = aiohttp_cors.ResourceOptions(  # type: ignore[no-untyped-call]  # untyped library
        allow_headers="*", allow_methods="*"
    )
    cors = aiohttp_cors.setup(api, defaults=dict.fromkeys(origins, options))
    for route in list(api.router.routes()):
        cors.add(route)

"""Every object shared on the application, under one typed key each.

The types are imported for the type checker only: every module may read a key without
importing what the object's module imports (a route of rooms/ must not pull in Socket.IO).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    import socketio

    from watchparty.accounts.oidc import OidcProvider
    from watchparty.accounts.passwords import PasswordHasher
    from watchparty.accounts.session import Sessions
    from watchparty.accounts.throttle import LoginThrottle
    from watchparty.billing.service import StripeBilling
    from watchparty.cluster.node import Cluster
    from watchparty.core.plans import Plans
    from watchparty.i18n import Catalogues
    from watchparty.ratelimit import RateLimit
    from watchparty.realtime.heartbeats import Heartbeats
    from watchparty.rooms.registry import RoomRegistry
    from watchparty.rooms.writebehind import WriteBehind, WriteQueue
    from watchparty.search.lookups import Lookups
    from watchparty.search.oembed import OEmbed
    from watchparty.search.service import SearchService
    from watchparty.search.youtube import YouTube
    from watchparty.settings import Settings
    from watchparty.store.database import Store
    from watchparty.store.embedded import EmbeddedMongo

SETTINGS: web.AppKey[Settings] = web.AppKey("settings")
CSP: web.AppKey[str] = web.AppKey("content_security_policy")  # the pages' (headers.py)
REGISTRY: web.AppKey[RoomRegistry] = web.AppKey("registry")
SOCKETIO: web.AppKey[socketio.AsyncServer] = web.AppKey("socketio")
HEARTBEATS: web.AppKey[Heartbeats] = web.AppKey("heartbeats")
STORE: web.AppKey[Store] = web.AppKey("store")
WRITE_BEHIND: web.AppKey[WriteBehind] = web.AppKey("write_behind")
EMBEDDED_DB: web.AppKey[EmbeddedMongo] = web.AppKey("embedded_db")
SEARCH: web.AppKey[SearchService] = web.AppKey("search")
SEARCH_LIMIT: web.AppKey[RateLimit] = web.AppKey("search_limit")
ANONYMOUS_SEARCHES: web.AppKey[RateLimit] = web.AppKey("anonymous_searches")
YOUTUBE: web.AppKey[YouTube] = web.AppKey("youtube")
OEMBED: web.AppKey[OEmbed] = web.AppKey("oembed")
LOOKUPS: web.AppKey[Lookups] = web.AppKey("lookups")  # other services' titles and durations
SESSIONS: web.AppKey[Sessions] = web.AppKey("sessions")
PASSWORDS: web.AppKey[PasswordHasher] = web.AppKey("passwords")
LOGIN_THROTTLE: web.AppKey[LoginThrottle] = web.AppKey("login_throttle")
REGISTER_LIMIT: web.AppKey[RateLimit] = web.AppKey("register_limit")
ROOM_CREATE_LIMIT: web.AppKey[RateLimit] = web.AppKey("room_create_limit")
SUBTITLE_LIMIT: web.AppKey[RateLimit] = web.AppKey("subtitle_limit")
BILLING: web.AppKey[StripeBilling] = web.AppKey("billing")
OIDC: web.AppKey[OidcProvider] = web.AppKey("oidc")  # only when OIDC_ISSUER is set
OIDC_LIMIT: web.AppKey[RateLimit] = web.AppKey("oidc_limit")  # sign-ins with it, per address
CHAT_WRITES: web.AppKey[WriteQueue] = web.AppKey("chat_writes")
PLANS: web.AppKey[Plans] = web.AppKey("plans")
CLUSTER: web.AppKey[Cluster] = web.AppKey("cluster")
# Every rate limit the parts made, for /metrics (each step adds its own).
CATALOGUES: web.AppKey[Catalogues] = web.AppKey("catalogues")
LIMITS: web.AppKey[list[RateLimit]] = web.AppKey("limits")
# The OpenAPI document of /api (apidoc), built once the routes are.
OPENAPI: web.AppKey[dict[str, Any]] = web.AppKey("openapi")

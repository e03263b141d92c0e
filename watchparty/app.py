"""``create_app(settings)``: the one place that wires the application together."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from dataclasses import replace

import aiohttp_cors
import aiohttp_jinja2
import jinja2
import socketio
from aiohttp import web

from watchparty.accounts.passwords import PasswordHasher
from watchparty.accounts.routes import setup_routes as setup_accounts
from watchparty.accounts.secret import jwt_secret
from watchparty.accounts.session import Sessions
from watchparty.accounts.throttle import LoginThrottle
from watchparty.accounts.tokens import Tokens
from watchparty.billing.routes import setup_routes as setup_billing
from watchparty.billing.service import StripeBilling
from watchparty.cluster.forward import to_holder
from watchparty.cluster.node import SOCKETIO_CHANNEL, Cluster
from watchparty.core.commands import NAMESPACE
from watchparty.core.plans import FREE, Plan, Plans
from watchparty.headers import add_security_headers
from watchparty.http import json_errors
from watchparty.keys import (
    ANONYMOUS_SEARCHES,
    BILLING,
    CHAT_WRITES,
    CLUSTER,
    EMBEDDED_DB,
    LOGIN_THROTTLE,
    PASSWORDS,
    PLANS,
    REGISTER_LIMIT,
    REGISTRY,
    ROOM_CREATE_LIMIT,
    SEARCH,
    SEARCH_LIMIT,
    SESSIONS,
    SETTINGS,
    SOCKETIO,
    STORE,
    WRITE_BEHIND,
    YOUTUBE,
)
from watchparty.logs import request_ids
from watchparty.metrics import Metrics, Sources
from watchparty.pages.routes import setup_routes as setup_pages
from watchparty.paths import web_root
from watchparty.playlists.routes import setup_routes as setup_playlists
from watchparty.ratelimit import QueueBudget, RateLimit, SocketLimits
from watchparty.realtime.events import RoomEvents
from watchparty.realtime.fanout import (
    MAX_QUEUED_PACKETS,
    FanoutManager,
    RedisFanoutManager,
    install_direct_websockets,
)
from watchparty.realtime.namespace import RoomNamespace
from watchparty.realtime.packet_json import packet_class
from watchparty.realtime.patches import (
    close_all_connections,
    close_on_malformed_packets,
    refuse_malformed_polls,
    refuse_reserved_events,
    release_polls_on_close,
)
from watchparty.realtime.transport import SocketIOTransport
from watchparty.rooms.concerns.autoplay import Autoplay
from watchparty.rooms.concerns.buffering import Buffering
from watchparty.rooms.concerns.chat import Chat
from watchparty.rooms.concerns.moderation import Moderation
from watchparty.rooms.ports import Clock, ClusterUnavailable
from watchparty.rooms.registry import RoomRegistry
from watchparty.rooms.routes import setup_routes as setup_rooms
from watchparty.rooms.writebehind import WriteBehind, WriteQueue
from watchparty.search.routes import setup_routes as setup_search
from watchparty.search.service import SearchService
from watchparty.search.youtube import YouTube
from watchparty.settings import Settings
from watchparty.store.database import DEFAULT_DATABASE, Store
from watchparty.store.embedded import EmbeddedMongo
from watchparty.store.errors import StoreUnavailable

log = logging.getLogger(__name__)

API_MAX_BODY = 256 * 1024


# PyMongo logs whole commands at DEBUG (documents with password hashes in them), and stripe
# logs request and response bodies (customers' emails). Whatever LOG_LEVEL says, these stay at
# INFO, so no hash, token or customer detail reaches a log.
QUIET_LOGGERS = ("pymongo", "stripe")


def create_app(settings: Settings, *, clock: Clock = time.time) -> web.Application:
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    app = web.Application(middlewares=[request_ids, json_errors], client_max_size=API_MAX_BODY)
    app[SETTINGS] = settings
    app.on_response_prepare.append(add_security_headers)

    uri = settings.mongodb_uri
    if uri is None:
        app[EMBEDDED_DB] = EmbeddedMongo(settings.data_dir)
        uri = app[EMBEDDED_DB].uri + DEFAULT_DATABASE
    store = Store(uri, timeout_ms=settings.db_timeout_ms)
    writer = WriteBehind(store.rooms)
    app[STORE] = store
    app[WRITE_BEHIND] = writer

    sessions = Sessions(
        Tokens(jwt_secret(settings), settings.session_seconds),
        store.users,
        store.revoked_sessions,
        always_secure=settings.production,
    )
    app[SESSIONS] = sessions
    app[PASSWORDS] = PasswordHasher(settings.bcrypt_rounds)
    # Limits per client address or account hold across processes (in Redis, when shared);
    # limits per connection stay in memory, since a connection lives in one process.
    shared = settings.redis_url
    app[LOGIN_THROTTLE] = LoginThrottle(
        settings.login_account_limit, settings.login_address_limit, shared
    )
    app[REGISTER_LIMIT] = RateLimit(settings.register_rate_limit, "register", shared)
    app[ROOM_CREATE_LIMIT] = RateLimit(settings.room_create_rate_limit, "room-create", shared)

    manager: FanoutManager
    if settings.redis_url is None:
        manager = FanoutManager(
            max_buffer=settings.slow_client_bytes, max_queued=MAX_QUEUED_PACKETS
        )
    else:
        manager = RedisFanoutManager(
            settings.redis_url,
            channel=SOCKETIO_CHANNEL,
            max_buffer=settings.slow_client_bytes,
            max_queued=MAX_QUEUED_PACKETS,
        )
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        cors_allowed_origins=_socketio_origins(settings.cors_origins),
        max_http_buffer_size=settings.socketio_max_payload,
        serializer=packet_class() or "default",
        # /rooms only: python-socketio accepts "/" by default, where a connection would skip
        # the connect limit and every check of the room namespace.
        namespaces=[NAMESPACE],
    )

    plans = app[PLANS] = Plans(free=replace(FREE, max_members=settings.free_max_members))

    async def owner_plan(owner_id: str | None) -> Plan:
        user = None if owner_id is None else await store.users.by_id(owner_id)
        return plans.named(user.plan if user is not None else None)

    transport = SocketIOTransport(sio, NAMESPACE)
    cluster = None
    if settings.redis_url is not None:
        cluster = app[CLUSTER] = Cluster(settings.redis_url, settings.room_lease_seconds, transport)
    queue_budget = QueueBudget(settings.queue_rate_limit, settings.room_queue_rate_limit)
    registry = RoomRegistry(
        transport,
        store.rooms,
        writer,
        max_rooms=settings.max_rooms,
        max_members=settings.max_members_per_room,
        member_list_max=settings.member_list_max,
        plan_of=owner_plan,
        free_room_idle=settings.free_room_idle_days * 86400.0,
        reconnect_grace=settings.reconnect_grace_seconds,
        start_lead=(settings.start_lead_ms / 1000, settings.start_lead_max_ms / 1000),
        clock=clock,
        authority=None if cluster is None else cluster.leases,
        queue_budget=queue_budget,
    )
    chat_writes = app[CHAT_WRITES] = WriteQueue()
    chat_limit = RateLimit(settings.chat_rate_limit, "chat")
    chat = Chat(transport, store.chat, chat_writes, chat_limit, clock)
    moderation = Moderation(registry, transport, chat, clock)
    autoplay = Autoplay(registry, transport)
    buffering = Buffering(registry, settings.buffer_wait_seconds)
    for concern in (chat, moderation, autoplay, buffering):
        registry.add(concern)
    events = RoomEvents(registry, chat, moderation, autoplay, buffering)
    limits = SocketLimits(
        events=RateLimit(settings.event_rate_limit, "events"),
        pings=RateLimit(settings.time_rate_limit, "time"),
        connects=RateLimit(settings.connect_rate_limit, "connect", shared),
        guests=RateLimit(settings.guest_rate_limit, "guests", shared),
        trusted_proxies=settings.trusted_proxies,
    )
    namespace = RoomNamespace(
        registry, sessions, events, limits, relay=None if cluster is None else cluster.relay
    )
    sio.register_namespace(namespace)
    if cluster is not None:
        _join_cluster(app, cluster, registry, namespace, plans)
    release_polls_on_close(sio)
    refuse_reserved_events(sio)
    close_on_malformed_packets(sio)
    refuse_malformed_polls(sio)
    install_direct_websockets(sio, compress=settings.ws_compression)
    sio.attach(app)
    app[SOCKETIO] = sio
    app[REGISTRY] = registry

    youtube = None
    if settings.youtube_api_key:
        youtube = YouTube(
            settings.youtube_api_key, settings.youtube_api_url, settings.youtube_timeout_seconds
        )
        app[YOUTUBE] = youtube
    app[SEARCH] = SearchService(
        youtube, store.search_cache, lifetime_seconds=settings.search_cache_seconds
    )
    app[SEARCH_LIMIT] = RateLimit(settings.search_rate_limit, "search", shared)
    app[ANONYMOUS_SEARCHES] = RateLimit(settings.anonymous_search_limit, "anonymous-search", shared)
    metrics = Metrics(
        Sources(
            registry,
            namespace.events,
            writer,
            chat_writes,
            limits=[
                limits.events,
                limits.pings,
                limits.connects,
                limits.guests,
                queue_budget.member,
                queue_budget.room,
                chat_limit,
                app[REGISTER_LIMIT],
                app[ROOM_CREATE_LIMIT],
                app[SEARCH_LIMIT],
                app[ANONYMOUS_SEARCHES],
                *app[LOGIN_THROTTLE].limits,
            ],
            fanout=manager,
        ),
        token=settings.metrics_token,
    )
    manager.observe = metrics.broadcast_seconds.observe
    app.router.add_get("/metrics", metrics.handle)
    if settings.billing_enabled:
        app[BILLING] = StripeBilling(
            settings, store.users, store.billing_events, store.rooms, registry, plans
        )

    root = web_root()
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(root / "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
    )
    setup_pages(app)
    setup_rooms(app)
    setup_accounts(app)
    setup_playlists(app)
    setup_billing(app)
    setup_search(app)
    app.router.add_static("/static", root / "static", name="static")
    if settings.media_dir is not None:
        app.router.add_static("/media", settings.media_dir, name="media")
    _setup_cors(app, settings.cors_origins)
    # Connections close first (on shutdown), then the last writes are flushed and the
    # database stops (clean-up, in the reverse order of start-up).
    app.on_shutdown.append(_close_connections)
    # The cluster stops last: rooms are given back only once they are saved.
    app.cleanup_ctx.append(_cluster_lifecycle)
    app.cleanup_ctx.append(_database_lifecycle)
    app.cleanup_ctx.append(_youtube_lifecycle)
    app.on_cleanup.append(_close_billing)
    return app


def _join_cluster(
    app: web.Application,
    cluster: Cluster,
    registry: RoomRegistry,
    namespace: RoomNamespace,
    plans: Plans,
) -> None:
    """Wire the parts that make rooms span processes (docs/scaling.md)."""
    cluster.relay.serve(registry, namespace.dispatch)

    async def lost(room_ids: list[str]) -> None:
        cluster.relay.forget(await registry.give_up(room_ids))

    cluster.leases.on_lost = lost

    async def tell_others(owner_id: str, plan: Plan) -> None:
        try:
            await cluster.peers.tell_everyone("plan", owner_id=owner_id, plan=plan.name)
        except ClusterUnavailable:  # the plan is saved: other processes read it on next load
            log.warning("could not tell the other processes about a plan change (no Redis)")

    async def plan_changed(owner_id: str, plan: str) -> None:
        await registry.change_plan(owner_id, plans.named(plan), here_only=True)

    registry.on_plan.append(tell_others)
    cluster.peers.handlers["plan"] = plan_changed
    app.middlewares.append(to_holder(cluster.peers))


async def _cluster_lifecycle(app: web.Application) -> AsyncIterator[None]:
    cluster = app.get(CLUSTER)
    if cluster is None:
        yield
        return
    await cluster.start()
    yield
    await cluster.stop()


def _socketio_origins(origins: tuple[str, ...]) -> str | list[str] | None:
    """python-engineio's form of CORS_ORIGINS: ``"*"``, a list, or None for same-origin only.

    Same-origin still lets in clients that send no Origin header (Node's, Python's).
    """
    if "*" in origins:
        return "*"
    return list(origins) or None


def _setup_cors(app: web.Application, origins: tuple[str, ...]) -> None:
    """CORS for the REST API, from the same setting Socket.IO uses."""
    if not origins:
        return
    options = aiohttp_cors.ResourceOptions(  # type: ignore[no-untyped-call]  # untyped library
        allow_headers="*", allow_methods="*"
    )
    cors = aiohttp_cors.setup(app, defaults=dict.fromkeys(origins, options))
    for route in list(app.router.routes()):
        if route.resource is not None and route.resource.canonical.startswith("/api/"):
            cors.add(route)


async def _database_lifecycle(app: web.Application) -> AsyncIterator[None]:
    embedded = app.get(EMBEDDED_DB)
    store, writer = app[STORE], app[WRITE_BEHIND]
    if embedded is not None:
        log.info("no MONGODB_URI: starting the embedded database in %s", embedded.data_dir)
        await embedded.start()
    try:
        try:
            await store.prepare()
        except StoreUnavailable:
            raise RuntimeError("cannot reach the database named by MONGODB_URI") from None
        writer.start()
        chat_writes = app[CHAT_WRITES]
        chat_writes.start()
        yield
        settings = app[SETTINGS]
        if not await writer.flush(settings.shutdown_flush_seconds):
            log.error(
                "shutting down with %d room(s) not saved (database unreachable)", writer.pending
            )
        if not await chat_writes.flush(settings.shutdown_flush_seconds):
            log.error("shutting down with chat history not saved (database unreachable)")
        await writer.close()
        await chat_writes.close()
    finally:
        await store.close()
        if embedded is not None:
            await embedded.stop()


async def _youtube_lifecycle(app: web.Application) -> AsyncIterator[None]:
    youtube = app.get(YOUTUBE)
    if youtube is None:
        yield
        return
    await youtube.start()
    yield
    await youtube.close()


async def _close_billing(app: web.Application) -> None:
    billing = app.get(BILLING)
    if billing is not None:
        await billing.close()


async def _close_connections(app: web.Application) -> None:
    """Close every Socket.IO connection as shutdown begins.

    aiohttp waits for open handlers (a websocket is one) before it runs the clean-up steps, so
    leaving this to clean-up would hold a restart for its whole shutdown timeout. Clients
    reconnect by themselves, to this process's successor.
    """
    await close_all_connections(app[SOCKETIO])
    await app[SOCKETIO].shutdown()  # its background tasks
    await app[REGISTRY].close()

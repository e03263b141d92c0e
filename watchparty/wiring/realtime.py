"""Rooms and the /rooms namespace: the Socket.IO server, the registry and its concerns, and
with REDIS_URL the cluster that spreads rooms over processes."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import socketio
from aiohttp import web

from watchparty.accounts.session import from_host
from watchparty.cluster.forward import to_holder
from watchparty.cluster.node import SOCKETIO_CHANNEL, Cluster, redis_options
from watchparty.cluster.outage import Outage
from watchparty.core.commands import NAMESPACE
from watchparty.core.media import KINDS
from watchparty.core.plans import FREE, Plan, Plans
from watchparty.keys import (
    CHAT_WRITES,
    CLUSTER,
    HEARTBEATS,
    LIMITS,
    PASSWORDS,
    PLANS,
    REGISTRY,
    SESSIONS,
    SOCKETIO,
    STORE,
    WRITE_BEHIND,
)
from watchparty.ratelimit import QueueBudget, RateLimit, SocketLimits
from watchparty.realtime.clock_pings import answer_clock_pings
from watchparty.realtime.events import RoomEvents
from watchparty.realtime.fanout import (
    MAX_QUEUED_PACKETS,
    FanoutManager,
    install_direct_websockets,
)
from watchparty.realtime.handshake import keep_handshakes
from watchparty.realtime.heartbeats import Heartbeats
from watchparty.realtime.namespace import RoomNamespace
from watchparty.realtime.packet_json import packet_class
from watchparty.realtime.patches import (
    close_all_connections,
    close_on_malformed_packets,
    handle_inline,
    own_packet_queues,
    refuse_malformed_polls,
    refuse_reserved_events,
    release_polls_on_close,
)
from watchparty.realtime.redis_manager import RedisFanoutManager
from watchparty.realtime.transport import SocketIOTransport
from watchparty.realtime.websocket import websockets_served_to_end
from watchparty.rooms.concerns.autoplay import Autoplay
from watchparty.rooms.concerns.buffering import Buffering
from watchparty.rooms.concerns.chat import Chat
from watchparty.rooms.concerns.listing import Listing
from watchparty.rooms.concerns.moderation import Moderation
from watchparty.rooms.concerns.queueing import Queueing
from watchparty.rooms.concerns.reactions import Reactions
from watchparty.rooms.concerns.sources import Sources
from watchparty.rooms.concerns.uploads import Uploads
from watchparty.rooms.door import Door
from watchparty.rooms.ports import Clock, ClusterUnavailable
from watchparty.rooms.registry import RoomRegistry
from watchparty.settings import Settings

log = logging.getLogger(__name__)
# Answered from memory, never waiting: handled in the task that read them (patches.py).
INLINE_EVENTS = frozenset({"TIME"})


def setup_realtime(app: web.Application, settings: Settings, clock: Clock) -> None:
    sio = app[SOCKETIO] = _socketio_server(settings)
    transport = SocketIOTransport(sio, NAMESPACE)
    cluster = None
    if settings.redis_url is not None:
        cluster = app[CLUSTER] = Cluster(settings.redis_url, settings.room_lease_seconds, transport)
    registry = app[REGISTRY] = _registry(app, settings, transport, cluster, clock)
    events = _concerns(app, settings, registry, transport, clock)
    limits = SocketLimits(
        events=RateLimit(settings.event_rate_limit, "events"),
        pings=RateLimit(settings.time_rate_limit, "time"),
        connects=RateLimit(settings.connect_rate_limit, "connect", settings.redis_url),
        guests=RateLimit(settings.guest_rate_limit, "guests", settings.redis_url),
        trusted_proxies=settings.trusted_proxies,
    )
    app[LIMITS].extend([limits.events, limits.pings, limits.connects, limits.guests])
    relay = None if cluster is None else cluster.relay
    namespace = RoomNamespace(registry, app[SESSIONS], events, limits, relay=relay)
    sio.register_namespace(namespace)
    if cluster is not None:
        _join_cluster(app, cluster, registry, namespace, transport)
    release_polls_on_close(sio)
    keep_handshakes(sio.eio)
    own_packet_queues(sio)
    refuse_reserved_events(sio)
    handle_inline(sio, INLINE_EVENTS)
    answer_clock_pings(sio, namespace)
    close_on_malformed_packets(sio)
    refuse_malformed_polls(sio)
    install_direct_websockets(sio, compress=settings.ws_compression)
    app[HEARTBEATS] = Heartbeats(sio)
    sio.attach(app)
    app.cleanup_ctx.append(_heartbeats)
    # Connections close first (on shutdown); the cluster, started before the writers, stops
    # after them: rooms are given back only once they are saved.
    app.on_shutdown.append(_close_connections)
    app.cleanup_ctx.append(_cluster)


def _socketio_server(settings: Settings) -> socketio.AsyncServer:
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
            redis_options=redis_options(),
        )
    return socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        cors_allowed_origins=_socketio_origins(settings.cors_origins),
        max_http_buffer_size=settings.socketio_max_payload,
        serializer=packet_class(),
        # /rooms only: python-socketio accepts "/" by default, where a connection would skip
        # the connect limit and every check of the room namespace.
        namespaces=[NAMESPACE],
    )


def _registry(
    app: web.Application,
    settings: Settings,
    transport: SocketIOTransport,
    cluster: Cluster | None,
    clock: Clock,
) -> RoomRegistry:
    store = app[STORE]
    plans = app[PLANS] = Plans(free=replace(FREE, max_members=settings.free_max_members))

    async def owner_plan(owner_id: str | None) -> Plan:
        user = None if owner_id is None else await store.users.by_id(owner_id)
        return plans.named(user.plan if user is not None else None)

    budget = QueueBudget(settings.queue_rate_limit, settings.room_queue_rate_limit)
    wrong_passwords = RateLimit(settings.room_password_limit, "room-password", settings.redis_url)
    app[LIMITS].extend([budget.member, budget.room, wrong_passwords])
    idle = settings.free_room_idle_days * 86400.0
    door = Door(app[PASSWORDS].check, wrong_passwords, app[WRITE_BEHIND], clock, idle)
    return RoomRegistry(
        transport,
        store.rooms,
        app[WRITE_BEHIND],
        max_rooms=settings.max_rooms,
        max_members=settings.max_members_per_room,
        member_list_max=settings.member_list_max,
        plan_of=owner_plan,
        free_room_idle=idle,
        reconnect_grace=settings.reconnect_grace_seconds,
        start_lead=(settings.start_lead_ms / 1000, settings.start_lead_max_ms / 1000),
        clock=clock,
        authority=None if cluster is None else cluster.leases,
        queue_budget=budget,
        door=door,
    )


def _concerns(
    app: web.Application,
    settings: Settings,
    registry: RoomRegistry,
    transport: SocketIOTransport,
    clock: Clock,
) -> RoomEvents:
    """The room concerns, in the order their hooks run, and the event table over them."""
    chat_limit = RateLimit(settings.chat_rate_limit, "chat")
    app[LIMITS].append(chat_limit)
    chat = Chat(transport, app[STORE].chat, app[CHAT_WRITES], chat_limit, clock)
    moderation = Moderation(registry, transport, chat, clock)
    queueing = Queueing(registry, transport)
    autoplay = Autoplay(registry, transport, queueing)
    buffering = Buffering(registry, settings.buffer_wait_seconds)
    uploads = Uploads(app[STORE].subtitles, app[CHAT_WRITES])
    reaction_limit = RateLimit(settings.reaction_rate_limit, "reactions")
    app[LIMITS].append(reaction_limit)
    reactions = Reactions(transport, reaction_limit, clock)
    listing = Listing(app[WRITE_BEHIND])
    for concern in (chat, moderation, queueing, autoplay, buffering, uploads, reactions, listing):
        registry.add(concern)
    if settings.sources != frozenset(KINDS):
        registry.add(Sources(settings.sources))
    return RoomEvents(registry, chat, moderation, autoplay, buffering, reactions, queueing)


def _join_cluster(
    app: web.Application,
    cluster: Cluster,
    registry: RoomRegistry,
    namespace: RoomNamespace,
    transport: SocketIOTransport,
) -> None:
    """Wire the parts that make rooms span processes (docs/scaling.md)."""
    plans = app[PLANS]
    cluster.relay.serve(registry, namespace.dispatch)
    outage = Outage(
        registry, app[STORE].rooms, transport, transport.tell_here, cluster.leases, cluster.relay
    )
    cluster.leases.on_lost = outage.lost_leases
    cluster.leases.on_regained = outage.regained
    cluster.health.on_lost.append(outage.lost)
    cluster.health.on_back.append(outage.back)
    manager = app[SOCKETIO].manager
    if isinstance(manager, RedisFanoutManager):
        manager.unreachable = cluster.health.failed

    async def tell_others(owner_id: str, plan: Plan) -> None:
        try:
            await cluster.peers.tell_everyone("plan", owner_id=owner_id, plan=plan.name)
        except ClusterUnavailable:  # the plan is saved: other processes read it on next load
            log.warning("could not tell the other processes about a plan change (no Redis)")

    async def plan_changed(owner_id: str, plan: str) -> None:
        await registry.info.change_plan(owner_id, plans.named(plan), here_only=True)

    registry.info.on_plan.append(tell_others)
    cluster.peers.handlers["plan"] = plan_changed
    app.middlewares.append(to_holder(cluster.peers))


async def _heartbeats(app: web.Application) -> AsyncIterator[None]:
    app[HEARTBEATS].start()
    yield
    await app[HEARTBEATS].stop()


async def _cluster(app: web.Application) -> AsyncIterator[None]:
    cluster = app.get(CLUSTER)
    if cluster is None:
        yield
        return
    await cluster.start()
    yield
    await cluster.stop()
    manager = app[SOCKETIO].manager
    if isinstance(manager, RedisFanoutManager):
        await manager.close()


def _socketio_origins(
    origins: tuple[str, ...],
) -> str | Callable[[str | None, dict[str, Any]], bool] | None:
    """python-engineio's form of CORS_ORIGINS: ``"*"``; the listed origins *and* this site's
    own (engine.io's list alone would shut out the server's own pages); or None for
    same-origin only. Clients that send no Origin header (Node's, Python's) are let in.
    """
    if "*" in origins:
        return "*"
    if not origins:
        return None
    listed = frozenset(origins)

    def allowed(origin: str | None, environ: dict[str, Any]) -> bool:
        if origin is None:
            return False
        return origin in listed or from_host(origin, str(environ.get("HTTP_HOST", "")))

    return allowed


async def _close_connections(app: web.Application) -> None:
    """Close every Socket.IO connection as shutdown begins.

    aiohttp waits for open handlers (a websocket is one) before it runs the clean-up steps, so
    leaving this to clean-up would hold a restart for its whole shutdown timeout. Clients
    reconnect by themselves, to this process's successor.
    """
    await close_all_connections(app[SOCKETIO])
    await websockets_served_to_end(app[SOCKETIO].eio)
    await app[SOCKETIO].shutdown()  # its background tasks
    await app[REGISTRY].close()

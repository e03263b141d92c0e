"""YouTube search, subtitle uploads, Stripe billing and /metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from watchparty.billing.service import StripeBilling
from watchparty.core.commands import NAMESPACE
from watchparty.keys import (
    ANONYMOUS_SEARCHES,
    BILLING,
    CHAT_WRITES,
    CLUSTER,
    LIMITS,
    LOOKUPS,
    OEMBED,
    PLANS,
    REGISTRY,
    SEARCH,
    SEARCH_LIMIT,
    SOCKETIO,
    STORE,
    SUBTITLE_LIMIT,
    WRITE_BEHIND,
    YOUTUBE,
)
from watchparty.metrics import Metrics, Sources
from watchparty.ratelimit import RateLimit
from watchparty.realtime.fanout import FanoutManager
from watchparty.search.lookups import Lookups
from watchparty.search.oembed import OEmbed
from watchparty.search.service import SearchService
from watchparty.search.youtube import YouTube
from watchparty.settings import Settings


def setup_subtitles(app: web.Application, settings: Settings) -> None:
    uploads = app[SUBTITLE_LIMIT] = RateLimit(
        settings.subtitle_rate_limit, "subtitles", settings.redis_url
    )
    app[LIMITS].append(uploads)


def setup_search(app: web.Application, settings: Settings) -> None:
    youtube = None
    if settings.youtube_api_key:
        youtube = app[YOUTUBE] = YouTube(
            settings.youtube_api_key, settings.youtube_api_url, settings.youtube_timeout_seconds
        )
    oembed = None
    if youtube is None and settings.youtube_oembed_url is not None:
        oembed = app[OEMBED] = OEmbed(settings.youtube_oembed_url, settings.youtube_timeout_seconds)
    app[SEARCH] = SearchService(
        youtube,
        app[STORE].search_cache,
        lifetime_seconds=settings.search_cache_seconds,
        oembed=oembed,
    )
    app[LOOKUPS] = Lookups(
        settings.vimeo_oembed_url,
        settings.dailymotion_api_url,
        settings.peertube_private_hosts,
        settings.lookup_timeout_seconds,
    )
    shared = settings.redis_url
    searches = app[SEARCH_LIMIT] = RateLimit(settings.search_rate_limit, "search", shared)
    anonymous = app[ANONYMOUS_SEARCHES] = RateLimit(
        settings.anonymous_search_limit, "anonymous-search", shared
    )
    app[LIMITS].extend([searches, anonymous])
    app.cleanup_ctx.append(_youtube)


async def _youtube(app: web.Application) -> AsyncIterator[None]:
    clients = [c for c in (app.get(YOUTUBE), app.get(OEMBED), app[LOOKUPS]) if c is not None]
    for client in clients:
        await client.start()
    yield
    for client in clients:
        await client.close()


def setup_billing(app: web.Application, settings: Settings) -> None:
    if not settings.billing_enabled:
        return
    store = app[STORE]
    app[BILLING] = StripeBilling(
        settings, store.users, store.billing_events, store.rooms, app[REGISTRY], app[PLANS]
    )
    app.cleanup_ctx.append(_billing)


async def _billing(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[BILLING].close()


def setup_metrics(app: web.Application, settings: Settings) -> None:
    """/metrics, read from the counters the parts keep; run after the parts are set up."""
    sio = app[SOCKETIO]
    manager = sio.manager
    assert isinstance(manager, FanoutManager)
    limits: list[RateLimit] = app[LIMITS]
    sources = Sources(
        app[REGISTRY],
        sio.namespace_handlers[NAMESPACE].events,
        app[WRITE_BEHIND],
        app[CHAT_WRITES],
        limits=limits,
        fanout=manager,
        cluster=app.get(CLUSTER),
    )
    metrics = Metrics(sources, token=settings.metrics_token)
    manager.observe = metrics.broadcast_seconds.observe
    app.router.add_get("/metrics", metrics.handle)

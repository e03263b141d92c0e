"""Per-client rate limits with the ``limits`` library: in memory, or in Redis when processes
share the load (``REDIS_URL``), so that a client's address counts the same on all of them."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import limits
from aiohttp import web
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from watchparty.errors import ApiError


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # whole seconds until the client may try again (0 when allowed)


class RateLimit:
    """One limit (e.g. ``"30/minute"``) applied separately to each key (a client address)."""

    def __init__(self, rate: str, name: str, redis_url: str | None = None) -> None:
        self._item = limits.parse(rate)
        self.name = name
        self._limiter = MovingWindowRateLimiter(storage(redis_url))
        self.refusals = 0  # for /metrics

    async def hit(self, key: str) -> Verdict:
        """Count one use and say whether it was within the limit."""
        if await self._limiter.hit(self._item, self.name, key):
            return Verdict(True, 0)
        return await self._refusal(key)

    async def check(self, key: str) -> Verdict:
        """Whether one more use would be allowed, without counting it (for limits on
        failures, which are counted only once they happen)."""
        if await self._limiter.test(self._item, self.name, key):
            return Verdict(True, 0)
        return await self._refusal(key)

    async def count(self, key: str) -> None:
        """Count one use (a failure) whatever the verdict."""
        await self._limiter.hit(self._item, self.name, key)

    async def reset(self, key: str) -> None:
        await self._limiter.clear(self._item, self.name, key)

    async def _refusal(self, key: str) -> Verdict:
        self.refusals += 1
        stats = await self._limiter.get_window_stats(self._item, self.name, key)
        return Verdict(False, max(1, math.ceil(stats.reset_time - time.time())))


def storage(redis_url: str | None) -> Storage:
    """Where a limit keeps its counts: this process's memory, or Redis (redis-py, which
    python-socketio's Redis manager uses too: one client library)."""
    if redis_url is None:
        return MemoryStorage()
    scheme, rest = redis_url.split("://", 1)
    scheme = {"redis": "redis", "rediss": "rediss", "unix": "redis+unix"}[scheme]
    return RedisStorage(f"async+{scheme}://{rest}", implementation="redispy")


def client_address(request: web.BaseRequest, proxy_hops: int) -> str:
    """The client's address, as the last ``proxy_hops`` proxies in front of us saw it.

    Each trusted proxy appends the address it received from to X-Forwarded-For, so the
    ``proxy_hops``-th entry from the right is the client; entries further left came from the
    client itself and could be anything.
    """
    if proxy_hops > 0:
        hops = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",")]
        if len(hops) >= proxy_hops and hops[-proxy_hops]:
            return hops[-proxy_hops]
    return request.remote or "unknown"


def too_many(verdict: Verdict, what: str) -> ApiError:
    """The 429 for a refused request, with Retry-After."""
    return ApiError(
        429,
        "rate_limited",
        f"too many {what}; try again in {verdict.retry_after} s",
        {"Retry-After": str(verdict.retry_after)},
    )


@dataclass(frozen=True)
class SocketLimits:
    """Limits on the /rooms namespace: events per connection (``TIME`` pings have their
    own, since a page sends a burst of them on connect; chat has its own in realtime.chat),
    and connections per client address."""

    events: RateLimit
    pings: RateLimit
    connects: RateLimit
    proxy_hops: int = 0

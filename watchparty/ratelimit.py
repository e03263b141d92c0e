"""Per-client rate limits: moving windows in this process's memory, or in Redis through the
``limits`` library when processes share the load (``REDIS_URL``), so that a client's address
counts the same on all of them."""

from __future__ import annotations

import contextlib
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import limits
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from redis.asyncio import ConnectionPool

from watchparty.addresses import Network
from watchparty.core.errors import Rejection, reject
from watchparty.errors import ApiError


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # whole seconds until the client may try again (0 when allowed)


ALLOWED = Verdict(True, 0)  # one for every allowed hit: a clock ping's limit is hit each time


class Limiter(Protocol):
    """What ``RateLimit`` uses of ``limits``' moving-window strategy."""

    async def hit(self, item: limits.RateLimitItem, *identifiers: str) -> bool: ...

    async def test(self, item: limits.RateLimitItem, *identifiers: str) -> bool: ...

    async def clear(self, item: limits.RateLimitItem, *identifiers: str) -> None: ...

    async def get_window_stats(
        self, item: limits.RateLimitItem, *identifiers: str
    ) -> limits.WindowStats: ...


Key = tuple[limits.RateLimitItem, tuple[str, ...]]


class MemoryWindows:
    """``limits``' moving window, kept in this process's memory: the same answers as
    ``MovingWindowRateLimiter``, without its memory storages' cost.

    Written here because ``limits`` (5.8) sweeps *every* key after each hit in its memory
    storages (the asyncio one hands each key to a thread, the other starts a timer thread).
    With one key per connection that is work in proportion to the connections on every
    event: 1,000 pages sending the room page's clock ping every 3 s kept the server at 0.9 of
    a core, against 0.13 without it (bench/connections.py --ping 3). Here a hit looks at its
    own key only, and keys whose windows have emptied are dropped by a sweep at most once a
    minute, so memory stays bounded by the clients seen lately.
    """

    SWEEP_SECONDS = 60.0

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        # (limit, identifiers) -> (window length in seconds, the times of the hits inside it,
        # oldest first). Not ``limits``' string key (``item.key_for``): building it was a
        # sizeable share of a clock ping's cost (docs/measurements/2026-12-07-time-path.md).
        self._windows: dict[Key, tuple[float, deque[float]]] = {}
        self._next_sweep = clock() + self.SWEEP_SECONDS

    def _hits(
        self, item: limits.RateLimitItem, identifiers: tuple[str, ...], now: float
    ) -> deque[float]:
        """The key's hits still inside its window at ``now``."""
        if now >= self._next_sweep:
            self._sweep(now)
        key = (item, identifiers)
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = (item.get_expiry(), deque())
        length, hits = window
        while hits and hits[0] <= now - length:
            hits.popleft()
        return hits

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + self.SWEEP_SECONDS
        stale = [
            k for k, (length, hits) in self._windows.items() if not hits or hits[-1] <= now - length
        ]
        for key in stale:
            del self._windows[key]

    async def hit(self, item: limits.RateLimitItem, *identifiers: str) -> bool:
        now = self._clock()
        hits = self._hits(item, identifiers, now)
        if len(hits) >= item.amount:
            return False
        hits.append(now)
        return True

    async def test(self, item: limits.RateLimitItem, *identifiers: str) -> bool:
        return len(self._hits(item, identifiers, self._clock())) < item.amount

    async def clear(self, item: limits.RateLimitItem, *identifiers: str) -> None:
        self._windows.pop((item, identifiers), None)

    async def get_window_stats(
        self, item: limits.RateLimitItem, *identifiers: str
    ) -> limits.WindowStats:
        now = self._clock()
        hits = self._hits(item, identifiers, now)
        reset = hits[0] + item.get_expiry() if hits else now
        return limits.WindowStats(reset, max(0, item.amount - len(hits)))

    def __len__(self) -> int:
        """How many keys are held (for tests)."""
        return len(self._windows)

    async def close(self) -> None:
        """Nothing to let go of."""


class RateLimit:
    """One limit (e.g. ``"30/minute"``) applied separately to each key (a client address)."""

    def __init__(self, rate: str, name: str, redis_url: str | None = None) -> None:
        self._item = limits.parse(rate)
        self.name = name
        self._limiter: MemoryWindows | SharedWindows = limiter(redis_url)
        self.refusals = 0  # for /metrics

    async def hit(self, key: str) -> Verdict:
        """Count one use and say whether it was within the limit."""
        if await self._limiter.hit(self._item, self.name, key):
            return ALLOWED
        return await self._refusal(key)

    async def check(self, key: str) -> Verdict:
        """Whether one more use would be allowed, without counting it (for limits on
        failures, which are counted only once they happen)."""
        if await self._limiter.test(self._item, self.name, key):
            return ALLOWED
        return await self._refusal(key)

    async def count(self, key: str) -> None:
        """Count one use (a failure) whatever the verdict."""
        await self._limiter.hit(self._item, self.name, key)

    async def reset(self, key: str) -> None:
        await self._limiter.clear(self._item, self.name, key)

    async def close(self) -> None:
        """Let go of the Redis connections a shared limit counts through (the app stops)."""
        await self._limiter.close()

    async def _refusal(self, key: str) -> Verdict:
        self.refusals += 1
        stats = await self._limiter.get_window_stats(self._item, self.name, key)
        return Verdict(False, max(1, math.ceil(stats.reset_time - time.time())))


def limiter(redis_url: str | None) -> MemoryWindows | SharedWindows:
    """Where a limit keeps its counts: this process's memory, or Redis (redis-py, which
    python-socketio's Redis manager uses too: one client library), through a connection pool
    of our own, since ``limits`` has no way to close the one it would make."""
    if redis_url is None:
        return MemoryWindows()
    scheme, rest = redis_url.split("://", 1)
    scheme = {"redis": "redis", "rediss": "rediss", "unix": "redis+unix"}[scheme]
    pool = ConnectionPool.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
    storage = RedisStorage(
        f"async+{scheme}://{rest}",
        wrap_exceptions=True,
        implementation="redispy",
        connection_pool=pool,  # type: ignore[arg-type]
    )
    return SharedWindows(MovingWindowRateLimiter(storage), pool)


class SharedWindows:
    """Counts in Redis, and in this process's memory while Redis cannot be reached: a
    limit that fails open would let a flood in exactly when the cluster is weakest, one that
    fails closed would refuse every client. Meanwhile each process counts on its own (the
    allowance is at most one per process), quietly: the outage is said once (cluster.health)."""

    def __init__(self, shared: Limiter, pool: ConnectionPool) -> None:
        self._shared = shared
        self._pool = pool
        self._local = MemoryWindows()

    async def close(self) -> None:
        await self._pool.aclose()

    async def hit(self, item: limits.RateLimitItem, *identifiers: str) -> bool:
        try:
            return await self._shared.hit(item, *identifiers)
        except StorageError:
            return await self._local.hit(item, *identifiers)

    async def test(self, item: limits.RateLimitItem, *identifiers: str) -> bool:
        try:
            return await self._shared.test(item, *identifiers)
        except StorageError:
            return await self._local.test(item, *identifiers)

    async def clear(self, item: limits.RateLimitItem, *identifiers: str) -> None:
        await self._local.clear(item, *identifiers)
        with contextlib.suppress(StorageError):  # its window empties by itself
            await self._shared.clear(item, *identifiers)

    async def get_window_stats(
        self, item: limits.RateLimitItem, *identifiers: str
    ) -> limits.WindowStats:
        try:
            return await self._shared.get_window_stats(item, *identifiers)
        except StorageError:
            return await self._local.get_window_stats(item, *identifiers)


def too_many(verdict: Verdict, what: str) -> ApiError:
    """The 429 for a refused request, with Retry-After."""
    return ApiError.of(
        "rate_limited",
        {"Retry-After": str(verdict.retry_after)},
        detail=f"too many {what}; try again in {verdict.retry_after} s",
    )


class QueueBudget:
    """Queue changes a member (by account or guest identity, across rooms) and a room may
    make: each reaches every member with the whole queue, so one guest's burst of small edits
    cost every viewer megabytes a second."""

    def __init__(self, per_member: str, per_room: str) -> None:
        self.member = RateLimit(per_member, "queue-member")
        self.room = RateLimit(per_room, "queue-room")

    async def spend(self, room_id: str, member_key: str) -> Rejection | None:
        for limit, key in ((self.member, member_key), (self.room, room_id)):
            verdict = await limit.hit(key)
            if not verdict.allowed:
                wait = verdict.retry_after
                return reject(
                    "rate_limited", detail=f"too many queue changes; try again in {wait} s"
                )
        return None


@dataclass(frozen=True)
class SocketLimits:
    """Limits on the /rooms namespace: events per connection (``TIME`` pings have their
    own, since a page sends a burst of them on connect; chat has its own in rooms.concerns.chat),
    and connections and new guest identities per client address."""

    events: RateLimit
    pings: RateLimit
    connects: RateLimit
    guests: RateLimit  # new guest identities per client address
    trusted_proxies: tuple[Network, ...] = ()

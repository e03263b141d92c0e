"""Whether this process can reach Redis, said once.

Every part that talks to Redis (leases, peers, relays, the Socket.IO manager) meets an outage
at its own moment, many times a second. They report it here (``failed``) instead of logging:
the process logs one warning when Redis is lost and one when it is back, pings it while it is
away, and runs the hooks that tell members and take the rooms back (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from watchparty.rooms.ports import ClusterUnavailable
from watchparty.stopping import cancel_and_wait

log = logging.getLogger(__name__)

Hook = Callable[[], Awaitable[None]]
PING_SECONDS = 1.0  # while Redis answers: how often to make sure it still does
RETRY_SECONDS = 0.25  # while it does not: how often to try again


class RedisHealth:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self.up = True
        self.outages = 0  # for /metrics
        self._lost_at = 0.0
        self.on_lost: list[Hook] = []  # run once per outage, when it is noticed
        self.on_back: list[Hook] = []  # run in order once Redis answers again
        self._noticed = asyncio.Event()
        self._hooks: set[asyncio.Task[None]] = set()

    def failed(self) -> None:
        """A command to Redis failed: cheap and idempotent, so every caller may say so."""
        if not self.up:
            return
        self.up = False
        self.outages += 1
        self._lost_at = time.monotonic()
        log.warning(
            "lost Redis: members stay connected and rooms play on; commands are refused "
            "(cluster_unavailable) once a room's lease runs out, and rate limits count in "
            "this process only, until it is back"
        )
        for hook in self.on_lost:
            task = asyncio.get_running_loop().create_task(self._quietly(hook))
            self._hooks.add(task)
            task.add_done_callback(self._hooks.discard)
        self._noticed.set()

    async def run(self) -> None:
        """Ping Redis for ever: often while it is away, so that recovery starts at once."""
        while True:
            self._noticed.clear()
            try:
                async with asyncio.timeout(PING_SECONDS if self.up else RETRY_SECONDS):
                    await self._noticed.wait()  # a failure elsewhere wakes us early
            except TimeoutError:
                pass
            try:
                await self._redis.ping()
            except (RedisError, OSError):
                self.failed()
                continue
            if not self.up:
                await self._back()

    async def _back(self) -> None:
        took = time.monotonic() - self._lost_at
        self.up = True
        log.warning("Redis is back after %.1f s: taking rooms back and resuming", took)
        for hook in self.on_back:
            await self._quietly(hook)
            if not self.up:
                return  # lost again meanwhile: the next recovery runs the hooks again

    async def _quietly(self, hook: Hook) -> None:
        """A hook's Redis failure is the outage again (said once); anything else is a bug."""
        try:
            await hook()
        except (RedisError, ClusterUnavailable):
            self.failed()
        except Exception:
            log.exception("reacting to Redis's state failed")

    async def close(self) -> None:
        await cancel_and_wait(list(self._hooks))

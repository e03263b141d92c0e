"""python-socketio's Redis manager, made to ride out a Redis outage quietly.

Upstream, each emit that cannot be published logs two errors, the listener retries after 1,
2, 4 ... up to 60 s (so after an outage the other processes' broadcasts could stay away for a
minute), and each reconnection makes a new Redis client, leaving the old one open. Here one
client serves both, a failure is said once (``unreachable``: cluster.health) and the listener tries
again every quarter second. Emits to this process's own sockets never needed Redis: python-
socketio hands them over before publishing. docs/decisions/005-library-patches.md lists what
this relies on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import socketio
from redis.asyncio import Redis
from redis.exceptions import RedisError

from watchparty.realtime.fanout import FanoutManager
from watchparty.stopping import cancel_and_wait

RESUBSCRIBE_SECONDS = 0.25


def _nothing() -> None:
    pass


class RedisFanoutManager(socketio.AsyncRedisManager, FanoutManager):  # type: ignore[misc]
    """Rooms spread over processes: python-socketio's Redis manager publishes every emit to
    the other processes and hands it to ``FanoutManager.emit`` (next in the method order) for
    this process's own sockets, so each process fans out to its viewers the direct way."""

    def __init__(
        self,
        url: str,
        *,
        channel: str,
        max_buffer: int,
        max_queued: int,
        redis_options: dict[str, Any],
    ) -> None:
        socketio.AsyncRedisManager.__init__(self, url, channel=channel, redis_options=redis_options)
        self.max_buffer = max_buffer
        self.max_queued = max_queued
        self.unreachable: Callable[[], None] = _nothing  # set by the cluster's health
        # One client for publishing and listening: its pool reconnects after an outage,
        # where upstream makes a new client (and leaks the old one) every time.
        self._own: Redis | None = None

    def _client(self) -> Redis:
        if self._own is None:
            self._own = Redis.from_url(self.redis_url, **self.redis_options)
        return self._own

    async def _publish(self, data: Any) -> Any:
        try:
            return await self._client().publish(self.channel, self.json.dumps(data))
        except (RedisError, OSError):
            self.unreachable()
            return None

    async def _redis_listen_with_retries(self) -> AsyncIterator[Any]:
        while True:
            pubsub = self._client().pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                async for message in pubsub.listen():
                    yield message
            except (RedisError, OSError):
                self.unreachable()
            finally:
                await pubsub.aclose()  # type: ignore[no-untyped-call,unused-ignore]  # typed from redis 8
            await asyncio.sleep(RESUBSCRIBE_SECONDS)

    async def close(self) -> None:
        """Stop listening, then close the client. Closed under a live listener, the client's
        connection was taken back by redis-py's retry, whose reconnection could lose the
        listener's cancellation (``watchparty.stopping``)."""
        listener = getattr(self, "thread", None)  # python-socketio's listening task
        if listener is not None:
            await cancel_and_wait([listener])
        if self._own is not None:
            await self._own.aclose()

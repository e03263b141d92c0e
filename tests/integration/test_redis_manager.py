"""The Socket.IO manager's Redis listener ends with the server: closing the manager stops it
and leaves the channel, against a real ``redis-server``. Before, the client was closed under a
live listener, which redis-py's retry reconnected; a shutdown's single cancellation could then
be lost (Python 3.11's ``wait_for``, see watchparty.stopping) and the worker outlived its stop
grace period."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import socketio
from redis.asyncio import Redis

from tests.redis_server import redis_server as start_redis
from watchparty.cluster.node import redis_options
from watchparty.realtime.redis_manager import RedisFanoutManager

CHANNEL = "watchparty-test-manager"


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    yield from start_redis()


async def listeners(redis: Redis) -> int:
    counts = await redis.pubsub_numsub(CHANNEL)
    return int(counts[0][1])


async def test_closing_the_manager_stops_its_listener(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    try:
        for _ in range(5):  # the window was a race: each round must end the same way
            manager = RedisFanoutManager(
                redis_url,
                channel=CHANNEL,
                max_buffer=1 << 20,
                max_queued=100,
                redis_options=redis_options(),
            )
            socketio.AsyncServer(client_manager=manager)
            manager.initialize()
            async with asyncio.timeout(5):
                while await listeners(redis) == 0:  # noqa: ASYNC110 (Redis has no event)
                    await asyncio.sleep(0.01)
            await asyncio.wait_for(manager.close(), 10)
            assert manager.thread.done()
            assert await listeners(redis) == 0
    finally:
        await redis.aclose()

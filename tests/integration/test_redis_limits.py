"""An app sharing its load through Redis lets go of every Redis connection when it stops,
against a real ``redis-server``. Its shared rate limits used to keep theirs (``limits`` makes
a client it has no way to close), which a server stopped and started in one process, as the
tests do, left behind."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from tests.redis_server import redis_server as start_redis
from watchparty.app import create_app
from watchparty.settings import Settings


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    yield from start_redis()


async def others(redis: Redis) -> int:
    """Connections to the Redis server other than ``redis``'s own."""
    return len(await redis.client_list()) - 1


async def test_an_app_with_redis_closes_every_connection_it_opened(
    redis_url: str, settings: Settings
) -> None:
    redis = Redis.from_url(redis_url)
    try:
        assert await others(redis) == 0
        app = create_app(settings.model_copy(update={"redis_url": redis_url}))
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        try:
            async with aiohttp.ClientSession() as http:
                for _ in range(3):  # each creation counts in the shared limit, in Redis
                    async with http.post(server.make_url("/api/rooms"), json={}) as response:
                        assert response.status == 201
            assert await others(redis) > 0
        finally:
            await server.close()
        async with asyncio.timeout(5):
            while await others(redis):  # noqa: ASYNC110 (Redis has no event for it)
                await asyncio.sleep(0.05)
    finally:
        await redis.aclose()

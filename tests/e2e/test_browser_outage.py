"""The room page in real headless Chromium through a Redis outage: it stays connected, shows
that the servers cannot coordinate, and clears that once Redis is back."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from playwright.async_api import Browser

from tests.e2e.conftest import MEDIA, LiveServer
from tests.e2e.test_browser import csp_violations, open_room
from tests.redis_server import RedisServer
from watchparty.settings import Settings


@pytest.fixture
async def clustered(settings: Settings) -> AsyncIterator[tuple[LiveServer, RedisServer]]:
    redis = RedisServer()
    redis.start()
    server = LiveServer(
        settings.model_copy(
            update={"media_dir": MEDIA, "redis_url": redis.url, "room_lease_seconds": 2}
        )
    )
    await server.start()
    yield server, redis
    await server.stop()
    redis.close()


async def test_the_page_shows_a_redis_outage_and_stays_connected(
    browser: Browser, clustered: tuple[LiveServer, RedisServer]
) -> None:
    live, redis = clustered
    async with aiohttp.ClientSession() as http, http.post(f"{live.url}/api/rooms") as r:
        room = await r.json()
    page = await open_room(browser, f"{live.url}{room['path']}", "Ann")
    banner = page.locator("#degraded")
    assert await banner.is_hidden()
    redis.kill()
    await banner.wait_for(state="visible", timeout=5_000)
    assert await page.locator("#status.ok").count() == 1  # still connected
    redis.start()
    await banner.wait_for(state="hidden", timeout=6_000)
    # Commands work again: a video is added (and, the room being idle, becomes the video).
    await page.fill("#add-input", "/media/clip.webm")
    await page.click("#add-form button[type=submit]")
    await page.locator("#now-title", has_text="clip.webm").wait_for(timeout=5_000)
    assert await page.locator("#status.ok").count() == 1
    assert await csp_violations(page) == []

"""The client library's README page, as it is written there, served from another origin and
signed in by a Bearer token, keeps its <video> in sync with the demo page: CORS for Socket.IO
and the API, ``auth.token`` for the socket, commands both ways."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page

from tests.accounts import register
from tests.e2e.conftest import MEDIA, LiveServer
from tests.e2e.test_browser import eventually, open_room, video_state
from watchparty.settings import Settings
from watchparty.store.embedded import free_port

CLIENT = Path(__file__).parents[2] / "clients" / "js"


def readme_page(server_url: str) -> str:
    """The README's page, pointed at this server and its test clip."""
    readme = (CLIENT / "README.md").read_text()
    match = re.search(r"```html\n(.*?)```", readme, re.S)
    assert match, "clients/js/README.md has no html example"
    page = match[1]
    assert len(page.splitlines()) < 30  # what the README promises
    page = page.replace("https://watch.example", server_url)
    return page.replace("https://media.example/film.mp4", f"{server_url}/media/clip.webm")


@pytest.fixture
def other_origin() -> tuple[web.Application, str]:
    """A site of one's own: the page, and the two packages its import map names."""
    app = web.Application()
    app.router.add_static("/node_modules/watchparty-client", CLIENT)
    app.router.add_static(
        "/node_modules/socket.io-client", CLIENT / "node_modules" / "socket.io-client"
    )
    port = free_port()
    return app, f"http://127.0.0.1:{port}"


@pytest.fixture
async def cross_live(
    settings: Settings, other_origin: tuple[web.Application, str]
) -> AsyncIterator[LiveServer]:
    server = LiveServer(
        settings.model_copy(update={"media_dir": MEDIA, "cors_origins": (other_origin[1],)})
    )
    await server.start()
    yield server
    await server.stop()


async def _video(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = await page.evaluate(
        "() => { const v = document.getElementById('film');"
        " return {time: v.currentTime, paused: v.paused}; }"
    )
    return result


async def test_the_readme_page_on_another_origin_follows_the_demo_page(
    browser: Browser,
    cross_live: LiveServer,
    other_origin: tuple[web.Application, str],
) -> None:
    app, origin = other_origin
    page_text = readme_page(cross_live.url)

    async def index(request: web.Request) -> web.Response:
        return web.Response(text=page_text, content_type="text/html")

    app.router.add_get("/", index)
    site = TestServer(app, host="127.0.0.1", port=int(origin.rsplit(":", 1)[1]))
    await site.start_server()
    try:
        async with aiohttp.ClientSession() as http:
            owner = await register(http, cross_live.url, "carla")
            async with http.post(
                f"{cross_live.url}/api/rooms", json={}, headers=owner.bearer
            ) as response:
                room = await response.json()
        demo = await open_room(browser, f"{cross_live.url}{room['path']}", "demo")
        theirs = await (await browser.new_context()).new_page()
        errors: list[str] = []
        theirs.on("pageerror", lambda error: errors.append(str(error)))
        await theirs.goto(f"{origin}/?room={room['id']}&token={owner.token}")

        # The demo page picks the video and plays; the other site's page plays along.
        await demo.fill("#add-input", "/media/clip.webm")
        await demo.press("#add-input", "Enter")
        await demo.locator("#player video").wait_for(state="attached", timeout=5000)
        await demo.click("#toggle")

        async def together() -> bool:
            ours, other = await video_state(demo), await _video(theirs)
            return (
                ours is not None
                and not ours["paused"]
                and not other["paused"]
                and abs(ours["time"] - other["time"]) < 0.1
            )

        await eventually(together, within=10)
        # And back: its Pause (a command over its own socket, signed in by the token).
        await theirs.click("#pause")
        await eventually(lambda: _paused(demo))
        assert errors == []
    finally:
        await site.close()


async def _paused(page: Page) -> bool:
    state = await video_state(page)
    return bool(state and state["paused"])

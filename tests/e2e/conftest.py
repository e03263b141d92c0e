"""The browser tests' shared parts: Debian's Chromium through Playwright (it downloads no
browser of its own), and the app on a fixed port that can stop and start under pages."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, async_playwright

from tests.reach import Reached
from watchparty.app import create_app
from watchparty.settings import Settings
from watchparty.store.embedded import free_port

MEDIA = Path(__file__).parent.parent / "media"
CHROMIUM = next(
    (p for p in ("/usr/lib/chromium/chromium", shutil.which("chromium")) if p and Path(p).exists()),
    None,
)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if CHROMIUM is None:
        pytest.fail("Debian's chromium is needed: apt-get install chromium (.ci/run does)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--autoplay-policy=no-user-gesture-required",
                "--disable-background-networking",
                "--disable-component-update",
            ],
        )
        yield browser
        await browser.close()


class LiveServer:
    """The app on a fixed port, so that it can be stopped and started again under pages."""

    def __init__(self, settings: Settings, reached: Reached | None = None) -> None:
        self.settings = settings
        self.reached = reached
        self.port = free_port()
        self.server: TestServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = create_app(self.settings)
        if self.reached is not None:
            self.reached.watch(app)
        self.server = TestServer(app, host="127.0.0.1", port=self.port)
        await self.server.start_server()

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.close()
            self.server = None


@pytest.fixture
async def live(settings: Settings, reached: Reached) -> AsyncIterator[LiveServer]:
    server = LiveServer(settings.model_copy(update={"media_dir": MEDIA}), reached)
    await server.start()
    yield server
    await server.stop()

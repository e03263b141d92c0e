"""More to watch, in two real pages kept in sync: a DASH stream (dash.js), an audio file, the
players Vimeo, Twitch and Dailymotion embed (local stand-ins of their SDKs: tests/
fake_players.py) and a PeerTube video (a stand-in instance's API)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page

from tests.e2e.conftest import MEDIA, LiveServer
from tests.e2e.test_browser import csp_violations, eventually, open_room
from tests.fake_lookups import FakeLookups
from tests.fake_players import FakePlayers
from tests.reach import Reached
from watchparty.settings import Settings

PEERTUBE_SHORT = "kkGMgK9ZtnKfYAgnEtQxbv"

MEDIA_STATE = """() => {
    const m = document.querySelector('#player video, #player audio');
    return m ? {tag: m.tagName.toLowerCase(), time: m.currentTime, paused: m.paused,
                src: m.currentSrc} : null;
}"""


async def media_state(page: Page) -> dict[str, Any] | None:
    result: dict[str, Any] | None = await page.evaluate(MEDIA_STATE)
    return result


Reader = Callable[[Page], Awaitable[dict[str, Any] | None]]


async def _playing(
    page: Page, playing: bool, beyond: float = 0.0, read: Reader = media_state
) -> bool:
    state = await read(page)
    return bool(state and state["paused"] is (not playing) and state["time"] >= beyond)


async def _spread(a: Page, b: Page, read: Reader = media_state) -> float:
    first, second = await read(a), await read(b)
    assert first is not None
    assert second is not None
    return float(abs(first["time"] - second["time"]))


async def _two_pages(browser: Browser, live: LiveServer) -> tuple[Page, Page]:
    async with aiohttp.ClientSession() as http, http.post(f"{live.url}/api/rooms") as r:
        room = await r.json()
    url = f"{live.url}{room['path']}"
    return await open_room(browser, url, "Ann"), await open_room(browser, url, "Bob")


async def _play_together(ann: Page, bob: Page, link: str) -> None:
    await ann.fill("#add-input", link)
    await ann.click("#add-form button[type=submit]")
    await ann.locator("#player video, #player audio").wait_for(state="attached", timeout=15_000)
    await ann.click("#toggle")
    await eventually(lambda: _playing(bob, True, beyond=1.0), within=20)
    await eventually(lambda: _playing(ann, True, beyond=1.0), within=20)
    await eventually(lambda: _close(ann, bob), within=10)


async def _close(a: Page, b: Page) -> bool:
    return await _spread(a, b) < 0.25


async def _seek_bar_reaches(page: Page, seconds: float) -> bool:
    top: float = await page.evaluate("() => Number(document.querySelector('#seek').max)")
    return top >= seconds


async def _seek_and_pause(ann: Page, bob: Page, seconds: float) -> None:
    """Ann seeks (the page's seek bar) and pauses: Bob follows both."""
    await eventually(lambda: _seek_bar_reaches(ann, seconds))  # it clamps to its max
    await ann.evaluate(
        "(s) => { const bar = document.querySelector('#seek'); bar.value = String(s);"
        " bar.dispatchEvent(new Event('change', {bubbles: true})); }",
        seconds,
    )
    # sooner than playing on would take it there (it is a few seconds in)
    await eventually(lambda: _playing(bob, True, beyond=seconds), within=6)
    await ann.click("#toggle")
    await eventually(lambda: _playing(bob, False), within=10)
    await eventually(lambda: _close(ann, bob), within=10)


async def test_a_dash_stream_plays_through_dash_js_in_sync(
    browser: Browser, live: LiveServer
) -> None:
    ann, bob = await _two_pages(browser, live)
    await _play_together(ann, bob, "/media/dash/stream.mpd")
    state = await media_state(bob)
    assert state is not None
    assert state["tag"] == "video"
    # dash.js feeds the <video> through Media Source Extensions: its source is a blob: URL.
    assert state["src"].startswith("blob:")
    assert await bob.evaluate("typeof window.dashjs") == "object"  # loaded on first use
    await _seek_and_pause(ann, bob, 12)
    assert await csp_violations(bob) == []


async def test_an_audio_file_plays_in_an_audio_element_in_sync(
    browser: Browser, live: LiveServer
) -> None:
    ann, bob = await _two_pages(browser, live)
    await _play_together(ann, bob, f"{live.url}/media/tone.opus")
    state = await media_state(bob)
    assert state is not None
    assert state["tag"] == "audio"
    assert state["src"].endswith("/media/tone.opus")
    assert await bob.evaluate("typeof window.dashjs") == "undefined"  # not loaded for nothing
    await _seek_and_pause(ann, bob, 20)
    assert await csp_violations(bob) == []


@pytest.fixture
async def services(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
    settings: Settings,
    reached: Reached,
) -> AsyncIterator[tuple[FakePlayers, LiveServer]]:
    """The room's server with the video services' players, and what it asks of the services,
    pointed at local stand-ins."""
    fake, lookups = FakePlayers(), FakeLookups()
    fake.base_url = str((await aiohttp_server(fake.app())).make_url("")).rstrip("/")
    lookups.base_url = str((await aiohttp_server(lookups.app())).make_url("")).rstrip("/")
    update = {"media_dir": MEDIA, **fake.settings(), **lookups.settings()}
    live = LiveServer(settings.model_copy(update=update), reached)
    await live.start()
    yield fake, live
    await live.stop()


async def embedded_state(page: Page) -> dict[str, Any] | None:
    """The stand-in frame's <video>, read across origins as a person would see it play."""
    for frame in page.frames:
        if frame.url.split("?")[0].endswith("/frame.html"):
            found: dict[str, Any] | None = await frame.evaluate(
                "() => { const v = document.getElementById('v');"
                " return {time: v.currentTime, paused: v.paused}; }"
            )
            return found
    return None


async def _embedded(page: Page, playing: bool, beyond: float = 0.0) -> bool:
    return await _playing(page, playing, beyond, read=embedded_state)


@pytest.mark.parametrize(
    ("link", "title"),
    [
        ("https://vimeo.com/76979871", "The New Vimeo Player (You Know, For Videos)"),
        ("https://www.twitch.tv/videos/1234567890", "https://www.twitch.tv/videos/1234567890"),
        ("https://www.dailymotion.com/video/x8abc12", "A Dailymotion video"),
    ],
)
async def test_an_embedded_service_plays_pauses_and_seeks_in_sync(
    browser: Browser, services: tuple[FakePlayers, LiveServer], link: str, title: str
) -> None:
    _, live = services
    ann, bob = await _two_pages(browser, live)
    await ann.fill("#add-input", link)
    await ann.click("#add-form button[type=submit]")
    await eventually(lambda: _has_frame(bob), within=15)
    # the title the server asked of the service (Twitch has none to ask: the link shows)
    assert await bob.locator("#now-title").inner_text() == title
    await ann.click("#toggle")
    await eventually(lambda: _embedded(bob, True, beyond=1.0), within=20)
    await eventually(lambda: _embedded(ann, True, beyond=1.0), within=20)
    await eventually(lambda: _embedded_close(ann, bob), within=10)
    await eventually(lambda: _seek_bar_reaches(ann, 25))
    await ann.evaluate(
        "() => { const bar = document.querySelector('#seek'); bar.value = '25';"
        " bar.dispatchEvent(new Event('change', {bubbles: true})); }"
    )
    # sooner than playing on would take it there (the clip is 30 s; it is a few seconds in)
    await eventually(lambda: _embedded(bob, True, beyond=25), within=8)
    await ann.click("#toggle")
    await eventually(lambda: _embedded(bob, False), within=10)
    await eventually(lambda: _embedded_close(ann, bob), within=10)
    assert await csp_violations(bob) == []  # the stand-in's script and frame are let in


async def _has_frame(page: Page) -> bool:
    return await embedded_state(page) is not None


async def _embedded_close(a: Page, b: Page) -> bool:
    # These players are only sought, never nudged: within their tolerance and a round trip.
    return await _spread(a, b, read=embedded_state) < 0.6


async def test_a_live_channel_shares_play_and_pause_and_has_no_seek_bar(
    browser: Browser, services: tuple[FakePlayers, LiveServer]
) -> None:
    _, live = services
    ann, bob = await _two_pages(browser, live)
    await ann.fill("#add-input", "https://www.twitch.tv/Some_Streamer")
    await ann.click("#add-form button[type=submit]")
    await eventually(lambda: _has_frame(bob), within=15)
    assert await bob.locator("#seek").is_hidden()
    assert await bob.locator("#clock").inner_text() == "Live"
    await ann.click("#toggle")
    await eventually(lambda: _embedded(bob, True), within=20)
    await ann.click("#toggle")
    await eventually(lambda: _embedded(bob, False), within=10)
    assert await csp_violations(bob) == []


async def test_a_peertube_video_plays_the_stream_its_instance_names(
    browser: Browser, services: tuple[FakePlayers, LiveServer]
) -> None:
    fake, live = services
    ann, bob = await _two_pages(browser, live)
    await _play_together(ann, bob, f"{fake.base_url}/videos/watch/{PEERTUBE_SHORT}")
    state = await media_state(bob)
    assert state is not None
    assert state["src"].startswith("blob:")  # its HLS playlist, through hls.js
    assert fake.described.count(PEERTUBE_SHORT) >= 2  # each page asked the instance
    assert await csp_violations(bob) == []


async def test_a_page_with_only_youtube_refuses_other_links_and_nothing_it_needs(
    browser: Browser, settings: Settings, reached: Reached
) -> None:
    live = LiveServer(settings.model_copy(update={"sources": frozenset({"youtube"})}), reached)
    await live.start()
    try:
        ann, bob = await _two_pages(browser, live)  # the socket connects under 'self'
        await ann.fill("#add-input", "https://vimeo.com/76979871")
        await ann.click("#add-form button[type=submit]")
        error = ann.locator("#error")
        await error.wait_for(state="visible", timeout=5_000)
        assert "does not play links of kind vimeo; it plays youtube" in await error.inner_text()
        assert await ann.locator("#player iframe, #player video").count() == 0
        for page in (ann, bob):
            assert await csp_violations(page) == []
            scripts = await page.evaluate("[...document.scripts].map((s) => s.src)")
            assert not [src for src in scripts if "vimeo" in src]
    finally:
        await live.stop()

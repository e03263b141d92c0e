"""``GET /api/videos?link=``: titles and durations of every kind of link, asked of local
stand-ins of each service (tests/fake_lookups.py, the PeerTube instance of fake_players.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pymongo import AsyncMongoClient

from tests.conftest import ServerFactory
from tests.fake_lookups import PRIVATE_VIMEO, FakeLookups
from tests.fake_players import MISSING_PEERTUBE, FakePlayers
from tests.fake_youtube import KEY, FakeYouTube

Get = Callable[..., Awaitable[tuple[int, dict[str, Any]]]]
PEERTUBE_ID = "kkGMgK9ZtnKfYAgnEtQxbv"


@pytest.fixture
async def fakes(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
) -> tuple[FakeLookups, FakePlayers]:
    lookups, instance = FakeLookups(), FakePlayers()
    lookups.base_url = str((await aiohttp_server(lookups.app())).make_url("")).rstrip("/")
    instance.base_url = str((await aiohttp_server(instance.app())).make_url("")).rstrip("/")
    return lookups, instance


@pytest.fixture
async def server(
    start_server: ServerFactory, fakes: tuple[FakeLookups, FakePlayers]
) -> Callable[..., Awaitable[Get]]:
    """A server asking the stand-ins, and a way to ask it (``overrides`` are settings)."""

    async def start(**overrides: Any) -> Get:
        lookups, instance = fakes
        instance_host = instance.base_url.removeprefix("http://")
        settings = {"peertube_private_hosts": frozenset({instance_host}), **lookups.settings()}
        app = await start_server(**{**settings, **overrides})
        base = str(app.make_url("")).rstrip("/")

        async def get(link: str, quoted: bool = False) -> tuple[int, dict[str, Any]]:
            query = link if quoted else quote(link, safe="")
            async with (
                aiohttp.ClientSession() as http,
                http.get(f"{base}/api/videos?link={query}") as response,
            ):
                return response.status, await response.json()

        return get

    return start


async def test_each_service_describes_its_videos(
    server: Callable[..., Awaitable[Get]], fakes: tuple[FakeLookups, FakePlayers], mongo_uri: str
) -> None:
    get = await server()
    lookups, instance = fakes
    status, vimeo = await get("https://player.vimeo.com/video/76979871?h=x")
    assert status == 200
    assert vimeo == {
        "link": "https://vimeo.com/76979871",
        "kind": "vimeo",
        "title": "The New Vimeo Player (You Know, For Videos)",
        "channel": "Vimeo Staff",
        "thumbnail": "https://i.vimeocdn.com/video/76979871-d_640",
        "duration_seconds": 62,
        "live": False,
    }
    # an unlisted video is asked about with its hash
    status, unlisted = await get("https://vimeo.com/123456789/abcdef1234")
    assert (status, unlisted["title"]) == (200, "An unlisted video")

    status, daily = await get("https://dai.ly/x8abc12")
    assert status == 200
    # a title with a newline and a zero-width space becomes one fit to show others
    assert daily["title"] == "A Dailymotion video"
    assert (daily["channel"], daily["duration_seconds"], daily["live"]) == ("someone", 300, False)
    status, live = await get("https://www.dailymotion.com/video/x8live1")
    assert (live["live"], live["duration_seconds"]) == (True, None)

    peertube = f"{instance.base_url}/w/{PEERTUBE_ID}"
    status, video = await get(f"{instance.base_url}/videos/watch/{PEERTUBE_ID}")
    assert status == 200
    assert video == {
        "link": peertube,
        "kind": "peertube",
        "title": "A PeerTube video",
        "channel": "Free films",
        "thumbnail": f"{instance.base_url}/lazy-static/thumbnails/{PEERTUBE_ID}.jpg",
        "duration_seconds": 20,
        "live": False,
    }
    assert instance.described == [PEERTUBE_ID]

    # Twitch has no keyless API: a channel is called by its name; files have nothing to ask
    status, channel = await get("https://twitch.tv/Some_Streamer")
    assert (channel["title"], channel["live"]) == ("some_streamer", True)
    for link, kind in (("https://www.twitch.tv/videos/123456", "twitch"), ("/m/a.mpd", "dash")):
        status, nothing = await get(link)
        assert status == 200
        assert nothing == {
            "link": link,
            "kind": kind,
            "title": None,
            "channel": None,
            "thumbnail": None,
            "duration_seconds": None,
            "live": False,
        }
    assert lookups.calls == {"vimeo": 2, "dailymotion": 2}
    # only answers a service gave are cached: the five asked of Vimeo, Dailymotion, PeerTube
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri)
    try:
        assert await client.get_default_database()["search_cache"].count_documents({}) == 5
    finally:
        await client.close()


async def test_answers_are_cached_and_missing_videos_named(
    server: Callable[..., Awaitable[Get]], fakes: tuple[FakeLookups, FakePlayers]
) -> None:
    get = await server()
    lookups, instance = fakes
    for _ in range(3):
        assert (await get("https://vimeo.com/76979871"))[0] == 200
        assert (await get(f"{instance.base_url}/w/{PEERTUBE_ID}"))[0] == 200
    assert lookups.calls["vimeo"] == 1
    assert instance.described == [PEERTUBE_ID]
    for link, service in (
        (f"https://vimeo.com/{PRIVATE_VIMEO}", "Vimeo"),
        ("https://vimeo.com/1", "Vimeo"),
        ("https://dai.ly/x0none0", "Dailymotion"),
        (f"{instance.base_url}/w/{MISSING_PEERTUBE}", "PeerTube"),
    ):
        status, body = await get(link)
        assert (status, body["error"]["code"]) == (404, "video_not_found")
        assert body["error"]["message"] == f"{service} has no such video, or will not describe it"
    assert (await get("https://vimeo.com/1"))[0] == 404
    assert lookups.calls["vimeo"] == 4  # a missing video is asked about again


async def test_a_failing_or_slow_service_is_named(
    server: Callable[..., Awaitable[Get]], fakes: tuple[FakeLookups, FakePlayers]
) -> None:
    get = await server()
    lookups, _ = fakes
    lookups.mode = "broken"
    status, body = await get("https://vimeo.com/76979871")
    assert (status, body["error"]["code"]) == (502, "upstream_error")
    assert body["error"]["message"] == "Vimeo failed to answer"
    lookups.mode = "slow"
    status, body = await get("https://dai.ly/x8abc12")
    assert (status, body["error"]["code"]) == (502, "upstream_timeout")
    assert body["error"]["message"] == "Dailymotion did not answer in time"
    lookups.mode = "ok"
    assert (await get("https://vimeo.com/76979871"))[0] == 200  # a failure was not cached
    status, body = await get("https://dai.ly/x8inf00")  # a length no video has is none
    assert (status, body["title"], body["duration_seconds"]) == (200, "Endless", None)


async def test_no_private_address_is_asked(
    server: Callable[..., Awaitable[Get]], fakes: tuple[FakeLookups, FakePlayers]
) -> None:
    _, instance = fakes
    get = await server(peertube_private_hosts=frozenset())
    port = instance.base_url.rsplit(":", 1)[1]
    for host in ("127.0.0.1", "localhost", "10.1.2.3", "169.254.169.254", "0.0.0.0"):
        status, body = await get(f"http://{host}:{port}/w/{PEERTUBE_ID}")
        assert (status, body["error"]["code"]) == (400, "private_address"), host
    assert instance.described == []
    # the operator names an instance on its own network: it is asked
    get = await server(peertube_private_hosts=frozenset({f"localhost:{port}"}))
    assert (await get(f"http://localhost:{port}/w/{PEERTUBE_ID}"))[0] == 200
    assert instance.described == [PEERTUBE_ID]


async def test_youtube_links_are_described_by_youtube(
    server: Callable[..., Awaitable[Get]],
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
) -> None:
    youtube = FakeYouTube()
    url = str((await aiohttp_server(youtube.app())).make_url("/youtube/v3"))
    get = await server(youtube_api_key=KEY, youtube_api_url=url)
    status, body = await get("https://youtu.be/dQw4w9WgXcQ?t=3")
    assert status == 200
    assert (body["link"], body["title"], body["duration_seconds"]) == (
        "dQw4w9WgXcQ",
        "Rick Astley - Never Gonna Give You Up",
        213,
    )
    youtube.mode = "quota"
    status, body = await get("9bZkp7q19f0")
    assert (status, body["error"]["code"]) == (503, "quota_exceeded")
    get = await server()  # no key and no oEmbed: nothing to ask, nothing refused
    status, body = await get("dQw4w9WgXcQ")
    assert (status, body["title"], body["kind"]) == (200, None, "youtube")


async def test_what_is_refused_before_anything_is_asked(
    server: Callable[..., Awaitable[Get]], fakes: tuple[FakeLookups, FakePlayers]
) -> None:
    lookups, _ = fakes
    get = await server(sources=frozenset({"youtube", "video"}), search_rate_limit="3/minute")
    status, body = await get("https://vimeo.com/76979871")
    assert (status, body["error"]["code"]) == (400, "source_disabled")
    for link in ("javascript%3Aalert(1)", "https%3A%2F%2Fvimeo.com%2Fchannels", "%ED%A0%80", ""):
        status, body = await get(link, quoted=True)
        assert (status, body["error"]["code"]) == (400, "invalid_query"), link
    for _ in range(3):
        assert (await get("/film.mp4"))[0] == 200
    status, body = await get("/film.mp4")
    assert (status, body["error"]["code"]) == (429, "rate_limited")
    assert lookups.calls == {}

"""YouTube search through the server-side proxy, against a local fake of the API."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from tests.accounts import register
from tests.conftest import ServerFactory
from tests.fake_youtube import KEY, FakeYouTube
from watchparty.addresses import parse_networks
from watchparty.search.youtube import parse_duration
from watchparty.store.database import Store


@pytest.fixture
async def youtube(
    aiohttp_server: Callable[[Any], Awaitable[TestServer]],
) -> tuple[FakeYouTube, str]:
    fake = FakeYouTube()
    server = await aiohttp_server(fake.app())
    return fake, str(server.make_url("/youtube/v3"))


@pytest.fixture
async def search_url(start_server: ServerFactory, youtube: tuple[FakeYouTube, str]) -> str:
    server = await start_server(
        youtube_api_key=KEY, youtube_api_url=youtube[1], youtube_timeout_seconds=1
    )
    return str(server.make_url("")).rstrip("/")


async def fetch(http: aiohttp.ClientSession, url: str) -> tuple[int, Any, str]:
    async with http.get(url) as response:
        text = await response.text()
        return response.status, await response.json(), text


async def test_search_answers_in_the_documented_shape(
    http: aiohttp.ClientSession, search_url: str, youtube: tuple[FakeYouTube, str]
) -> None:
    status, body, _ = await fetch(http, f"{search_url}/api/search/youtube?q=a")
    assert status == 200
    assert [item["video_id"] for item in body["items"]] == ["dQw4w9WgXcQ", "9bZkp7q19f0"]
    assert body["items"][0] == {
        "video_id": "dQw4w9WgXcQ",
        "title": "Rick Astley - Never Gonna Give You Up",
        "channel": "Rick Astley",
        "thumbnail": "https://i.ytimg.com/vi/dQw4w9WgXcQ/medium.jpg",
        "duration_seconds": 213,
        "published_at": "2009-10-25T06:57:33Z",
    }
    assert body["next_page_token"] == "page2"
    status, page2, _ = await fetch(
        http, f"{search_url}/api/search/youtube?q=a&page_token={body['next_page_token']}"
    )
    assert status == 200
    assert [item["video_id"] for item in page2["items"]] == ["kJQP7kiw5Fk", "jfKfPfyJRdk"]
    assert page2["items"][1]["duration_seconds"] is None  # a live stream


async def test_the_same_query_costs_quota_once(
    http: aiohttp.ClientSession, search_url: str, youtube: tuple[FakeYouTube, str]
) -> None:
    fake = youtube[0]
    first = await fetch(http, f"{search_url}/api/search/youtube?q=Bunny")
    again = await fetch(http, f"{search_url}/api/search/youtube?q=%20bunny%20%20")
    assert first[0] == again[0] == 200
    assert first[1] == again[1]
    assert fake.calls["search"] == 1
    await fetch(http, f"{search_url}/api/search/youtube?q=shark")
    assert fake.calls["search"] == 2


async def test_concurrent_identical_queries_make_one_upstream_call(
    http: aiohttp.ClientSession, search_url: str, youtube: tuple[FakeYouTube, str]
) -> None:
    fake = youtube[0]
    fake.delay = 0.3
    answers = await asyncio.gather(
        *(fetch(http, f"{search_url}/api/search/youtube?q=despacito") for _ in range(8))
    )
    assert {status for status, _, _ in answers} == {200}
    assert fake.calls["search"] == 1
    assert fake.calls["videos"] == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "q"),
        ("q=", "q"),
        ("q=%20%20", "q"),
        ("q=" + "x" * 201, "q"),
        ("q=a&page_token=%3Cbad%3E", "page_token"),
    ],
)
async def test_bad_queries_are_400(
    http: aiohttp.ClientSession,
    search_url: str,
    youtube: tuple[FakeYouTube, str],
    query: str,
    field: str,
) -> None:
    status, body, _ = await fetch(http, f"{search_url}/api/search/youtube?{query}")
    assert status == 400
    assert body["error"]["code"] == "invalid_query"
    assert body["error"]["message"].startswith(f"{field}:")
    assert youtube[0].calls["search"] == 0


async def test_without_a_key_search_is_disabled(http: aiohttp.ClientSession, base_url: str) -> None:
    for path in ("/api/search/youtube?q=a", "/api/videos/youtube/dQw4w9WgXcQ"):
        status, body, _ = await fetch(http, base_url + path)
        assert status == 503
        assert body["error"]["code"] == "search_disabled"


async def test_without_a_key_titles_come_from_oembed(
    http: aiohttp.ClientSession, start_server: ServerFactory, youtube: tuple[FakeYouTube, str]
) -> None:
    """No key: a video's title, channel and thumbnail come from YouTube's oEmbed endpoint
    (cached like search), with no duration; search itself stays disabled."""
    fake, api = youtube
    server = await start_server(youtube_oembed_url=api.replace("/youtube/v3", "/oembed"))
    url = str(server.make_url("")).rstrip("/")
    status, body, _ = await fetch(http, f"{url}/api/videos/youtube/dQw4w9WgXcQ")
    assert status == 200
    assert body == {
        "video_id": "dQw4w9WgXcQ",
        "title": "Rick Astley - Never Gonna Give You Up",
        "channel": "Rick Astley",
        "thumbnail": "https://i.ytimg.com/vi/dQw4w9WgXcQ/hqdefault.jpg",
        "duration_seconds": None,
        "published_at": None,
    }
    assert (await fetch(http, f"{url}/api/videos/youtube/dQw4w9WgXcQ"))[1] == body
    assert fake.calls["oembed"] == 1  # the second answer came from the cache
    status, body, _ = await fetch(http, f"{url}/api/videos/youtube/AAAAAAAAAAA")
    assert (status, body["error"]["code"]) == (404, "video_not_found")
    status, body, _ = await fetch(http, f"{url}/api/search/youtube?q=a")
    assert (status, body["error"]["code"]) == (503, "search_disabled")
    fake.mode = "broken"
    status, body, text = await fetch(http, f"{url}/api/videos/youtube/9bZkp7q19f0")
    assert (status, body["error"]["code"]) == (502, "upstream_error")
    assert "Internal Server Error" not in text


@pytest.mark.parametrize(
    ("mode", "status", "code"),
    [
        ("broken", 502, "upstream_error"),
        ("slow", 502, "upstream_timeout"),
        ("bad_key", 502, "upstream_error"),
    ],
)
async def test_upstream_failures_are_mapped(
    http: aiohttp.ClientSession,
    search_url: str,
    youtube: tuple[FakeYouTube, str],
    mode: str,
    status: int,
    code: str,
) -> None:
    youtube[0].mode = mode
    for path in ("/api/search/youtube?q=psy", "/api/videos/youtube/9bZkp7q19f0"):
        got, body, _ = await fetch(http, f"{search_url}{path}")
        assert (got, body["error"]["code"]) == (status, code), path
        assert body["error"]["message"]


async def test_invalid_page_token_from_upstream_is_400(
    http: aiohttp.ClientSession, search_url: str
) -> None:
    status, body, _ = await fetch(http, f"{search_url}/api/search/youtube?q=a&page_token=nope")
    assert (status, body["error"]["code"]) == (400, "invalid_page_token")


async def test_quota_exceeded_is_503_and_cached_answers_keep_coming(
    http: aiohttp.ClientSession, search_url: str, youtube: tuple[FakeYouTube, str]
) -> None:
    fake = youtube[0]
    cached = await fetch(http, f"{search_url}/api/search/youtube?q=rick")
    assert cached[0] == 200
    fake.mode = "quota"
    status, body, _ = await fetch(http, f"{search_url}/api/search/youtube?q=gangnam")
    assert (status, body["error"]["code"]) == (503, "quota_exceeded")
    assert (await fetch(http, f"{search_url}/api/search/youtube?q=rick"))[1] == cached[1]
    # While the quota is out, the server stops asking YouTube at all.
    calls = fake.calls["search"]
    status, body, _ = await fetch(http, f"{search_url}/api/search/youtube?q=shark")
    assert (status, body["error"]["code"]) == (503, "quota_exceeded")
    assert fake.calls["search"] == calls
    status, body, _ = await fetch(http, f"{search_url}/api/videos/youtube/9bZkp7q19f0")
    assert (status, body["error"]["code"]) == (503, "quota_exceeded")  # a lookup too


async def test_per_client_rate_limit(
    start_server: ServerFactory, http: aiohttp.ClientSession, youtube: tuple[FakeYouTube, str]
) -> None:
    server = await start_server(
        youtube_api_key=KEY, youtube_api_url=youtube[1], search_rate_limit="3/minute"
    )
    base = str(server.make_url("")).rstrip("/")
    for _ in range(3):
        assert (await fetch(http, f"{base}/api/search/youtube?q=a"))[0] == 200
    async with http.get(f"{base}/api/search/youtube?q=a") as response:
        assert response.status == 429
        assert 0 < int(response.headers["Retry-After"]) <= 60
        assert (await response.json())["error"]["code"] == "rate_limited"


async def test_rate_limit_behind_a_proxy_counts_each_client(
    start_server: ServerFactory, http: aiohttp.ClientSession, youtube: tuple[FakeYouTube, str]
) -> None:
    server = await start_server(
        youtube_api_key=KEY,
        youtube_api_url=youtube[1],
        search_rate_limit="2/minute",
        trusted_proxies=parse_networks("127.0.0.1"),
    )
    url = f"{str(server.make_url('')).rstrip('/')}/api/search/youtube?q=a"

    async def status(forwarded_for: str) -> int:
        async with http.get(url, headers={"X-Forwarded-For": forwarded_for}) as response:
            return response.status

    assert [await status("203.0.113.7") for _ in range(3)] == [200, 200, 429]
    assert await status("198.51.100.2") == 200  # another client has its own allowance
    # What the client wrote to the left of the proxy's entry does not change who it is.
    assert await status("1.2.3.4, 203.0.113.7") == 429


async def test_video_lookup(
    http: aiohttp.ClientSession, search_url: str, youtube: tuple[FakeYouTube, str]
) -> None:
    status, body, _ = await fetch(http, f"{search_url}/api/videos/youtube/aqz-KE-bpKQ")
    assert status == 200
    assert body["title"].startswith("Big Buck Bunny")
    assert body["duration_seconds"] == 635
    await fetch(http, f"{search_url}/api/videos/youtube/aqz-KE-bpKQ")
    assert youtube[0].calls["videos"] == 1  # cached
    status, body, _ = await fetch(http, f"{search_url}/api/videos/youtube/AAAAAAAAAAA")
    assert (status, body["error"]["code"]) == (404, "video_not_found")
    for bad in ("short", "dQw4w9WgXcQx", "dQw4w9WgXc%21"):
        status, body, _ = await fetch(http, f"{search_url}/api/videos/youtube/{bad}")
        assert (status, body["error"]["code"]) == (400, "invalid_video_id")


async def test_the_key_never_leaves_the_server(
    http: aiohttp.ClientSession,
    search_url: str,
    youtube: tuple[FakeYouTube, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    texts = []
    for mode in ("ok", "bad_key", "broken", "quota"):
        youtube[0].mode = mode
        for path in (f"/api/search/youtube?q={mode}x", "/api/videos/youtube/9bZkp7q19f0"):
            async with http.get(search_url + path) as response:
                texts.append(await response.text())
                texts.extend(f"{k}: {v}" for k, v in response.headers.items())
    assert any("upstream_error" in text for text in texts)  # the failures did happen
    assert not [text for text in texts if KEY in text]
    # The fake upstream runs in this process: its own access log (what Google would log) is
    # the one place the key may appear.
    ours = [
        r
        for r in caplog.records
        if not (r.name == "aiohttp.access" and '"GET /youtube/v3/' in r.getMessage())
    ]
    assert ours
    assert not [r for r in ours if KEY in r.getMessage()]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("PT3M33S", 213),
        ("PT1H", 3600),
        ("P1DT2H3M4S", 93784),
        ("PT45S", 45),
        ("P0D", None),
        ("", None),
        ("3:33", None),
    ],
)
def test_parse_duration(value: str, seconds: int | None) -> None:
    assert parse_duration(value) == seconds


async def test_cache_entries_expire(mongo_uri: str) -> None:
    store = Store(mongo_uri, timeout_ms=3000)
    try:
        await store.prepare()
        now = dt.datetime.now(dt.UTC)
        await store.search_cache.put("k", {"items": []}, now + dt.timedelta(seconds=60))
        assert await store.search_cache.get("k", now) == {"items": []}
        assert await store.search_cache.get("k", now + dt.timedelta(seconds=61)) is None
        ttl = [
            info
            for info in (await store.db["search_cache"].index_information()).values()
            if info["key"] == [("expires_at", 1)]
        ]
        assert ttl
        assert ttl[0]["expireAfterSeconds"] == 0
    finally:
        await store.close()


async def test_guests_share_a_daily_budget_of_searches_that_cost_quota(
    start_server: ServerFactory, http: aiohttp.ClientSession, youtube: tuple[FakeYouTube, str]
) -> None:
    """Guests from any number of addresses together spend at most their share of the day's
    quota; a cached answer costs none, and a signed-in user is not held by it."""
    server = await start_server(
        youtube_api_key=KEY,
        youtube_api_url=youtube[1],
        anonymous_search_limit="2/day",
        trusted_proxies=parse_networks("127.0.0.1"),
    )
    base = str(server.make_url("")).rstrip("/")

    async def search(q: str, address: str, **headers: str) -> tuple[int, Any]:
        headers["X-Forwarded-For"] = address
        async with http.get(f"{base}/api/search/youtube?q={q}", headers=headers) as response:
            return response.status, await response.json()

    assert (await search("one", "203.0.113.1"))[0] == 200
    assert (await search("two", "203.0.113.2"))[0] == 200
    status, body = await search("three", "203.0.113.3")
    assert (status, body["error"]["code"]) == (429, "search_budget_used")
    assert (await search("one", "203.0.113.4"))[0] == 200  # cached: no quota spent
    ann = await register(http, base, "ann")
    assert (await search("three", "203.0.113.5", **ann.bearer))[0] == 200

"""A server that plays only some kinds of link (``WATCHPARTY_SOURCES``): over a real socket,
over HTTP, and in the page's policy."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from tests.accounts import register
from tests.conftest import PeerFactory, ServerFactory
from tests.integration.test_playlists import call, make
from tests.integration.test_room_auth import create_room

VIMEO = "https://vimeo.com/76979871"


def _policy(header: str) -> dict[str, str]:
    return dict(directive.split(" ", 1) for directive in header.split("; "))


async def test_other_kinds_are_refused_and_change_nothing(
    start_server: ServerFactory, http: aiohttp.ClientSession, join: PeerFactory
) -> None:
    server = await start_server(sources=frozenset({"youtube", "video"}))
    url = str(server.make_url("")).rstrip("/")
    room = await create_room(http, url, await register(http, url, "ann"))
    bob = await join("bob", room=room, url=url)
    carol = await join("carol", room=room, url=url)
    ack = await bob.call("QUEUE_ADD", {"item": {"video_id": "dQw4w9WgXcQ"}})
    assert ack["ok"], ack
    version = ack["state"]["version"]
    await carol.next("UPDATE_QUEUE")
    carol.drain()
    for event, payload in (
        ("QUEUE_ADD", {"item": {"video_id": VIMEO}}),
        ("CHANGE_VIDEO", {"video_id": "https://www.twitch.tv/somebody"}),
        ("UPDATE_QUEUE", {"queue": [{"video_id": "https://example.org/a.m3u8"}]}),
    ):
        ack = await bob.call(event, payload)
        assert ack["ok"] is False
        assert ack["error"]["code"] == "source_disabled"
        assert ack["error"]["params"]["plays"] == "youtube, video"
    ack = await bob.call("QUEUE_ADD", {"item": {"video_id": "/media/film.mp4"}})
    assert ack["ok"]
    assert ack["state"]["version"] == version + 1  # nothing else was applied
    heard: list[tuple[str, Any]] = []  # what carol hears up to the accepted change
    while not heard or heard[-1][0] != "UPDATE_QUEUE":
        heard.append(await asyncio.wait_for(carol.events.get(), 5))
    assert [data["state"]["version"] for _, data in heard if "state" in data] == [version + 1]


async def test_a_playlist_of_other_kinds_does_not_load(
    start_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    server = await start_server(sources=frozenset({"youtube"}))
    url = str(server.make_url("")).rstrip("/")
    ann = await register(http, url, "ann")
    room = await create_room(http, url, ann)
    saved = await make(http, url, ann, name="Mixed", items=[{"video_id": VIMEO}])
    status, data = await call(
        http, "POST", f"{url}/api/rooms/{room}/queue", ann, {"playlist_id": saved["id"]}
    )
    assert (status, data["error"]["code"]) == (400, "source_disabled")
    async with http.get(f"{url}/api/rooms/{room}") as response:
        assert (await response.json())["state"]["video_id"] is None


async def test_a_page_with_only_youtube_lets_in_only_youtube(
    start_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    server = await start_server(sources=frozenset({"youtube"}))
    url = str(server.make_url("")).rstrip("/")
    async with http.post(f"{url}/api/rooms", json={}) as response:
        room = (await response.json())["id"]
    async with http.get(f"{url}/r/{room}") as response:
        policy = _policy(response.headers["Content-Security-Policy"])
        page = await response.text()
    assert policy["script-src"] == "'self' https://www.youtube.com"
    assert policy["frame-src"] == "https://www.youtube.com https://www.youtube-nocookie.com"
    assert policy["img-src"] == "'self' data: https://i.ytimg.com"
    for directive in ("media-src", "connect-src", "worker-src"):
        assert policy[directive] == "'self'"  # no file, stream or instance from elsewhere
    assert 'data-players="{}"' in page  # no other service's player is loaded

    server = await start_server(sources=frozenset({"vimeo", "hls"}))
    url = str(server.make_url("")).rstrip("/")
    async with http.get(f"{url}/") as response:
        policy = _policy(response.headers["Content-Security-Policy"])
    assert policy["script-src"] == "'self' https://player.vimeo.com"
    assert policy["frame-src"] == "https://player.vimeo.com"
    assert policy["connect-src"] == "'self' * blob:"
    assert policy["img-src"] == "'self' data:"

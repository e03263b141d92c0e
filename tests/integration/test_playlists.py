"""Saved playlists over real HTTP, and loading them into rooms with real clients watching."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tests.accounts import Account, register
from tests.conftest import PeerFactory, ServerFactory
from tests.integration.test_room_auth import create_room, patch_room
from watchparty.core.limits import MAX_QUEUE_BYTES, MAX_QUEUE_ITEMS, MAX_VIDEO_ID_LENGTH
from watchparty.core.plans import FREE

ITEMS: list[dict[str, Any]] = [
    {"video_id": "aaaaaaaaaaa", "title": "First", "duration": 61.5},
    {"video_id": "https://cdn.example/b.mp4", "title": None, "duration": None},
    {"video_id": "/media/c.m3u8", "title": "Third", "duration": 12.0},
]


async def call(
    http: aiohttp.ClientSession, method: str, url: str, who: Account | None, body: Any = None
) -> tuple[int, Any]:
    headers = who.bearer if who else None
    async with http.request(method, url, json=body, headers=headers) as response:
        return response.status, None if response.status == 204 else await response.json()


async def make(
    http: aiohttp.ClientSession, base_url: str, who: Account, **body: Any
) -> dict[str, Any]:
    status, data = await call(http, "POST", f"{base_url}/api/users/me/playlists", who, body)
    assert status == 201, data
    return dict(data)


async def test_create_list_rename_reorder_share_delete(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    ann = await register(http, base_url, "ann")
    bob = await register(http, base_url, "bob")
    first = await make(http, base_url, ann, name="Films", items=ITEMS)
    assert first["items"] == ITEMS
    assert first["owner_id"] == ann.id
    assert (first["shared"], first["version"]) == (False, 0)
    second = await make(http, base_url, ann, name="Empty")
    assert second["items"] == []
    await make(http, base_url, bob, name="Bob's")

    status, data = await call(http, "GET", f"{base_url}/api/users/me/playlists", ann)
    assert status == 200
    assert [p["name"] for p in data["playlists"]] == ["Films", "Empty"]

    url = f"{base_url}/api/playlists/{first['id']}"
    reordered = [ITEMS[2], ITEMS[0], ITEMS[1]]
    status, data = await call(
        http, "PATCH", url, ann, {"name": "Movies", "items": reordered, "version": 0}
    )
    assert status == 200
    assert (data["name"], data["items"], data["version"]) == ("Movies", reordered, 1)
    # An edit based on the old version is refused, and changes nothing.
    status, data = await call(http, "PATCH", url, ann, {"name": "Lost", "version": 0})
    assert (status, data["error"]["code"]) == (409, "stale_version")
    assert (await call(http, "GET", url, ann))[1]["name"] == "Movies"

    # Private: another user (or a guest) is told it does not exist.
    for who in (bob, None):
        status, data = await call(http, "GET", url, who)
        assert (status, data["error"]["code"]) == (404, "playlist_not_found")
    assert (await call(http, "PATCH", url, bob, {"name": "Mine"}))[0] == 404
    assert (await call(http, "DELETE", url, bob))[0] == 404
    # Shared by link: readable by anyone, still changed only by its owner.
    assert (await call(http, "PATCH", url, ann, {"shared": True}))[0] == 200
    status, data = await call(http, "GET", url, None)
    assert (status, data["name"], data["shared"]) == (200, "Movies", True)
    status, data = await call(http, "PATCH", url, bob, {"name": "Mine"})
    assert (status, data["error"]["code"]) == (403, "forbidden")
    assert (await call(http, "DELETE", url, bob))[0] == 403

    assert (await call(http, "DELETE", url, ann))[0] == 204
    assert (await call(http, "GET", url, ann))[0] == 404
    status, data = await call(http, "GET", f"{base_url}/api/users/me/playlists", ann)
    assert [p["name"] for p in data["playlists"]] == ["Empty"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "x", "items": [{"video_id": "javascript:alert(1)"}]}, "items.0.video_id:"),
        ({"name": "x", "items": [{"video_id": "aaaaaaaaaaa", "duration": -1}]}, "items.0.duration"),
        ({"name": ""}, "name:"),
        ({"name": "x", "items": [], "room_id": "abc"}, "send items or room_id"),
        ({"name": "x", "items": [ITEMS[0]] * (MAX_QUEUE_ITEMS + 1)}, "items:"),
    ],
)
async def test_invalid_playlists_are_400(
    http: aiohttp.ClientSession, base_url: str, body: dict[str, Any], message: str
) -> None:
    ann = await register(http, base_url, "ann")
    status, data = await call(http, "POST", f"{base_url}/api/users/me/playlists", ann, body)
    assert status == 400
    assert message in data["error"]["message"]
    status, data = await call(http, "GET", f"{base_url}/api/users/me/playlists", ann)
    assert data["playlists"] == []


async def test_playlists_need_an_account(http: aiohttp.ClientSession, base_url: str) -> None:
    for method in ("GET", "POST"):
        status, data = await call(http, method, f"{base_url}/api/users/me/playlists", None, {})
        assert (status, data["error"]["code"]) == (401, "unauthenticated")


async def test_a_user_has_at_most_so_many_playlists(
    http: aiohttp.ClientSession, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("watchparty.playlists.routes.MAX_PLAYLISTS_PER_USER", 2)
    ann = await register(http, base_url, "ann")
    await make(http, base_url, ann, name="one")
    await make(http, base_url, ann, name="two")
    status, data = await call(
        http, "POST", f"{base_url}/api/users/me/playlists", ann, {"name": "three"}
    )
    assert (status, data["error"]["code"]) == (409, "too_many_playlists")


async def test_save_a_rooms_queue_and_load_it_into_another_room(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    ann = await register(http, base_url, "ann")
    source = await create_room(http, base_url, ann, "Source")
    dj = await join("dj", room=source)
    await dj.call("CHANGE_VIDEO", {"video_id": "playing----"})
    ack = await dj.call("UPDATE_QUEUE", {"queue": ITEMS[:2]})
    assert ack["ok"]
    saved = await make(http, base_url, ann, name="From the room", room_id=source)
    assert saved["items"] == ITEMS[:2]

    target = await create_room(http, base_url, ann, "Target")
    watcher = await join("watcher", room=target)
    await watcher.call("CHANGE_VIDEO", {"video_id": "playing----"})
    await watcher.call("UPDATE_QUEUE", {"queue": [ITEMS[2]]})
    url = f"{base_url}/api/rooms/{target}/queue"
    status, data = await call(http, "POST", url, ann, {"playlist_id": saved["id"]})
    assert status == 200
    queue = data["state"]["queue"]
    assert [i["video_id"] for i in queue] == [
        ITEMS[2]["video_id"],
        *(i["video_id"] for i in ITEMS[:2]),
    ]
    broadcast = await watcher.next("UPDATE_QUEUE")
    assert broadcast["state"] == data["state"]
    assert broadcast["by"] == "ann"
    status, data = await call(
        http, "POST", url, ann, {"playlist_id": saved["id"], "mode": "replace"}
    )
    assert [i["video_id"] for i in data["state"]["queue"]] == [i["video_id"] for i in ITEMS[:2]]
    assert (await watcher.next("UPDATE_QUEUE"))["state"]["version"] == data["state"]["version"]


async def test_loading_obeys_the_rooms_permissions_and_the_playlists_privacy(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    ann = await register(http, base_url, "ann")
    bob = await register(http, base_url, "bob")
    room = await create_room(http, base_url, ann)
    bobs = await make(http, base_url, bob, name="Bob's", items=ITEMS)
    anns = await make(http, base_url, ann, name="Ann's", items=ITEMS)
    url = f"{base_url}/api/rooms/{room}/queue"
    status, data = await call(http, "POST", url, bob, {"playlist_id": anns["id"]})
    assert (status, data["error"]["code"]) == (404, "playlist_not_found")  # private to ann
    await patch_room(http, base_url, room, {"control": "owner"}, ann)
    status, data = await call(http, "POST", url, bob, {"playlist_id": bobs["id"]})
    assert (status, data["error"]["code"]) == (403, "forbidden")
    async with http.get(f"{base_url}/api/rooms/{room}") as response:
        assert (await response.json())["state"]["queue"] == []  # nothing changed
    # A guest may load a shared playlist where everyone may control the room.
    await patch_room(http, base_url, room, {"control": "everyone"}, ann)
    await call(http, "PATCH", f"{base_url}/api/playlists/{bobs['id']}", bob, {"shared": True})
    status, data = await call(http, "POST", url, None, {"playlist_id": bobs["id"]})
    assert status == 200
    # Nothing was playing: the first item is cued as the video, the rest queued.
    assert data["state"]["video_id"] == ITEMS[0]["video_id"]
    assert len(data["state"]["queue"]) == len(ITEMS) - 1
    status, data = await call(http, "POST", url, None, {"playlist_id": bobs["id"], "mode": "x"})
    assert status == 400


async def test_a_load_beyond_the_free_plans_queue_needs_an_upgrade(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    ann = await register(http, base_url, "ann")
    room = await create_room(http, base_url, ann)
    big = await make(http, base_url, ann, name="Big", items=[ITEMS[0]] * (FREE.max_queue - 1))
    url = f"{base_url}/api/rooms/{room}/queue"
    assert (await call(http, "POST", url, ann, {"playlist_id": big["id"]}))[0] == 200
    status, data = await call(http, "POST", url, ann, {"playlist_id": big["id"]})
    assert (status, data["error"]["code"]) == (402, "upgrade_required")
    assert "50 items" in data["error"]["message"]
    async with http.get(f"{base_url}/api/rooms/{room}") as response:
        # The first load's first item became the video: the rest wait in the queue.
        assert len((await response.json())["state"]["queue"]) == FREE.max_queue - 2


async def test_a_load_that_would_overfill_the_queue_changes_nothing(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    ann = await register(http, base_url, "ann")
    room = await create_room(http, base_url, ann)
    url = f"{base_url}/api/rooms/{room}/queue"
    small = await make(http, base_url, ann, name="Small", items=ITEMS)
    assert (await call(http, "POST", url, ann, {"playlist_id": small["id"]}))[0] == 200
    # More items than any queue holds, whatever the plan.
    longest = await make(http, base_url, ann, name="Long", items=[ITEMS[0]] * MAX_QUEUE_ITEMS)
    status, data = await call(http, "POST", url, ann, {"playlist_id": longest["id"]})
    assert (status, data["error"]["code"]) == (409, "queue_too_long")
    # Fewer items than the plan allows, but more bytes than a queue may hold.
    link = "https://cdn.example/" + "x" * (MAX_VIDEO_ID_LENGTH - 40) + ".mp4"
    heavy_items = [{"video_id": link, "title": "t" * 200}] * (MAX_QUEUE_BYTES // len(link) + 1)
    heavy = await make(http, base_url, ann, name="Heavy", items=heavy_items)
    status, data = await call(http, "POST", url, ann, {"playlist_id": heavy["id"]})
    assert (status, data["error"]["code"]) == (400, "queue_too_large")
    async with http.get(f"{base_url}/api/rooms/{room}") as response:
        assert len((await response.json())["state"]["queue"]) == len(ITEMS) - 1  # as it was


async def test_loads_count_against_the_queue_rate_limit(
    http: aiohttp.ClientSession, start_server: ServerFactory
) -> None:
    server = await start_server(queue_rate_limit="2/minute")
    base_url = str(server.make_url("")).rstrip("/")
    ann = await register(http, base_url, "ann")
    room = await create_room(http, base_url, ann)
    url = f"{base_url}/api/rooms/{room}/queue"
    small = await make(http, base_url, ann, name="Small", items=ITEMS)
    body = {"playlist_id": small["id"], "mode": "replace"}
    statuses = [(await call(http, "POST", url, ann, body))[0] for _ in range(3)]
    assert statuses == [200, 200, 429]

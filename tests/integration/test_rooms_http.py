"""``/api/rooms`` and ``/healthz`` over real HTTP."""

from __future__ import annotations

import asyncio
import re

import aiohttp
import pytest

from tests.conftest import PeerFactory, ServerFactory


async def test_healthz(http: aiohttp.ClientSession, base_url: str) -> None:
    async with http.get(f"{base_url}/healthz") as response:
        assert response.status == 200
        body = await response.json()
    assert body["status"] == "ok"


async def test_create_room_returns_an_unguessable_id_and_its_page(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    ids = set()
    for _ in range(20):
        async with http.post(f"{base_url}/api/rooms") as response:
            assert response.status == 201
            body = await response.json()
        assert re.fullmatch(r"[A-Za-z0-9_-]{12}", body["id"])
        assert body["url"] == f"{base_url}/r/{body['id']}"
        assert body["path"] == f"/r/{body['id']}"
        ids.add(body["id"])
        async with http.get(body["url"]) as page:
            assert page.status == 200
            assert body["id"] in await page.text()
    assert len(ids) == 20


async def test_get_room_returns_the_state(http: aiohttp.ClientSession, base_url: str) -> None:
    async with http.post(f"{base_url}/api/rooms", json={"name": "Film club"}) as response:
        room = await response.json()
    async with http.get(f"{base_url}/api/rooms/{room['id']}") as response:
        assert response.status == 200
        body = await response.json()
    assert body["name"] == "Film club"
    assert body["members"] == []
    assert body["state"]["room"] == room["id"]
    assert body["state"]["version"] == 0
    assert set(body["state"]) == {
        "room",
        "version",
        "video_id",
        "video_kind",
        "playing",
        "position",
        "updated_at",
        "rate",
        "lead_rate",
        "rates",
        "live",
        "duration",
        "title",
        "waiting",
        "queue",
        "subtitles",
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/rooms/nope"),
        ("POST", "/api/rooms/nope/join"),
        ("POST", "/api/rooms/nope/leave"),
    ],
)
async def test_unknown_room_is_a_json_404(
    http: aiohttp.ClientSession, base_url: str, method: str, path: str
) -> None:
    async with http.request(
        method, base_url + path, json={"member_token": "x----------"}
    ) as response:
        assert response.status == 404
        assert await response.json() == {
            "error": {"code": "room_not_found", "message": "room not found"}
        }


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "invalid_json"),
        (b"[1, 2]", "invalid_body"),
        (b'{"name": 5}', "invalid_body"),
        (b'{"name": "x----------", "owner": "me"}', "invalid_body"),
        (b'{"name": "a\\u0000b"}', "invalid_body"),
    ],
)
async def test_bad_create_bodies_are_rejected(
    http: aiohttp.ClientSession, base_url: str, body: bytes, code: str
) -> None:
    async with http.post(f"{base_url}/api/rooms", data=body) as response:
        assert response.status == 400
        assert (await response.json())["error"]["code"] == code
    async with http.get(f"{base_url}/healthz") as response:
        assert (await response.json())["rooms"] == 0


async def test_unknown_api_path_and_method_are_json(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    async with http.get(f"{base_url}/api/nothing-here") as response:
        assert response.status == 404
        assert (await response.json())["error"]["code"] == "not_found"
    async with http.delete(f"{base_url}/api/rooms") as response:
        assert response.status == 405
        assert (await response.json())["error"]["code"] == "method_not_allowed"


async def test_oversized_body_is_413(http: aiohttp.ClientSession, base_url: str) -> None:
    async with http.post(f"{base_url}/api/rooms", data=b"x" * (300 * 1024)) as response:
        assert response.status == 413
        assert (await response.json())["error"]["code"] == "payload_too_large"


async def test_room_limit_unloads_idle_rooms_and_refuses_when_all_are_busy(
    start_server: ServerFactory, join: PeerFactory
) -> None:
    server = await start_server(max_rooms=1)
    url = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/api/rooms") as response:
            first = (await response.json())["id"]
        # The first room is idle: it is unloaded (it stays in the database) to make room.
        async with http.post(f"{url}/api/rooms") as response:
            assert response.status == 201
            second = (await response.json())["id"]
        async with http.get(f"{url}/api/rooms/{first}") as response:
            assert response.status == 200  # loaded again, the second one unloaded
        await join("ann", url=url, room=first)
        # Now the one room this process may hold has a member: nothing can be unloaded.
        async with http.post(f"{url}/api/rooms") as response:
            assert response.status == 503
            assert (await response.json())["error"]["code"] == "capacity_reached"
        async with http.get(f"{url}/api/rooms/{second}") as response:
            assert response.status == 503


async def test_join_returns_what_a_client_needs_and_leave_disconnects(
    http: aiohttp.ClientSession, base_url: str, room_id: str, join: PeerFactory
) -> None:
    async with http.post(f"{base_url}/api/rooms/{room_id}/join", json={"name": "ann"}) as response:
        assert response.status == 200
        info = await response.json()
    assert info["room"] == room_id
    assert info["namespace"] == "/rooms"
    assert info["socketio_path"] == "/socket.io"
    assert info["state"]["room"] == room_id
    assert info["auth"]["room"] == room_id
    assert info["auth"]["name"] == "ann"

    ann = await join("ann", auth=info["auth"])
    bob = await join("bob")
    await bob.next("ROOM_STATE")
    async with http.post(
        f"{base_url}/api/rooms/{room_id}/leave", json={"member_token": info["auth"]["member_token"]}
    ) as response:
        assert response.status == 200
        assert await response.json() == {"left": True}
    await bob.members_become(["bob"])
    await asyncio.wait_for(ann.disconnected.wait(), timeout=5)
    # The token is spent: leaving again says so, and it cannot be used to join.
    async with http.post(
        f"{base_url}/api/rooms/{room_id}/leave", json={"member_token": info["auth"]["member_token"]}
    ) as response:
        assert await response.json() == {"left": False}
    with pytest.raises(Exception, match="failed to connect"):
        await join("ann", auth=info["auth"])


async def test_leave_needs_a_token(
    http: aiohttp.ClientSession, base_url: str, room_id: str
) -> None:
    async with http.post(f"{base_url}/api/rooms/{room_id}/leave", json={}) as response:
        assert response.status == 400
        body = await response.json()
    assert body["error"]["code"] == "invalid_body"
    assert body["error"]["message"].startswith("member_token:")


async def test_join_rejects_a_bad_name(
    http: aiohttp.ClientSession, base_url: str, room_id: str
) -> None:
    async with http.post(
        f"{base_url}/api/rooms/{room_id}/join", json={"name": "x----------" * 41}
    ) as r:
        assert r.status == 400
        assert (await r.json())["error"]["message"].startswith("name:")


async def test_room_page_for_unknown_room_is_404(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    async with http.get(f"{base_url}/r/no-such-room") as response:
        assert response.status == 404
        assert "Room not found" in await response.text()


async def test_static_socketio_client_is_served(http: aiohttp.ClientSession, base_url: str) -> None:
    async with http.get(f"{base_url}/static/vendor/socket.io.min.js") as response:
        assert response.status == 200
        assert "Socket.IO v4" in (await response.text())[:200]


@pytest.mark.parametrize(
    ("origins", "origin", "allowed"),
    [
        ((), "http://evil.example", False),
        (("https://app.example",), "https://app.example", True),
        (("https://app.example",), "https://other.example", False),
        (("*",), "https://anything.example", True),
    ],
)
async def test_cors_origins_apply_to_rest_and_socketio(
    start_server: ServerFactory, origins: tuple[str, ...], origin: str, allowed: bool
) -> None:
    server = await start_server(cors_origins=origins)
    async with aiohttp.ClientSession() as http:
        async with http.post(server.make_url("/api/rooms"), headers={"Origin": origin}) as r:
            assert r.status == 201
            assert (r.headers.get("Access-Control-Allow-Origin") in (origin, "*")) is allowed
        polling = server.make_url("/socket.io/").with_query(EIO="4", transport="polling")
        async with http.get(polling, headers={"Origin": origin}) as r:
            assert (r.status == 200) is allowed

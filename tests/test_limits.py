"""Rate limits on sockets and room creation: a flood is refused clearly and changes nothing."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from tests.conftest import ServerFactory
from tests.peers import Peer
from tests.test_room_auth import connect_refusal


def url_of(server: TestServer) -> str:
    return str(server.make_url("")).rstrip("/")


async def new_room(http: aiohttp.ClientSession, base_url: str) -> str:
    async with http.post(f"{base_url}/api/rooms", json={}) as response:
        assert response.status == 201
        return str((await response.json())["id"])


async def test_a_flood_of_events_is_refused_and_changes_nothing(
    start_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    base_url = url_of(await start_server(event_rate_limit="5/minute"))
    room = await new_room(http, base_url)
    ann, bob = Peer("ann"), Peer("bob")
    try:
        await ann.connect(base_url, {"room": room, "name": "ann"})
        await bob.connect(base_url, {"room": room, "name": "bob"})
        acks = [await ann.call("SEEK", {"timestamp": float(i)}) for i in range(8)]
        assert [a["ok"] for a in acks] == [True] * 5 + [False] * 3
        refused = acks[-1]["error"]
        assert refused["code"] == "rate_limited"
        assert refused["message"].startswith("too many events; try again in ")
        # Unknown events count too (a flood is a flood); the refused seeks changed nothing.
        assert (await ann.call("NOPE"))["error"]["code"] == "rate_limited"
        status = (await bob.call("SEEK", {"timestamp": 99.0}))["state"]
        assert (status["version"], status["position"]) == (6, 99.0)  # five seeks, then bob's
        # TIME has its own limit: clock sync keeps working for a connection that flooded.
        assert (await ann.call("TIME", {"client_time": 1.0}))["ok"]
    finally:
        await ann.close()
        await bob.close()


async def test_time_pings_have_their_own_limit(
    start_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    base_url = url_of(await start_server(time_rate_limit="10/minute"))
    room = await new_room(http, base_url)
    ann = Peer("ann")
    try:
        await ann.connect(base_url, {"room": room, "name": "ann"})
        acks = [await ann.call("TIME", {"client_time": float(i)}) for i in range(12)]
        assert [a["ok"] for a in acks] == [True] * 10 + [False] * 2
        assert acks[-1]["error"]["code"] == "rate_limited"
        assert (await ann.call("PAUSE"))["ok"]  # other events are not held back
    finally:
        await ann.close()


async def test_connections_per_address(
    start_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    base_url = url_of(await start_server(connect_rate_limit="3/minute"))
    room = await new_room(http, base_url)
    peers = [Peer(f"p{i}") for i in range(3)]
    try:
        for peer in peers:
            await peer.connect(base_url, {"room": room, "name": peer.name})
        refusal = await connect_refusal(base_url, {"room": room, "name": "p4"})
        assert refusal["data"]["code"] == "rate_limited"
        assert refusal["message"].startswith("too many connections; try again in ")
    finally:
        for peer in peers:
            await peer.close()


@pytest.mark.parametrize("hops", [0, 1])
async def test_room_creation_per_address(
    start_server: ServerFactory, http: aiohttp.ClientSession, hops: int
) -> None:
    base_url = url_of(await start_server(room_create_rate_limit="2/hour", proxy_hops=hops))
    headers = {"X-Forwarded-For": "203.0.113.7"}
    for _ in range(2):
        async with http.post(f"{base_url}/api/rooms", json={}, headers=headers) as response:
            assert response.status == 201
    async with http.post(f"{base_url}/api/rooms", json={}, headers=headers) as response:
        assert response.status == 429
        assert int(response.headers["Retry-After"]) > 0
        assert (await response.json())["error"]["code"] == "rate_limited"
    # Behind one trusted proxy, another client (by X-Forwarded-For) is another address;
    # with none, the header is the client's own word and is ignored.
    other = {"X-Forwarded-For": "198.51.100.9"}
    async with http.post(f"{base_url}/api/rooms", json={}, headers=other) as response:
        assert response.status == (201 if hops else 429)

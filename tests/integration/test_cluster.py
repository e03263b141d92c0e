"""Rooms that span processes: real ``python -m watchparty`` processes sharing a real
``redis-server`` and one MongoDB-wire server, with real Socket.IO clients on each."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio
from redis.asyncio import Redis

from tests.accounts import register
from tests.cluster import (
    LEASE_SECONDS,
    Reconnecting,
    joined,
    metric,
    new_room,
    saved,
    servers,
)
from tests.peers import NAMESPACE, Peer
from tests.processes import spawn, wait_healthy
from tests.redis_server import redis_server
from watchparty.cluster.leases import Leases
from watchparty.rooms.ports import ClusterUnavailable


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    yield from redis_server()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    await client.flushall()
    yield client
    await client.aclose()


@pytest.fixture
async def cluster(
    tmp_path: Path, redis: Redis, redis_url: str, mongo_uri: str
) -> AsyncIterator[Any]:
    """``start(n)`` starts n server processes sharing Redis and one database."""
    async with servers(tmp_path, redis_url, mongo_uri) as start:
        yield start


def states_seen(peer: Peer, acks: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Every playback state a peer learnt, by version: broadcasts, and its own acks."""
    seen = {ack["state"]["version"]: ack["state"] for ack in acks}
    for event, data in peer.drain():
        if event in ("PLAY", "PAUSE", "SEEK", "CHANGE_VIDEO"):
            seen[data["state"]["version"]] = data["state"]
    return seen


async def test_clients_on_different_processes_see_the_same_versions_in_order(
    cluster: Any,
) -> None:
    a, b = await cluster(2)
    room = await new_room(a.url)  # a holds it
    peers = [
        await joined(server.url, room, f"{name}{i}")
        for i in range(2)
        for server, name in ((a, "a"), (b, "b"))
    ]
    try:
        # Each process counts the sockets it serves: two each, adding up to the four.
        assert [await metric(s.url, "watchparty_connected_clients") for s in (a, b)] == [2, 2]
        order: dict[str, list[int]] = {p.name: [] for p in peers}

        def record(peer: Peer) -> None:
            async def seen(event: str, data: Any) -> None:
                if event in ("PLAY", "PAUSE", "SEEK", "CHANGE_VIDEO"):
                    order[peer.name].append(data["state"]["version"])
                await peer._record(event, data)

            peer.client.on("*", seen, namespace=NAMESPACE)

        for peer in peers:
            record(peer)
        acks: dict[str, list[dict[str, Any]]] = {p.name: [] for p in peers}

        async def commands(peer: Peer, count: int) -> None:
            for i in range(count):
                event, payload = [
                    ("SEEK", {"timestamp": float(i)}),
                    ("PLAY", None),
                    ("PAUSE", None),
                ][i % 3]
                ack = await peer.call(event, payload)
                assert ack["ok"], ack
                acks[peer.name].append(ack)

        start = await peers[1].call("CHANGE_VIDEO", {"video_id": "dQw4w9WgXcQ"})
        assert start["ok"], start
        acks[peers[1].name].append(start)
        # Everyone at once: commands from both processes race for the one authority.
        await asyncio.gather(*(commands(peer, 9) for peer in peers))
        total = 9 * len(peers) + 1
        for peer in peers:
            async with asyncio.timeout(5):
                while len(order[peer.name]) + len(acks[peer.name]) < total:  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
        views = [states_seen(peer, acks[peer.name]) for peer in peers]
        first = views[0]
        versions = sorted(first)
        assert versions == list(range(versions[0], versions[0] + total))
        for peer, view in zip(peers, views, strict=True):
            assert view == first, peer.name  # the same state for every version
            assert order[peer.name] == sorted(order[peer.name]), peer.name  # in order
    finally:
        for peer in peers:
            await peer.close()


async def test_http_about_a_room_held_elsewhere_is_answered_by_its_holder(cluster: Any) -> None:
    """The room's REST routes and its page work on every process: the holder answers."""
    a, b = await cluster(2)
    async with aiohttp.ClientSession() as http:
        owner = await register(http, a.url, "olive")
        async with http.post(f"{a.url}/api/rooms", headers=owner.bearer) as response:
            room = (await response.json())["id"]
        ann = await joined(a.url, room, "ann")
        try:
            await ann.call("CHANGE_VIDEO", {"video_id": "dQw4w9WgXcQ"})
            async with http.get(f"{b.url}/api/rooms/{room}") as response:
                assert response.status == 200
                body = await response.json()
            assert body["state"]["video_id"] == "dQw4w9WgXcQ"  # live, from its holder
            assert [m["name"] for m in body["members"]] == ["ann"]
            # A member token issued through b is held by a, and lets a socket on b join.
            async with http.post(f"{b.url}/api/rooms/{room}/join", json={"name": "bob"}) as r:
                assert r.status == 200
                auth = (await r.json())["auth"]
            bob = Peer("bob")
            await bob.connect(b.url, auth)
            assert (await bob.next("ROOM_STATE"))["state"]["video_id"] == "dQw4w9WgXcQ"
            # The owner renames the room through b: everyone hears it, wherever they are.
            async with http.patch(
                f"{b.url}/api/rooms/{room}", json={"name": "movie night"}, headers=owner.bearer
            ) as response:
                assert response.status == 200, await response.text()
            assert (await bob.next("ROOM_INFO"))["name"] == "movie night"
            assert (await ann.next("ROOM_INFO"))["name"] == "movie night"
            async with http.post(
                f"{b.url}/api/rooms/{room}/leave", json={"member_token": auth["member_token"]}
            ) as response:
                assert (await response.json()) == {"left": True}
            await asyncio.wait_for(bob.disconnected.wait(), timeout=5)
            async with http.get(f"{b.url}/r/{room}") as response:
                assert response.status == 200
                assert "text/html" in response.headers["Content-Type"]
            async with http.get(f"{b.url}/api/rooms/nosuchroom00") as response:
                assert response.status == 404
        finally:
            await ann.close()
            await bob.close()


async def test_the_room_survives_its_holder_dying(cluster: Any, mongo_uri: str) -> None:
    """Kill the holding process hard: within a few seconds another process holds the room,
    from its saved state, and clients on the survivor reconnect to it by themselves."""
    a, b = await cluster(2)
    room = await new_room(a.url)
    ann = await joined(a.url, room, "ann")
    bob = Reconnecting()
    try:
        await bob.join(b.url, room, "bob")
        await ann.call("CHANGE_VIDEO", {"video_id": "dQw4w9WgXcQ"})
        last = await ann.call("SEEK", {"timestamp": 42.0})
        version = last["state"]["version"]
        await saved(mongo_uri, room, version)
        a.process.send_signal(signal.SIGKILL)
        await a.process.wait()
        died = time.monotonic()
        snapshot = await bob.rejoined(within=LEASE_SECONDS + 8)
        assert time.monotonic() - died < LEASE_SECONDS + 4
        assert snapshot["state"]["video_id"] == "dQw4w9WgXcQ"
        assert snapshot["state"]["version"] == version
        assert abs(snapshot["state"]["position"] - 42.0) < 0.01
        ack = await bob.call("PLAY")
        assert ack["ok"], ack
        assert ack["state"]["version"] == version + 1
    finally:
        await ann.close()
        await bob.client.disconnect()


async def test_address_limits_count_across_processes(cluster: Any) -> None:
    """A client's connections are counted in Redis, so spreading them over processes does
    not multiply its allowance."""
    a, b = await cluster(2, WATCHPARTY_CONNECT_RATE_LIMIT="3/minute")
    room = await new_room(a.url)
    peers = [Peer(f"p{i}") for i in range(4)]
    try:
        for peer, server in zip(peers[:3], (a, b, a), strict=True):
            await peer.connect(server.url, {"room": room, "name": peer.name})
        with pytest.raises(socketio.exceptions.ConnectionError):
            await peers[3].connect(b.url, {"room": room, "name": "p3"})
        assert peers[3].refusal is not None
        assert peers[3].refusal["data"]["code"] == "rate_limited"
    finally:
        for peer in peers:
            await peer.close()


async def test_web_concurrency_runs_workers_on_one_port(
    tmp_path: Path, redis: Redis, redis_url: str, mongo_uri: str
) -> None:
    """``WEB_CONCURRENCY=2 python -m watchparty``: two workers share the port (and a room),
    a dead worker is started again, and SIGTERM stops them all with exit code 0."""
    server = await spawn(
        tmp_path,
        REDIS_URL=redis_url,
        MONGODB_URI=mongo_uri,
        WEB_CONCURRENCY="2",
        WATCHPARTY_CONNECT_RATE_LIMIT="100000/minute",
    )
    peers: list[Peer] = []
    try:
        await wait_healthy(server.url)
        workers = await children(server.process.pid, 2)
        room = await new_room(server.url)
        peers = [await joined(server.url, room, f"p{i}") for i in range(8)]
        # Connections land on both workers (the kernel spreads them); every one hears a seek.
        ack = await peers[0].call("SEEK", {"timestamp": 7.0})
        for peer in peers[1:]:
            assert (await peer.next("SEEK"))["state"]["version"] == ack["state"]["version"]
        os.kill(workers[0], signal.SIGKILL)
        replaced = await children(server.process.pid, 2, without=workers[0])
        assert workers[0] not in replaced
        server.process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(server.process.wait(), timeout=30) == 0
        assert await children(server.process.pid, 0) == []
    finally:
        for peer in peers:
            await peer.close()
        await server.stop()


async def children(pid: int, count: int, without: int | None = None) -> list[int]:
    """The process's children, once there are ``count`` of them (none of them ``without``)."""
    async with asyncio.timeout(20):
        while True:
            try:
                listing = Path(f"/proc/{pid}/task/{pid}/children").read_text()  # noqa: ASYNC240
                found = [int(p) for p in listing.split()]
            except FileNotFoundError:
                found = []
            if len(found) == count and without not in found:
                return found
            await asyncio.sleep(0.1)


async def test_a_lease_has_one_holder_and_runs_out_without_renewal(redis: Redis) -> None:
    ann = Leases(redis, "ann", 0.5, "test")
    bob = Leases(redis, "bob", 0.5, "test")
    assert await ann.claim("r1") == "ann"
    assert await bob.claim("r1") == "ann"  # held: bob learns by whom
    assert ann.holds("r1")
    assert not bob.holds("r1")
    await asyncio.sleep(0.6)  # nobody renewed
    assert not ann.holds("r1")  # ann stopped counting on it before Redis let it go
    assert await bob.claim("r1") == "bob"
    lost: list[list[str]] = []

    async def on_lost(rooms: list[str]) -> None:
        lost.append(rooms)

    ann.on_lost = on_lost
    assert await ann.claim("r2") == "ann"
    await redis.set(ann.key("r2"), "carl")  # someone else holds it now
    await ann.renew()
    assert lost == [["r1", "r2"]]  # r1 went to bob when ann's lease ran out
    assert not ann.holds("r2")
    bob.release("r1")
    await bob.release_all()
    assert await ann.claim("r1") == "ann"  # given back: free at once


async def test_leases_say_when_redis_is_unreachable() -> None:
    unreachable = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    with pytest.raises(ClusterUnavailable):
        await Leases(unreachable, "ann", 1, "test").claim("r1")
    await unreachable.aclose()


async def test_a_paused_holder_never_accepts_commands_after_its_lease(cluster: Any) -> None:
    """Freeze the holding process past its lease (a long GC pause, a partition): another
    process takes the room, and when the old one wakes it refuses its clients' commands
    rather than accept them next to the new holder."""
    a, b = await cluster(2)
    room = await new_room(a.url)
    ann = await joined(a.url, room, "ann")
    bob = Reconnecting()
    try:
        await bob.join(b.url, room, "bob")
        await ann.call("CHANGE_VIDEO", {"video_id": "dQw4w9WgXcQ"})
        a.process.send_signal(signal.SIGSTOP)
        try:
            # b's relay sees the lease run out, and bob reconnects to the room's new holder.
            await bob.rejoined(within=LEASE_SECONDS + 8)
            moved = await bob.call("SEEK", {"timestamp": 10.0})
            assert moved["ok"], moved
        finally:
            a.process.send_signal(signal.SIGCONT)
        try:
            ack = await ann.call("SEEK", {"timestamp": 99.0})
        except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
            ack = None  # a gave the room up first and closed ann's connection: also right
        if ack is not None:
            assert ack["error"]["code"] in ("room_moving", "not_joined"), ack
        async with aiohttp.ClientSession() as http, http.get(f"{b.url}/api/rooms/{room}") as r:
            state = (await r.json())["state"]
        assert state["position"] == 10.0
        assert state["version"] == moved["state"]["version"]
    finally:
        await ann.close()
        await bob.client.disconnect()


async def test_a_password_room_and_the_public_list_hold_across_processes(cluster: Any) -> None:
    """The door is the holder's (a password sent to another process travels with the join),
    and every process lists the public rooms with the same viewer counts."""
    a, b = await cluster(2)
    async with aiohttp.ClientSession() as http:
        owner = await register(http, a.url, "olive")
        async with http.post(
            f"{a.url}/api/rooms", json={"name": "Open air"}, headers=owner.bearer
        ) as r:
            room = (await r.json())["id"]
        async with http.patch(
            f"{b.url}/api/rooms/{room}",
            json={"visibility": "public", "password": "moon"},
            headers=owner.bearer,
        ) as response:
            assert response.status == 200, await response.text()
        peers = []
        try:
            for url, name in ((a.url, "ann"), (b.url, "bob")):
                peer = Peer(name)
                peers.append(peer)
                await peer.connect(url, {"room": room, "name": name, "password": "moon"})
                await peer.next("ROOM_STATE")
            wrong = Peer("eve")
            peers.append(wrong)
            with pytest.raises(socketio.exceptions.ConnectionError):
                await wrong.connect(b.url, {"room": room, "name": "eve", "password": "sun"})
            assert wrong.refusal is not None
            assert wrong.refusal["data"]["code"] == "wrong_password"

            async def listed(url: str) -> list[tuple[str, int]]:
                async with http.get(f"{url}/api/rooms?visibility=public") as response:
                    body = await response.json()
                return [(r["name"], r["viewers"]) for r in body["rooms"]]

            async with asyncio.timeout(5):  # the counts are saved a moment behind the joins
                while True:
                    seen = [await listed(a.url), await listed(b.url)]
                    if seen == [[("Open air", 2)]] * 2:
                        break
                    await asyncio.sleep(0.05)
        finally:
            for peer in peers:
                await peer.close()

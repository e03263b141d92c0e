"""Several processes riding out their faults: real ``python -m watchparty`` processes, a real
``redis-server`` killed and started again (empty, as one without persistence comes back from
a crash), a MongoDB-wire server, real Socket.IO clients on each process."""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio
from redis.asyncio import Redis

from tests.cluster import (
    LEASE_SECONDS,
    Reconnecting,
    Start,
    joined,
    metric,
    new_room,
    saved,
    servers,
)
from tests.mongo import MongoProcess, fresh_database_uri
from tests.peers import Peer
from tests.redis_server import RedisServer
from tests.unit.rooms.memory import MemoryRooms, MemoryTransport, door_of
from watchparty.cluster.leases import Leases
from watchparty.cluster.outage import Outage
from watchparty.cluster.peers import Peers
from watchparty.cluster.relay import Relay
from watchparty.core.plans import FREE, Plan
from watchparty.rooms.registry import RoomRegistry
from watchparty.rooms.writebehind import WriteBehind

OUTAGE_SECONDS = 8  # well past the lease (2 s): every lease runs out meanwhile


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.close()


@pytest.fixture
async def cluster(
    tmp_path: Path, redis_server: RedisServer, mongo_uri: str
) -> AsyncIterator[Start]:
    async with servers(tmp_path, redis_server.url, mongo_uri) as start:
        yield start


async def command(peer: Peer, n: int) -> str:
    """One command from ``peer``; ``ok`` or its error code."""
    event, payload = [("SEEK", {"timestamp": float(n)}), ("PLAY", {}), ("PAUSE", {})][n % 3]
    try:
        ack = await peer.call(event, payload)
    except socketio.exceptions.TimeoutError:
        return "no answer"
    return "ok" if ack["ok"] else str(ack["error"]["code"])


async def all_commands_work(peers: list[Peer], within: float) -> float:
    """Seconds until a command from every peer is accepted (polling every 0.1 s)."""
    started = time.monotonic()
    waiting = list(peers)
    n = 0
    while waiting:
        n += 1
        codes = await asyncio.gather(*(command(peer, n) for peer in waiting))
        waiting = [peer for peer, code in zip(waiting, codes, strict=True) if code != "ok"]
        assert time.monotonic() - started < within, f"still refused: {set(codes)}"
        if waiting:
            await asyncio.sleep(0.1)
    return time.monotonic() - started


def log_lines(log: Path, count: int) -> list[str]:
    texts = [log.with_suffix(f".{i}").read_text() for i in range(count)]
    return [line for text in texts for line in text.splitlines()]


async def test_a_redis_outage_drops_nobody_and_the_room_comes_back(
    cluster: Start, redis_server: RedisServer, tmp_path: Path
) -> None:
    """Six members of one room on two processes; Redis is killed for longer than the lease
    and comes back empty. Nobody is disconnected; every command meanwhile is accepted or
    refused with ``cluster_unavailable``; members are told, and told again with the room's
    state when it is back; within the lease and a second every member's commands work again,
    and a new member joins at once; each process logged one warning each way, no traceback."""
    log = tmp_path / "server.log"
    a, b = await cluster(2, log=log)
    room = await new_room(a.url)  # held by a
    peers = [await joined(server.url, room, f"p{i}") for i, server in enumerate([a, b] * 3)]
    late: list[Peer] = []
    try:
        assert (await peers[0].call("CHANGE_VIDEO", {"video_id": "dQw4w9WgXcQ"}))["ok"]
        await all_commands_work(peers, within=5)
        redis_server.kill()
        killed = time.monotonic()
        codes: Counter[str] = Counter()
        n = 0
        while time.monotonic() - killed < OUTAGE_SECONDS:
            n += 1
            codes.update(await asyncio.gather(*(command(peer, n) for peer in peers)))
            await asyncio.sleep(0.3)
        assert set(codes) <= {"ok", "cluster_unavailable"}, codes
        assert codes["cluster_unavailable"] > 0  # the lease ran out: refused, not forked
        assert await metric(b.url, "watchparty_redis_up") == 0
        async with aiohttp.ClientSession() as http, http.get(f"{b.url}/api/rooms/{room}") as r:
            assert r.status == 503  # b cannot ask a for it
            assert (await r.json())["error"]["code"] == "cluster_unavailable"
        assert await metric(a.url, "watchparty_rooms_lapsed") == 1
        stranger = Peer("stranger")
        with pytest.raises(socketio.exceptions.ConnectionError):
            await stranger.connect(b.url, {"room": room, "name": "stranger"})
        await stranger.close()
        assert stranger.refusal is not None
        assert stranger.refusal["data"]["code"] == "cluster_unavailable"
        for peer in peers:
            assert (await peer.next("DEGRADED")) == {"degraded": True}

        redis_server.start()
        back = await all_commands_work(peers, within=LEASE_SECONDS + 3)
        assert back < LEASE_SECONDS + 1.0, back
        latest = (await peers[0].call("SEEK", {"timestamp": 5.0}))["state"]
        for peer in peers:
            news = await peer.next("DEGRADED")
            while news["degraded"]:
                news = await peer.next("DEGRADED")
            assert news["state"]["room"] == room
            if peer is not peers[0]:  # the others hear the latest command, across processes
                seek = await peer.next("SEEK")
                while seek["state"]["version"] < latest["version"]:
                    seek = await peer.next("SEEK")
                assert seek["state"] == latest
        late.append(await joined(b.url, room, "late"))  # at the first attempt
        assert not any(peer.disconnected.is_set() for peer in peers)
    finally:
        for peer in [*peers, *late]:
            await peer.close()
    lines = log_lines(log, 2)
    assert sum("lost Redis" in line for line in lines) == 2, "one warning per process"
    assert sum("Redis is back" in line for line in lines) == 2
    assert not [line for line in lines if "Traceback" in line or "ERROR" in line]


async def test_redis_restarted_at_once_keeps_the_holders_rooms(
    cluster: Start, redis_server: RedisServer
) -> None:
    """Redis comes back empty before any lease runs out: the holder takes its keys back as it
    renews (nobody else could hold them meanwhile), so its members never see a refusal, and
    the relayed members' commands work again within a second."""
    a, b = await cluster(2)
    room = await new_room(a.url)
    here = [await joined(a.url, room, f"a{i}") for i in range(2)]
    relayed = [await joined(b.url, room, f"b{i}") for i in range(2)]
    try:
        redis_server.kill()
        redis_server.start()
        started = time.monotonic()
        while time.monotonic() - started < LEASE_SECONDS * 2:
            codes = await asyncio.gather(*(command(peer, 0) for peer in here))
            assert set(codes) == {"ok"}, codes
            await asyncio.sleep(0.2)
        await all_commands_work(relayed, within=1.0)
        assert not any(peer.disconnected.is_set() for peer in [*here, *relayed])
    finally:
        for peer in [*here, *relayed]:
            await peer.close()


async def test_a_holder_killed_during_the_outage_is_taken_over(
    cluster: Start, redis_server: RedisServer, mongo_uri: str
) -> None:
    """The holder dies while Redis is away: once it is back, the relayed members reconnect
    by themselves to the other process, which loads the room from the database."""
    a, b = await cluster(2)
    room = await new_room(a.url)
    bob = Reconnecting()
    try:
        await bob.join(b.url, room, "bob")
        ack = await bob.call("SEEK", {"timestamp": 30.0})
        await saved(mongo_uri, room, ack["state"]["version"])
        redis_server.kill()
        a.process.send_signal(signal.SIGKILL)
        await a.process.wait()
        await asyncio.sleep(LEASE_SECONDS)
        redis_server.start()
        snapshot = await bob.rejoined(within=LEASE_SECONDS + 6)
        assert snapshot["state"]["version"] == ack["state"]["version"]
        assert (await bob.call("SEEK", {"timestamp": 31.0}))["ok"]
    finally:
        await bob.client.disconnect()


async def test_leases_lapse_in_an_outage_and_are_taken_back_after_a_young_redis_settles(
    redis_server: RedisServer,
) -> None:
    """The lease rules behind the tests above, on a short lease: a lease that runs out while
    Redis is away lapses (kept, not held); a Redis that came back empty makes everyone but the
    old holder wait a lease time before taking a room; the holder reserves its key at once
    and counts on it after that wait; a room changed elsewhere meanwhile is reported."""
    ttl = 0.5
    redis = Redis.from_url(redis_server.url)
    ann = Leases(redis, "ann", ttl, "test")
    bob = Leases(redis, "bob", ttl, "test")
    regained: list[list[str]] = []

    async def on_regained(rooms: list[str]) -> None:
        regained.append(rooms)

    ann.on_regained = on_regained
    try:
        assert await ann.claim("r1", new=True) == "ann"
        redis_server.kill()
        await asyncio.sleep(ttl)
        await ann.renew()
        assert ann.lapsed("r1")
        assert not ann.holds("r1")
        redis_server.start()
        await ann.renew()  # reserves r1, but this Redis is young
        assert ann.lapsed("r1")
        assert await bob.claim("r1") == "ann"  # reserved: bob learns at once
        started = time.monotonic()
        assert await bob.claim("r2") == "bob"  # free, but bob waits out the young Redis
        assert time.monotonic() - started > ttl / 2
        await ann.reassert()
        assert ann.holds("r1")
        assert not ann.lapsed("r1")
        assert regained == [["r1"]]
    finally:
        await redis.aclose()


async def test_a_database_outage_leaves_the_cluster_paths_working(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    """The database stops under a cluster: relayed commands, a relayed join and HTTP requests
    forwarded to the holder still work; what needs the database says so; nothing fails."""
    database = MongoProcess(tmp_path / "mongodb")
    database.start()
    log = tmp_path / "server.log"
    try:
        async with servers(tmp_path, redis_server.url, fresh_database_uri(database.uri)) as start:
            a, b = await start(2, log=log, WATCHPARTY_DB_TIMEOUT_MS="300")
            room = await new_room(a.url)
            ann = await joined(a.url, room, "ann")
            bob = await joined(b.url, room, "bob")
            carl: Peer | None = None
            try:
                database.stop()
                ack = await bob.call("CHANGE_VIDEO", {"video_id": "dQw4w9WgXcQ"})
                assert ack["ok"], ack
                assert (await ann.next("CHANGE_VIDEO"))["state"] == ack["state"]
                carl = await joined(b.url, room, "carl")
                assert (await carl.call("SEEK", {"timestamp": 3.0}))["ok"]
                async with aiohttp.ClientSession() as http:
                    async with http.get(f"{b.url}/api/rooms/{room}") as response:
                        assert response.status == 200  # answered by a, through b
                        assert (await response.json())["state"]["video_id"] == "dQw4w9WgXcQ"
                    async with http.post(f"{b.url}/api/rooms") as response:
                        assert response.status == 503
                        assert (await response.json())["error"]["code"] == "database_unavailable"
            finally:
                for peer in (ann, bob, carl):
                    if peer is not None:
                        await peer.close()
    finally:
        database.stop()
    assert not [line for line in log_lines(log, 2) if "Traceback" in line]


async def test_a_room_taken_back_after_another_process_saved_it_is_given_up(
    redis_server: RedisServer,
) -> None:
    """A holder cut off from Redis past its lease, while another process held the room and
    saved a newer revision, gives that room up when it takes its lease back (its members
    reconnect and load the newer state), and keeps the rooms nobody touched."""
    ttl = 0.5
    redis = Redis.from_url(redis_server.url)
    leases = Leases(redis, "ann", ttl, "test")
    peers = Peers(redis, "ann", "test", 1.0)
    transport = MemoryTransport()
    rooms = MemoryRooms()
    relay = Relay(peers, leases, transport, lambda: False)
    writer = WriteBehind(rooms, gather=0.01)
    registry = RoomRegistry(
        transport,
        rooms,
        writer,
        max_rooms=10,
        max_members=10,
        plan_of=free_plan,
        free_room_idle=3600.0,
        authority=leases,
        door=door_of(writer),
    )

    async def nobody(event: str, data: Any) -> None:
        pass

    outage = Outage(registry, rooms, transport, nobody, leases, relay)
    leases.on_regained = outage.regained
    try:
        moved, kept = await registry.create(), await registry.create()
        redis_server.kill()
        await asyncio.sleep(ttl)
        await leases.renew()
        standing = registry.standing(moved)
        assert standing is not None
        assert standing.code == "cluster_unavailable"
        record = rooms.records[moved.id]
        rooms.records[moved.id] = dataclasses.replace(record, revision=record.revision + 3)
        redis_server.start()
        await leases.reassert()
        assert registry.peek(moved.id) is None
        assert not leases.holds(moved.id)
        assert registry.peek(kept.id) is kept
        assert registry.standing(kept) is None
        await asyncio.sleep(0.1)  # the release is sent behind
        assert await redis.get(leases.key(moved.id)) is None
    finally:
        await redis.aclose()


async def free_plan(owner_id: str | None) -> Plan:
    return FREE

"""Rate limits on sockets and room creation: a flood is refused clearly and changes nothing."""

from __future__ import annotations

import asyncio
import threading
import time

import aiohttp
import limits
import pytest
from aiohttp.test_utils import TestServer
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from tests.conftest import PeerFactory, ServerFactory
from tests.integration.test_room_auth import connect_refusal
from tests.peers import Peer
from watchparty.addresses import parse_networks
from watchparty.keys import SOCKETIO
from watchparty.ratelimit import MemoryWindows, RateLimit


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
    proxies = parse_networks("127.0.0.1" if hops else "")
    base_url = url_of(await start_server(room_create_rate_limit="2/hour", trusted_proxies=proxies))
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


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_memory_windows_answer_as_the_limits_library_does() -> None:
    """The in-memory window gives the same verdicts as ``limits``' own moving window, for a
    pattern of hits over time that crosses the window's edge."""
    item = limits.parse("3/second")
    clock = Clock()
    ours = MemoryWindows(clock)
    theirs = MovingWindowRateLimiter(MemoryStorage())
    # Theirs reads the real clock, so the pattern runs in real time, in steps of 0.1 s from
    # one start (a late wake-up does not add up), never on a window's edge.
    start = time.monotonic()
    for step in (0, 0, 3, 3, 3, 5, 8, 12, 12, 12, 12, 14, 16):
        await asyncio.sleep(max(0.0, start + step / 10 - time.monotonic()))
        clock.now = 1_000_000.0 + step / 10
        assert await ours.test(item, "k") == await theirs.test(item, "k")
        assert await ours.hit(item, "k") == await theirs.hit(item, "k"), step


async def test_memory_windows_say_when_to_come_back() -> None:
    clock = Clock()
    limit = RateLimit("2/minute", "test")
    limit._limiter = windows = MemoryWindows(clock)
    assert (await limit.hit("a")).allowed
    assert (await limit.hit("a")).allowed
    clock.now += 20
    refused = await limit.hit("a")
    assert (refused.allowed, limit.refusals) == (False, 1)
    # The oldest hit leaves the window 60 s after it was made: 40 s from now.
    item = limits.parse("2/minute")
    stats = await windows.get_window_stats(item, "test", "a")
    assert (stats.reset_time, stats.remaining) == (clock.now + 40, 0)
    assert (await limit.hit("b")).allowed  # keys are counted apart
    clock.now += 40.5
    assert (await limit.hit("a")).allowed
    await limit.reset("a")
    assert (await limit.check("a")).allowed
    assert (await limit.hit("a")).allowed


async def test_memory_windows_forget_clients_gone_quiet() -> None:
    """One key per connection or address: keys whose windows emptied are dropped by the next
    sweep, so memory follows the clients seen lately, not every client ever seen."""
    clock = Clock()
    windows = MemoryWindows(clock)
    item = limits.parse("5/second")
    for key in range(1000):
        assert await windows.hit(item, str(key))
    assert len(windows) == 1000
    clock.now += MemoryWindows.SWEEP_SECONDS
    assert await windows.hit(item, "still-here")
    assert len(windows) == 1


async def test_a_hit_starts_no_thread_and_looks_at_its_own_key_only() -> None:
    """``limits``' memory storages (5.8) sweep every key after each hit, the asyncio one
    through a thread per key: with a key per connection, each clock ping cost work in
    proportion to the connections (bench/connections.py --ping). A hit here must not."""
    windows = MemoryWindows()
    item = limits.parse("1000/second")
    for key in range(2000):
        await windows.hit(item, str(key))
    threads = threading.active_count()
    touched: list[object] = []

    class Watched(dict[object, object]):
        def items(self):  # type: ignore[no-untyped-def]
            touched.append("sweep")
            return super().items()

        def get(self, key, default=None):  # type: ignore[no-untyped-def]
            touched.append(key)
            return super().get(key, default)

    windows._windows = Watched(windows._windows)  # type: ignore[assignment]
    for _ in range(100):
        assert await windows.hit(item, "7")
    assert set(touched) == {(item, ("7",))}
    assert threading.active_count() == threads
    assert asyncio.get_running_loop()._default_executor is None  # type: ignore[attr-defined]


async def test_a_connections_limits_go_with_it(server: TestServer, join: PeerFactory) -> None:
    """Limits per connection are dropped when it ends, not left for the sweep: a server
    with connections coming and going holds windows for the live ones only."""
    ann = await join("ann")
    await ann.next("ROOM_STATE")
    assert (await ann.call("TIME", {"client_time": 1.0}))["ok"]
    assert (await ann.call("PAUSE"))["ok"]
    assert server.app is not None
    limits = server.app[SOCKETIO].namespace_handlers["/rooms"]._limits
    windows = [limits.events._limiter, limits.pings._limiter]
    assert [len(w) for w in windows] == [1, 1]
    await ann.close()
    for _ in range(100):
        if not any(len(w) for w in windows):
            break
        await asyncio.sleep(0.02)
    assert [len(w) for w in windows] == [0, 0]

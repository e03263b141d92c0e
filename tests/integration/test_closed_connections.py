"""A closed connection is freed when its last reference goes, however it opened and however
it ended: nothing of it waits in a reference cycle for the cycle collector, which runs
rarely here (watchparty.collector). Long-polling first is the official browser client's
default."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.conformance_server import PING_INTERVAL, PING_TIMEOUT, conformance_app
from tests.conftest import PeerFactory, ServerFactory
from tests.cycles import cycles_left
from tests.integration.test_hostile_packets import polling_join
from watchparty.keys import HEARTBEATS, SOCKETIO
from watchparty.realtime.heartbeats import MAX_TICK_SECONDS

# What a connection is made of on the server, from engine.io's socket to its queue.
CONNECTION = {"AsyncSocket", "SlimQueue", "DirectWebSocket", "WebSocketResponse"}


@pytest.fixture
async def server(start_server: ServerFactory) -> TestServer:
    """The app, with the conformance server's short heartbeat (set before anyone connects:
    the handshake tells clients), so that the heartbeat wheel lets go of closed connections
    within the test."""
    server = await start_server()
    engine = server.app[SOCKETIO].eio
    engine.ping_interval, engine.ping_timeout = PING_INTERVAL, PING_TIMEOUT
    return server


class Watched:
    """The engine's connections, each seen while it was open, and whether any is still alive
    once every one has closed."""

    def __init__(self, sockets: dict[str, Any]) -> None:
        self.sockets = sockets
        self.seen: weakref.WeakSet[Any] = weakref.WeakSet()
        self.sids: set[str] = set()

    def look(self) -> int:
        """How many have been seen open, so far."""
        self.seen.update(self.sockets.values())
        self.sids.update(self.sockets)
        return len(self.sids)

    async def all_closed(self) -> None:
        """Once all have closed and are forgotten, and the heartbeat wheel, which holds each
        until its next PING was due, is past them."""
        async with asyncio.timeout(5):
            while self.sockets:  # noqa: ASYNC110 (nothing to wait on)
                await asyncio.sleep(0.02)
        await asyncio.sleep(2 * (PING_INTERVAL + PING_TIMEOUT) + MAX_TICK_SECONDS)


async def test_clients_that_poll_and_leave_leave_no_cycle(
    server: TestServer, join: PeerFactory
) -> None:
    watched = Watched(server.app[SOCKETIO].eio.sockets)
    with cycles_left() as left:
        for n, transport in enumerate((["polling"], ["polling", "websocket"]) * 2):
            peer = await join(f"p{n}", transport=transport)
            await peer.next("ROOM_STATE")
            assert (await peer.call("SEEK", {"timestamp": n}))["ok"]
            assert watched.look() == n + 1
            await peer.close()
        await watched.all_closed()
    assert sorted(left & CONNECTION) == []
    assert len(watched.seen) == 0  # nothing else holds them either


async def test_a_polling_client_closed_for_a_bad_body_leaves_no_cycle(
    server: TestServer, base_url: str, room_id: str
) -> None:
    watched = Watched(server.app[SOCKETIO].eio.sockets)
    with cycles_left() as left:
        async with aiohttp.ClientSession() as http:
            _, url = await polling_join(http, base_url, room_id)
            assert watched.look() == 1
            async with http.post(url, data=b"\xff\xfe") as response:
                assert response.status == 400
        await watched.all_closed()
    assert sorted(left & CONNECTION) == []
    assert len(watched.seen) == 0


async def test_a_polling_client_that_vanishes_leaves_no_cycle(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
) -> None:
    """It stops polling: its PING goes unanswered and the heartbeat closes it."""
    app = conformance_app(ours=True)
    server = await aiohttp_server(app)
    watched = Watched(app[HEARTBEATS]._engine.sockets)
    with cycles_left() as left:
        async with aiohttp.ClientSession() as http:
            for _ in range(3):
                url = server.make_url("/socket.io/?EIO=4&transport=polling")
                async with http.get(url) as response:
                    assert (await response.text()).startswith("0{")
        assert watched.look() == 3
        await asyncio.sleep(PING_INTERVAL + PING_TIMEOUT + MAX_TICK_SECONDS)  # unanswered
        await watched.all_closed()
    assert sorted(left & CONNECTION) == []
    assert len(watched.seen) == 0

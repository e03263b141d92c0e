"""One timer sends every connection's PING (watchparty.realtime.heartbeats), on the
conformance server's 300 ms interval: clients stay, silent ones go, no task per connection."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.conformance_server import PING_INTERVAL, PING_TIMEOUT, conformance_app
from tests.cycles import cycles_left
from watchparty.keys import HEARTBEATS


def _ping_tasks() -> list[asyncio.Task[object]]:
    """engine.io's own per-connection PING tasks (its ``_send_ping``)."""
    return [t for t in asyncio.all_tasks() if "_send_ping" in repr(t.get_coro())]


async def _answer_pings(ws: aiohttp.ClientWebSocketResponse, seconds: float) -> int:
    """Answer every PING for ``seconds``; how many came."""
    pings = 0
    loop = asyncio.get_running_loop()
    until = loop.time() + seconds
    while (left := until - loop.time()) > 0:
        try:
            message = await asyncio.wait_for(ws.receive_str(), left)
        except TimeoutError:
            break
        if message == "2":
            pings += 1
            await ws.send_str("3")
    return pings


async def test_clients_answering_pings_stay_and_no_task_is_left_per_connection(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
) -> None:
    app = conformance_app(ours=True)
    server = await aiohttp_server(app)
    url = str(server.make_url("/socket.io/?EIO=4&transport=websocket"))
    async with aiohttp.ClientSession() as http:
        sockets = [await http.ws_connect(url) for _ in range(5)]
        for ws in sockets:
            assert (await ws.receive_str()).startswith("0{")
        counts = await asyncio.gather(*(_answer_pings(ws, PING_INTERVAL * 8) for ws in sockets))
        assert all(count >= 6 for count in counts), counts  # a PING every interval, each
        assert not any(ws.closed for ws in sockets)
        assert _ping_tasks() == []  # none of engine.io's per-connection tasks
        heartbeats = app[HEARTBEATS]
        assert heartbeats.sent >= sum(counts)
        assert heartbeats.written >= sum(counts) - len(sockets)  # straight to the transport
        for ws in sockets:
            await ws.close()


async def test_a_client_that_stops_answering_is_closed(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
) -> None:
    app = conformance_app(ours=True)
    server = await aiohttp_server(app)
    engine = app[HEARTBEATS]._engine
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(server.make_url("/socket.io/?EIO=4&transport=websocket"))
        opened = await ws.receive_str()
        assert opened.startswith("0{")
        pings = 0
        async with asyncio.timeout(PING_INTERVAL * 6):
            while pings < 3:  # answered: the cycle goes on
                if await ws.receive_str() == "2":
                    pings += 1
                    await ws.send_str("3")
        async with asyncio.timeout(PING_INTERVAL + PING_TIMEOUT + 2):
            while True:  # not answered: engine.io closes it
                message = await ws.receive()
                if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                    break
        assert ws.closed or message.type == aiohttp.WSMsgType.CLOSE
    async with asyncio.timeout(2):
        while engine.sockets:  # and forgotten  # noqa: ASYNC110 (nothing to wait on)
            await asyncio.sleep(0.05)
    assert engine.service_task_handle is None  # engine.io's own walk over every socket


async def test_a_closed_connection_leaves_no_cycle_through_its_heartbeat(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
) -> None:
    """Once the wheel has let go of a closed connection, refcounting frees its engine.io
    socket: the hook that schedules its PINGs must not keep it in a reference cycle."""
    app = conformance_app(ours=True)
    server = await aiohttp_server(app)
    engine = app[HEARTBEATS]._engine
    url = server.make_url("/socket.io/?EIO=4&transport=websocket")
    with cycles_left() as left:
        async with aiohttp.ClientSession() as http:
            sockets = [await http.ws_connect(url) for _ in range(3)]
            for ws in sockets:
                assert (await ws.receive_str()).startswith("0{")
            await asyncio.gather(*(_answer_pings(ws, PING_INTERVAL * 2) for ws in sockets))
            for ws in sockets:
                await ws.close()
        async with asyncio.timeout(2):
            while engine.sockets:  # noqa: ASYNC110 (nothing to wait on)
                await asyncio.sleep(0.05)
        await asyncio.sleep(2 * (PING_INTERVAL + PING_TIMEOUT))  # past every PING and check
    assert "AsyncSocket" not in left

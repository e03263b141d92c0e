"""Connections served without engine.io's writer task (watchparty.realtime.websocket): a
websocket from the start is written as packets are queued; one upgraded from long-polling
keeps engine.io's writer; both get every message, in order."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import socketio
from aiohttp.test_utils import TestServer

from tests.conftest import PeerFactory
from tests.peers import NAMESPACE
from watchparty.keys import SOCKETIO
from watchparty.realtime.slim_queue import SlimQueue
from watchparty.realtime.websocket import DIRECT, DirectWebSocket


def writer_tasks() -> list[asyncio.Task[Any]]:
    """engine.io's per-connection writer tasks (AsyncSocket._websocket_handler's ``writer``)."""
    return [
        task
        for task in asyncio.all_tasks()
        if task.get_coro().__qualname__.endswith("_websocket_handler.<locals>.writer")  # type: ignore[union-attr]
    ]


async def test_websockets_are_written_as_queued_and_upgrades_keep_their_writer(
    server: TestServer, join: PeerFactory, base_url: str, room_id: str
) -> None:
    assert server.app is not None
    engine = server.app[SOCKETIO].eio
    ann = await join("ann")
    await ann.next("ROOM_STATE")
    bob = socketio.AsyncClient(reconnection=False)
    seen: list[float] = []
    bob.on("SEEK", lambda data: seen.append(data["state"]["position"]), namespace=NAMESPACE)
    await bob.connect(
        base_url,
        namespaces=[NAMESPACE],
        auth={"room": room_id, "name": "bob"},
        transports=["polling", "websocket"],
        wait_timeout=5,
    )
    try:
        for _ in range(250):
            if bob.transport() == "websocket" and len(writer_tasks()) == 1:
                break
            await asyncio.sleep(0.02)
        assert bob.transport() == "websocket"
        sockets = list(engine.sockets.values())
        assert len(sockets) == 2
        served = [s for s in sockets if isinstance(s.queue, SlimQueue) and s.queue.sink]
        assert len(served) == 1  # ann's: written as queued
        assert isinstance(served[0].__dict__.get(DIRECT), DirectWebSocket)
        assert len(writer_tasks()) == 1  # bob's, upgraded from long-polling
        for position in range(1, 31):
            ack = await ann.call("SEEK", {"timestamp": position})
            assert ack["ok"], ack
        time = await ann.call("TIME", {"client_time": 1.0})
        assert time["ok"], time
        for _ in range(250):
            if len(seen) == 30:
                break
            await asyncio.sleep(0.02)
        assert seen == list(range(1, 31))
        assert all(s.queue.qsize() == 0 for s in sockets)
    finally:
        await bob.disconnect()


async def test_a_message_that_is_no_engine_io_packet_closes_only_its_connection(
    join: PeerFactory, base_url: str, server: TestServer
) -> None:
    ann = await join("ann")
    await ann.next("ROOM_STATE")
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{base_url}/socket.io/?EIO=4&transport=websocket")
        assert (await ws.receive_str()).startswith("0")
        await ws.send_str("")  # no packet type at all
        closed = await ws.receive(timeout=5)
        assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert server.app is not None
    sockets = server.app[SOCKETIO].eio.sockets
    for _ in range(100):
        if len(sockets) == 1:
            break
        await asyncio.sleep(0.02)
    assert len(sockets) == 1  # the stranger's socket is gone, ann's stays
    ack = await ann.call("SEEK", {"timestamp": 7})
    assert ack["ok"], ack

"""Packets no client of ours sends: binary data, and the default namespace (the review's
findings 2 and 9). Each closes or refuses that connection only, with one log line."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from tests.conftest import PeerFactory, ServerFactory
from tests.integration.test_fuzz import raw_socket
from tests.peers import NAMESPACE
from watchparty.keys import SOCKETIO
from watchparty.realtime.heartbeats import MAX_TICK_SECONDS


async def handshake(http: aiohttp.ClientSession, base_url: str) -> Any:
    ws = await http.ws_connect(f"{base_url}/socket.io/?EIO=4&transport=websocket")
    assert (await ws.receive_str()).startswith("0")
    return ws


async def polling_join(http: aiohttp.ClientSession, base_url: str, room_id: str) -> tuple[str, str]:
    """A long-polling connection, by hand, that joins the room: its sid and its URL."""
    async with http.get(f"{base_url}/socket.io/?EIO=4&transport=polling") as response:
        sid = json.loads((await response.text())[1:])["sid"]
    url = f"{base_url}/socket.io/?EIO=4&transport=polling&sid={sid}"
    hello = f"40{NAMESPACE}," + json.dumps({"room": room_id, "name": "poller"})
    async with http.post(url, data=hello.encode()) as response:
        assert response.status == 200
    return sid, url


async def closed(ws: Any) -> bool:
    """Whether the server closes this websocket (its CLOSE packet, or the socket) within 5 s."""
    try:
        async with asyncio.timeout(5):
            while True:
                message = await ws.receive()
                if message.data == "1" or message.type in (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.CLOSED,
                ):
                    return True
    except TimeoutError:
        return False


@pytest.mark.parametrize(
    "announce",
    [
        f'459999999999-{NAMESPACE},["PLAY",{{"_placeholder":true,"num":0}}]',
        f'451-{NAMESPACE},1["PLAY",{{"_placeholder":true,"num":0}}]',
        f'461-{NAMESPACE},1[{{"_placeholder":true,"num":0}}]',
    ],
    ids=["huge-count", "one-attachment", "binary-ack"],
)
async def test_announced_binary_attachments_close_the_connection_at_once(
    server: TestServer,
    base_url: str,
    room_id: str,
    join: PeerFactory,
    http: aiohttp.ClientSession,
    announce: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ann = await join("ann")
    with caplog.at_level(logging.INFO):
        ws = await raw_socket(http, base_url, room_id)
        await ws.send_str(announce)
        for _ in range(3):  # what would have piled up
            if ws.closed:
                break
            await ws.send_bytes(b"\x00" * 256 * 1024)
        assert await closed(ws)
    assert server.app[SOCKETIO]._binary_packet == {}  # nothing held for it
    assert (await ann.call("SEEK", {"timestamp": 2}))["ok"]  # the room goes on
    lines = [r for r in caplog.records if "binary" in r.getMessage()]
    assert len(lines) == 1
    assert lines[0].exc_info is None
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_binary_frame_closes_the_connection(
    base_url: str, room_id: str, http: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        ws = await raw_socket(http, base_url, room_id)
        await ws.send_bytes(b"\x04binary")
        assert await closed(ws)
    assert sum("sent a binary frame" in r.getMessage() for r in caplog.records) == 1


async def test_the_default_namespace_is_refused(base_url: str, http: aiohttp.ClientSession) -> None:
    """Only /rooms is served: "/" skipped the connect limit and every check of /rooms."""
    ws = await handshake(http, base_url)
    await ws.send_str("40")
    answer = await ws.receive_str()
    assert answer.startswith("44"), answer  # CONNECT_ERROR, not CONNECT
    await ws.close()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"\x1e\x1e", 400),
        (b"4" + b"[" * 100_000, 400),
        (b"\xff\xfe", 400),
        (b"x" * 10, 400),
        (b"bnot base64!", 400),
        # Engine.IO packets that decode, refused as Socket.IO packets of ours: the POST
        # itself was fine; the connection closes at once (it waited for a poll before).
        (b'42/rooms,1["PLAY"', 200),
        (b"bBAQE=", 200),
    ],
    ids=["empty-packets", "deep-json", "not-utf8", "bad-type", "bad-base64", "cut-short", "binary"],
)
async def test_malformed_polling_bodies_are_refused(
    server: TestServer,
    base_url: str,
    room_id: str,
    http: aiohttp.ClientSession,
    body: bytes,
    status: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A long-polling POST body that does not decode: 400, that connection closed, one log
    line and no traceback (python-engineio answered 200 after an ERROR traceback)."""
    sid, url = await polling_join(http, base_url, room_id)
    with caplog.at_level(logging.INFO):
        async with asyncio.timeout(5), http.post(url, data=body) as response:
            assert response.status == status
    socket = server.app[SOCKETIO].eio.sockets.get(sid)
    assert socket is None or socket.closed  # that session is gone
    assert sum("closing connection" in r.getMessage() for r in caplog.records) == 1
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert [r for r in caplog.records if r.exc_info] == []


async def test_a_closed_connection_whose_client_holds_on_is_ended_by_the_heartbeat(
    start_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    """Closed for a packet that does not parse, a connection whose client ignores the CLOSE
    packet and keeps its websocket open loses it at its next heartbeat (websockets are read
    without a timeout of their own, realtime.websocket)."""
    server = await start_server()
    engine = server.app[SOCKETIO].eio
    engine.ping_interval = 1.0
    base_url = str(server.make_url("")).rstrip("/")
    async with http.post(f"{base_url}/api/rooms") as response:
        room_id = (await response.json())["id"]
    ws = await raw_socket(http, base_url, room_id)
    await ws.send_str(f"42{NAMESPACE},[")  # cut short
    async with asyncio.timeout(engine.ping_interval + 2 * MAX_TICK_SECONDS + 1):
        while (message := await ws.receive()).type == aiohttp.WSMsgType.TEXT:
            assert message.data == "1" or message.data.startswith("42"), message.data
    assert message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    async with asyncio.timeout(2):
        while engine.sockets:  # noqa: ASYNC110 (nothing to wait on)
            await asyncio.sleep(0.02)

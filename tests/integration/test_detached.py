"""A websocket detached from the HTTP request that opened it (watchparty.realtime.detached):
the request and aiohttp's handler of the connection are freed, and the connection still
answers control frames, closes on bad frames with their codes, and keeps what the
``/rooms`` namespace needs of the handshake (watchparty.realtime.handshake)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import struct
from base64 import b64encode
from collections.abc import Iterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.conftest import PeerFactory, ServerFactory
from tests.integration.test_limits import new_room, url_of
from tests.integration.test_room_auth import connect_refusal
from tests.peers import Peer
from watchparty.addresses import parse_networks
from watchparty.keys import SOCKETIO
from watchparty.realtime.detached import DetachedConnection
from watchparty.realtime.websocket import DIRECT

ENGINE_IO = "/socket.io/?EIO=4&transport=websocket"


@pytest.fixture
def no_cycle_collection() -> Iterator[None]:
    """What is freed here must be freed by reference counts alone."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def socket_requests() -> list[web.BaseRequest]:
    return [
        obj
        for obj in gc.get_objects()
        if isinstance(obj, web.BaseRequest) and obj.path.startswith("/socket.io/")
    ]


async def test_an_open_websocket_keeps_nothing_of_its_request(
    server: TestServer, join: PeerFactory, no_cycle_collection: None
) -> None:
    ann = await join("ann")
    bob = await join("bob")
    await bob.next("ROOM_STATE")
    assert server.app is not None
    sockets = list(server.app[SOCKETIO].eio.sockets.values())
    assert len(sockets) == 2
    connections = [socket.__dict__[DIRECT].connection for socket in sockets]
    for connection in connections:
        assert isinstance(connection, DetachedConnection)
    assert server.runner is not None
    handlers = server.runner.server._connections  # type: ignore[union-attr]  # aiohttp's
    websockets = {connection.transport for connection in connections}

    def held() -> list[object]:
        """aiohttp's handlers of connections that are now websockets."""
        return [handler for handler, transport in handlers.items() if transport in websockets]

    for _ in range(50):  # the requests end in the turns after their handshakes
        if not socket_requests() and not held():
            break
        await asyncio.sleep(0.02)
    assert socket_requests() == []
    assert held() == []  # aiohttp forgot both connections, as closed ones
    # ... and they still work, both ways.
    await ann.call("SEEK", {"timestamp": 7})
    assert (await bob.next("SEEK"))["state"]["position"] == 7


async def test_control_frames_are_answered_and_a_close_ends_the_connection(
    server: TestServer, base_url: str
) -> None:
    assert server.app is not None
    sockets = server.app[SOCKETIO].eio.sockets
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{base_url}{ENGINE_IO}", autoping=False)
        assert (await ws.receive_str()).startswith("0")  # engine.io's OPEN
        await ws.ping(b"are you there")
        pong = await ws.receive(timeout=5)
        assert (pong.type, pong.data) == (aiohttp.WSMsgType.PONG, b"are you there")
        await ws.send_str("40/rooms,")  # still reading messages: no auth, refused
        refused = await ws.receive_str(timeout=5)
        assert refused.startswith("44/rooms,")
        assert len(sockets) == 1
        await ws.close()
        assert ws.close_code == 1000  # answered with a CLOSE of its own
    for _ in range(100):
        if not sockets:
            break
        await asyncio.sleep(0.02)
    assert sockets == {}


async def raw_websocket(base_url: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A websocket opened by hand, to send what no client library sends."""
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    key = b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET {ENGINE_IO} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101")
    return reader, writer


def masked(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    size = len(payload)
    length = bytes([0x80 | size]) if size < 126 else bytes([0x80 | 126]) + struct.pack("!H", size)
    return bytes([(0x80 if fin else 0) | opcode]) + length + mask + body


async def close_code_of(reader: asyncio.StreamReader) -> int:
    """Read frames up to the server's CLOSE; its code. The connection then ends."""
    while True:
        first, second = await asyncio.wait_for(reader.readexactly(2), 5)
        size = second & 0x7F
        if size == 126:
            (size,) = struct.unpack("!H", await reader.readexactly(2))
        payload = await reader.readexactly(size)
        if first & 0x0F == 0x8:
            (code,) = struct.unpack("!H", payload[:2])
            assert await asyncio.wait_for(reader.read(), 5) == b""  # and the connection ends
            return int(code)


@pytest.mark.parametrize(
    ("frames", "code"),
    [
        ([masked(0x3, b"")], 1002),  # a reserved opcode: a protocol error
        ([masked(0x9, b"x" * 126)], 1002),  # a control frame over 125 bytes
        ([masked(0x1, b"\xff\xfe")], 1007),  # text that is not UTF-8
        ([masked(0x1, b"4", fin=False), masked(0x1, b"2")], 1002),  # a new message mid-message
    ],
)
async def test_a_frame_the_parser_refuses_closes_with_its_code(
    server: TestServer, base_url: str, frames: list[bytes], code: int
) -> None:
    assert server.app is not None
    sockets = server.app[SOCKETIO].eio.sockets
    reader, writer = await raw_websocket(base_url)
    try:
        writer.write(b"".join(frames))
        assert await close_code_of(reader) == code
    finally:
        writer.close()
    for _ in range(100):
        if not sockets:
            break
        await asyncio.sleep(0.02)
    assert sockets == {}


async def test_a_message_over_the_limit_closes_with_1009(
    start_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    base_url = url_of(await start_server(socketio_max_payload=1024))
    reader, writer = await raw_websocket(base_url)
    try:
        writer.write(masked(0x1, b"4" + b"x" * 2000))
        assert await close_code_of(reader) == 1009
    finally:
        writer.close()


async def test_connections_per_address_behind_a_trusted_proxy(
    start_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    """The handshake's address, kept without its request, is the one the connect limit
    counts: the client X-Forwarded-For names behind a trusted proxy."""
    server = await start_server(
        connect_rate_limit="2/minute", trusted_proxies=parse_networks("127.0.0.1")
    )
    base_url = url_of(server)
    room = await new_room(http, base_url)
    first = {"X-Forwarded-For": "203.0.113.7"}
    peers = [Peer("p0"), Peer("p1"), Peer("other")]
    try:
        for peer in peers[:2]:
            await peer.connect(base_url, {"room": room, "name": peer.name}, headers=first)
        refusal = await connect_refusal(base_url, {"room": room, "name": "p2"}, headers=first)
        assert refusal["data"]["code"] == "rate_limited"
        other = {"X-Forwarded-For": "198.51.100.9"}
        await peers[2].connect(base_url, {"room": room, "name": "other"}, headers=other)
        assert (await peers[2].next("ROOM_STATE"))["you"]["name"] == "other"
    finally:
        for peer in peers:
            await peer.close()


async def test_what_a_client_sent_before_its_connection_dropped_is_still_handled(
    start_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    """Messages read before the connection ended are handled, as aiohttp's own reading
    hands them over before the end: a burst of commands right before a client goes is not
    cut short (one message is read a turn, so the end arrives while most still wait)."""
    base_url = url_of(await start_server(event_rate_limit="100000/second"))
    room = await new_room(http, base_url)
    bob = Peer("bob")
    try:
        await bob.connect(base_url, {"room": room, "name": "bob"})
        await bob.next("ROOM_STATE")
        reader, writer = await raw_websocket(base_url)
        auth = json.dumps({"room": room, "name": "raw"})
        writer.write(masked(0x1, f"40/rooms,{auth}".encode()))
        seen = b""
        while b"ROOM_STATE" not in seen:  # joined
            seen += await asyncio.wait_for(reader.read(65536), 5)
        seeks = [f'42/rooms,["SEEK",{{"timestamp":{t}}}]'.encode() for t in range(1, 101)]
        writer.write(b"".join(masked(0x1, seek) for seek in seeks))
        writer.close()  # no CLOSE frame: the connection just ends, right behind them
        positions: list[float] = []
        with contextlib.suppress(TimeoutError):
            while len(positions) < 100:
                positions.append((await bob.next("SEEK", within=2))["state"]["position"])
        # In order, and all of them but the last one or two: python-socketio handles each
        # event in a task of its own, so the last may still be under way when the end of the
        # connection makes the client leave the room (its command then refused, unacked).
        # Dropping what was read when the end arrived kept only the first one or two.
        assert positions == list(range(1, len(positions) + 1))
        assert len(positions) >= 98
    finally:
        await bob.close()

"""The direct room fan-out (watchparty.realtime.fanout): what it relies on, that every
connection still gets its messages in order, that compression is a setting, and that a
connection which stops reading is closed without holding its room back."""

from __future__ import annotations

import asyncio
import json
import socket

import aiohttp
import engineio
import pytest
from aiohttp.test_utils import TestServer
from engineio.async_drivers import aiohttp as engineio_aiohttp

from tests.conftest import PeerFactory, ServerFactory
from tests.cycles import cycles_left
from tests.peers import NAMESPACE, Peer
from watchparty.keys import SOCKETIO
from watchparty.realtime.detached import DetachedConnection
from watchparty.realtime.fanout import MAX_GATHER_SECONDS, FanoutManager
from watchparty.realtime.slim_queue import SlimQueue
from watchparty.realtime.websocket import DIRECT, DirectWebSocket, text_frame


def manager_of(server: TestServer) -> FanoutManager:
    assert server.app is not None
    manager = server.app[SOCKETIO].manager
    assert isinstance(manager, FanoutManager)
    return manager


async def test_the_engine_internals_this_relies_on(server: TestServer, join: PeerFactory) -> None:
    """Fails first if python-engineio or python-socketio change what the fan-out uses."""
    assert issubclass(DirectWebSocket, engineio_aiohttp.WebSocket)
    assert server.app is not None
    engine = server.app[SOCKETIO].eio
    assert engine._async["websocket"] is DirectWebSocket
    ann = await join("ann")
    bob = await join("bob")
    await bob.next("ROOM_STATE")
    sockets = list(engine.sockets.values())
    assert len(sockets) == 2
    for sock in sockets:
        assert isinstance(sock, engineio.async_socket.AsyncSocket)
        assert isinstance(sock.queue, SlimQueue)  # patches.own_packet_queues
        assert sock.queue._unfinished_tasks == 0  # read by the check
        direct = sock.__dict__.get(DIRECT)
        assert isinstance(direct, DirectWebSocket)
        assert direct.socket is sock  # engineio hands its socket's bound handler over
        assert direct.writable()  # the writer waits in poll(), which the wrapper watches
        # aiohttp's (3.14) queue of messages received and not yet read, which tells the
        # fan-out a client's burst is under way (DirectWebSocket.wait), now read by the
        # connection detached from its request (realtime.detached)
        connection = direct.connection
        assert isinstance(connection, DetachedConnection)
        assert direct.transport is not None
        assert direct.transport.get_protocol() is connection
        assert connection.queue._protocol is connection
        assert len(connection.queue._buffer) == 0
        assert not connection.has_more()
    manager = manager_of(server)
    before = manager.direct_deliveries
    await ann.call("SEEK", {"timestamp": 3})
    assert (await bob.next("SEEK"))["state"]["position"] == 3
    assert manager.direct_deliveries == before + 1  # bob's copy went straight to his socket


async def test_broadcasts_during_a_burst_share_a_write_and_keep_their_order(
    server: TestServer, join: PeerFactory
) -> None:
    """With no burst under way, a broadcast is written at once. While one is (a connection
    with messages unread), three broadcasts to a viewer are gathered and written with one
    system call; and with three more gathered, what engine.io's writer sends that viewer
    still comes after them, and a broadcast after it after that."""
    assert server.app is not None
    sio = server.app[SOCKETIO]
    ann, bob = await join("ann"), await join("bob")
    await bob.next("ROOM_STATE")
    await asyncio.sleep(0.2)  # bob's join told to ann
    room = next(r for r in sio.manager.rooms[NAMESPACE] if r is not None and len(r) == 12)
    manager = manager_of(server)
    sockets = list(sio.eio.sockets.values())
    direct, bobs = (s.__dict__[DIRECT] for s in sockets)  # ann's, bob's
    deliveries, writes = manager.direct_deliveries, manager.direct_writes

    async def say(n: int) -> None:
        await sio.emit("NOTE", {"n": n}, room=room, namespace=NAMESPACE)

    await say(0)  # to ann and bob
    assert not direct.pending
    assert manager.direct_writes - writes == 2  # at once
    manager.backlog.add(bobs)  # as if bob had sent a burst not read yet
    try:
        for n in (1, 2, 3):
            await say(n)
        assert len(direct.pending) == 3
        assert [(await ann.next("NOTE"))["n"] for _ in range(4)] == [0, 1, 2, 3]
        assert manager.direct_deliveries - deliveries == 8
        assert manager.direct_writes - writes == 4  # the three: one write to each

        for n in (6, 7, 8):
            await say(n)
        assert len(direct.pending) == 3
        # What engine.io's writer does with a queued packet, in the same turn: it must not
        # overtake what the fan-out gathered.
        await direct.send(f'42{NAMESPACE},["NOTE",{{"n":9}}]')
        await say(10)
        assert [(await ann.next("NOTE"))["n"] for _ in range(5)] == [6, 7, 8, 9, 10]
    finally:
        manager.backlog.discard(bobs)


def test_text_frames_are_what_rfc_6455_says() -> None:
    assert text_frame(b"hi") == b"\x81\x02hi"
    assert text_frame(b"x" * 200)[:4] == b"\x81\x7e\x00\xc8"
    assert text_frame(b"x" * 70_000)[:10] == b"\x81\x7f" + (70_000).to_bytes(8, "big")


async def test_every_connection_sees_broadcasts_in_version_order(join: PeerFactory) -> None:
    """Acknowledgements go through each connection's queue while broadcasts are written
    directly; two controllers at once, and a long-polling viewer, still see versions rise."""
    ann, bob = await join("ann"), await join("bob")
    viewers = [await join("cat"), await join("dan", transport="polling")]
    for peer in (ann, bob, *viewers):
        await peer.next("ROOM_STATE")

    async def fire(peer: Peer, base: float) -> list[int]:
        acks = await asyncio.gather(
            *(peer.call("SEEK", {"timestamp": base + i}) for i in range(60))
        )
        return [a["state"]["version"] for a in acks]

    await asyncio.gather(fire(ann, 0), fire(bob, 1000))
    await asyncio.sleep(0.5)
    for peer, expected in ((ann, 60), (bob, 60), (viewers[0], 120), (viewers[1], 120)):
        versions = [d["state"]["version"] for n, d in peer.drain() if n == "SEEK"]
        assert versions == sorted(set(versions))  # rising, no repeats
        assert len(versions) == expected  # viewers all 120; each controller the other's 60


async def test_a_room_state_snapshot_is_never_overtaken(join: PeerFactory) -> None:
    """A joiner's ROOM_STATE and the broadcasts after it arrive in that order."""
    ann = await join("ann")

    async def seek_forever() -> None:
        for i in range(200):
            await ann.call("SEEK", {"timestamp": float(i)})

    seeking = asyncio.ensure_future(seek_forever())
    try:
        for name in ("p1", "p2", "p3", "p4", "p5"):
            peer = await join(name)
            first_name, first = await asyncio.wait_for(peer.events.get(), 5)
            assert first_name == "ROOM_STATE"
            await asyncio.sleep(0.05)
            later = [d["state"]["version"] for n, d in peer.drain() if n == "SEEK"]
            assert all(v > first["state"]["version"] for v in later)
    finally:
        await seeking


@pytest.mark.parametrize("compression", [False, True])
async def test_per_message_deflate_is_a_setting(
    start_server: ServerFactory, compression: bool
) -> None:
    server = await start_server(ws_compression=compression)
    url = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/api/rooms") as response:
            room = (await response.json())["id"]
        # aiohttp's client offers permessage-deflate, as browsers do.
        ws = await http.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket", compress=15)
        extensions = ws._response.headers.get("Sec-WebSocket-Extensions", "")
        assert ("permessage-deflate" in extensions) is compression
        await ws.receive_str()
        await ws.send_str(f"40{NAMESPACE}," + json.dumps({"room": room, "name": "raw"}))
        peer = Peer("ann")
        try:
            await peer.connect(url, {"room": room, "name": "ann"})
            before = manager_of(server).direct_deliveries
            await peer.call("SEEK", {"timestamp": 7})
            seen: list[str] = []
            while not any('"SEEK"' in m for m in seen):
                seen.append(await asyncio.wait_for(ws.receive_str(), 5))
            direct = manager_of(server).direct_deliveries - before
            assert direct == (0 if compression else 1)  # compressed: the library's own path
        finally:
            await peer.close()
            await ws.close()


def masked_text(payload: str) -> bytes:
    """A client's WebSocket text frame (clients must mask; a zero mask keeps it readable)."""
    data = payload.encode()
    assert len(data) < 126
    return bytes((0x81, 0x80 | len(data))) + b"\0\0\0\0" + data


async def stalled_client(server: TestServer, room: str) -> socket.socket:
    """A websocket client that joins the room and then never reads again, with a small
    receive buffer, so what the server sends it piles up on the server's side."""
    return await raw_client(server, room, "slow", receive_buffer=4096)


async def raw_client(
    server: TestServer, room: str, name: str, receive_buffer: int | None = None
) -> socket.socket:
    """A websocket client on a bare socket, joined to the room: its writes are the test's."""
    sock = socket.socket()
    if receive_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.connect(("127.0.0.1", server.port or 0))
    sock.sendall(
        b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    await asyncio.sleep(0.3)
    assert b"101 Switching Protocols" in sock.recv(4096)  # and the engine.io open packet
    auth = json.dumps({"room": room, "name": name})
    sock.sendall(masked_text(f"40{NAMESPACE},{auth}"))
    await asyncio.sleep(0.3)
    return sock


async def test_a_burst_of_commands_reaches_each_viewer_in_a_few_writes(
    server: TestServer, join: PeerFactory, room_id: str
) -> None:
    """Twenty commands that arrive together (one TCP segment) are broadcast together: the
    fan-out holds its frames while the sender's burst is still unread, so the viewer gets
    all twenty, in order, in a few writes instead of one each."""
    ann = await join("ann")
    await ann.next("ROOM_STATE")
    controller = await raw_client(server, room_id, "ctl")
    try:
        await asyncio.sleep(0.2)
        ann.drain()
        manager = manager_of(server)
        deliveries, writes = manager.direct_deliveries, manager.direct_writes
        burst = b"".join(
            masked_text(f'42{NAMESPACE},["SEEK",{{"timestamp":{n}}}]') for n in range(1, 21)
        )
        controller.sendall(burst)
        seen = [(await ann.next("SEEK"))["state"]["position"] for _ in range(20)]
        assert seen == list(range(1, 21))
        assert manager.direct_deliveries - deliveries == 20
        assert manager.direct_writes - writes <= 4
    finally:
        controller.close()


async def test_frames_wait_for_a_backlog_a_bounded_time(
    server: TestServer, join: PeerFactory
) -> None:
    """While some connection has messages unread, gathered frames wait, but only up to
    MAX_GATHER_SECONDS: a connection that never gets round to its backlog holds no one's
    broadcasts for longer."""
    assert server.app is not None
    sio = server.app[SOCKETIO]
    ann, bob, cat = await join("ann"), await join("bob"), await join("cat")
    await cat.next("ROOM_STATE")
    manager = manager_of(server)
    stuck = list(sio.eio.sockets.values())[-1].__dict__[DIRECT]  # cat's, which sends nothing
    manager.backlog.add(stuck)
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await ann.call("SEEK", {"timestamp": 4})
        assert (await bob.next("SEEK"))["state"]["position"] == 4
        assert loop.time() - started >= MAX_GATHER_SECONDS  # it did wait
    finally:
        manager.backlog.discard(stuck)


async def test_a_connection_that_stops_reading_is_closed_and_the_room_goes_on(
    start_server: ServerFactory,
) -> None:
    server = await start_server(slow_client_bytes=64 * 1024)
    url = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/api/rooms") as response:
            room = (await response.json())["id"]
        slow = await stalled_client(server, room)
        ann, bob = Peer("ann"), Peer("bob")
        try:
            await ann.connect(url, {"room": room, "name": "ann"})
            await bob.connect(url, {"room": room, "name": "bob"})
            long_url = "https://cdn.example/" + "x" * 2000
            # A queue near its 64 KiB cap: every state broadcast carries it.
            queue = [{"video_id": f"{long_url}{j}"} for j in range(30)]
            assert (await ann.call("UPDATE_QUEUE", {"queue": queue}))["ok"]
            await bob.next("UPDATE_QUEUE")
            versions = []
            for i in range(100):  # ~60 kB per broadcast: more than the kernel buffers
                ack = await ann.call("SEEK", {"timestamp": i})
                assert ack["ok"], ack
                versions.append(ack["state"]["version"])
            received: list[int] = []
            while len(received) < len(versions):
                received.append((await bob.next("SEEK"))["state"]["version"])
            assert received == versions  # the reader got everything, in order
            assert manager_of(server).dropped >= 1
            assert server.app is not None
            members = server.app[SOCKETIO].manager.rooms[NAMESPACE].get(room)
            assert members is not None
            assert len(members) == 2  # the slow connection was closed and left the room
        finally:
            await ann.close()
            await bob.close()
            slow.close()


async def test_a_closed_connection_is_freed_at_once(
    server: TestServer, base_url: str, room_id: str
) -> None:
    """A connection that closes leaves no reference cycle behind: its request, websocket and
    engine.io socket go when the last reference does, not at the next full garbage
    collection (under churn those took hundreds of milliseconds; DirectWebSocket.wait)."""
    owned = {"Request", "RequestHandler", "WebSocketResponse", "DirectWebSocket", "AsyncSocket"}
    with cycles_left() as left:
        async with aiohttp.ClientSession() as http:
            for n in range(5):
                ws = await http.ws_connect(f"{base_url}/socket.io/?EIO=4&transport=websocket")
                assert (await ws.receive_str()).startswith("0")
                await ws.send_str(
                    f"40{NAMESPACE}," + json.dumps({"room": room_id, "name": f"v{n}"})
                )
                while "ROOM_STATE" not in await ws.receive_str():
                    pass
                await ws.close()
        sockets = server.app[SOCKETIO].eio.sockets
        for _ in range(100):
            if not sockets:
                break
            await asyncio.sleep(0.02)
        assert not sockets
    assert sorted(left & (owned | {"OSError"})) == []

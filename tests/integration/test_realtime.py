"""The ``/rooms`` namespace over real websockets, with python-socketio's ``AsyncClient``."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from tests.conftest import PeerFactory, ServerFactory
from tests.peers import Peer
from watchparty.app import create_app
from watchparty.keys import REGISTRY, SOCKETIO
from watchparty.settings import Settings


async def room_state(http: aiohttp.ClientSession, base_url: str, room_id: str) -> Any:
    async with http.get(f"{base_url}/api/rooms/{room_id}") as response:
        return (await response.json())["state"]


async def test_join_snapshot_and_members(join: PeerFactory, room_id: str) -> None:
    ann = await join("ann")
    snapshot = await ann.next("ROOM_STATE")
    assert snapshot["state"]["room"] == room_id
    assert snapshot["state"]["version"] == 0
    assert [m["name"] for m in snapshot["members"]] == ["ann"]
    assert abs(snapshot["server_time"] - time.time()) < 5

    bob = await join("bob")
    bob_snapshot = await bob.next("ROOM_STATE")
    assert [m["name"] for m in bob_snapshot["members"]] == ["ann", "bob"]
    await ann.members_become(["ann", "bob"])

    await bob.close()
    await ann.members_become(["ann"])


async def test_members_updates_are_coalesced(join: PeerFactory) -> None:
    ann = await join("ann")
    names = [f"p{i}" for i in range(12)]
    await asyncio.gather(*(join(name) for name in names))
    await asyncio.sleep(0.5)
    broadcasts = [data for name, data in ann.drain() if name == "MEMBERS"]
    # Thirteen joins cost a few broadcasts, not one each, and each says only what changed.
    assert 1 <= len(broadcasts) < len(names) // 2
    joined = [m["name"] for b in broadcasts for m in b["joined"]]
    assert sorted(joined) == sorted(["ann", *names])  # each joiner announced once
    assert broadcasts[-1]["count"] == 13
    assert {m["name"] for m in ann.members} == {"ann", *names}


async def test_members_updates_carry_changes_not_the_whole_list(join: PeerFactory) -> None:
    ann = await join("ann")
    assert [m["name"] for m in (await ann.next("MEMBERS"))["joined"]] == ["ann"]
    bob = await join("bob")
    delta = await ann.next("MEMBERS")
    assert [m["name"] for m in delta["joined"]] == ["bob"]
    assert (delta["left"], delta["changed"], delta["count"]) == ([], [], 2)
    bob_id = delta["joined"][0]["id"]
    await bob.close()
    delta = await ann.next("MEMBERS")
    assert (delta["joined"], delta["left"], delta["count"]) == ([], [bob_id], 1)


async def test_a_large_room_tells_its_count_and_lists_on_request(
    start_server: ServerFactory,
) -> None:
    """Beyond WATCHPARTY_MEMBER_LIST_MAX members (2 here) nobody is told who joined or left,
    only the count; MEMBER_LIST answers with the list, and when the room is back within the
    limit the next MEMBERS carries the whole list once."""
    server = await start_server(member_list_max=2)
    url = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http, http.post(f"{url}/api/rooms", json={}) as r:
        room = (await r.json())["id"]
    peers = {name: Peer(name) for name in ("ann", "bob", "cat")}
    try:
        for name in ("ann", "bob"):
            await peers[name].connect(url, {"room": room, "name": name})
        ann, bob, cat = peers["ann"], peers["bob"], peers["cat"]
        snapshot = await bob.next("ROOM_STATE")
        assert (snapshot["listed"], snapshot["count"]) == (True, 2)
        assert [m["name"] for m in snapshot["members"]] == ["ann", "bob"]
        await ann.members_become(["ann", "bob"])

        await cat.connect(url, {"room": room, "name": "cat"})
        snapshot = await cat.next("ROOM_STATE")
        assert (snapshot["listed"], snapshot["members"], snapshot["count"]) == (False, [], 3)
        assert snapshot["you"]["name"] == "cat"
        delta = await ann.next("MEMBERS")
        assert delta == {"joined": [], "left": [], "changed": [], "count": 3, "listed": False}

        ack = await cat.call("MEMBER_LIST", {})
        assert ack["ok"] is True
        assert ([m["name"] for m in ack["members"]], ack["count"]) == (["ann", "bob", "cat"], 3)

        await cat.close()
        delta = await ann.next("MEMBERS")
        assert (delta["listed"], delta["count"]) == (True, 2)
        assert [m["name"] for m in delta["members"]] == ["ann", "bob"]
        assert [m["name"] for m in ann.members] == ["ann", "bob"]
        await bob.close()  # back within the limit: changes again, the whole list not again
        delta = await ann.next("MEMBERS")
        assert "members" not in delta
        assert (delta["listed"], delta["count"], len(delta["left"])) == (True, 1, 1)
    finally:
        for peer in peers.values():
            await peer.close()


async def test_every_command_is_acked_and_broadcast_to_the_others(join: PeerFactory) -> None:
    ann, bob = await join("ann"), await join("bob")
    await ann.next("ROOM_STATE")
    await bob.next("ROOM_STATE")

    script: list[tuple[str, dict[str, Any]]] = [
        ("CHANGE_VIDEO", {"video_id": "dQw4w9WgXcQ"}),
        ("PLAY", {}),
        ("SEEK", {"timestamp": 42.5}),
        ("PAUSE", {}),
        (
            "UPDATE_QUEUE",
            {
                "queue": [
                    {"video_id": "abc--------", "title": "Next up"},
                    {"video_id": "def--------"},
                ]
            },
        ),
    ]
    for version, (event, payload) in enumerate(script, start=1):
        ack = await ann.call(event, payload)
        assert ack["ok"] is True, ack
        assert ack["state"]["version"] == version
        message = await bob.next(event)
        assert message["state"] == ack["state"]
        assert message["by"] == "ann"
        assert isinstance(message["server_time"], float)

    final = ack["state"]
    assert final["video_id"] == "dQw4w9WgXcQ"
    assert final["playing"] is False
    assert 42.5 <= final["position"] < 44
    assert [(i["video_id"], i["title"]) for i in final["queue"]] == [
        ("abc--------", "Next up"),
        ("def--------", None),
    ]
    assert all(i["id"] for i in final["queue"])
    # The sender gets its answer through the ack, never as a broadcast echo.
    await asyncio.sleep(0.1)
    assert [name for name, _ in ann.drain() if name in dict(script)] == []


async def test_play_without_a_video_is_refused(join: PeerFactory) -> None:
    ann = await join("ann")
    ack = await ann.call("PLAY", {})
    assert ack == {
        "ok": False,
        "error": {"code": "no_video", "message": "choose a video before pressing play"},
    }


async def test_time_ping(join: PeerFactory) -> None:
    ann = await join("ann")
    before = time.time()
    ack = await ann.call("TIME", {"client_time": 123.25})
    assert ack["ok"] is True
    assert ack["client_time"] == 123.25
    assert before <= ack["server_time"] <= time.time()
    assert (await ann.call("TIME", {"client_time": "now"}))["error"]["code"] == "invalid_payload"


async def test_clock_pings_are_answered_without_a_task(
    server: TestServer, join: PeerFactory
) -> None:
    """TIME runs in the task that read it (realtime.patches.handle_inline, for what the
    websocket's own answer leaves to the libraries: here, long-polling); other events still
    get a task each, so a slow command does not hold the connection's next messages."""
    ann = await join("ann", transport="polling")
    await ann.next("ROOM_STATE")
    sio = server.app[SOCKETIO]
    started: list[str] = []
    start = sio.start_background_task

    def counting(target: Any, *args: Any, **kwargs: Any) -> Any:
        started.append(target.__name__)
        return start(target, *args, **kwargs)

    sio.start_background_task = counting
    try:
        for n in range(3):
            assert (await ann.call("TIME", {"client_time": float(n)}))["client_time"] == n
        assert (await ann.call("TIME", [1]))["error"]["code"] == "invalid_payload"
        assert started == []
        assert (await ann.call("SEEK", {"timestamp": 1.0}))["ok"] is True
        assert len(started) == 1  # its own task
    finally:
        del sio.start_background_task


async def test_an_event_is_parsed_once(server: TestServer, join: PeerFactory) -> None:
    """The malformed-packet guard hands an event on as it parsed it
    (realtime.patches.close_on_malformed_packets): a command is decoded once, not twice."""
    ann = await join("ann")
    await ann.next("ROOM_STATE")
    sio = server.app[SOCKETIO]
    decoded: list[str] = []
    packet_class = sio.packet_class

    class Counting(packet_class):  # type: ignore[misc,valid-type]
        def decode(self, encoded_packet: Any) -> Any:
            decoded.append(encoded_packet)
            return super().decode(encoded_packet)

    sio.packet_class = Counting
    try:
        assert (await ann.call("SEEK", {"timestamp": 2.5}))["ok"] is True
    finally:
        sio.packet_class = packet_class
    assert len(decoded) == 1
    assert '"SEEK"' in decoded[0]


async def test_stale_version_race_ends_in_one_state(
    join: PeerFactory, http: aiohttp.ClientSession, base_url: str, room_id: str
) -> None:
    ann, bob = await join("ann"), await join("bob")
    base = (await ann.call("CHANGE_VIDEO", {"video_id": "v----------"}))["state"]["version"]
    await bob.next("CHANGE_VIDEO")
    ack_a, ack_b = await asyncio.gather(
        ann.call("PLAY", {"version": base}), bob.call("PAUSE", {"version": base})
    )
    winners = [ack for ack in (ack_a, ack_b) if ack["ok"]]
    losers = [ack for ack in (ack_a, ack_b) if not ack["ok"]]
    assert len(winners) == 1
    assert len(losers) == 1
    assert losers[0]["error"]["code"] == "stale_version"
    # The loser is told the state it lost to, and that is the room's state for everyone.
    assert losers[0]["state"] == winners[0]["state"]
    assert await room_state(http, base_url, room_id) == winners[0]["state"]
    winner, loser = (ann, bob) if ack_a["ok"] else (bob, ann)
    event = "PLAY" if winner is ann else "PAUSE"
    assert (await loser.next(event))["state"] == winners[0]["state"]


async def test_concurrent_commands_reach_everyone_in_version_order(
    join: PeerFactory, http: aiohttp.ClientSession, base_url: str, room_id: str
) -> None:
    senders = [await join(f"s{i}") for i in range(3)]
    watcher = await join("watcher")
    await watcher.next("ROOM_STATE")
    calls = [
        s.call("SEEK", {"timestamp": float(i * 10 + k)})
        for k in range(20)
        for i, s in enumerate(senders)
    ]
    acks = await asyncio.gather(*calls)
    assert all(ack["ok"] for ack in acks)
    assert sorted(ack["state"]["version"] for ack in acks) == list(range(1, 61))

    seen: list[int] = []
    async with asyncio.timeout(5):
        while len(seen) < 60:
            name, data = await watcher.events.get()
            if name == "SEEK":
                seen.append(data["state"]["version"])
    assert seen == list(range(1, 61))
    final = await room_state(http, base_url, room_id)
    assert final["version"] == 60
    last = max(acks, key=lambda ack: ack["state"]["version"])
    assert final == last["state"]


@pytest.mark.parametrize(
    ("event", "args", "code"),
    [
        ("SEEK", ({"timestamp": -5},), "invalid_payload"),
        ("SEEK", ({"timestamp": "10"},), "invalid_payload"),
        ("SEEK", ({},), "invalid_payload"),
        ("SEEK", ([1, 2],), "invalid_payload"),
        ("SEEK", ("ten",), "invalid_payload"),
        ("SEEK", ({"timestamp": 1}, {"timestamp": 2}), "invalid_payload"),
        ("CHANGE_VIDEO", ({"video_id": ""},), "invalid_payload"),
        ("CHANGE_VIDEO", ({"video_id": "x----------" * 5000},), "invalid_payload"),
        ("UPDATE_QUEUE", ({"queue": [{"video_id": "a----------"}] * 201},), "invalid_payload"),
        (
            "UPDATE_QUEUE",
            ({"queue": [{"video_id": "a----------", "title": 5}]},),
            "invalid_payload",
        ),
        ("PLAY", ({"version": "latest"},), "invalid_payload"),
        ("FORMAT_DISK", ({},), "unknown_event"),
        ("connect_me", ({},), "unknown_event"),
    ],
)
async def test_bad_input_is_rejected_and_changes_nothing(
    join: PeerFactory,
    http: aiohttp.ClientSession,
    base_url: str,
    room_id: str,
    event: str,
    args: tuple[Any, ...],
    code: str,
) -> None:
    ann, bob = await join("ann"), await join("bob")
    await ann.call("UPDATE_QUEUE", {"queue": [{"video_id": "keep-------"}]})
    before = await room_state(http, base_url, room_id)
    data = args[0] if len(args) == 1 else args  # a tuple goes out as several arguments
    ack = await ann.client.call(event, data, namespace="/rooms", timeout=5)
    assert ack["ok"] is False
    assert ack["error"]["code"] == code
    assert ack["error"]["message"]
    assert await room_state(http, base_url, room_id) == before
    # The connection is still good and the room still works.
    assert (await ann.call("SEEK", {"timestamp": 1}))["ok"] is True
    assert (await bob.next("SEEK"))["state"]["version"] == before["version"] + 1


async def test_event_without_ack_is_harmless(join: PeerFactory) -> None:
    ann = await join("ann")
    await ann.client.emit("SEEK", {"timestamp": "bad"}, namespace="/rooms")
    await ann.client.emit("NOPE", namespace="/rooms")
    await ann.client.emit("SEEK", {"timestamp": 7}, namespace="/rooms")
    await asyncio.sleep(0.1)
    assert (await ann.call("PAUSE", {}))["state"]["version"] == 2


@pytest.mark.parametrize(
    ("auth", "code"),
    [
        (None, "invalid_auth"),
        ("room", "invalid_auth"),
        ({"name": "ann"}, "invalid_auth"),
        ({"room": "ROOM", "name": ""}, "invalid_auth"),
        ({"room": "ROOM", "name": "x----------" * 41}, "invalid_auth"),
        ({"room": "ROOM", "name": "a\u202eb"}, "invalid_auth"),
        ({"room": "ROOM", "name": "ann", "admin": True}, "invalid_auth"),
        ({"room": "ROOM", "name": "ann", "member_token": "forged"}, "invalid_member_token"),
        ({"room": "no-such-room", "name": "ann"}, "room_not_found"),
    ],
)
async def test_bad_auth_is_refused_with_a_clear_reason(
    base_url: str, room_id: str, auth: Any, code: str
) -> None:
    if isinstance(auth, dict) and auth.get("room") == "ROOM":
        auth = {**auth, "room": room_id}
    peer = Peer("x----------")
    try:
        with pytest.raises(Exception, match="failed to connect"):
            await peer.connect(base_url, auth)
    finally:
        await peer.close()
    assert peer.refusal is not None
    assert peer.refusal["data"]["code"] == code
    assert peer.refusal["message"]


async def test_room_member_limit(
    start_server: Callable[..., Awaitable[TestServer]],
    http: aiohttp.ClientSession,
) -> None:
    server = await start_server(max_members_per_room=2)
    url = str(server.make_url("")).rstrip("/")
    async with http.post(f"{url}/api/rooms") as response:
        room = (await response.json())["id"]
    peers = [Peer(f"p{i}") for i in range(3)]
    try:
        for peer in peers[:2]:
            await peer.connect(url, {"room": room, "name": peer.name})
        with pytest.raises(Exception, match="failed to connect"):
            await peers[2].connect(url, {"room": room, "name": "p2"})
        assert peers[2].refusal is not None
        assert peers[2].refusal["data"]["code"] == "room_full"
    finally:
        for peer in peers:
            await peer.close()


async def test_long_polling_clients_share_the_room(join: PeerFactory) -> None:
    ann = await join("ann", transport="polling")
    bob = await join("bob")
    await ann.next("ROOM_STATE")
    ack = await bob.call("CHANGE_VIDEO", {"video_id": "poll-------"})
    assert (await ann.next("CHANGE_VIDEO"))["state"] == ack["state"]
    assert (await ann.call("SEEK", {"timestamp": 3}))["ok"] is True


async def test_polling_client_disconnects_promptly(join: PeerFactory) -> None:
    """Guards watchparty.realtime.patches.release_polls_on_close against library changes."""
    ann = await join("ann", transport="polling")
    await ann.next("ROOM_STATE")
    await asyncio.sleep(0.3)
    await join("bob")  # its MEMBERS goes out at once and opens a coalescing window ...
    await ann.members_become(["ann", "bob"])
    await asyncio.sleep(0.02)  # ... ann's next GET is now waiting, and nothing will answer it
    started = time.monotonic()
    await asyncio.wait_for(ann.close(), timeout=10)
    assert time.monotonic() - started < 2


async def test_a_busy_room_does_not_drop_a_polling_python_client(
    server: TestServer, join: PeerFactory
) -> None:
    """Guards watchparty.realtime.patches.own_packet_queues: python-engineio's client drops
    the connection on a long-polling answer of more than 16 packets."""
    ann = await join("ann", transport="polling")
    await ann.next("ROOM_STATE")
    sio = server.app[SOCKETIO]
    sid = ann.client.get_sid("/rooms")
    for n in range(40):  # all queued before ann's next GET is answered
        await sio.emit("burst", n, to=sid, namespace="/rooms")
    assert [await ann.next("burst") for _ in range(40)] == list(range(40))
    assert ann.client.connected
    assert not ann.disconnected.is_set()


async def test_rooms_are_isolated(
    join: PeerFactory, http: aiohttp.ClientSession, base_url: str
) -> None:
    async with http.post(f"{base_url}/api/rooms") as response:
        other = (await response.json())["id"]
    ann = await join("ann")
    zed = await join("zed", room=other)
    await ann.call("CHANGE_VIDEO", {"video_id": "only-here--"})
    await asyncio.sleep(0.3)
    assert [name for name, _ in zed.drain() if name != "MEMBERS"] == ["ROOM_STATE"]
    assert (await room_state(http, base_url, other))["video_id"] is None


async def test_a_failing_handler_answers_and_the_room_keeps_working(
    aiohttp_server: Callable[[web.Application], Awaitable[TestServer]],
    settings: Settings,
    http: aiohttp.ClientSession,
) -> None:
    broken = {"now": False}

    def clock() -> float:
        if broken["now"]:
            raise RuntimeError("clock failure")
        return time.time()

    server = await aiohttp_server(create_app(settings, clock=clock))
    url = str(server.make_url("")).rstrip("/")
    async with http.post(f"{url}/api/rooms") as response:
        room = (await response.json())["id"]
    peer = Peer("ann")
    try:
        await peer.connect(url, {"room": room, "name": "ann"})
        broken["now"] = True
        ack = await peer.call("SEEK", {"timestamp": 5})
        assert ack == {
            "ok": False,
            "error": {"code": "internal_error", "message": "the server could not handle this"},
        }
        broken["now"] = False
        ack = await peer.call("SEEK", {"timestamp": 6})
        assert ack["ok"] is True
        assert ack["state"]["version"] == 1
    finally:
        await peer.close()


async def test_a_client_cannot_fake_lifecycle_events(join: PeerFactory) -> None:
    """A client's event named "connect" or "disconnect" is not the real thing (python-socketio
    would hand it to the same handlers: realtime.patches.refuse_reserved_events)."""
    ann, bob = await join("ann"), await join("bob")
    await bob.next("ROOM_STATE")
    for event, args in (
        ("disconnect", ("transport close",)),
        ("disconnect", ()),
        ("connect", ({"HTTP_HOST": "x"}, {"room": "r", "name": "n"})),
    ):
        data = args[0] if len(args) == 1 else args  # a tuple: several arguments
        ack = await ann.client.call(event, data, namespace="/rooms", timeout=5)
        assert ack["error"]["code"] == "unknown_event"
        assert ack["error"]["message"] == f"{event!r} is reserved"
    # Ann is still a member: her commands work and bob never saw her leave.
    assert (await ann.call("SEEK", {"timestamp": 3.0}))["ok"]
    assert (await bob.next("SEEK"))["by"] == "ann"
    assert all(not delta["left"] for name, delta in bob.drain() if name == "MEMBERS")


async def test_a_connection_closed_while_joining_leaves_no_member(
    server: TestServer, base_url: str, room_id: str, join: PeerFactory
) -> None:
    """python-socketio runs no disconnect handler for a socket whose connection closes while
    its connect handler is still running (here, engine.io closing it as it does a connection
    whose heartbeat stopped): the handler looks for itself (realtime.patches.connection_open)
    and leaves no ghost member in the room."""
    ann = await join("ann")
    await ann.next("ROOM_STATE")
    registry, sio = server.app[REGISTRY], server.app[SOCKETIO]
    held: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    go_on = asyncio.Event()
    original = registry.join

    async def held_join(room: str, sid: str, **auth: Any) -> Any:
        held.set_result(sid)
        await go_on.wait()
        return await original(room, sid, **auth)

    registry.join = held_join  # type: ignore[method-assign, assignment]
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{base_url}/socket.io/?EIO=4&transport=websocket")
        assert (await ws.receive_str()).startswith("0")
        await ws.send_str("40/rooms," + json.dumps({"room": room_id, "name": "ghost"}))
        sid = await asyncio.wait_for(held, 5)
        registry.join = original  # type: ignore[method-assign]
        socket = sio.eio.sockets[sio.manager.eio_sid_from_sid(sid, "/rooms")]
        await socket.close(wait=False, reason=sio.eio.reason.PING_TIMEOUT)
        go_on.set()
        await asyncio.sleep(0.3)
        room = registry.peek(room_id)
        assert room is not None
        assert [m.name for m in room.members.values()] == ["ann"]
        assert not sio.manager.is_connected(sid, "/rooms")
        assert list(sio.manager.get_participants("/rooms", room_id)) == [
            (ann.client.get_sid("/rooms"), ann.client.eio.sid)
        ]
        assert (await ann.call("SEEK", {"timestamp": 1.0}))["ok"]  # the room goes on
        assert [m["name"] for m in ann.members] == ["ann"]
        await ws.close()

"""Scheduled starts over real sockets, and rooms that wait for a stalled member."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from tests.accounts import register
from tests.conftest import PeerFactory, ServerFactory
from tests.integration.test_room_auth import create_room, patch_room
from tests.peers import Peer
from watchparty.core.timing import LOAD_TRIPS

VIDEO = "stall------"

Room = Callable[..., Awaitable[tuple[str, str, Peer, Peer]]]


async def until(peer: Peer, event: str, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    while True:
        data: dict[str, Any] = await peer.next(event)
        if check(data):
            return data


async def test_starts_are_scheduled_ahead_by_the_slowest_round_trip(join: PeerFactory) -> None:
    ann, bob = await join("ann"), await join("bob")
    await ann.call("CHANGE_VIDEO", {"video_id": VIDEO})
    # Nobody reported a round trip: the minimum lead (300 ms by default).
    played = (await ann.call("PLAY"))["state"]
    seen = await until(bob, "PLAY", lambda d: d["state"]["version"] == played["version"])
    assert played["updated_at"] - seen["server_time"] == pytest.approx(0.3, abs=0.05)
    await ann.call("PAUSE")
    # Bob reports a slow link: the room now waits for it (one round trip; four for a new
    # video, which must load first).
    assert (await bob.call("TIME", {"client_time": 1.0, "rtt": 0.5}))["ok"]
    played = await ann.call("PLAY")
    now = (await ann.call("TIME", {"client_time": 0}))["server_time"]
    assert played["state"]["updated_at"] - now == pytest.approx(0.8, abs=0.05)
    changed = (await ann.call("CHANGE_VIDEO", {"video_id": "next-------"}))["state"]
    now = (await ann.call("TIME", {"client_time": 0}))["server_time"]
    assert changed["updated_at"] - now == pytest.approx(min(2.0, 0.3 + LOAD_TRIPS * 0.5), abs=0.05)
    # A lead never passes its maximum, and a bad round trip changes nothing.
    assert (await bob.call("TIME", {"client_time": 1.0, "rtt": 9.0}))["ok"]
    await ann.call("PAUSE")
    played = await ann.call("PLAY")
    now = (await ann.call("TIME", {"client_time": 0}))["server_time"]
    assert played["state"]["updated_at"] - now == pytest.approx(2.0, abs=0.05)
    for bad in (-1, 11, "0.1", float("nan")):
        ack = await bob.call("TIME", {"client_time": 1.0, "rtt": bad})
        assert (ack["ok"], ack["error"]["code"]) == (False, "invalid_payload")


@pytest.fixture
async def waiting_room(
    start_server: ServerFactory, http: aiohttp.ClientSession
) -> AsyncIterator[Room]:
    """A room whose owner turned wait_for_all on, playing, with its owner and a viewer."""
    peers: list[Peer] = []

    async def make(**overrides: Any) -> tuple[str, str, Peer, Peer]:
        server = await start_server(**overrides)
        base_url = str(server.make_url("")).rstrip("/")
        ann = await register(http, base_url, "ann")
        room = await create_room(http, base_url, ann)
        status, body = await patch_room(http, base_url, room, {"wait_for_all": True}, ann)
        assert (status, body["wait_for_all"]) == (200, True)
        owner, viewer = Peer("ann"), Peer("bob")
        peers.extend((owner, viewer))
        await owner.connect(base_url, {"room": room, "token": ann.token})
        await viewer.connect(base_url, {"room": room, "name": "bob"})
        assert (await viewer.next("ROOM_STATE"))["info"]["wait_for_all"] is True
        await owner.call("CHANGE_VIDEO", {"video_id": VIDEO})
        await owner.call("PLAY")
        return base_url, room, owner, viewer

    yield make
    for peer in peers:
        await peer.close()


async def test_a_stall_holds_the_room_until_everyone_is_ready(waiting_room: Room) -> None:
    _, _, ann, bob = await waiting_room()
    ack = await bob.call("BUFFERING", {"video_id": VIDEO})
    assert ack == {"ok": True, "waiting": True}
    held = await until(ann, "PAUSE", lambda d: d["state"]["waiting"])
    assert (held["by"], held["state"]["playing"]) == ("bob", False)
    # A second stall changes nothing more; a report on another video is ignored.
    assert (await ann.call("BUFFERING", {"video_id": VIDEO}))["waiting"] is True
    assert (await bob.call("READY", {"video_id": "other------"}))["waiting"] is True
    assert (await bob.call("READY", {"video_id": VIDEO}))["waiting"] is True  # ann still stalls
    resumed = await ann.call("READY", {"video_id": VIDEO})
    assert resumed == {"ok": True, "waiting": False}
    play = await until(bob, "PLAY", lambda d: d["by"] == "everyone is ready")
    state = play["state"]
    assert (state["waiting"], state["position"]) == (False, held["state"]["position"])
    assert state["updated_at"] > play["server_time"]  # a scheduled start, like any other


async def test_one_bad_connection_cannot_hold_the_room_for_ever(waiting_room: Room) -> None:
    _, _, ann, bob = await waiting_room(buffer_wait_seconds=1)
    await bob.call("BUFFERING", {"video_id": VIDEO})
    await until(ann, "PAUSE", lambda d: d["state"]["waiting"])
    play = await until(ann, "PLAY", lambda d: d["state"]["playing"])
    assert play["by"] == "waited long enough"
    # Bob stalls again on the same video: left behind, he no longer holds the room.
    assert (await bob.call("BUFFERING", {"video_id": VIDEO}))["waiting"] is False
    await asyncio.sleep(0.3)
    assert [n for n, d in ann.drain() if n == "PAUSE"] == []
    # A new video starts afresh: a stall holds it again.
    await ann.call("CHANGE_VIDEO", {"video_id": "next-------"})
    assert (await bob.call("BUFFERING", {"video_id": "next-------"}))["waiting"] is True


async def test_commands_and_leaving_end_the_wait(waiting_room: Room) -> None:
    base_url, room, ann, bob = await waiting_room()
    # The stalled member leaves: nobody is left to wait for.
    await bob.call("BUFFERING", {"video_id": VIDEO})
    await until(ann, "PAUSE", lambda d: d["state"]["waiting"])
    await bob.close()
    play = await until(ann, "PLAY", lambda d: d["state"]["playing"])
    assert play["by"] == "everyone is ready"
    # Someone presses pause while waiting: the room stays paused, and a READY later does
    # not start it.
    cid = Peer("cid")
    await cid.connect(base_url, {"room": room, "name": "cid"})
    try:
        await cid.call("BUFFERING", {"video_id": VIDEO})
        await until(ann, "PAUSE", lambda d: d["state"]["waiting"])
        paused = await ann.call("PAUSE")
        assert (paused["state"]["playing"], paused["state"]["waiting"]) == (False, False)
        assert (await cid.call("READY", {"video_id": VIDEO}))["waiting"] is False
        await asyncio.sleep(0.2)
        assert [n for n, d in ann.drain() if n == "PLAY"] == []
    finally:
        await cid.close()


async def test_without_the_setting_a_stall_holds_nothing(join: PeerFactory) -> None:
    ann, bob = await join("ann"), await join("bob")
    await ann.call("CHANGE_VIDEO", {"video_id": VIDEO})
    await ann.call("PLAY")
    assert (await bob.call("BUFFERING", {"video_id": VIDEO})) == {"ok": True, "waiting": False}
    await asyncio.sleep(0.2)
    assert [n for n, _ in ann.drain() if n == "PAUSE"] == []
    for bad in ({}, {"video_id": ""}, {"video_id": VIDEO, "extra": 1}, "x"):
        ack = await bob.call("BUFFERING", bad)
        assert (ack["ok"], ack["error"]["code"]) == (False, "invalid_payload")


async def test_a_guest_left_behind_cannot_hold_the_room_again_by_reconnecting(
    waiting_room: Room,
) -> None:
    """Holds follow the guest's identity (its pass), not the connection: reconnecting does
    not make a new member the room waits for."""
    base_url, room, ann, bob = await waiting_room(buffer_wait_seconds=1)
    await bob.call("BUFFERING", {"video_id": VIDEO})
    await until(ann, "PAUSE", lambda d: d["state"]["waiting"])
    await until(ann, "PLAY", lambda d: d["by"] == "waited long enough")
    assert bob.guest_token is not None
    await bob.close()
    again = Peer("bob")
    try:
        await again.connect(base_url, {"room": room, "name": "bob", "guest": bob.guest_token})
        ack = await again.call("BUFFERING", {"video_id": VIDEO})
        assert ack == {"ok": True, "waiting": False}
        state = (await ann.call("SEEK", {"timestamp": 1.0}))["state"]
        assert state["playing"] is True
    finally:
        await again.close()

"""What one member's queue edits may cost everyone else (the review's finding 3): each change
carried the whole queue to every member, so ~800 bytes of QUEUE_MOVE a second in made 2 MB a
second out per viewer. Now: budgets per member and per room, a cap on the queue's bytes, and
queue broadcasts coalesced to one per window."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from tests.conftest import PeerFactory, ServerFactory
from tests.peers import Peer
from watchparty.core import QueueAdd, QueueItemIn, apply, new_room
from watchparty.core.errors import Rejection
from watchparty.core.limits import MAX_QUEUE_BYTES

VIDEO = "dQw4w9WgXcQ"


def add(n: int) -> dict[str, object]:
    return {"item": {"video_id": VIDEO, "title": f"item {n}"}}


async def test_a_member_has_a_budget_of_queue_changes_whatever_its_sockets(
    start_server: ServerFactory,
) -> None:
    server = await start_server(queue_rate_limit="3/minute")
    base_url = str(server.make_url("")).rstrip("/")
    peers: list[Peer] = []

    async def connect(name: str, **auth: str) -> Peer:
        peer = Peer(name)
        peers.append(peer)
        await peer.connect(base_url, {"room": room, "name": name, **auth})
        await peer.next("ROOM_STATE")
        return peer

    try:
        room = await _room(base_url)
        gus = await connect("gus")
        assert [(await gus.call("QUEUE_ADD", add(i)))["ok"] for i in range(3)] == [True] * 3
        refused = await gus.call("QUEUE_ADD", add(3))
        assert refused["error"]["code"] == "rate_limited"
        assert "queue changes" in refused["error"]["message"]
        assert gus.guest_token is not None
        twin = await connect("gus", guest=gus.guest_token)  # the same guest, another socket
        assert (await twin.call("QUEUE_ADD", add(4)))["error"]["code"] == "rate_limited"
        ann = await connect("ann")  # someone else has a budget of their own
        ack = await ann.call("QUEUE_ADD", add(5))
        assert ack["ok"]
        assert len(ack["state"]["queue"]) == 3  # and the first one added became the video
        assert (await ann.call("CHANGE_VIDEO", {"video_id": VIDEO}))["ok"]  # not a queue change
    finally:
        for peer in peers:
            await peer.close()


async def test_a_room_has_a_budget_of_queue_changes(start_server: ServerFactory) -> None:
    server = await start_server(room_queue_rate_limit="4/minute")
    base_url = str(server.make_url("")).rstrip("/")
    room = await _room(base_url)
    peers = [Peer(f"p{i}") for i in range(3)]
    try:
        for peer in peers:
            await peer.connect(base_url, {"room": room, "name": peer.name})
        results = [(await peers[i % 3].call("QUEUE_ADD", add(i)))["ok"] for i in range(5)]
        assert results == [True, True, True, True, False]
    finally:
        for peer in peers:
            await peer.close()


def test_a_queue_may_not_grow_past_its_byte_cap() -> None:
    long_url = "https://example.com/" + "v" * 1900 + ".mp4"
    state = new_room("r", 0.0)
    refused = None
    for n in range(200):
        result = apply(state, QueueAdd(item=QueueItemIn(video_id=f"{long_url}?{n}")), 0.0, 0.1)
        if isinstance(result, Rejection):
            refused = result
            break
        state = result.state
    assert refused is not None
    assert refused.code == "queue_too_large"
    size = sum(len(item.video_id) for item in state.queue)
    assert MAX_QUEUE_BYTES - 2000 < size <= MAX_QUEUE_BYTES


async def test_a_burst_of_queue_changes_reaches_viewers_as_few_broadcasts(
    join: PeerFactory,
) -> None:
    editor = await join("editor")
    viewer = await join("viewer")
    await viewer.next("ROOM_STATE")
    assert (await editor.call("CHANGE_VIDEO", {"video_id": "playing----"}))["ok"]
    acks = await asyncio.gather(*(editor.call("QUEUE_ADD", add(i)) for i in range(12)))
    assert all(ack["ok"] for ack in acks)
    last = max(ack["state"]["version"] for ack in acks)
    seen: list[dict[str, Any]] = []
    while not seen or seen[-1]["state"]["version"] < last:
        seen.append(await viewer.next("UPDATE_QUEUE"))
    assert len(seen[-1]["state"]["queue"]) == 12  # the latest state, whole
    assert len(seen) <= 3, [s["state"]["version"] for s in seen]  # not one per change
    await asyncio.sleep(0.4)  # a window later, nothing more is on its way
    assert [name for name, _ in viewer.drain() if name == "UPDATE_QUEUE"] == []


async def _room(base_url: str) -> str:
    async with aiohttp.ClientSession() as http, http.post(f"{base_url}/api/rooms") as response:
        return str((await response.json())["id"])

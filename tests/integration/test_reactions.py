"""Reactions over the real server: everyone sees them, nothing else is accepted, one member
cannot flood, and a crowd reacting at once costs the room a few broadcasts, not one each."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from tests.conftest import PeerFactory, ServerFactory
from tests.peers import Peer
from watchparty.core.commands import REACTIONS
from watchparty.core.limits import REACTION_WINDOW_SECONDS


async def reactions_seen(peer: Peer, wait: float) -> list[dict[str, int]]:
    """Every REACTIONS this peer got within ``wait`` seconds."""
    await asyncio.sleep(wait)
    return [data["counts"] for name, data in peer.drain() if name == "REACTIONS"]


async def test_a_reaction_reaches_everyone_at_once(join: PeerFactory) -> None:
    ann, bob = await join("ann"), await join("bob")
    await bob.next("ROOM_STATE")
    assert await ann.call("REACT", {"emoji": "🎉"}) == {"ok": True}
    async with asyncio.timeout(REACTION_WINDOW_SECONDS):  # the first is not held back
        assert (await bob.next("REACTIONS")) == {"counts": {"🎉": 1}}
    assert (await ann.next("REACTIONS")) == {"counts": {"🎉": 1}}  # the sender sees it too


async def test_anything_but_the_set_is_refused_and_sent_to_nobody(join: PeerFactory) -> None:
    ann, bob = await join("ann"), await join("bob")
    await bob.next("ROOM_STATE")
    for payload in (
        {"emoji": "💩"},
        {"emoji": "👍 spam"},
        {"emoji": "\ud800"},
        {"emoji": ["👍"]},
        {"emoji": "👍", "count": 1000},
        {},
        "👍",
    ):
        ack = await ann.call("REACT", payload)
        assert ack["error"]["code"] == "invalid_payload", (payload, ack)
    assert await reactions_seen(bob, 2 * REACTION_WINDOW_SECONDS) == []


async def test_one_member_cannot_flood(start_server: ServerFactory) -> None:
    server = await start_server(reaction_rate_limit="3/minute")
    url = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http, http.post(f"{url}/api/rooms") as response:
        room = (await response.json())["id"]
    ann = Peer("ann")
    try:
        await ann.connect(url, {"room": room, "name": "ann"})
        acks = [await ann.call("REACT", {"emoji": "👍"}) for _ in range(4)]
        assert [a["ok"] for a in acks] == [True, True, True, False]
        assert acks[-1]["error"]["code"] == "rate_limited"
        assert "reactions" in acks[-1]["error"]["message"]
        seen = await reactions_seen(ann, 3 * REACTION_WINDOW_SECONDS)
        assert sum(counts.get("👍", 0) for counts in seen) == 3  # the refused one is not shown
    finally:
        await ann.close()


async def test_a_crowd_reacting_at_once_costs_a_few_broadcasts(join: PeerFactory) -> None:
    crowd = [await join(f"p{i}") for i in range(24)]
    watcher = await join("watcher")
    await watcher.next("ROOM_STATE")
    watcher.drain()
    emojis = [REACTIONS[i % 3] for i in range(len(crowd))]
    acks = await asyncio.gather(
        *(peer.call("REACT", {"emoji": e}) for peer, e in zip(crowd, emojis, strict=True))
    )
    assert all(a == {"ok": True} for a in acks)
    seen = await reactions_seen(watcher, 3 * REACTION_WINDOW_SECONDS)
    totals: dict[str, Any] = {}
    for counts in seen:
        for emoji, n in counts.items():
            totals[emoji] = totals.get(emoji, 0) + n
    assert totals == {e: emojis.count(e) for e in set(emojis)}  # every one counted
    assert len(seen) <= 3, seen  # not one broadcast per reaction

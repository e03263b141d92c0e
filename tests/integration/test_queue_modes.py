"""Queue modes over the real server: who may set them, and what each plays next as videos
end (manual, loop, shuffle, vote and dj), with votes refused where they do not count."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from tests.accounts import Account, register
from tests.conftest import PeerFactory
from tests.integration.test_room_auth import create_room
from tests.peers import Peer

SHORT = 0.4  # seconds: each video ends soon and the room moves on by itself


async def owned_room(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> tuple[Account, str, Peer]:
    olive = await register(http, base_url, "olive")
    room = await create_room(http, base_url, olive)
    owner = await join("olive", auth={"room": room, "token": olive.token})
    await owner.next("ROOM_STATE")
    return olive, room, owner


async def played(peer: Peer, count: int) -> list[str]:
    """The next ``count`` videos the room moved on to by itself."""
    videos: list[str] = []
    async with asyncio.timeout(10 * count):
        while len(videos) < count:
            moved = await peer.next("CHANGE_VIDEO", within=10)
            if moved.get("by") == "autoplay":
                videos.append(moved["state"]["video_id"])
    return videos


def item(name: str) -> dict[str, Any]:
    return {"item": {"video_id": name.ljust(11, "-"), "duration": SHORT}}


async def test_only_the_owner_and_moderators_set_the_mode(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    olive, room, owner = await owned_room(http, base_url, join)
    guest = await join("gus", room=room)
    await guest.next("ROOM_STATE")
    refused = await guest.call("SET_QUEUE_MODE", {"mode": "shuffle"})
    assert refused["error"]["code"] == "forbidden"
    bad = await owner.call("SET_QUEUE_MODE", {"mode": "random"})
    assert bad["error"]["code"] == "invalid_payload"
    assert await owner.call("SET_QUEUE_MODE", {"mode": "shuffle"}) == {"ok": True}
    assert (await guest.next("ROOM_INFO"))["queue_mode"] == "shuffle"
    async with http.patch(
        f"{base_url}/api/rooms/{room}", json={"queue_mode": "loop"}, headers=olive.bearer
    ) as response:
        assert response.status == 200
    async with http.get(f"{base_url}/api/rooms/{room}") as response:
        assert (await response.json())["info"]["queue_mode"] == "loop"


async def test_a_vote_room_plays_the_most_voted_and_votes_leave_with_voters(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    _, room, owner = await owned_room(http, base_url, join)
    ann, bob = await join("ann", room=room), await join("bob", room=room)
    await owner.call("CHANGE_VIDEO", {"video_id": "playing----"})
    ids = []
    for name in ("first", "second", "third"):
        ids.append((await owner.call("QUEUE_ADD", item(name)))["state"]["queue"][-1]["id"])
    refused = await ann.call("QUEUE_VOTE", {"id": ids[2]})
    assert refused["error"]["code"] == "no_votes"  # manual: votes do not count
    assert await owner.call("SET_QUEUE_MODE", {"mode": "vote"}) == {"ok": True}
    assert (await ann.call("QUEUE_VOTE", {"id": ids[2]}))["votes"] == {ids[2]: 1}
    assert (await ann.call("QUEUE_VOTE", {"id": ids[2]}))["votes"] == {ids[2]: 1}  # once
    assert (await bob.call("QUEUE_VOTE", {"id": ids[1]}))["votes"] == {ids[2]: 1, ids[1]: 1}
    ack = await owner.call("QUEUE_VOTE", {"id": ids[1]})
    assert ack["votes"] == {ids[2]: 1, ids[1]: 2}
    tallies = [data["votes"] for name, data in ann.drain() if name == "QUEUE_VOTES"]
    assert tallies[-1] == ack["votes"]  # everyone hears the tally
    missing = await ann.call("QUEUE_VOTE", {"id": "q999.0"})
    assert missing["error"]["code"] == "no_such_item"
    # bob leaves: his vote goes with him.
    await bob.close()
    assert (await ann.next("QUEUE_VOTES"))["votes"] == {ids[2]: 1, ids[1]: 1}
    # olive takes hers back: the third item leads.
    assert (await owner.call("QUEUE_VOTE", {"id": ids[1], "vote": False}))["ok"]
    await owner.call("CHANGE_VIDEO", {"video_id": "short------", "duration": SHORT})
    await owner.call("PLAY")
    assert await played(ann, 1) == ["third------"]  # the most voted, not the first queued


async def test_loop_puts_the_finished_video_back_at_the_end(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    _, _, owner = await owned_room(http, base_url, join)
    await owner.call("SET_QUEUE_MODE", {"mode": "loop"})
    await owner.call("QUEUE_ADD", item("one"))  # idle: it becomes the video
    await owner.call("QUEUE_ADD", item("two"))
    await owner.call("PLAY")
    assert await played(owner, 3) == ["two--------", "one--------", "two--------"]


async def test_shuffle_plays_every_item_once(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    _, _, owner = await owned_room(http, base_url, join)
    await owner.call("SET_QUEUE_MODE", {"mode": "shuffle"})
    await owner.call("CHANGE_VIDEO", {"video_id": "start------", "duration": SHORT})
    names = ["a", "b", "c", "d"]
    for name in names:
        await owner.call("QUEUE_ADD", item(name))
    await owner.call("PLAY")
    assert sorted(await played(owner, 4)) == [n.ljust(11, "-") for n in names]


async def test_djs_take_turns(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    _, room, owner = await owned_room(http, base_url, join)
    ann, bob = await join("ann", room=room), await join("bob", room=room)
    await owner.call("SET_QUEUE_MODE", {"mode": "dj"})
    await owner.call("CHANGE_VIDEO", {"video_id": "start------", "duration": SHORT})
    for peer, name in ((ann, "ann1"), (ann, "ann2"), (ann, "ann3"), (bob, "bob1")):
        await peer.call("QUEUE_ADD", item(name))
    queue = (await owner.call("PAUSE"))["state"]["queue"]
    assert [i["added_by"] for i in queue] == ["ann", "ann", "ann", "bob"]
    await owner.call("PLAY")
    assert await played(owner, 4) == ["ann1-------", "bob1-------", "ann2-------", "ann3-------"]

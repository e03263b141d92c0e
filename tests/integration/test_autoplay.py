"""The queue plays on: autoplay at the end, ENDED reports, VOTE_SKIP, small queue operations."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.conftest import PeerFactory
from tests.peers import Peer
from watchparty.core.plans import FREE


async def others_see(peer: Peer, event: str, version: int) -> dict[str, Any]:
    """The broadcast of ``event`` that brought the room to ``version``."""
    while True:
        data: dict[str, Any] = await peer.next(event)
        if data["state"]["version"] == version:
            return data


async def test_the_next_item_starts_by_itself_once(join: PeerFactory) -> None:
    ann, bob = await join("ann"), await join("bob")
    await bob.next("ROOM_STATE")
    queue = [{"video_id": "next-------", "title": "Next", "duration": 30.0}]
    await ann.call("CHANGE_VIDEO", {"video_id": "short------", "duration": 0.6})
    assert (await ann.call("UPDATE_QUEUE", {"queue": queue}))["ok"]
    played = (await ann.call("PLAY"))["state"]
    # Nobody reports anything: the room knows the length and moves on at the end.
    moved = await others_see(bob, "CHANGE_VIDEO", played["version"] + 1)
    assert moved["by"] == "autoplay"
    state = moved["state"]
    assert (state["video_id"], state["duration"], state["playing"]) == ("next-------", 30.0, True)
    assert (state["position"], state["queue"]) == (0.0, [])
    assert state["updated_at"] - played["updated_at"] >= 0.6
    # Once: a late ENDED report for the old video changes nothing.
    ack = await ann.call("ENDED", {"video_id": "short------", "duration": 0.6})
    assert ack == {"ok": True, "advanced": False}
    await asyncio.sleep(0.3)
    versions = [d["state"]["version"] for n, d in ann.drain() if "state" in d]
    assert max(versions, default=state["version"]) == state["version"]


async def test_with_nothing_queued_playback_stops_at_the_end(join: PeerFactory) -> None:
    ann = await join("ann")
    await ann.call("CHANGE_VIDEO", {"video_id": "short------", "duration": 0.4})
    played = (await ann.call("PLAY"))["state"]
    stopped = await others_see(ann, "PAUSE", played["version"] + 1)
    assert stopped["by"] == "autoplay"
    assert (stopped["state"]["playing"], stopped["state"]["position"]) == (False, 0.4)


async def test_a_paused_or_changed_video_does_not_move_on(join: PeerFactory) -> None:
    ann = await join("ann")
    await ann.call("CHANGE_VIDEO", {"video_id": "short------", "duration": 0.5})
    await ann.call("UPDATE_QUEUE", {"queue": [{"video_id": "next-------"}]})
    await ann.call("PLAY")
    paused = (await ann.call("PAUSE"))["state"]
    await asyncio.sleep(0.8)
    assert [n for n, _ in ann.drain() if n == "CHANGE_VIDEO"] == []
    assert paused["video_id"] == "short------"


async def test_ended_reports_move_the_room_on_once(join: PeerFactory) -> None:
    ann, bob = await join("ann"), await join("bob")
    await bob.next("ROOM_STATE")
    await ann.call("CHANGE_VIDEO", {"video_id": "unknownlen-"})  # no duration: clients say
    await ann.call("UPDATE_QUEUE", {"queue": [{"video_id": "next-------"}]})
    played = (await ann.call("PLAY"))["state"]
    early = await ann.call("ENDED", {"video_id": "unknownlen-", "duration": 60})
    assert early["error"]["code"] == "not_ended"
    missing = await ann.call("ENDED", {"video_id": "unknownlen-"})
    assert missing["error"]["code"] == "invalid_payload"
    await asyncio.sleep(0.5)
    # Both players reach the end at about the same moment: one move, whoever is first.
    acks = await asyncio.gather(
        ann.call("ENDED", {"video_id": "unknownlen-", "duration": 0.5}),
        bob.call("ENDED", {"video_id": "unknownlen-", "duration": 0.5}),
    )
    assert sorted(a["advanced"] for a in acks) == [False, True]
    moved = await others_see(bob, "CHANGE_VIDEO", played["version"] + 1)
    assert moved["state"]["video_id"] == "next-------"


async def test_vote_skip_at_the_threshold(join: PeerFactory) -> None:
    peers = [await join(name) for name in ("ann", "bob", "cat")]
    for peer in peers:
        await peer.next("ROOM_STATE")
    ann, bob, cat = peers
    assert (await ann.call("VOTE_SKIP"))["error"]["code"] == "no_video"
    await ann.call("CHANGE_VIDEO", {"video_id": "first------"})
    await ann.call(
        "UPDATE_QUEUE", {"queue": [{"video_id": "second-----"}, {"video_id": "third------"}]}
    )
    first = await ann.call("VOTE_SKIP")
    assert (first["votes"], first["needed"], first["skipped"]) == (1, 2, False)
    assert (await ann.call("VOTE_SKIP"))["votes"] == 1  # one vote per member
    tally = await cat.next("SKIP_VOTES")
    assert (tally["video_id"], tally["votes"], tally["needed"]) == ("first------", 1, 2)
    second = await bob.call("VOTE_SKIP")
    assert (second["votes"], second["skipped"]) == (2, True)
    moved = await cat.next("CHANGE_VIDEO")
    assert (moved["by"], moved["state"]["video_id"]) == ("vote", "second-----")
    # Votes start again for the new video.
    assert (await cat.call("VOTE_SKIP"))["votes"] == 1


async def test_a_leaving_voter_is_uncounted_and_fewer_members_may_tip_it(
    join: PeerFactory,
) -> None:
    peers = [await join(name) for name in ("ann", "bob", "cat", "dan")]
    ann, bob, cat, dan = peers
    for peer in peers:
        await peer.next("ROOM_STATE")
    await ann.call("CHANGE_VIDEO", {"video_id": "first------"})
    changed = (await ann.call("UPDATE_QUEUE", {"queue": [{"video_id": "second-----"}]}))["state"]
    assert (await ann.call("VOTE_SKIP"))["needed"] == 2
    await dan.call("VOTE_SKIP")  # 2 of 4: reached
    moved = await others_see(cat, "CHANGE_VIDEO", changed["version"] + 1)
    assert moved["state"]["video_id"] == "second-----"
    await ann.call("VOTE_SKIP")  # 1 of 4 for the second video
    await bob.close()
    await cat.close()  # 2 members left; ann's single vote is half of them
    moved = await ann.next("PAUSE")  # nothing queued after it: playback stops
    assert moved["by"] == "vote"


async def test_the_first_item_added_to_an_idle_room_is_cued_for_everyone(
    join: PeerFactory,
) -> None:
    """Nothing chosen yet: the first *Add* makes the item the video, paused at 0 (it does not
    wait in the queue for someone to find its play button); later adds only queue."""
    ann, bob = await join("ann"), await join("bob")
    await bob.next("ROOM_STATE")
    item = {"video_id": "first------", "title": "First", "duration": 30.0}
    ack = await ann.call("QUEUE_ADD", {"item": item})
    state = ack["state"]
    assert (state["video_id"], state["duration"], state["queue"]) == ("first------", 30.0, [])
    assert (state["playing"], state["position"]) == (False, 0.0)
    seen = await others_see(bob, "UPDATE_QUEUE", state["version"])
    assert seen["state"] == state
    ack = await bob.call("QUEUE_ADD", {"item": {"video_id": "second-----"}})
    assert ack["state"]["video_id"] == "first------"
    assert [i["video_id"] for i in ack["state"]["queue"]] == ["second-----"]


async def test_small_queue_operations_do_not_overwrite_each_other(join: PeerFactory) -> None:
    ann, bob = await join("ann"), await join("bob")
    await bob.next("ROOM_STATE")
    await ann.call("CHANGE_VIDEO", {"video_id": "playing----"})
    acks = await asyncio.gather(
        ann.call("QUEUE_ADD", {"item": {"video_id": "from-ann---"}}),
        bob.call("QUEUE_ADD", {"item": {"video_id": "from-bob---"}}),
    )
    assert all(a["ok"] for a in acks)
    queue = max((a["state"] for a in acks), key=lambda s: s["version"])["queue"]
    assert sorted(i["video_id"] for i in queue) == ["from-ann---", "from-bob---"]
    # Others see the whole new queue, as UPDATE_QUEUE.
    seen = await others_see(bob, "UPDATE_QUEUE", acks[0]["state"]["version"])
    assert seen["state"]["queue"] == acks[0]["state"]["queue"]
    ids = [i["id"] for i in queue]
    ack = await ann.call("QUEUE_ADD", {"item": {"video_id": "first------"}, "position": 0})
    assert ack["state"]["queue"][0]["video_id"] == "first------"
    ack = await bob.call("QUEUE_MOVE", {"id": ids[1], "to": 0})
    assert ack["state"]["queue"][0]["id"] == ids[1]
    ack = await ann.call("QUEUE_MOVE", {"id": ids[1], "to": 99})  # clamped to the end
    assert ack["state"]["queue"][-1]["id"] == ids[1]
    ack = await ann.call("QUEUE_REMOVE", {"id": ids[0]})
    assert ids[0] not in [i["id"] for i in ack["state"]["queue"]]
    missing = await ann.call("QUEUE_REMOVE", {"id": ids[0]})
    assert missing["error"]["code"] == "no_such_item"
    bad = await ann.call("QUEUE_ADD", {"item": {"video_id": "javascript:x"}})
    assert bad["error"]["code"] == "invalid_payload"


async def test_queue_add_respects_the_plan(join: PeerFactory) -> None:
    ann = await join("ann")
    await ann.call("CHANGE_VIDEO", {"video_id": "playing----"})
    full = [{"video_id": f"v{i:010d}"} for i in range(FREE.max_queue)]
    assert (await ann.call("UPDATE_QUEUE", {"queue": full}))["ok"]
    ack = await ann.call("QUEUE_ADD", {"item": {"video_id": "one-more---"}})
    assert ack["error"]["code"] == "upgrade_required"

"""A guest is the same guest across reconnects and second sockets (the review's finding 6),
bans hold on every path (finding 7), and a made-up ENDED skips nothing (finding 8)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from tests.accounts import register
from tests.conftest import PeerFactory, ServerFactory
from tests.integration.test_chat import owner_room
from tests.integration.test_room_auth import create_room
from tests.peers import Peer


async def refusal(base_url: str, auth: dict[str, Any]) -> str:
    """The connect_error code a connection with ``auth`` gets."""
    peer = Peer("refused")
    try:
        with pytest.raises(Exception, match="failed to connect"):
            await peer.connect(base_url, auth)
        assert peer.refusal is not None
        return str(peer.refusal["data"]["code"])
    finally:
        await peer.close()


async def test_a_mute_follows_a_guest_to_a_new_connection(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    r = await owner_room(http, base_url, join)
    pass_ = await _pass_of(r.guest)
    assert (await r.moderator.call("MUTE", {"member_id": r.ids["gus"], "seconds": 60}))["ok"]
    await r.guest.close()
    again = await join("gus", auth={"room": r.room, "name": "gus", "guest": pass_})
    state = await again.next("ROOM_STATE")
    assert "guest_token" not in state["you"]  # the same guest: no new pass
    ack = await again.call("CHAT", {"text": "unmuted by reconnecting?"})
    assert ack["error"]["code"] == "muted"
    # Without the pass it is a new guest (and a new identity costs one of the address's).
    fresh = await join("gus2", auth={"room": r.room, "name": "gus2"})
    assert "guest_token" in (await fresh.next("ROOM_STATE"))["you"]
    assert (await fresh.call("CHAT", {"text": "a new guest may speak"}))["ok"]


async def _pass_of(peer: Peer) -> str:
    """The guest pass a peer got with its ROOM_STATE."""
    assert peer.guest_token is not None, "no guest pass was issued"
    return peer.guest_token


async def test_two_sockets_of_one_guest_vote_once(join: PeerFactory, room_id: str) -> None:
    gus = await join("gus")
    pass_ = (await gus.next("ROOM_STATE"))["you"]["guest_token"]
    twin = await join("gus", auth={"room": room_id, "name": "gus", "guest": pass_})
    await twin.next("ROOM_STATE")
    for name in ("ann", "bob"):
        await (await join(name)).next("ROOM_STATE")
    await gus.call("CHANGE_VIDEO", {"video_id": "dQw4w9WgXcQ"})
    first = await gus.call("VOTE_SKIP", {})
    assert (first["votes"], first["needed"]) == (1, 2)  # three people, four sockets
    second = await twin.call("VOTE_SKIP", {})
    assert second["votes"] == 1  # still one voter: the same guest
    assert second["skipped"] is False


async def test_a_forged_pass_is_a_new_guest(join: PeerFactory, room_id: str) -> None:
    peer = await join("eve", auth={"room": room_id, "name": "eve", "guest": "forged.pass.x"})
    assert "guest_token" in (await peer.next("ROOM_STATE"))["you"]


async def test_new_guest_identities_per_address_are_limited(
    start_server: ServerFactory, http: aiohttp.ClientSession
) -> None:
    server = await start_server(guest_rate_limit="2/hour")
    base_url = str(server.make_url("")).rstrip("/")
    room = await create_room(http, base_url, None)
    peers = [Peer(f"g{i}") for i in range(2)]
    try:
        for peer in peers:
            await peer.connect(base_url, {"room": room, "name": peer.name})
        state = await peers[0].next("ROOM_STATE")
        assert await refusal(base_url, {"room": room, "name": "g3"}) == "rate_limited"
        # A guest with a pass is not a new one.
        back = Peer("g0")
        await back.connect(
            base_url, {"room": room, "name": "g0", "guest": state["you"]["guest_token"]}
        )
        await back.close()
    finally:
        for peer in peers:
            await peer.close()


async def test_a_banned_guest_stays_out_with_or_without_its_pass(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    r = await owner_room(http, base_url, join)
    pass_ = await _pass_of(r.guest)
    ack = await r.moderator.call("BAN", {"member_id": r.ids["gus"], "reason": "spam"})
    assert ack == {"ok": True, "member_id": r.ids["gus"], "guest": True}
    assert await r.guest.next("BANNED") == {"reason": "spam", "by": "moe"}
    await asyncio.wait_for(r.guest.disconnected.wait(), 5)
    assert await refusal(base_url, {"room": r.room, "name": "gus", "guest": pass_}) == "banned"
    # A new identity from the same address is kept out too, while the room is live.
    assert await refusal(base_url, {"room": r.room, "name": "gus again"}) == "banned"
    # Signed-in people from that address are not guests: they come in.
    zed = await register(http, base_url, "zed")
    inside = await join("zed", auth={"room": r.room, "token": zed.token})
    assert (await inside.next("ROOM_STATE"))["you"]["user_id"] == zed.id


async def test_a_banned_user_cannot_change_the_queue_over_http(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    r = await owner_room(http, base_url, join)
    troll = await register(http, base_url, "troll")
    async with http.post(
        f"{base_url}/api/users/me/playlists",
        json={"name": "spam", "items": [{"video_id": "dQw4w9WgXcQ"}]},
        headers=troll.bearer,
    ) as response:
        playlist = (await response.json())["id"]
    bad = await join("troll", auth={"room": r.room, "token": troll.token})
    troll_member = (await bad.next("ROOM_STATE"))["you"]["id"]
    assert (await r.owner.call("BAN", {"member_id": troll_member}))["ok"]
    async with http.post(
        f"{base_url}/api/rooms/{r.room}/queue",
        json={"playlist_id": playlist, "mode": "replace"},
        headers=troll.bearer,
    ) as response:
        assert response.status == 403
        assert (await response.json())["error"]["code"] == "banned"
    assert (await r.owner.call("PAUSE", {}))["state"]["queue"] == []


async def test_a_made_up_duration_does_not_skip_in_an_owner_only_room(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    r = await owner_room(http, base_url, join)
    assert (await r.owner.call("SET_CONTROL", {"control": "owner"}))["ok"]
    changed = await r.owner.call("CHANGE_VIDEO", {"video_id": "https://example.com/a.mp4"})
    video = changed["state"]["video_id"]
    assert (await r.owner.call("PLAY", {}))["ok"]
    await asyncio.sleep(0.5)  # past the scheduled start, so the position is above 0
    # One guest reports an end (a length of almost nothing): counted, not obeyed.
    ack = await r.guest.call("ENDED", {"video_id": video, "duration": 0.01})
    assert ack == {"ok": True, "advanced": False}
    assert (await r.owner.call("PAUSE", {}))["state"]["video_id"] == video
    # Whoever may control the room is believed.
    assert (await r.owner.call("PLAY", {}))["ok"]
    await asyncio.sleep(0.5)
    ack = await r.owner.call("ENDED", {"video_id": video, "duration": 0.01})
    assert ack == {"ok": True, "advanced": True}


async def test_reports_from_enough_members_move_the_room_on(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    """Without anyone who may control the room reporting, enough members' reports (as many
    as a vote to skip needs) are believed."""
    r = await owner_room(http, base_url, join)
    gil = await join("gil", auth={"room": r.room, "name": "gil"})
    await gil.next("ROOM_STATE")
    assert (await r.owner.call("SET_CONTROL", {"control": "owner"}))["ok"]
    video = (await r.owner.call("CHANGE_VIDEO", {"video_id": "https://example.com/b.mp4"}))[
        "state"
    ]["video_id"]
    assert (await r.owner.call("PLAY", {}))["ok"]
    await asyncio.sleep(0.5)
    first = await r.guest.call("ENDED", {"video_id": video, "duration": 0.01})
    assert first["advanced"] is False
    second = await gil.call("ENDED", {"video_id": video, "duration": 0.01})
    assert second["advanced"] is True  # two guests of four members: half, the threshold

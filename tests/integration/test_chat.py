"""Chat, presence and moderation with real Socket.IO clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from pymongo import AsyncMongoClient

from tests.accounts import register
from tests.conftest import PeerFactory, ServerFactory
from tests.integration.test_room_auth import create_room
from tests.peers import Peer


@pytest.fixture
async def db(mongo_uri: str) -> AsyncIterator[Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri, tz_aware=True)
    yield client.get_default_database()
    await client.close()


async def test_chat_reaches_the_room_and_the_sender_gets_its_ack(join: PeerFactory) -> None:
    ann, bob = await join("ann"), await join("bob")
    await bob.next("ROOM_STATE")
    ack = await ann.call("CHAT", {"text": "  hello there  "})
    assert ack["ok"] is True
    message = ack["message"]
    assert (message["by"], message["text"]) == ("ann", "hello there")
    assert set(message) == {"id", "member_id", "user_id", "signed_in", "by", "text", "at"}
    assert message["signed_in"] is False  # a guest: the page marks it, whatever its name
    assert await bob.next("CHAT") == message
    await asyncio.sleep(0.2)
    assert "CHAT" not in [name for name, _ in ann.drain()]  # the sender has it in its ack


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"text": "a\u0000b\u202e c\n"}, "ab c"),  # control characters are dropped
        ({"text": "é" * 500}, "é" * 500),
    ],
)
async def test_chat_text_is_cleaned(join: PeerFactory, payload: Any, expected: str) -> None:
    ann = await join("ann")
    assert (await ann.call("CHAT", payload))["message"]["text"] == expected


@pytest.mark.parametrize(
    "payload",
    [{"text": "   "}, {"text": "\u0007\u0008"}, {"text": "x" * 501}, {"text": 5}, {}, "hi"],
)
async def test_bad_chat_is_refused_and_not_sent(join: PeerFactory, payload: Any) -> None:
    ann, bob = await join("ann"), await join("bob")
    await bob.next("ROOM_STATE")
    ack = await ann.call("CHAT", payload)
    assert ack["ok"] is False
    assert ack["error"]["code"] == "invalid_payload"
    await asyncio.sleep(0.2)
    assert "CHAT" not in [name for name, _ in bob.drain()]


async def test_a_burst_then_rate_limited(start_server: ServerFactory, join: PeerFactory) -> None:
    server = await start_server(chat_rate_limit="3/minute")
    url = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http, http.post(f"{url}/api/rooms") as response:
        room = (await response.json())["id"]
    ann = await join("ann", room=room, url=url)
    for i in range(3):
        assert (await ann.call("CHAT", {"text": f"m{i}"}))["ok"]
    ack = await ann.call("CHAT", {"text": "one too many"})
    assert ack["error"]["code"] == "rate_limited"
    # Another member has a budget of their own.
    bob = await join("bob", room=room, url=url)
    assert (await bob.call("CHAT", {"text": "hi"}))["ok"]


async def test_history_comes_with_the_snapshot_pages_back_and_survives_a_restart(
    start_server: ServerFactory, db: Any
) -> None:
    first = await start_server(chat_rate_limit="1000/minute")
    url = str(first.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http, http.post(f"{url}/api/rooms") as response:
        room = (await response.json())["id"]
    ann = Peer("ann")
    await ann.connect(url, {"room": room, "name": "ann"})
    sent = [(await ann.call("CHAT", {"text": f"m{i}"}))["message"] for i in range(205)]
    await ann.close()
    await first.close()  # shutdown saves what is pending
    assert await db["chat"].count_documents({"room": room}) == 200  # only the last 200 kept

    second = await start_server()
    peer = Peer("bob")
    try:
        await peer.connect(str(second.make_url("")).rstrip("/"), {"room": room, "name": "bob"})
        snapshot = await peer.next("ROOM_STATE")
        assert [m["text"] for m in snapshot["chat"]] == [m["text"] for m in sent[-50:]]
        older = await peer.call("CHAT_HISTORY", {"before": snapshot["chat"][0]["id"], "limit": 100})
        assert [m["text"] for m in older["messages"]] == [m["text"] for m in sent[-150:-50]]
        oldest = await peer.call("CHAT_HISTORY", {"before": older["messages"][0]["id"]})
        assert [m["text"] for m in oldest["messages"]] == [m["text"] for m in sent[-200:-150]]
        done = await peer.call("CHAT_HISTORY", {"before": oldest["messages"][0]["id"]})
        assert done == {"ok": True, "messages": []}
        bad = await peer.call("CHAT_HISTORY", {"limit": 0})
        assert bad["error"]["code"] == "invalid_payload"
    finally:
        await peer.close()


@dataclass(frozen=True)
class Staffed:
    room: str
    owner: Peer
    moderator: Peer
    guest: Peer
    ids: dict[str, str]  # member ids by name


async def owner_room(http: aiohttp.ClientSession, base_url: str, join: PeerFactory) -> Staffed:
    """A room owned by ann, with her moderator moe and a guest, gus; their member ids."""
    ann = await register(http, base_url, "ann")
    mo = await register(http, base_url, "moe")
    room = await create_room(http, base_url, ann)
    async with http.patch(
        f"{base_url}/api/rooms/{room}", json={"moderators": [mo.id]}, headers=ann.bearer
    ) as response:
        assert response.status == 200
    owner = await join("ann", auth={"room": room, "token": ann.token})
    moderator = await join("moe", auth={"room": room, "token": mo.token})
    guest = await join("gus", auth={"room": room, "name": "gus"})
    ids = {}
    for name, peer in (("ann", owner), ("moe", moderator), ("gus", guest)):
        ids[name] = (await peer.next("ROOM_STATE"))["you"]["id"]
    return Staffed(room, owner, moderator, guest, ids)


async def test_moderators_delete_messages_for_everyone(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory, db: Any
) -> None:
    r = await owner_room(http, base_url, join)
    message = (await r.guest.call("CHAT", {"text": "spam"}))["message"]
    assert (await r.guest.call("DELETE_CHAT", {"id": message["id"]}))["error"][
        "code"
    ] == "forbidden"
    assert (await r.moderator.call("DELETE_CHAT", {"id": message["id"]}))["ok"]
    assert await r.owner.next("CHAT_DELETED") == {"id": message["id"]}
    assert await r.guest.next("CHAT_DELETED") == {"id": message["id"]}
    history = await r.owner.call("CHAT_HISTORY", {})
    assert message["id"] not in [m["id"] for m in history["messages"]]
    again = await r.moderator.call("DELETE_CHAT", {"id": message["id"]})
    assert again["error"]["code"] == "no_such_message"
    for _ in range(50):
        if await db["chat"].count_documents({"_id": message["id"]}) == 0:
            break
        await asyncio.sleep(0.1)
    assert await db["chat"].count_documents({"_id": message["id"]}) == 0


async def test_mute_refuses_chat_for_a_time(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    r = await owner_room(http, base_url, join)
    refused = await r.guest.call("MUTE", {"member_id": r.ids["ann"], "seconds": 60})
    assert refused["error"]["code"] == "forbidden"
    ack = await r.moderator.call("MUTE", {"member_id": r.ids["gus"], "seconds": 60})
    assert ack["ok"] is True
    told = await r.guest.next("MUTED")
    assert (told["seconds"], told["by"]) == (60, "moe")
    ack = await r.guest.call("CHAT", {"text": "let me speak"})
    assert ack["error"]["code"] == "muted"
    assert "60 s" in ack["error"]["message"] or "59 s" in ack["error"]["message"]
    assert (await r.owner.call("CHAT", {"text": "others still can"}))["ok"]
    # A r.moderator may not mute the r.owner.
    ack = await r.moderator.call("MUTE", {"member_id": r.ids["ann"], "seconds": 60})
    assert ack["error"]["code"] == "forbidden"
    bad = await r.moderator.call("MUTE", {"member_id": r.ids["gus"], "seconds": 0})
    assert bad["error"]["code"] == "invalid_payload"


async def test_kick_disconnects_and_says_why(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    r = await owner_room(http, base_url, join)
    assert (await r.guest.call("KICK", {"member_id": r.ids["moe"]}))["error"]["code"] == "forbidden"
    assert (await r.moderator.call("KICK", {"member_id": r.ids["ann"]}))["error"][
        "code"
    ] == "forbidden"
    missing = await r.moderator.call("KICK", {"member_id": "nobody"})
    assert missing["error"]["code"] == "no_such_member"
    ack = await r.moderator.call("KICK", {"member_id": r.ids["gus"], "reason": "be nice"})
    assert ack == {"ok": True}
    assert await r.guest.next("KICKED") == {"reason": "be nice", "by": "moe"}
    await asyncio.wait_for(r.guest.disconnected.wait(), 5)
    await r.owner.members_become(["ann", "moe"])
    # The r.owner may kick a r.moderator.
    assert (await r.owner.call("KICK", {"member_id": r.ids["moe"]}))["ok"]
    await asyncio.wait_for(r.moderator.disconnected.wait(), 5)


async def test_ban_keeps_a_signed_in_user_out_until_unbanned(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory, db: Any
) -> None:
    r = await owner_room(http, base_url, join)
    troll = await register(http, base_url, "troll")
    bad = await join("troll", auth={"room": r.room, "token": troll.token})
    troll_id = (await bad.next("ROOM_STATE"))["you"]["id"]
    assert (await r.guest.call("BAN", {"member_id": troll_id}))["error"]["code"] == "forbidden"
    ack = await r.moderator.call("BAN", {"member_id": troll_id, "reason": "trolling"})
    assert ack == {"ok": True, "user_id": troll.id}
    assert await bad.next("BANNED") == {"reason": "trolling", "by": "moe"}
    await asyncio.wait_for(bad.disconnected.wait(), 5)
    assert troll.id in (await r.owner.next("ROOM_INFO"))["banned"]
    refused = Peer("troll")
    try:
        with pytest.raises(Exception, match="failed to connect"):
            await refused.connect(base_url, {"room": r.room, "token": troll.token})
        assert refused.refusal is not None
        assert refused.refusal["data"]["code"] == "banned"
    finally:
        await refused.close()
    # Saved with the r.room, and lifted by UNBAN.
    await asyncio.sleep(0.5)
    assert (await db["rooms"].find_one({"_id": r.room}))["banned"] == [troll.id]
    assert (await r.guest.call("UNBAN", {"user_id": troll.id}))["error"]["code"] == "forbidden"
    assert (await r.owner.call("UNBAN", {"user_id": troll.id}))["ok"]
    assert (await r.owner.call("UNBAN", {"user_id": troll.id}))["error"]["code"] == "not_banned"
    back = await join("troll", auth={"room": r.room, "token": troll.token})
    assert (await back.next("ROOM_STATE"))["you"]["user_id"] == troll.id


async def test_moderators_change_who_controls_the_room(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    r = await owner_room(http, base_url, join)
    refused = await r.guest.call("SET_CONTROL", {"control": "everyone"})
    assert refused["error"]["code"] == "forbidden"
    assert (await r.moderator.call("SET_CONTROL", {"control": "members"}))["ok"]
    assert (await r.guest.next("ROOM_INFO"))["control"] == "members"
    assert (await r.guest.call("SEEK", {"timestamp": 3}))["error"]["code"] == "forbidden"
    bad = await r.moderator.call("SET_CONTROL", {"control": "nobody"})
    assert bad["error"]["code"] == "invalid_payload"


async def test_members_say_who_is_signed_in_and_their_role(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    r = await owner_room(http, base_url, join)
    await r.owner.members_become(["ann", "moe", "gus"])
    async with http.get(f"{base_url}/api/rooms/{r.room}") as response:
        members = (await response.json())["members"]
    assert [(m["name"], m["signed_in"], m["role"]) for m in members] == [
        ("ann", True, "owner"),
        ("moe", True, "moderator"),
        ("gus", False, "guest"),
    ]


async def test_a_dropped_connection_that_comes_back_is_not_a_leave(
    start_server: ServerFactory,
) -> None:
    server = await start_server(reconnect_grace_seconds=2)
    url = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http, http.post(f"{url}/api/rooms") as response:
        room = (await response.json())["id"]
    ann, bob, cat = Peer("ann"), Peer("bob"), Peer("cat")
    try:
        await ann.connect(url, {"room": room, "name": "ann"})
        await bob.connect(url, {"room": room, "name": "bob"})
        you = (await bob.next("ROOM_STATE"))["you"]
        await ann.members_become(["ann", "bob"])
        await asyncio.sleep(0.3)
        ann.drain()
        await bob.close()  # the connection goes (for the server: the transport closed)
        bob = Peer("bob")
        await bob.connect(url, {"room": room, "name": "bob", "resume": you["resume"]})
        back = (await bob.next("ROOM_STATE"))["you"]
        assert back["id"] == you["id"]  # the same member
        await asyncio.sleep(2.5)  # past the grace period
        assert [n for n, _ in ann.drain() if n == "MEMBERS"] == []  # nobody saw it go
        # A resume token works once, for its own member, and not for someone else's account.
        await cat.connect(url, {"room": room, "name": "cat", "resume": you["resume"]})
        assert (await cat.next("ROOM_STATE"))["you"]["id"] != you["id"]
        await ann.members_become(["ann", "bob", "cat"])
        await asyncio.sleep(0.3)
        ann.drain()
        # One that does not come back is gone once the grace period is over.
        await cat.close()
        await asyncio.sleep(1.0)
        assert [n for n, _ in ann.drain() if n == "MEMBERS"] == []
        await ann.members_become(["ann", "bob"])
    finally:
        for peer in (ann, bob, cat):
            await peer.close()


async def test_deleting_a_room_deletes_its_chat(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory, db: Any
) -> None:
    ann = await register(http, base_url, "ann")
    room = await create_room(http, base_url, ann)
    peer = await join("ann", auth={"room": room, "token": ann.token})
    await peer.call("CHAT", {"text": "bye"})
    for _ in range(50):
        if await db["chat"].count_documents({"room": room}):
            break
        await asyncio.sleep(0.1)
    async with http.delete(f"{base_url}/api/rooms/{room}", headers=ann.bearer) as response:
        assert response.status == 204
    for _ in range(50):
        if not await db["chat"].count_documents({"room": room}):
            break
        await asyncio.sleep(0.1)
    assert await db["chat"].count_documents({"room": room}) == 0


async def test_a_room_with_more_history_saved_than_it_keeps_is_trimmed_on_load(
    start_server: ServerFactory, db: Any
) -> None:
    first = await start_server()
    url = str(first.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http, http.post(f"{url}/api/rooms") as response:
        room = (await response.json())["id"]
    await first.close()
    # As a crash between saving messages and forgetting the ones they pushed out leaves it.
    fields = {"member_id": "x", "user_id": None, "by": "old", "room": room}
    await db["chat"].insert_many(
        [
            {"_id": f"old{n}", "text": f"o{n}", "at": 1_700_000_000.0 + n, **fields}
            for n in range(230)
        ]
    )
    second = await start_server()
    peer = Peer("ann")
    try:
        await peer.connect(str(second.make_url("")).rstrip("/"), {"room": room, "name": "ann"})
        snapshot = await peer.next("ROOM_STATE")
        assert [m["text"] for m in snapshot["chat"]] == [f"o{n}" for n in range(180, 230)]
        new = await peer.call("CHAT", {"text": "new"})
        assert new["ok"] is True
    finally:
        await peer.close()
    await second.close()  # shutdown saves what is pending
    saved = [doc["text"] async for doc in db["chat"].find({"room": room}).sort("at", 1)]
    assert saved == [f"o{n}" for n in range(31, 230)] + ["new"]

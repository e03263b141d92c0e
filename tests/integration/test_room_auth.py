"""Signed-in sockets, room owners and who may control a room, with real Socket.IO clients."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import jwt
import pytest
from aiohttp.test_utils import make_mocked_request

from tests.accounts import Account, register
from tests.conftest import JWT_SECRET, PeerFactory, ServerFactory
from tests.peers import Peer
from watchparty.core.plans import FREE
from watchparty.core.policy import grants
from watchparty.realtime.handshake import Handshake


async def create_room(
    http: aiohttp.ClientSession, base_url: str, owner: Account | None, name: str = "Club"
) -> str:
    headers = owner.bearer if owner else None
    async with http.post(f"{base_url}/api/rooms", json={"name": name}, headers=headers) as response:
        assert response.status == 201
        body = await response.json()
    assert body["owner_id"] == (owner.id if owner else None)
    return str(body["id"])


async def patch_room(
    http: aiohttp.ClientSession, base_url: str, room: str, body: Any, who: Account | None
) -> tuple[int, Any]:
    headers = who.bearer if who else None
    async with http.patch(f"{base_url}/api/rooms/{room}", json=body, headers=headers) as response:
        return response.status, await response.json()


async def connect_refusal(base_url: str, auth: Any, **kwargs: Any) -> dict[str, Any]:
    peer = Peer("refused")
    try:
        with pytest.raises(Exception, match="failed to connect"):
            await peer.connect(base_url, auth, **kwargs)
    finally:
        await peer.close()
    assert peer.refusal is not None
    return peer.refusal


async def test_a_token_signs_the_socket_in(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    ann = await register(http, base_url, "ann")
    room = await create_room(http, base_url, ann)
    peer = await join("ignored", auth={"room": room, "token": ann.token})
    snapshot = await peer.next("ROOM_STATE")
    assert snapshot["you"]["user_id"] == ann.id
    assert (snapshot["you"]["name"], snapshot["you"]["role"]) == ("ann", "owner")
    assert snapshot["info"] == {
        "name": "Club",
        "owner_id": ann.id,
        "control": "everyone",
        "moderators": [],
        "banned": [],
        "skip_threshold": 0.5,
        "wait_for_all": False,
        "queue_mode": "manual",
        "visibility": "unlisted",
        "password": False,
        "allowed": [],
        "plan": FREE.to_wire(),
        "grants": grants("everyone"),
    }
    members = (await peer.next("MEMBERS"))["joined"]
    assert [(m["name"], m["user_id"], m["role"]) for m in members] == [("ann", ann.id, "owner")]
    # A display name of one's own choice is kept.
    named = await join("x", auth={"room": room, "token": ann.token, "name": "Ann (phone)"})
    assert (await named.next("ROOM_STATE"))["you"]["name"] == "Ann (phone)"


async def test_bad_or_expired_tokens_refuse_the_connection(
    http: aiohttp.ClientSession, base_url: str, room_id: str
) -> None:
    ann = await register(http, base_url, "ann")
    now = int(time.time())
    expired = jwt.encode(
        {"sub": ann.id, "ver": 0, "aud": "watchparty:session", "iat": now - 99, "exp": now - 9},
        JWT_SECRET,
    )
    for token, code in ((expired, "token_expired"), (ann.token[:-3] + "abc", "invalid_token")):
        refusal = await connect_refusal(base_url, {"room": room_id, "token": token, "name": "a"})
        assert refusal["data"]["code"] == code
        assert refusal["message"]
    # A revoked session (password changed) is refused too.
    async with http.post(
        f"{base_url}/api/auth/logout", json={"everywhere": True}, headers=ann.bearer
    ) as response:
        assert response.status == 204
    refusal = await connect_refusal(base_url, {"room": room_id, "token": ann.token})
    assert refusal["data"]["code"] == "session_revoked"


async def test_thesession_cookie_signs_a_same_site_socket_in(
    http: aiohttp.ClientSession, base_url: str, room_id: str, join: PeerFactory
) -> None:
    ann = await register(http, base_url, "ann")
    cookie = {"Cookie": f"watchparty_session={ann.token}"}
    peer = await join("x", auth={"room": room_id}, headers={**cookie, "Origin": base_url})
    you = (await peer.next("ROOM_STATE"))["you"]
    assert (you["user_id"], you["name"], you["role"]) == (ann.id, "ann", "member")
    # A stale cookie makes a guest (the browser keeps sending what its user cannot see).
    stale = {"Cookie": "watchparty_session=not.a.token"}
    guest = await join("guest", auth={"room": room_id, "name": "guest"}, headers=stale)
    assert (await guest.next("ROOM_STATE"))["you"]["user_id"] is None
    # Another site's page cannot open a socket at all (Engine.IO checks the Origin)...
    evil = {**cookie, "Origin": "http://evil.example"}
    with pytest.raises(Exception, match="Connection error"):
        await join("evil", auth={"room": room_id, "name": "evil"}, headers=evil)


async def test_an_allowed_other_site_does_not_borrow_the_cookie(
    start_server: ServerFactory, join: PeerFactory
) -> None:
    """...and one that CORS_ORIGINS lets in gets a guest, not the visitor's session."""
    server = await start_server(cors_origins=("http://partner.example",))
    base_url = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        ann = await register(http, base_url, "ann")
        room = await create_room(http, base_url, None)
    headers = {"Cookie": f"watchparty_session={ann.token}", "Origin": "http://partner.example"}
    guest = await join("guest", auth={"room": room, "name": "guest"}, headers=headers, url=base_url)
    assert (await guest.next("ROOM_STATE"))["you"]["user_id"] is None
    # With its token in auth, the same client is signed in.
    signed = await join(
        "ann", auth={"room": room, "token": ann.token}, headers=headers, url=base_url
    )
    assert (await signed.next("ROOM_STATE"))["you"]["user_id"] == ann.id
    # Listing a partner keeps the server's own pages in (engine.io's list alone would not),
    # signed in by their cookie; a site not listed stays out.
    own = {"Cookie": f"watchparty_session={ann.token}", "Origin": base_url}
    page = await join("own", auth={"room": room}, headers=own, url=base_url)
    assert (await page.next("ROOM_STATE"))["you"]["user_id"] == ann.id
    evil = {"Origin": "http://evil.example"}
    with pytest.raises(Exception, match="Connection error"):
        await join("evil", auth={"room": room, "name": "evil"}, headers=evil, url=base_url)


async def test_a_guest_needs_a_name(base_url: str, room_id: str) -> None:
    refusal = await connect_refusal(base_url, {"room": room_id})
    assert refusal["data"]["code"] == "invalid_auth"
    assert "name" in refusal["message"]


async def test_owners_list_their_rooms(http: aiohttp.ClientSession, base_url: str) -> None:
    ann = await register(http, base_url, "ann")
    bob = await register(http, base_url, "bob")
    first = await create_room(http, base_url, ann, "First")
    second = await create_room(http, base_url, ann, "Second")
    await create_room(http, base_url, bob, "Bob's")
    await create_room(http, base_url, None, "Nobody's")
    async with http.get(f"{base_url}/api/users/me/rooms", headers=ann.bearer) as response:
        assert response.status == 200
        rooms = (await response.json())["rooms"]
    assert [(r["id"], r["name"]) for r in rooms] == [(second, "Second"), (first, "First")]
    assert rooms[0]["path"] == f"/r/{second}"
    assert rooms[0]["owner_id"] == ann.id
    async with http.get(f"{base_url}/api/users/me/rooms") as response:
        assert response.status == 401


async def test_only_the_owner_changes_a_room(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    ann = await register(http, base_url, "ann")
    bob = await register(http, base_url, "bob")
    room = await create_room(http, base_url, ann)
    guest_room = await create_room(http, base_url, None)
    watcher = await join("watcher", room=room)
    await watcher.next("ROOM_STATE")

    status, data = await patch_room(http, base_url, room, {"name": "Mine now"}, bob)
    assert (status, data["error"]["code"]) == (403, "forbidden")
    status, data = await patch_room(http, base_url, room, {"name": "Mine now"}, None)
    assert (status, data["error"]["code"]) == (401, "unauthenticated")
    status, data = await patch_room(http, base_url, guest_room, {"name": "x"}, ann)
    assert status == 403  # a room made by a guest has no owner
    for bad, message in (
        ({"control": "nobody"}, "control:"),
        ({"moderators": ["no-such-user"]}, "moderators.0: no user has this id"),
        ({"name": ""}, "name:"),
    ):
        status, data = await patch_room(http, base_url, room, bad, ann)
        assert status == 400
        assert data["error"]["message"].startswith(message), data
    async with http.get(f"{base_url}/api/rooms/{room}") as response:
        assert (await response.json())["info"]["name"] == "Club"  # nothing changed

    status, data = await patch_room(
        http, base_url, room, {"name": "Renamed", "control": "owner", "moderators": [bob.id]}, ann
    )
    assert status == 200
    assert (data["name"], data["control"], data["moderators"]) == ("Renamed", "owner", [bob.id])
    info = await watcher.next("ROOM_INFO")
    assert info == {
        "name": "Renamed",
        "owner_id": ann.id,
        "control": "owner",
        "banned": [],
        "skip_threshold": 0.5,
        "wait_for_all": False,
        "queue_mode": "manual",
        "visibility": "unlisted",
        "password": False,
        "allowed": [],
        "plan": FREE.to_wire(),
        "moderators": [bob.id],
        "grants": grants("owner"),  # what each role may do changed with the control mode
    }
    assert "control" not in info["grants"]["member"]["may"]
    async with http.get(f"{base_url}/api/rooms/{room}") as response:
        body = await response.json()
    assert (body["name"], body["info"]["control"]) == ("Renamed", "owner")


@pytest.mark.parametrize(
    ("control", "allowed"),
    [
        ("everyone", {"owner", "moderator", "member", "guest"}),
        ("members", {"owner", "moderator", "member"}),
        ("owner", {"owner", "moderator"}),
    ],
)
async def test_each_control_mode_with_real_clients(
    http: aiohttp.ClientSession,
    base_url: str,
    join: PeerFactory,
    control: str,
    allowed: set[str],
) -> None:
    ann = await register(http, base_url, "ann")
    mod = await register(http, base_url, "mod")
    member = await register(http, base_url, "mem")
    room = await create_room(http, base_url, ann)
    status, _ = await patch_room(
        http, base_url, room, {"control": control, "moderators": [mod.id]}, ann
    )
    assert status == 200
    peers = {
        "owner": await join("ann", auth={"room": room, "token": ann.token}),
        "moderator": await join("mod", auth={"room": room, "token": mod.token}),
        "member": await join("mem", auth={"room": room, "token": member.token}),
        "guest": await join("guest", auth={"room": room, "name": "guest"}),
    }
    for role, peer in peers.items():
        assert (await peer.next("ROOM_STATE"))["you"]["role"] == role
    for role, peer in peers.items():
        async with http.get(f"{base_url}/api/rooms/{room}") as response:
            before = (await response.json())["state"]
        ack = await peer.call("SEEK", {"timestamp": 5.0 + len(role)})
        async with http.get(f"{base_url}/api/rooms/{room}") as response:
            after = (await response.json())["state"]
        if role in allowed:
            assert ack["ok"] is True, (role, ack)
            assert after["version"] == before["version"] + 1
        else:
            assert ack == {
                "ok": False,
                "error": {"code": "forbidden", "message": ack["error"]["message"]},
            }
            assert "may control" in ack["error"]["message"]
            assert after == before  # nothing changed
    # Roles follow the moderators list: demoting mod takes effect at once.
    if control == "owner":
        status, _ = await patch_room(http, base_url, room, {"moderators": []}, ann)
        assert status == 200
        await peers["moderator"].next("ROOM_INFO")
        ack = await peers["moderator"].call("PLAY")
        assert ack["error"]["code"] == "forbidden"


async def test_members_see_roles_change(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    ann = await register(http, base_url, "ann")
    bob = await register(http, base_url, "bob")
    room = await create_room(http, base_url, ann)
    owner = await join("ann", auth={"room": room, "token": ann.token})
    await join("bob", auth={"room": room, "token": bob.token})
    await owner.members_become(["ann", "bob"])
    await patch_room(http, base_url, room, {"moderators": [bob.id]}, ann)
    async with asyncio.timeout(5):
        while [m["role"] for m in owner.members] != ["owner", "moderator"]:
            changed = (await owner.next("MEMBERS"))["changed"]
    assert [(m["name"], m["role"]) for m in changed] == [("bob", "moderator")]  # only bob


async def test_the_owner_deletes_a_room(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    ann = await register(http, base_url, "ann")
    bob = await register(http, base_url, "bob")
    room = await create_room(http, base_url, ann)
    watcher = await join("watcher", room=room)
    await watcher.next("ROOM_STATE")
    async with http.delete(f"{base_url}/api/rooms/{room}", headers=bob.bearer) as response:
        assert response.status == 403
    async with http.delete(f"{base_url}/api/rooms/{room}", headers=ann.bearer) as response:
        assert response.status == 204
    assert await watcher.next("ROOM_DELETED") == {"room": room}
    await asyncio.wait_for(watcher.disconnected.wait(), 5)
    async with http.get(f"{base_url}/api/rooms/{room}") as response:
        assert response.status == 404
    async with http.get(f"{base_url}/api/users/me/rooms", headers=ann.bearer) as response:
        assert (await response.json())["rooms"] == []
    refusal = await connect_refusal(base_url, {"room": room, "name": "late"})
    assert refusal["data"]["code"] == "room_not_found"
    async with http.get(f"{base_url}/r/{room}") as response:
        assert response.status == 404


def test_thesession_cookie_is_found_behind_other_cookies() -> None:
    """Browsers send every cookie of the host, some oddly named; ``SimpleCookie`` (which
    python-socketio's client uses too) stops parsing at the first odd one, aiohttp does not."""
    header = 'weird key!=1; other="quoted; value"; watchparty_session=the-token'
    request = make_mocked_request("GET", "/socket.io/", headers={"Cookie": header})
    assert Handshake.of(request).session == "the-token"
    plain = make_mocked_request("GET", "/", headers={"Cookie": "watchparty_session=plain"})
    assert Handshake.of(plain).session == "plain"
    assert Handshake.of(make_mocked_request("GET", "/")).session is None


async def test_a_free_user_owns_ten_rooms_at_once(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    ann = await register(http, base_url, "ann")
    rooms = [await create_room(http, base_url, ann, name=f"R{i}") for i in range(FREE.max_rooms)]
    async with http.post(f"{base_url}/api/rooms", json={}, headers=ann.bearer) as response:
        assert response.status == 402
        error = (await response.json())["error"]
    assert error["code"] == "upgrade_required"
    assert error["message"] == (
        "on the Free plan you may own 10 rooms; delete one or upgrade to Plus"
    )
    # Deleting one frees its place; guests are not counted against anyone.
    async with http.delete(f"{base_url}/api/rooms/{rooms[0]}", headers=ann.bearer) as response:
        assert response.status == 204
    await create_room(http, base_url, ann, name="again")
    await create_room(http, base_url, None)

"""Who may enter a room, with the real server and real Socket.IO clients: passwords,
private rooms, the allow list, invites, and what the HTTP API shows to whom."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import aiohttp

from tests.accounts import Account, register
from tests.conftest import PeerFactory, ServerFactory
from tests.integration.test_room_auth import connect_refusal, create_room, patch_room
from watchparty.core.access import MAX_INVITES
from watchparty.keys import REGISTRY
from watchparty.rooms.routes import MEMBER_HEADER


async def invite(
    http: aiohttp.ClientSession, base_url: str, room: str, owner: Account, **body: Any
) -> tuple[int, Any]:
    url = f"{base_url}/api/rooms/{room}/invites"
    async with http.post(url, json=body, headers=owner.bearer) as response:
        return response.status, await response.json()


async def room_view(
    http: aiohttp.ClientSession, base_url: str, room: str, headers: Any = None
) -> dict[str, Any]:
    async with http.get(f"{base_url}/api/rooms/{room}", headers=headers) as response:
        assert response.status == 200
        return dict(await response.json())


async def test_a_password_room_asks_for_it_and_refuses_a_wrong_one(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    ann = await register(http, base_url, "ann")
    room = await create_room(http, base_url, ann)
    status, body = await patch_room(http, base_url, room, {"password": "s3same"}, ann)
    assert status == 200
    assert body["password"] is True
    assert "password_hash" not in body
    assert "s3same" not in str(body)
    owner = await join("ann", auth={"room": room, "token": ann.token})  # no password asked
    await owner.next("ROOM_STATE")

    refusal = await connect_refusal(base_url, {"room": room, "name": "bob"})
    assert refusal["data"]["code"] == "password_required"
    refusal = await connect_refusal(base_url, {"room": room, "name": "bob", "password": "nope"})
    assert refusal["data"]["code"] == "wrong_password"
    bob = await join("bob", auth={"room": room, "name": "bob", "password": "s3same"})
    assert (await bob.next("ROOM_STATE"))["info"]["password"] is True

    # The owner changes it: bob stays; the old password no longer opens the door.
    status, _ = await patch_room(http, base_url, room, {"password": "other"}, ann)
    assert status == 200
    await bob.next("ROOM_INFO")
    assert bob.client.connected
    refusal = await connect_refusal(base_url, {"room": room, "name": "cy", "password": "s3same"})
    assert refusal["data"]["code"] == "wrong_password"
    # null removes it
    status, body = await patch_room(http, base_url, room, {"password": None}, ann)
    assert (status, body["password"]) == (200, False)
    cy = await join("cy", auth={"room": room, "name": "cy"})
    await cy.next("ROOM_STATE")


async def test_wrong_passwords_are_limited_per_room_and_address(
    http: aiohttp.ClientSession, start_server: ServerFactory
) -> None:
    server = await start_server(room_password_limit="2/hour")
    base_url = str(server.make_url("")).rstrip("/")
    ann = await register(http, base_url, "ann")
    room = await create_room(http, base_url, ann)
    await patch_room(http, base_url, room, {"password": "right"}, ann)
    for _ in range(2):
        refusal = await connect_refusal(base_url, {"room": room, "name": "x", "password": "w"})
        assert refusal["data"]["code"] == "wrong_password"
    # Limited now, even with the right password: guessing has no third try this hour.
    refusal = await connect_refusal(base_url, {"room": room, "name": "x", "password": "right"})
    assert refusal["data"]["code"] == "rate_limited"
    # Another room of the same owner is its own count.
    other = await create_room(http, base_url, ann, name="Other")
    await patch_room(http, base_url, other, {"password": "right"}, ann)
    peer_refusal = await connect_refusal(base_url, {"room": other, "name": "x", "password": "w"})
    assert peer_refusal["data"]["code"] == "wrong_password"


async def test_a_private_room_admits_its_allow_list_and_invites_only(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    ann = await register(http, base_url, "ann")
    bob = await register(http, base_url, "bob")
    eve = await register(http, base_url, "eve")
    room = await create_room(http, base_url, ann)
    status, body = await patch_room(
        http, base_url, room, {"visibility": "private", "allowed": [bob.id]}, ann
    )
    assert (status, body["visibility"], body["allowed"]) == (200, "private", [bob.id])
    refusal = await connect_refusal(base_url, {"room": room, "name": "g"})
    assert refusal["data"]["code"] == "room_private"
    refusal = await connect_refusal(base_url, {"room": room, "token": eve.token})
    assert refusal["data"]["code"] == "room_private"
    allowed = await join("bob", auth={"room": room, "token": bob.token})
    await allowed.next("ROOM_STATE")
    # Outsiders see the door, not the room.
    seen = await room_view(http, base_url, room)
    assert seen == {"id": room, "name": "Club", "visibility": "private", "password": False}
    assert "state" in await room_view(http, base_url, room, bob.bearer)
    # An unknown user on the allow list is refused, and nothing changes.
    status, body = await patch_room(http, base_url, room, {"allowed": [bob.id, "nobody"]}, ann)
    assert (status, body["error"]["code"]) == (400, "unknown_user")
    assert body["error"]["params"] == {"field": "allowed", "index": 1}
    # Only the owner changes who may enter.
    status, body = await patch_room(http, base_url, room, {"visibility": "public"}, bob)
    assert (status, body["error"]["code"]) == (403, "forbidden")


async def test_invites_expire_run_out_and_can_be_revoked(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    ann = await register(http, base_url, "ann")
    room = await create_room(http, base_url, ann)
    await patch_room(http, base_url, room, {"visibility": "private", "password": "pw"}, ann)
    status, once = await invite(http, base_url, room, ann, uses=1, expires_in=3600)
    assert status == 201
    assert once["url"].endswith(f"/r/{room}?invite={once['token']}")
    assert (once["uses"], once["used"]) == (1, 0)

    guest = await join("gus", auth={"room": room, "name": "gus", "invite": once["token"]})
    gus = await guest.next("ROOM_STATE")  # an invite admits past the password too
    # The same guest again (a reload) does not use it up; someone else finds it used.
    await guest.close()
    again = await join(
        "gus",
        auth={
            "room": room,
            "name": "gus",
            "invite": once["token"],
            "guest": gus["you"]["guest_token"],
        },
    )
    await again.next("ROOM_STATE")
    refusal = await connect_refusal(base_url, {"room": room, "name": "x", "invite": once["token"]})
    assert refusal["data"]["code"] == "invite_used_up"

    async with http.get(f"{base_url}/api/rooms/{room}/invites", headers=ann.bearer) as response:
        listed = (await response.json())["invites"]
    assert [(i["token"], i["used"]) for i in listed] == [(once["token"], 1)]

    status, open_ = await invite(http, base_url, room, ann)
    url = f"{base_url}/api/rooms/{room}/invites/{open_['token']}"
    async with http.delete(url, headers=ann.bearer) as response:
        assert response.status == 204
    async with http.delete(url, headers=ann.bearer) as response:
        assert (await response.json())["error"]["code"] == "invite_invalid"
    refusal = await connect_refusal(base_url, {"room": room, "name": "x", "invite": open_["token"]})
    assert refusal["data"]["code"] == "invite_invalid"
    # Nobody else may make, list or revoke invites; bad bodies change nothing.
    bob = await register(http, base_url, "bob")
    status, body = await invite(http, base_url, room, bob)
    assert (status, body["error"]["code"]) == (403, "forbidden")
    async with http.get(f"{base_url}/api/rooms/{room}/invites", headers=bob.bearer) as response:
        assert (response.status, (await response.json())["error"]["code"]) == (403, "forbidden")
    once_url = f"{base_url}/api/rooms/{room}/invites/{once['token']}"
    async with http.delete(once_url, headers=bob.bearer) as response:
        assert (response.status, (await response.json())["error"]["code"]) == (403, "forbidden")
    for bad in ({"uses": 0}, {"expires_in": 10}, {"uses": "3"}, {"extra": 1}):
        status, body = await invite(http, base_url, room, ann, **bad)
        assert (status, body["error"]["code"]) == (400, "invalid_body")


async def test_a_room_holds_so_many_live_invites(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    ann = await register(http, base_url, "ann")
    room = await create_room(http, base_url, ann)
    for _ in range(MAX_INVITES):
        assert (await invite(http, base_url, room, ann))[0] == 201
    status, body = await invite(http, base_url, room, ann)
    assert (status, body["error"]["code"]) == (409, "too_many_invites")
    assert body["error"]["params"] == {"limit": MAX_INVITES}
    async with http.get(f"{base_url}/api/rooms/{room}/invites", headers=ann.bearer) as response:
        assert len((await response.json())["invites"]) == MAX_INVITES  # nothing more was made


async def test_an_expired_invite_is_refused(
    http: aiohttp.ClientSession, start_server: ServerFactory
) -> None:
    server = await start_server()
    base_url = str(server.make_url("")).rstrip("/")
    ann = await register(http, base_url, "ann")
    room = await create_room(http, base_url, ann)
    await patch_room(http, base_url, room, {"visibility": "private"}, ann)
    status, made = await invite(http, base_url, room, ann, expires_in=60)
    assert status == 201
    registry = server.app[REGISTRY]
    live = registry.peek(room)
    assert live is not None
    # Sixty seconds on: the room's clock is the server's, so age the invite instead.
    aged = tuple(replace(i, expires_at=i.created_at - 1) for i in live.info.invites)
    live.info = replace(live.info, invites=aged)
    refusal = await connect_refusal(base_url, {"room": room, "name": "x", "invite": made["token"]})
    assert refusal["data"]["code"] == "invite_expired"


async def test_acting_on_a_closed_room_over_http_needs_membership(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    ann = await register(http, base_url, "ann")
    room = await create_room(http, base_url, ann)
    await patch_room(http, base_url, room, {"password": "pw"}, ann)
    vtt = b"WEBVTT\n\n00:00.000 --> 00:01.000\nhello\n"
    url = f"{base_url}/api/rooms/{room}/subtitles"
    headers = {"Content-Type": "text/vtt"}
    async with http.post(url, data=vtt, headers=headers) as response:
        assert (await response.json())["error"]["code"] == "password_required"
    async with http.post(f"{base_url}/api/rooms/{room}/join", json={}) as response:
        assert (await response.json())["error"]["code"] == "password_required"
    member = await join("m", auth={"room": room, "name": "m", "password": "pw"})
    you = (await member.next("ROOM_STATE"))["you"]
    proved = {**headers, MEMBER_HEADER: you["resume"]}
    async with http.post(url, data=vtt, headers=proved) as response:
        assert response.status == 201
    async with http.post(url, data=vtt, headers={**headers, MEMBER_HEADER: "guess"}) as response:
        assert response.status == 401
    # A private room: only its allow list, whatever is asked of it.
    await patch_room(http, base_url, room, {"visibility": "private", "password": None}, ann)
    eve = await register(http, base_url, "eve")
    load = f"{base_url}/api/rooms/{room}/queue"
    for who in ({}, eve.bearer):
        asks = (
            http.post(url, data=vtt, headers={**headers, **who}),
            http.post(f"{base_url}/api/rooms/{room}/join", json={}, headers=who),
            http.post(load, json={"playlist_id": "p1"}, headers=who),
        )
        for ask in asks:
            async with ask as response:
                body = await response.json()
                assert (response.status, body["error"]["code"]) == (403, "room_private")
    # ... and a password room asked to load a playlist without the password
    await patch_room(http, base_url, room, {"visibility": "public", "password": "pw"}, ann)
    async with http.post(load, json={"playlist_id": "p1"}) as response:
        assert (await response.json())["error"]["code"] == "password_required"


async def test_the_public_list_shows_public_rooms_by_viewers_and_hides_the_rest(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    ann = await register(http, base_url, "ann")
    quiet = await create_room(http, base_url, ann, name="Quiet")
    busy = await create_room(http, base_url, ann, name="Busy")
    unlisted = await create_room(http, base_url, ann, name="Unlisted")
    private = await create_room(http, base_url, ann, name="Private")
    for room in (quiet, busy):
        await patch_room(http, base_url, room, {"visibility": "public"}, ann)
    await patch_room(http, base_url, busy, {"password": "pw"}, ann)
    await patch_room(http, base_url, private, {"visibility": "private"}, ann)
    for name in ("a", "b"):
        peer = await join(name, auth={"room": busy, "name": name, "password": "pw"})
        await peer.next("ROOM_STATE")
    for room in (unlisted, private):
        peer = await join("p", auth={"room": room, "token": ann.token})
        await peer.next("ROOM_STATE")

    async def listed(query: str) -> Any:
        async with http.get(f"{base_url}/api/rooms?{query}") as response:
            return response.status, await response.json()

    for _ in range(50):  # the counts are saved behind the joins
        status, page = await listed("visibility=public")
        if [r["viewers"] for r in page["rooms"]] == [2, 0]:
            break
        await asyncio.sleep(0.05)
    assert status == 200
    assert [(r["name"], r["viewers"], r["password"]) for r in page["rooms"]] == [
        ("Busy", 2, True),
        ("Quiet", 0, False),
    ]
    assert page["total"] == 2
    status, second = await listed("visibility=public&offset=1&limit=1")
    assert [r["name"] for r in second["rooms"]] == ["Quiet"]
    for bad in ("visibility=private", "", "visibility=public&limit=500", "visibility=public&x=1"):
        status, body = await listed(bad)
        assert (status, body["error"]["code"]) == (400, "invalid_query")

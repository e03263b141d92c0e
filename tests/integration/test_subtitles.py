"""Subtitle tracks on the queue and the current video (real clients), and uploaded subtitle
files over HTTP: SRT and WebVTT in, WebVTT out, text only, bounded, kept with the room."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from tests.accounts import register
from tests.conftest import PeerFactory, ServerFactory
from tests.integration.test_persistence import get_room, new_room, start, url
from tests.peers import Peer
from watchparty.settings import Settings
from watchparty.subtitles.convert import MAX_SUBTITLE_BYTES
from watchparty.subtitles.routes import MAX_FILES_PER_ROOM

FILE = "/media/clip.webm"
FRENCH = {"label": "Français", "lang": "fr", "url": "https://subs.example/fr.vtt"}
SRT = (
    "1\r\n00:00:01,000 --> 00:00:02,500\r\nBonjour <b>tout</b> le monde\r\n\r\n"
    "2\r\n00:00:03,000 --> 00:00:04,000\r\n<script>alert(1)</script> & <i>fin</i>\r\n"
)


async def test_tracks_ride_on_items_and_the_current_video(join: PeerFactory) -> None:
    ann, bob = await join("ann"), await join("bob")
    english = {**FRENCH, "label": "English", "lang": "en-gb", "kind": "captions"}
    assert (await ann.call("CHANGE_VIDEO", {"video_id": "playing----"}))["ok"]
    ack = await ann.call("QUEUE_ADD", {"item": {"video_id": FILE, "subtitles": [FRENCH, english]}})
    assert ack["ok"], ack
    item = ack["state"]["queue"][0]
    assert [(t["id"], t["lang"], t["kind"], t["default"]) for t in item["subtitles"]] == [
        ("t1", "fr", "subtitles", False),
        ("t2", "en-GB", "captions", False),  # the tag in its standard case
    ]
    ack = await ann.call(
        "SET_SUBTITLES", {"id": item["id"], "subtitles": [{**FRENCH, "id": "fr", "default": True}]}
    )
    assert ack["state"]["queue"][0]["subtitles"][0]["id"] == "fr"
    assert (await bob.next("SET_SUBTITLES"))["state"] == ack["state"]
    # The item brings its tracks along when it plays.
    ack = await ann.call("CHANGE_VIDEO", {"video_id": FILE, "subtitles": [english]})
    assert [t["label"] for t in ack["state"]["subtitles"]] == ["English"]
    ack = await ann.call("SET_SUBTITLES", {"subtitles": []})
    assert ack["state"]["subtitles"] == []


@pytest.mark.parametrize(
    ("track", "where"),
    [
        ({**FRENCH, "lang": "french"}, "subtitles.0.lang"),
        ({**FRENCH, "lang": "fr_FR"}, "subtitles.0.lang"),
        ({**FRENCH, "lang": "zz-ZZ"}, "subtitles.0.lang"),
        ({**FRENCH, "url": "javascript:alert(1)"}, "subtitles.0.url"),
        ({**FRENCH, "url": "//evil.example/x.vtt"}, "subtitles.0.url"),
        ({**FRENCH, "label": "a\u202eb"}, "subtitles.0.label"),
        ({**FRENCH, "label": "\ud800"}, "subtitles.0.label"),
        ({**FRENCH, "kind": "chapters"}, "subtitles.0.kind"),
        ({**FRENCH, "script": 1}, "subtitles.0.script"),
    ],
)
async def test_bad_tracks_are_refused_and_change_nothing(
    join: PeerFactory, track: dict[str, Any], where: str
) -> None:
    ann = await join("ann")
    version = (await ann.call("CHANGE_VIDEO", {"video_id": FILE}))["state"]["version"]
    ack = await ann.call("SET_SUBTITLES", {"subtitles": [track]})
    assert ack["error"]["code"] == "invalid_payload"
    assert ack["error"]["message"].startswith(where), ack["error"]["message"]
    ack = await ann.call("SET_SUBTITLES", {"subtitles": []})
    assert ack["state"]["version"] == version + 1  # nothing happened in between


async def test_track_lists_are_bounded(join: PeerFactory) -> None:
    ann = await join("ann")
    assert (await ann.call("CHANGE_VIDEO", {"video_id": FILE}))["ok"]
    many = [{**FRENCH, "id": f"x{i}"} for i in range(9)]
    two_defaults = [{**FRENCH, "default": True}, {**FRENCH, "default": True}]
    twins = [{**FRENCH, "id": "a"}, {**FRENCH, "id": "a"}]
    for tracks in (many, two_defaults, twins):
        ack = await ann.call("SET_SUBTITLES", {"subtitles": tracks})
        assert ack["error"]["code"] == "invalid_payload"
    ack = await ann.call("SET_SUBTITLES", {"id": "nope", "subtitles": []})
    assert ack["error"]["code"] == "no_such_item"


async def upload(
    http: aiohttp.ClientSession, base: str, room: str, body: Any, **kwargs: Any
) -> tuple[int, Any]:
    async with http.post(f"{base}/api/rooms/{room}/subtitles", data=body, **kwargs) as r:
        return r.status, await r.json()


async def test_an_srt_upload_is_served_as_plain_webvtt(
    http: aiohttp.ClientSession, base_url: str, room_id: str
) -> None:
    status, body = await upload(
        http, base_url, room_id, SRT.encode(), headers={"Content-Type": "application/x-subrip"}
    )
    assert status == 201, body
    assert body["url"] == f"/api/rooms/{room_id}/subtitles/{body['id']}"
    async with http.get(base_url + body["url"]) as r:
        assert r.status == 200
        assert r.headers["Content-Type"] == "text/vtt; charset=utf-8"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in r.headers["Content-Security-Policy"]
        text = await r.text()
    assert text == (
        "WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nBonjour tout le monde\n\n"
        "00:00:03.000 --> 00:00:04.000\nalert(1) &amp; fin\n"
    )


async def test_a_webvtt_upload_as_a_form(
    http: aiohttp.ClientSession, base_url: str, room_id: str
) -> None:
    form = aiohttp.FormData()
    vtt = "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Ann>Salut</v>\n"
    form.add_field("file", vtt.encode(), filename="fr.vtt", content_type="text/vtt")
    status, body = await upload(http, base_url, room_id, form)
    assert status == 201, body
    async with http.get(base_url + body["url"]) as r:
        assert "00:00:01.000 --> 00:00:02.000\nAnn: Salut" in await r.text()


async def test_uploads_that_do_not_parse_name_the_line(
    http: aiohttp.ClientSession, base_url: str, room_id: str
) -> None:
    broken_srt = SRT.replace("00:00:03,000", "00:00:0x,000")
    status, body = await upload(
        http, base_url, room_id, broken_srt.encode(), headers={"Content-Type": "text/plain"}
    )
    assert (status, body["error"]["code"]) == (400, "subtitles_invalid")
    assert "line 5:" in body["error"]["message"]  # the cue that does not parse
    assert body["error"]["params"] == {"line": 5}  # for a page to say it in its language
    broken_vtt = "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nok\n\n00:00:xx.000 --> 1\nno\n"
    status, body = await upload(
        http, base_url, room_id, broken_vtt.encode(), headers={"Content-Type": "text/vtt"}
    )
    assert (status, body["error"]["code"]) == (400, "subtitles_invalid")
    assert "line 6:" in body["error"]["message"]
    for junk in (b"", b"\x00\xff\xfe binary", b"WEBVTT\n"):
        status, body = await upload(
            http, base_url, room_id, junk, headers={"Content-Type": "text/vtt"}
        )
        assert (status, body["error"]["code"]) == (400, "subtitles_invalid")


async def test_uploads_are_bounded_and_typed(
    http: aiohttp.ClientSession, base_url: str, room_id: str
) -> None:
    huge = SRT.encode() * (MAX_SUBTITLE_BYTES // len(SRT.encode()) + 1)
    status, body = await upload(
        http, base_url, room_id, huge, headers={"Content-Type": "application/x-subrip"}
    )
    assert (status, body["error"]["code"]) == (413, "payload_too_large")

    async def chunks() -> Any:  # no Content-Length: counted as it arrives
        for _ in range(3):
            yield b"x" * (MAX_SUBTITLE_BYTES // 2)

    status, body = await upload(
        http, base_url, room_id, chunks(), headers={"Content-Type": "text/vtt"}
    )
    assert (status, body["error"]["code"]) == (413, "payload_too_large")
    status, body = await upload(
        http, base_url, room_id, b"{}", headers={"Content-Type": "application/json"}
    )
    assert (status, body["error"]["code"]) == (415, "unsupported_media_type")
    async with http.get(f"{base_url}/api/rooms/{room_id}/subtitles/nothing") as r:
        assert (r.status, (await r.json())["error"]["code"]) == (404, "subtitles_not_found")


async def test_only_who_may_edit_the_queue_may_upload(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    owner = await register(http, base_url, "subowner")
    async with http.post(f"{base_url}/api/rooms", json={}, headers=owner.bearer) as r:
        room = (await r.json())["id"]
    headers = {"Content-Type": "application/x-subrip"}
    status, _ = await upload(http, base_url, room, SRT.encode(), headers=headers)
    assert status == 201  # an "everyone" room: a guest without a session may
    async with http.patch(
        f"{base_url}/api/rooms/{room}", json={"control": "owner"}, headers=owner.bearer
    ) as r:
        assert r.status == 200
    status, body = await upload(http, base_url, room, SRT.encode(), headers=headers)
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, body = await upload(
        http, base_url, room, SRT.encode(), headers={**headers, **owner.bearer}
    )
    assert status == 201
    # Deleting the room deletes its files.
    async with http.delete(f"{base_url}/api/rooms/{room}", headers=owner.bearer) as r:
        assert r.status == 204
    for _ in range(50):
        async with http.get(base_url + body["url"]) as r:
            if r.status == 404:
                break
        await asyncio.sleep(0.1)
    assert r.status == 404


async def test_subtitles_survive_a_restart(settings: Settings) -> None:
    first = await start(settings)
    peer = Peer("ann")
    async with aiohttp.ClientSession() as http:
        try:
            room = await new_room(http, url(first))
            status, file = await upload(
                http, url(first), room, SRT.encode(), headers={"Content-Type": "text/plain"}
            )
            assert status == 201
            await peer.connect(url(first), {"room": room, "name": "ann"})
            track = {"label": "FR", "lang": "fr", "url": file["url"], "default": True}
            assert (await peer.call("CHANGE_VIDEO", {"video_id": FILE, "subtitles": [track]}))["ok"]
            ack = await peer.call("QUEUE_ADD", {"item": {"video_id": FILE, "subtitles": [track]}})
            last = ack["state"]
        finally:
            await peer.close()
            await first.close()
        second = await start(settings)
        try:
            status, body = await get_room(http, url(second), room)
            assert body["state"] == last
            assert body["state"]["subtitles"][0]["url"] == file["url"]
            async with http.get(url(second) + file["url"]) as r:
                assert r.status == 200
                assert "Bonjour" in await r.text()
        finally:
            await second.close()


async def test_uploads_are_limited_per_address_and_per_room(
    http: aiohttp.ClientSession, start_server: ServerFactory
) -> None:
    headers = {"Content-Type": "application/x-subrip"}
    server = await start_server(subtitle_rate_limit="2/hour")
    base = str(server.make_url("")).rstrip("/")
    room = await new_room(http, base)
    codes = [(await upload(http, base, room, SRT.encode(), headers=headers))[1] for _ in range(3)]
    assert [body.get("error", {}).get("code") for body in codes] == [None, None, "rate_limited"]
    server = await start_server(subtitle_rate_limit="1000/hour")
    base = str(server.make_url("")).rstrip("/")
    room = await new_room(http, base)
    for _ in range(MAX_FILES_PER_ROOM):
        assert (await upload(http, base, room, SRT.encode(), headers=headers))[0] == 201
    status, body = await upload(http, base, room, SRT.encode(), headers=headers)
    assert (status, body["error"]["code"]) == (409, "too_many_subtitles")
    assert body["error"]["params"] == {"limit": MAX_FILES_PER_ROOM}


async def test_a_banned_user_uploads_nothing(
    http: aiohttp.ClientSession, base_url: str, join: PeerFactory
) -> None:
    owner = await register(http, base_url, "subowner")
    bob = await register(http, base_url, "bob")
    async with http.post(f"{base_url}/api/rooms", json={}, headers=owner.bearer) as r:
        room = (await r.json())["id"]
    peer = await join("owner", auth={"room": room, "token": owner.token})
    await peer.next("ROOM_STATE")
    assert (await peer.call("BAN", {"user_id": bob.id}))["ok"]
    headers = {"Content-Type": "application/x-subrip", **bob.bearer}
    status, body = await upload(http, base_url, room, SRT.encode(), headers=headers)
    assert (status, body["error"]["code"]) == (403, "banned")

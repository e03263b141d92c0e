"""One text rule for every incoming string, and saves that one bad record cannot stop.

A lone UTF-16 surrogate (``"x\\ud800"``) is valid JSON and a Python ``str``, but no UTF-8
encoder takes it: BSON refused it, and the write-behind retried that room first, forever, so no
room marked after it was saved again. Refused at the door now (socket events, HTTP bodies and
queries), and a record the database refuses anyway no longer holds up the others.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import aiohttp
import bson
import pytest
from aiohttp.test_utils import TestServer
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.accounts import register
from tests.conftest import PeerFactory
from tests.integration.test_metrics import scrape
from tests.waiting import until
from watchparty.core import COMMANDS, new_room, validate
from watchparty.core.commands import ROOM_EVENTS
from watchparty.core.text import unencodable
from watchparty.keys import WRITE_BEHIND
from watchparty.rooms.writebehind import WriteBehind
from watchparty.store.database import Store
from watchparty.store.rooms import RoomInfo, RoomRecord, to_document

LONE = "x\ud800"
# All of Unicode. Hypothesis leaves surrogates (Cs) out of ``characters()`` unless asked for
# them by category, and ``st.text`` drops them from any alphabet, so strings are joined here.
any_character = st.characters() | st.characters(categories=["Cs"])
any_text = st.lists(any_character, max_size=30).map("".join)


@given(text=any_text)
@settings(max_examples=300, deadline=None)
def test_whatever_validation_accepts_encodes_as_bson(text: str) -> None:
    """Every model that takes text, fed any text: accepted means storable."""
    payloads: list[tuple[Any, dict[str, Any]]] = [
        (COMMANDS["QUEUE_ADD"], {"item": {"video_id": "dQw4w9WgXcQ", "title": text}}),
        (COMMANDS["CHANGE_VIDEO"], {"video_id": "https://example.com/" + text}),
        (ROOM_EVENTS["CHAT"], {"text": text}),
        (ROOM_EVENTS["KICK"], {"member_id": "abc", "reason": text}),
        (ROOM_EVENTS["BAN"], {"user_id": text}),
        (COMMANDS["PLAY"], {text: 1}),
    ]
    for model, payload in payloads:
        parsed = validate(model, payload)
        if isinstance(parsed, BaseException) or not hasattr(parsed, "model_dump"):
            continue
        bson.encode(parsed.model_dump())  # raises on anything BSON cannot hold


def test_unencodable_finds_a_surrogate_anywhere() -> None:
    assert unencodable({"a": [1, {"b": LONE}]}) == "a.1.b"
    assert unencodable({LONE: 1}) == "payload"
    assert unencodable(["ok", "é", "😀"]) is None
    assert unencodable([[[LONE]]]) == "0.0.0"
    deep: list[object] = [LONE]
    for _ in range(10_000):  # deeper than a JSON parser recurses
        deep = [deep]
    assert unencodable(deep) == ".".join(["0"] * 10_001)


async def test_a_lone_surrogate_is_refused_over_sockets_and_changes_nothing(
    join: PeerFactory,
) -> None:
    ann = await join("ann")
    state = (await ann.next("ROOM_STATE"))["state"]
    for event, payload in [
        ("QUEUE_ADD", {"item": {"video_id": "dQw4w9WgXcQ", "title": LONE}}),
        ("UPDATE_QUEUE", {"queue": [{"video_id": "dQw4w9WgXcQ", "title": LONE}]}),
        ("CHANGE_VIDEO", {"video_id": "https://example.com/" + LONE}),
        ("CHAT", {"text": LONE}),
        ("SEEK", {"timestamp": 1, LONE: 2}),
    ]:
        ack = await ann.call(event, payload)
        assert ack["ok"] is False, event
        assert ack["error"]["code"] == "invalid_payload", event
    after = await ann.call("PAUSE", {})
    assert after["state"]["version"] == state["version"] + 1  # nothing else was accepted
    assert after["state"]["queue"] == []


async def test_a_lone_surrogate_is_refused_over_http_not_a_500(
    http: aiohttp.ClientSession, base_url: str
) -> None:
    owner = await register(http, base_url, "owner")
    headers = {"Content-Type": "application/json", **owner.bearer}
    async with http.post(f"{base_url}/api/rooms", json={}, headers=owner.bearer) as response:
        room_id = (await response.json())["id"]
    for method, path, body in [
        ("POST", "/api/rooms", '{"name": "x\\ud800"}'),
        ("PATCH", f"/api/rooms/{room_id}", '{"name": "x\\udfff"}'),
        ("PATCH", f"/api/rooms/{room_id}", '{"moderators": ["\\ud800"]}'),
        ("POST", "/api/auth/register", '{"username": "x\\ud800", "email": "a@b.co"}'),
    ]:
        async with http.request(method, base_url + path, data=body, headers=headers) as response:
            assert response.status == 400, (path, await response.text())
            assert (await response.json())["error"]["code"] == "invalid_body"
    async with http.get(f"{base_url}/api/rooms/{room_id}") as response:
        room = await response.json()
        assert room["name"] is None
        assert room["info"]["moderators"] == []
    # A path segment that is no id's shape never reaches the database.
    async with http.get(f"{base_url}/api/rooms/%ED%A0%80") as response:
        assert response.status == 404


def _record(room_id: str, name: str, revision: int = 1) -> RoomRecord:
    created = dt.datetime(2026, 12, 4, tzinfo=dt.UTC)
    state = replace(new_room(room_id, 1_796_000_000.0), version=revision)
    return RoomRecord(state, RoomInfo(name=name, created_at=created), revision=revision)


async def test_a_record_the_database_refuses_does_not_hold_up_other_rooms(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """Records that slipped past validation: the real database driver refuses them, the
    others are saved all the same, and the bad one is saved once it changes."""
    rooms = {name: _record(name, "before", revision=0) for name in ("bad", "b", "c")}
    for record in rooms.values():
        assert await store.rooms.insert(record)
    writer = WriteBehind(store.rooms, gather=0.01, retry_first=0.01, retry_max=0.05)
    writer.start()
    try:
        latest = {
            "bad": _record("bad", LONE),
            "b": _record("b", "saved"),
            "c": _record("c", "saved too"),
        }
        for room_id in ("bad", "b", "c"):
            writer.mark(room_id, lambda room_id=room_id: latest[room_id])  # type: ignore[misc]
        assert await writer.flush(5) is False  # "bad" could not be written
        for room_id in ("b", "c"):
            saved = await store.rooms.load(room_id)
            assert saved is not None
            assert saved.info.name == latest[room_id].info.name
        assert (writer.failures, writer.pending, writer.is_dirty("bad")) == (1, 1, True)
        assert sum("saving room bad failed" in r.getMessage() for r in caplog.records) == 1
        # The same bad record is not retried (no spinning, no second log line) ...
        writer.mark("b", lambda: _record("b", "again", revision=2))
        await writer.flush(5)
        assert writer.failures == 1
        # ... and once the room changes, it is saved.
        latest["bad"] = _record("bad", "fixed", revision=2)
        writer.mark("bad", lambda: latest["bad"])
        assert await writer.flush(5) is True
        saved = await store.rooms.load("bad")
        assert saved is not None
        assert saved.info.name == "fixed"
    finally:
        await writer.close()


async def test_refused_saves_are_counted_in_metrics(
    server: TestServer, http: aiohttp.ClientSession, base_url: str, room_id: str
) -> None:
    writer = server.app[WRITE_BEHIND]
    bad = _record(room_id, LONE, revision=99)
    with pytest.raises(UnicodeEncodeError):
        bson.encode(to_document(bad))
    writer.mark(room_id, lambda: bad)
    await until(lambda: writer.failures == 1)
    samples = await scrape(http, base_url)
    assert samples["watchparty_room_writes_failures_total", ()] == 1
    writer.forget(room_id)

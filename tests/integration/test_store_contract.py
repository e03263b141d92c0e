"""Every operation ``watchparty.store`` uses, against the session's MongoDB-wire server.

Run with ``MONGODB_URI`` set, the same test checks a real MongoDB, so a difference between the
embedded server and production shows up here first.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest
from pymongo.errors import DuplicateKeyError

from watchparty.core import QueueItem, new_room
from watchparty.rooms.writebehind import SAVE_BATCH, WriteBehind, WriteQueue
from watchparty.store.chat import NewMessage
from watchparty.store.database import Store
from watchparty.store.embedded import free_port
from watchparty.store.errors import StoreUnavailable
from watchparty.store.rooms import RoomInfo, RoomRecord


def record(room_id: str = "room-1", version: int = 0, **changes: Any) -> RoomRecord:
    state = replace(new_room(room_id, 1_795_540_000.25), version=version, **changes)
    created = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
    # Commands are the only changes here, so the revision follows the version.
    return RoomRecord(
        state=state, info=RoomInfo(name="Film club", created_at=created), revision=version
    )


FULL: dict[str, Any] = {
    "video_id": "dQw4w9WgXcQ",
    "playing": True,
    "position": 42.125,
    "queue": (
        QueueItem("q1.0", "a----------", "Title A", 61.5, by="user:u1", by_name="Ann"),
        QueueItem("q1.1", "b----------", None, None),
    ),
}


async def test_insert_and_load_round_trip_with_types(store: Store) -> None:
    original = record(version=3, **FULL)
    assert await store.rooms.insert(original) is True
    loaded = await store.rooms.load("room-1")
    assert loaded is not None
    assert loaded.state == original.state
    assert loaded.info == original.info
    assert (loaded.info.name, loaded.info.owner_id) == ("Film club", None)
    assert (loaded.info.control, loaded.info.moderators) == ("everyone", ())
    raw = await store.db["rooms"].find_one({"_id": "room-1"})
    assert raw is not None
    assert raw["playback"]["playing"] is True  # a real boolean, not 1
    assert isinstance(raw["playback"]["updated_at"], float)
    assert isinstance(raw["created_at"], dt.datetime)
    assert raw["queue"][0] == {
        "id": "q1.0",
        "video_id": "a----------",
        "title": "Title A",
        "duration": 61.5,
        "subtitles": [],
        "by": "user:u1",  # who added it: the DJ rotation survives a restart
        "by_name": "Ann",
    }
    assert raw["queue"][1]["by"] is None
    assert raw["version"] == 3


async def test_load_of_a_missing_room_is_none(store: Store) -> None:
    assert await store.rooms.load("nobody-here") is None


async def test_insert_refuses_a_taken_id(store: Store) -> None:
    assert await store.rooms.insert(record()) is True
    assert await store.rooms.insert(record(video_id="other")) is False
    loaded = await store.rooms.load("room-1")
    assert loaded is not None
    assert loaded.state.video_id is None


async def test_save_only_moves_forward(store: Store) -> None:
    await store.rooms.insert(record())
    assert await store.rooms.save(record(version=5, **FULL)) is True
    assert await store.rooms.save(record(version=4, video_id="stale")) is False
    assert await store.rooms.save(record(version=5, video_id="same-version")) is False
    loaded = await store.rooms.load("room-1")
    assert loaded is not None
    assert (loaded.state.version, loaded.state.video_id) == (5, "dQw4w9WgXcQ")
    assert loaded.state.playing is True
    assert await store.rooms.save(record(version=6, playing=False)) is True
    loaded = await store.rooms.load("room-1")
    assert loaded is not None
    assert (loaded.state.version, loaded.state.playing) == (6, False)


async def test_save_never_creates_a_room_so_a_deleted_one_stays_deleted(store: Store) -> None:
    assert await store.rooms.save(record("never-made", version=2)) is False
    assert await store.rooms.load("never-made") is None
    await store.rooms.insert(record())
    assert await store.rooms.delete("room-1") is True
    assert await store.rooms.save(record(version=3)) is False  # a save that was on its way
    assert await store.rooms.load("room-1") is None
    assert await store.rooms.delete("room-1") is False


async def test_saving_many_rooms_at_once_keeps_each_rule(store: Store) -> None:
    """One request for several rooms: each moves forward only, none is created, and a record
    the driver cannot encode is refused alone while the others land."""
    for room_id in ("a", "b", "c", "gone"):
        await store.rooms.insert(record(room_id, version=3))
    await store.rooms.delete("gone")
    batch = [
        record("a", version=4, video_id="newer"),
        record("b", version=2, video_id="stale"),
        record("never-made", version=5),
        record("gone", version=6),
    ]
    assert await store.rooms.save_many(batch) == [None] * 4
    versions = {}
    for room_id in ("a", "b", "never-made", "gone"):
        loaded = await store.rooms.load(room_id)
        versions[room_id] = (
            None if loaded is None else (loaded.state.version, loaded.state.video_id)
        )
    assert versions == {"a": (4, "newer"), "b": (3, None), "never-made": None, "gone": None}
    bad = record("b", version=7, video_id="\ud800")  # a lone surrogate: not UTF-8
    refused = await store.rooms.save_many([record("a", version=8), bad, record("c", version=9)])
    assert [type(why) for why in refused] == [type(None), UnicodeEncodeError, type(None)]
    stored = [await store.rooms.load(room_id) for room_id in ("a", "b", "c")]
    assert [room.state.version for room in stored if room is not None] == [8, 3, 9]


async def test_an_expired_room_is_gone_before_the_ttl_monitor_runs(store: Store) -> None:
    now = dt.datetime.now(dt.UTC)
    soon = replace(record("later", version=1), expires_at=now + dt.timedelta(days=1))
    past = replace(record("past", version=1), expires_at=now - dt.timedelta(seconds=1))
    kept = record("kept", version=1)  # expires_at None: a room on a paid plan
    for room in (soon, past, kept):
        assert await store.rooms.insert(room)
    later = await store.rooms.load("later")
    assert later is not None
    assert later.expires_at is not None
    assert abs((later.expires_at - (now + dt.timedelta(days=1))).total_seconds()) < 1
    assert await store.rooms.load("past") is None
    loaded = await store.rooms.load("kept")
    assert loaded is not None
    assert loaded.expires_at is None


async def test_info_changes_save_by_revision_and_old_rooms_still_save(store: Store) -> None:
    original = record(version=4)
    assert await store.rooms.insert(original)
    # A room written before revisions existed has none: it must still take a newer write.
    await store.db["rooms"].update_one({"_id": "room-1"}, {"$unset": {"revision": ""}})
    legacy = await store.rooms.load("room-1")
    assert legacy is not None
    assert legacy.revision == 4
    renamed = replace(
        original,
        info=replace(original.info, name="Renamed", control="owner", moderators=("u1", "u2")),
        revision=5,
    )
    assert await store.rooms.save(renamed) is True
    assert await store.rooms.save(replace(original, revision=5)) is False  # same revision
    loaded = await store.rooms.load("room-1")
    assert loaded is not None
    assert (loaded.info.name, loaded.info.control) == ("Renamed", "owner")
    assert (loaded.info.moderators, loaded.state.version, loaded.revision) == (("u1", "u2"), 4, 5)


async def test_racing_saves_keep_the_newest(store: Store) -> None:
    await store.rooms.insert(record())
    versions = list(range(1, 21))
    await asyncio.gather(
        *(store.rooms.save(record(version=v, position=float(v))) for v in versions)
    )
    loaded = await store.rooms.load("room-1")
    assert loaded is not None
    assert (loaded.state.version, loaded.state.position) == (20, 20.0)


async def test_user_indexes_are_unique_and_prepare_is_idempotent(store: Store) -> None:
    await store.prepare()
    users = store.db["users"]
    keys = [
        info["key"] for info in (await users.index_information()).values() if info.get("unique")
    ]
    assert [("email_normalized", 1)] in keys
    assert [("username_normalized", 1)] in keys
    await users.insert_one(
        {"_id": "u1", "email_normalized": "a@x.org", "username_normalized": "ann"}
    )
    with pytest.raises(DuplicateKeyError) as caught:
        await users.insert_one(
            {"_id": "u2", "email_normalized": "a@x.org", "username_normalized": "bo"}
        )
    assert caught.value.code == 11000


async def test_unreachable_server_is_store_unavailable() -> None:
    store = Store(f"mongodb://127.0.0.1:{free_port()}/nothing", timeout_ms=200)
    started = time.monotonic()
    try:
        with pytest.raises(StoreUnavailable):
            await store.rooms.load("room-1")
        with pytest.raises(StoreUnavailable):
            await store.rooms.save(record(version=1))
    finally:
        await store.close()
    assert time.monotonic() - started < 5


class CountingSaver:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.saves = 0

    async def save_many(self, records: Sequence[RoomRecord]) -> list[Exception | None]:
        self.saves += 1
        return await self.store.rooms.save_many(records)


async def test_write_behind_coalesces_a_burst_into_few_writes(store: Store) -> None:
    saver = CountingSaver(store)
    writer = WriteBehind(saver)
    writer.start()
    latest = [record()]  # stands in for a live room: the writer reads its newest record
    await store.rooms.insert(latest[0])
    try:
        for version in range(1, 101):
            latest[0] = record(version=version, position=float(version))
            writer.mark("room-1", lambda: latest[0])
        assert await writer.flush(10)
    finally:
        await writer.close()
    loaded = await store.rooms.load("room-1")
    assert loaded is not None
    assert loaded.state.version == 100
    assert saver.saves < 10


async def test_write_behind_saves_the_rooms_changed_together_in_one_request(
    store: Store,
) -> None:
    saver = CountingSaver(store)
    writer = WriteBehind(saver)
    latest = {f"room-{n}": record(f"room-{n}", version=1) for n in range(SAVE_BATCH + 20)}
    for room in latest.values():
        await store.rooms.insert(replace(room, revision=0))
    writer.start()
    try:
        for room_id in latest:
            writer.mark(room_id, lambda room_id=room_id: latest[room_id])  # type: ignore[misc]
        assert await writer.flush(10)
    finally:
        await writer.close()
    assert saver.saves == 2  # SAVE_BATCH rooms, then the rest
    for room_id in latest:
        loaded = await store.rooms.load(room_id)
        assert loaded is not None
        assert loaded.revision == 1


def chat(room_id: str, n: int, dropped: str | None = None) -> NewMessage:
    message = {
        "id": f"{room_id}-{n}",
        "member_id": "m1",
        "user_id": None,
        "by": "ann",
        "text": f"hello {n}",
        "at": 1_795_540_000.0 + n,
    }
    return NewMessage(room_id, message, dropped)


async def test_chat_batches_save_once_and_forget_what_was_pushed_out(store: Store) -> None:
    batch = [chat("a", n) for n in range(6)] + [chat("b", n) for n in range(6)]
    await store.chat.add(batch)
    await store.chat.add(batch)  # a retry of a batch that landed: nothing doubles
    assert await store.db["chat"].count_documents({}) == 12
    await store.chat.add([chat("a", 6, dropped="a-0"), chat("b", 6, dropped="a-1")])
    assert [m["text"] for m in await store.chat.latest("a", 10)] == [
        f"hello {n}" for n in range(2, 7)
    ]
    assert await store.db["chat"].count_documents({"room": "b"}) == 7
    with pytest.raises(DuplicateKeyError):  # only a repeated id in a batch is forgiven
        await store.db["chat"].insert_one({"_id": "a-6"})


async def test_trim_keeps_a_rooms_newest(store: Store) -> None:
    await store.chat.add([chat("a", n) for n in range(10)] + [chat("b", 0)])
    await store.chat.trim("a", 4)
    assert [m["text"] for m in await store.chat.latest("a", 10)] == [
        f"hello {n}" for n in range(6, 10)
    ]
    assert await store.db["chat"].count_documents({"room": "b"}) == 1


class CountingChat:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.batches: list[int] = []

    async def add(self, batch: list[NewMessage]) -> None:
        self.batches.append(len(batch))
        await self.store.chat.add(batch)


async def test_a_chat_burst_is_saved_in_few_batches_in_order(store: Store) -> None:
    counting = CountingChat(store)
    writes = WriteQueue()
    writes.start()
    try:
        for n in range(300):
            writes.gather(counting.add, chat(f"room-{n % 7}", n))
            if n == 150:  # a different write in between: batches on either side of it
                writes.put(lambda: store.chat.delete("room-3", "room-3-3"))
        assert writes.pending == 301
        assert await writes.flush(10)
    finally:
        await writes.close()
    assert sum(counting.batches) == 300
    assert len(counting.batches) <= 4  # at most 200 a batch, and split by the delete
    assert writes.pending == 0
    assert await store.db["chat"].count_documents({}) == 299
    assert await store.db["chat"].find_one({"_id": "room-3-3"}) is None


async def test_revoked_sessions_are_known_until_they_would_have_expired(store: Store) -> None:
    now = dt.datetime.now(dt.UTC)
    await store.revoked_sessions.revoke("token-a", now + dt.timedelta(hours=1))
    await store.revoked_sessions.revoke("token-b", now - dt.timedelta(seconds=1))
    await store.revoked_sessions.revoke("token-a", now + dt.timedelta(hours=2))  # again: fine
    assert await store.revoked_sessions.revoked("token-a", now)
    assert not await store.revoked_sessions.revoked("token-b", now)  # past its expiry
    assert not await store.revoked_sessions.revoked("token-c", now)
    raw = await store.db["revoked_sessions"].find_one({})
    assert raw is not None
    assert "token-a" not in str(raw)  # a digest, not the token

"""The ``rooms`` collection: one document per room, its queue embedded.

A room is always written whole (``replace_one``) under a version filter: a write only lands
if the stored version is older, so a slow or retried writer can never put a room back to an
earlier state, and no update operator is needed (nx-27017 gets several of them wrong).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from watchparty.store.errors import unavailable_on_failure
from watchparty.sync import QueueItem, RoomState

Document = dict[str, Any]


@dataclass(frozen=True)
class RoomInfo:
    """What a room is, apart from its playback: changed rarely, and never by a command."""

    name: str | None = None
    owner_id: str | None = None
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RoomRecord:
    """What is stored about a room (the live members are not)."""

    state: RoomState
    info: RoomInfo = field(default_factory=RoomInfo)

    @property
    def id(self) -> str:
        return self.state.room


def to_document(record: RoomRecord) -> Document:
    state, info = record.state, record.info
    return {
        "_id": state.room,
        "name": info.name,
        "owner_id": info.owner_id,
        "created_at": info.created_at,
        "version": state.version,
        "playback": {
            "video_id": state.video_id,
            "position": state.position,
            "playing": state.playing,
            "rate": state.rate,
            "updated_at": state.updated_at,
        },
        "queue": [
            {"id": i.id, "video_id": i.video_id, "title": i.title, "duration": i.duration}
            for i in state.queue
        ],
        "settings": info.settings,
    }


def from_document(doc: Document) -> RoomRecord:
    playback = doc["playback"]
    created_at = doc["created_at"]
    if created_at.tzinfo is None:  # some servers hand back naive UTC datetimes
        created_at = created_at.replace(tzinfo=dt.UTC)
    state = RoomState(
        room=str(doc["_id"]),
        version=int(doc["version"]),
        video_id=playback["video_id"],
        playing=bool(playback["playing"]),
        position=float(playback["position"]),
        updated_at=float(playback["updated_at"]),
        rate=float(playback["rate"]),
        queue=tuple(
            QueueItem(
                id=str(item["id"]),
                video_id=str(item["video_id"]),
                title=item.get("title"),
                duration=None if item.get("duration") is None else float(item["duration"]),
            )
            for item in doc.get("queue", [])
        ),
    )
    info = RoomInfo(
        name=doc.get("name"),
        owner_id=doc.get("owner_id"),
        created_at=created_at,
        settings=dict(doc.get("settings") or {}),
    )
    return RoomRecord(state=state, info=info)


class RoomStore:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def ensure_indexes(self) -> None:
        await self._collection.create_index("owner_id")

    async def insert(self, record: RoomRecord) -> bool:
        """Write a new room; False if the id is taken."""
        try:
            async with unavailable_on_failure():
                await self._collection.insert_one(to_document(record))
        except DuplicateKeyError:
            return False
        return True

    async def load(self, room_id: str) -> RoomRecord | None:
        async with unavailable_on_failure():
            doc = await self._collection.find_one({"_id": room_id})
        return None if doc is None else from_document(doc)

    async def save(self, record: RoomRecord) -> bool:
        """Write ``record`` unless the stored room is at its version or newer.

        True if this write landed; False if a newer (or the same) version was already there.
        """
        filter_ = {"_id": record.id, "version": {"$lt": record.state.version}}
        try:
            async with unavailable_on_failure():
                result = await self._collection.replace_one(
                    filter_, to_document(record), upsert=True
                )
        except DuplicateKeyError:
            return False  # the filter missed because the stored version is not older
        return result.matched_count == 1 or result.upserted_id is not None

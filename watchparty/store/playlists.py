"""The ``playlists`` collection: a user's named lists of videos.

A playlist is written whole (``replace_one``) under a version filter, like a room, so two tabs
editing one playlist cannot silently overwrite each other, and its items stay an embedded
array in their order (nx-27017 mangles ``$push``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, replace
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from watchparty.store.errors import unavailable_on_failure
from watchparty.store.times import as_utc

Document = dict[str, Any]


@dataclass(frozen=True)
class PlaylistItem:
    video_id: str
    title: str | None = None
    duration: float | None = None

    def to_wire(self) -> dict[str, Any]:
        return {"video_id": self.video_id, "title": self.title, "duration": self.duration}


@dataclass(frozen=True)
class Playlist:
    id: str
    owner_id: str
    name: str
    items: tuple[PlaylistItem, ...]
    created_at: dt.datetime
    updated_at: dt.datetime
    shared: bool = False  # anyone with the id (the link) may read it and load it
    version: int = 0

    def to_wire(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "owner_id": self.owner_id,
            "name": self.name,
            "items": [item.to_wire() for item in self.items],
            "shared": self.shared,
            "version": self.version,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }

    def changed(self, **changes: Any) -> Playlist:
        """The next version of this playlist, with ``changes``."""
        return replace(self, **changes, version=self.version + 1, updated_at=_now())


def new_playlist(
    owner_id: str, name: str, items: tuple[PlaylistItem, ...], *, shared: bool = False
) -> Playlist:
    now = _now()
    return Playlist(secrets.token_urlsafe(9), owner_id, name, items, now, now, shared=shared)


def _now() -> dt.datetime:
    now = dt.datetime.now(dt.UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)  # what BSON keeps


def _to_document(playlist: Playlist) -> Document:
    return {
        "_id": playlist.id,
        "owner_id": playlist.owner_id,
        "name": playlist.name,
        "items": [item.to_wire() for item in playlist.items],
        "shared": playlist.shared,
        "version": playlist.version,
        "created_at": playlist.created_at,
        "updated_at": playlist.updated_at,
    }


def _from_document(doc: Document) -> Playlist:
    return Playlist(
        id=str(doc["_id"]),
        owner_id=str(doc["owner_id"]),
        name=str(doc["name"]),
        items=tuple(
            PlaylistItem(
                video_id=str(item["video_id"]),
                title=item.get("title"),
                duration=None if item.get("duration") is None else float(item["duration"]),
            )
            for item in doc.get("items") or ()
        ),
        created_at=as_utc(doc["created_at"]),
        updated_at=as_utc(doc["updated_at"]),
        shared=bool(doc.get("shared")),
        version=int(doc.get("version") or 0),
    )


class PlaylistStore:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def ensure_indexes(self) -> None:
        await self._collection.create_index("owner_id")

    async def insert(self, playlist: Playlist) -> None:
        async with unavailable_on_failure():
            await self._collection.insert_one(_to_document(playlist))

    async def get(self, playlist_id: str) -> Playlist | None:
        async with unavailable_on_failure():
            doc = await self._collection.find_one({"_id": playlist_id})
        return None if doc is None else _from_document(doc)

    async def owned_by(self, owner_id: str, limit: int) -> list[Playlist]:
        """``owner_id``'s playlists, oldest first (the order they were made in)."""
        async with unavailable_on_failure():
            cursor = self._collection.find({"owner_id": owner_id}).sort("created_at", 1)
            return [_from_document(doc) async for doc in cursor.limit(limit)]

    async def count_owned_by(self, owner_id: str) -> int:
        async with unavailable_on_failure():
            return await self._collection.count_documents({"owner_id": owner_id})

    async def replace(self, playlist: Playlist) -> bool:
        """Store ``playlist`` if the stored one is the version just before it."""
        filter_ = {"_id": playlist.id, "version": playlist.version - 1}
        async with unavailable_on_failure():
            result = await self._collection.replace_one(filter_, _to_document(playlist))
        return result.matched_count == 1

    async def delete(self, playlist_id: str) -> bool:
        async with unavailable_on_failure():
            result = await self._collection.delete_one({"_id": playlist_id})
        return result.deleted_count == 1

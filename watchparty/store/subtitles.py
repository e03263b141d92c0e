"""The ``subtitles`` collection: uploaded subtitle files, as WebVTT, one document each, kept
with their room (deleted with it) and counted per room."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection

from watchparty.store.errors import unavailable_on_failure

Document = dict[str, Any]


class SubtitleStore:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._collection = collection

    async def ensure_indexes(self) -> None:
        await self._collection.create_index([("room", ASCENDING)])

    async def count(self, room_id: str) -> int:
        async with unavailable_on_failure():
            return await self._collection.count_documents({"room": room_id})

    async def add(self, room_id: str, file_id: str, webvtt: str, name: str | None) -> None:
        doc = {
            "_id": file_id,
            "room": room_id,
            "webvtt": webvtt,
            "name": name,
            "created_at": dt.datetime.now(dt.UTC),
        }
        async with unavailable_on_failure():
            await self._collection.insert_one(doc)

    async def get(self, room_id: str, file_id: str) -> str | None:
        async with unavailable_on_failure():
            doc = await self._collection.find_one({"_id": file_id, "room": room_id})
        return None if doc is None else str(doc["webvtt"])

    async def delete_room(self, room_id: str) -> None:
        async with unavailable_on_failure():
            await self._collection.delete_many({"room": room_id})
